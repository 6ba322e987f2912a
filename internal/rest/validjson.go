package rest

// maxJSONDepth is the deepest nesting accepted, as in encoding/json.
const maxJSONDepth = 10000

// validJSON reports whether b is one valid JSON value, surrounded by
// optional whitespace. It accepts exactly what json.Valid accepts (a fuzz
// target holds it to that) but scans strings, the bulk of FHIR resources,
// in a tight loop instead of a byte-at-a-time state machine.
func validJSON(b []byte) bool {
	v := jsonScan{b: b}
	v.ws()
	if !v.value(0) {
		return false
	}
	v.ws()
	return v.i == len(v.b)
}

type jsonScan struct {
	b []byte
	i int
}

func (v *jsonScan) ws() {
	for v.i < len(v.b) {
		switch v.b[v.i] {
		case ' ', '\t', '\n', '\r':
			v.i++
		default:
			return
		}
	}
}

// next reports whether the next byte is c, consuming it if so.
func (v *jsonScan) next(c byte) bool {
	if v.i < len(v.b) && v.b[v.i] == c {
		v.i++
		return true
	}
	return false
}

func (v *jsonScan) value(depth int) bool {
	if v.i >= len(v.b) {
		return false
	}
	switch c := v.b[v.i]; c {
	case '{':
		if depth >= maxJSONDepth {
			return false
		}
		v.i++
		v.ws()
		if v.next('}') {
			return true
		}
		for {
			if v.i >= len(v.b) || v.b[v.i] != '"' || !v.str() {
				return false
			}
			v.ws()
			if !v.next(':') {
				return false
			}
			v.ws()
			if !v.value(depth + 1) {
				return false
			}
			v.ws()
			if v.next('}') {
				return true
			}
			if !v.next(',') {
				return false
			}
			v.ws()
		}
	case '[':
		if depth >= maxJSONDepth {
			return false
		}
		v.i++
		v.ws()
		if v.next(']') {
			return true
		}
		for {
			if !v.value(depth + 1) {
				return false
			}
			v.ws()
			if v.next(']') {
				return true
			}
			if !v.next(',') {
				return false
			}
			v.ws()
		}
	case '"':
		return v.str()
	case 't':
		return v.lit("true")
	case 'f':
		return v.lit("false")
	case 'n':
		return v.lit("null")
	default:
		if c == '-' || '0' <= c && c <= '9' {
			return v.num()
		}
		return false
	}
}

func (v *jsonScan) lit(s string) bool {
	if len(v.b)-v.i < len(s) || string(v.b[v.i:v.i+len(s)]) != s {
		return false
	}
	v.i += len(s)
	return true
}

// str scans a string starting at its opening quote. Like encoding/json it
// refuses control characters and bad escapes but not invalid UTF-8.
func (v *jsonScan) str() bool {
	b, i := v.b, v.i+1
	for i < len(b) {
		c := b[i]
		switch {
		case c == '"':
			v.i = i + 1
			return true
		case c == '\\':
			if i+1 >= len(b) {
				return false
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) {
					return false
				}
				for _, h := range b[i+2 : i+6] {
					if !('0' <= h && h <= '9' || 'a' <= h && h <= 'f' || 'A' <= h && h <= 'F') {
						return false
					}
				}
				i += 6
			default:
				return false
			}
		case c < 0x20:
			return false
		default:
			i++
		}
	}
	return false
}

func (v *jsonScan) digits() bool {
	start := v.i
	for v.i < len(v.b) && '0' <= v.b[v.i] && v.b[v.i] <= '9' {
		v.i++
	}
	return v.i > start
}

// num scans -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?.
func (v *jsonScan) num() bool {
	v.next('-')
	if v.next('0') {
		// no more integer digits after a leading zero
	} else if !v.digits() {
		return false
	}
	if v.next('.') && !v.digits() {
		return false
	}
	if v.next('e') || v.next('E') {
		if !v.next('+') {
			v.next('-')
		}
		if !v.digits() {
			return false
		}
	}
	return true
}
