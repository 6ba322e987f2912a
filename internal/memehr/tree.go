package memehr

import (
	"encoding/json"
	"sync"
)

// obj is a decoded JSON object of a stored resource, its members in no
// particular order. Values are obj, []any, string, json.Number, bool or
// nil. A slice of members holds a resource in well under half the memory
// of nested map[string]any, and FHIR objects are small enough that a
// linear lookup is as fast as hashing.
type obj []member

type member struct {
	key string
	val any
}

// get returns member k, and whether it is there.
func (o obj) get(k string) (any, bool) {
	for i := range o {
		if o[i].key == k {
			return o[i].val, true
		}
	}
	return nil, false
}

// str returns member k when it is a string, else "".
func (o obj) str(k string) string {
	v, _ := o.get(k)
	s, _ := v.(string)
	return s
}

// interner shares the member names and the short values that recur across
// resources (systems, codes, units, statuses), boxed once. It holds at most
// internMax of each, so hostile input cannot grow it without bound; values
// beyond that are stored as they come.
type interner struct {
	mu   sync.Mutex
	keys map[string]string
	strs map[string]any // string values, boxed
	nums map[string]any // json.Number values, boxed
}

const (
	internMax    = 1 << 16
	internMaxLen = 64
)

// compact converts a tree decoded into map[string]any.
func (in *interner) compact(tree map[string]any) obj {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.keys == nil {
		in.keys, in.strs, in.nums = map[string]string{}, map[string]any{}, map[string]any{}
	}
	return in.object(tree)
}

func (in *interner) object(m map[string]any) obj {
	o := make(obj, 0, len(m))
	for k, v := range m {
		o = append(o, member{key: in.key(k), val: in.value(v)})
	}
	return o
}

func (in *interner) value(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return in.object(x)
	case []any:
		for i := range x {
			x[i] = in.value(x[i])
		}
		return x
	case string:
		return boxed(in.strs, x, v)
	case json.Number:
		return boxed(in.nums, string(x), v)
	}
	return v
}

func (in *interner) key(k string) string {
	if s, ok := in.keys[k]; ok {
		return s
	}
	if len(in.keys) < internMax && len(k) <= internMaxLen {
		in.keys[k] = k
	}
	return k
}

// boxed returns the shared box of v, whose text is s, from table.
func boxed(table map[string]any, s string, v any) any {
	if len(s) > internMaxLen {
		return v
	}
	if b, ok := table[s]; ok {
		return b
	}
	if len(table) < internMax {
		table[s] = v
	}
	return v
}
