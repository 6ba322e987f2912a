package rest

import (
	"bytes"
	"encoding/json"
)

// ResourceFacts are what the engine checks of a resource it serves as the
// JSON a backend holds, without decoding it: its type, its id, and the
// reference of the patient it belongs to.
type ResourceFacts struct {
	// Type is the top-level "resourceType".
	Type string
	// ID is the top-level "id".
	ID string
	// Owner is the "reference" of the top-level member named by
	// ScanResource's ownerKey ("" when absent).
	Owner string
}

// ScanResource reports whether b is one JSON object (what json.Valid
// accepts, an object at the top) whose "resourceType" and "id" members,
// when present, are strings, each member at most once, and whose ownerKey
// member (unless ownerKey is "") is an object with at most one "reference"
// member, a string. It returns those strings, unescaped, read the way
// encoding/json reads them. It scans b once, as validJSON does; member
// names written with escapes are compared unescaped.
func ScanResource(b []byte, ownerKey string) (ResourceFacts, bool) {
	v := jsonScan{b: b}
	var f ResourceFacts
	var seen [3]bool
	v.ws()
	if !v.next('{') {
		return f, false
	}
	v.ws()
	if !v.next('}') {
		for {
			key, ok := v.key()
			if !ok {
				return f, false
			}
			// Comparing string(key) does not copy it: only the facts are
			// allocated, not the names of the members skipped.
			slot := -1
			switch {
			case string(key) == "resourceType":
				slot = 0
			case string(key) == "id":
				slot = 1
			case ownerKey != "" && string(key) == ownerKey:
				slot = 2
			}
			if slot >= 0 {
				if seen[slot] {
					return f, false
				}
				seen[slot] = true
			}
			switch slot {
			case 0:
				f.Type, ok = v.stringValue()
			case 1:
				f.ID, ok = v.stringValue()
			case 2:
				f.Owner, ok = v.reference()
			default:
				ok = v.value(1)
			}
			if !ok {
				return f, false
			}
			v.ws()
			if v.next('}') {
				break
			}
			if !v.next(',') {
				return f, false
			}
			v.ws()
		}
	}
	v.ws()
	return f, v.i == len(v.b)
}

// key scans a member name and its colon (and the whitespace around it),
// and returns the name unescaped (it aliases the input unless it had
// escapes).
func (v *jsonScan) key() ([]byte, bool) {
	name, ok := v.stringBytes()
	if !ok {
		return nil, false
	}
	v.ws()
	if !v.next(':') {
		return nil, false
	}
	v.ws()
	return name, true
}

// stringValue scans a string and returns it unescaped.
func (v *jsonScan) stringValue() (string, bool) {
	b, ok := v.stringBytes()
	return string(b), ok
}

// stringBytes scans a string and returns its bytes unescaped: the input's
// own bytes between the quotes when it has no escape (the common case, no
// allocation), else decoded as encoding/json decodes it.
func (v *jsonScan) stringBytes() ([]byte, bool) {
	start := v.i
	if v.i >= len(v.b) || v.b[v.i] != '"' || !v.str() {
		return nil, false
	}
	raw := v.b[start+1 : v.i-1]
	if bytes.IndexByte(raw, '\\') < 0 {
		return raw, true
	}
	var s string
	if err := json.Unmarshal(v.b[start:v.i], &s); err != nil {
		return nil, false
	}
	return []byte(s), true
}

// reference scans a Reference object and returns its "reference" member.
func (v *jsonScan) reference() (string, bool) {
	if !v.next('{') {
		return "", false
	}
	v.ws()
	if v.next('}') {
		return "", true
	}
	ref, seen := "", false
	for {
		key, ok := v.key()
		if !ok {
			return "", false
		}
		if string(key) == "reference" {
			if seen {
				return "", false
			}
			seen = true
			if ref, ok = v.stringValue(); !ok {
				return "", false
			}
		} else if !v.value(2) {
			return "", false
		}
		v.ws()
		if v.next('}') {
			return ref, true
		}
		if !v.next(',') {
			return "", false
		}
		v.ws()
	}
}

// CheckedJSON is a resource's JSON that the engine has checked (with
// ScanResource): the Bundle writer copies it as it is.
type CheckedJSON []byte

// MarshalJSON returns the JSON.
func (c CheckedJSON) MarshalJSON() ([]byte, error) { return c, nil }
