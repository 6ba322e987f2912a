package kit

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// obj is a decoded JSON object.
type obj = map[string]any

// DecodeObject decodes a JSON object keeping numbers as json.Number (their
// lexical form); ok is false when b is not one.
func DecodeObject(b []byte) (m map[string]any, ok bool) { return decode(b) }

func decode(b []byte) (obj, bool) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var m obj
	if err := d.Decode(&m); err != nil || m == nil {
		return nil, false
	}
	return m, true
}

func sval(m obj, k string) string {
	s, _ := m[k].(string)
	return s
}

// values returns the non-empty values at a dotted path (see Requirement).
func values(v any, path string) []any {
	cur := []any{v}
	for _, seg := range strings.Split(path, ".") {
		name, typed := seg, ""
		if i := strings.IndexByte(seg, '['); i > 0 && strings.HasSuffix(seg, "]") {
			name, typed = seg[:i], seg[i+1:len(seg)-1]
		}
		idx, isIdx := -1, false
		if n, err := strconv.Atoi(seg); err == nil {
			idx, isIdx = n, true
		}
		var next []any
		for _, c := range cur {
			if isIdx {
				if arr, ok := c.([]any); ok && idx < len(arr) {
					next = append(next, arr[idx])
				}
				continue
			}
			var x any
			switch cv := c.(type) {
			case obj:
				x = cv[name]
			case []any:
				for _, e := range cv {
					if m, ok := e.(obj); ok && m[name] != nil {
						next = append(next, flatten(m[name], typed)...)
					}
				}
				continue
			}
			if x != nil {
				next = append(next, flatten(x, typed)...)
			}
		}
		cur = next
	}
	out := cur[:0]
	for _, c := range cur {
		switch x := c.(type) {
		case string:
			if strings.TrimSpace(x) == "" {
				continue
			}
		case []any:
			if len(x) == 0 {
				continue
			}
		case obj:
			if len(x) == 0 {
				continue
			}
		}
		out = append(out, c)
	}
	return out
}

// flatten keeps arrays as they are (an index may follow) unless a type
// filter ("MR") selects identifiers whose type has that code.
func flatten(x any, typed string) []any {
	if typed == "" {
		return []any{x}
	}
	arr, ok := x.([]any)
	if !ok {
		arr = []any{x}
	}
	var out []any
	for _, e := range arr {
		for _, c := range values(e, "type.coding.code") {
			if c == typed {
				out = append(out, e)
				break
			}
		}
	}
	return out
}

// strs returns the string values at path, arrays flattened.
func strs(v any, path string) []string {
	var out []string
	for _, x := range values(v, path) {
		switch y := x.(type) {
		case string:
			out = append(out, y)
		case []any:
			for _, e := range y {
				if s, ok := e.(string); ok {
					out = append(out, s)
				}
			}
		}
	}
	return out
}

// span is the time range a date, dateTime or Period covers.
type span struct{ lo, hi time.Time }

func parseSpan(v any) (span, bool) {
	switch x := v.(type) {
	case string:
		lo, hi, ok := dateRange(x)
		return span{lo, hi}, ok
	case obj:
		s, e := sval(x, "start"), sval(x, "end")
		var sp span
		var ok1, ok2 bool
		if s != "" {
			sp.lo, _, ok1 = dateRange(s)
		}
		if e != "" {
			_, sp.hi, ok2 = dateRange(e)
		}
		switch {
		case ok1 && ok2:
		case ok1:
			_, sp.hi, _ = dateRange(s)
		case ok2:
			sp.lo = sp.hi
		default:
			return span{}, false
		}
		return sp, true
	}
	return span{}, false
}

// dateRange parses a FHIR date or dateTime into the range it covers.
func dateRange(s string) (lo, hi time.Time, ok bool) {
	for _, l := range []struct {
		layout  string
		y, m, d int
	}{{"2006", 1, 0, 0}, {"2006-01", 0, 1, 0}, {"2006-01-02", 0, 0, 1}} {
		if len(s) == len(l.layout) {
			t, err := time.Parse(l.layout, s)
			return t, t.AddDate(l.y, l.m, l.d), err == nil
		}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return lo, hi, false
	}
	return t, t.Add(time.Second), true
}

// within reports whether the span satisfies one date search value with an
// optional prefix: eq (the default), the search day contains the span; ge,
// the span reaches the day or later; le, the span reaches the day or
// earlier; gt, lt, likewise strictly. Other prefixes are not judged.
func (sp span) within(value string) bool {
	prefix := "eq"
	if len(value) > 2 && value[0] >= 'a' && value[0] <= 'z' {
		prefix, value = value[:2], value[2:]
	}
	lo, hi, ok := dateRange(value)
	if !ok {
		return true
	}
	switch prefix {
	case "eq":
		return !sp.lo.Before(lo) && !sp.hi.After(hi)
	case "ge":
		return sp.hi.After(lo)
	case "gt":
		return sp.hi.After(hi)
	case "le":
		return sp.lo.Before(hi)
	case "lt":
		return sp.lo.Before(lo)
	}
	return true
}
