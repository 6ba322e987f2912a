package fhirjson

import (
	"errors"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// maxDepth bounds the nesting of objects and arrays, so that hostile input
// cannot exhaust the stack.
const maxDepth = 500

// DecodeOption changes how a document is decoded.
type DecodeOption func(*Decoder)

// Lenient makes decoding keep members that the FHIR type does not define
// (they are stored in the struct's Unknown field and re-encoded) instead of
// failing. It also accepts what FHIR forbids but is harmless to drop: null
// for a single element (treated as absent), empty strings and arrays, and
// date/time values that miss the FHIR patterns (kept as written), as well as
// out-of-range positiveInt/unsignedInt values. Malformed JSON and values of
// the wrong JSON type still fail.
func Lenient() DecodeOption { return func(d *Decoder) { d.lenient = true } }

// KeepComments makes the DSTU2 "fhir_comments" member accepted on every
// object, even in strict mode, and kept for re-encoding. Package dstu2 sets
// it: DSTU2 defines fhir_comments as part of its JSON format.
func KeepComments() DecodeOption { return func(d *Decoder) { d.comments = true } }

// Decoder reads one JSON document in a single pass. The generated DecodeJSON
// methods drive it; it is exported so that those methods can live in other
// packages. A Decoder is not safe for concurrent use.
type Decoder struct {
	data     []byte
	str      string // string(data): decoded strings without escapes are substrings of it
	pos      int
	depth    int
	lenient  bool
	comments bool
}

// NewDecoder returns a decoder over data. Strings decoded from it share one
// copy of data, so keeping any decoded string keeps that copy alive.
func NewDecoder(data []byte, opts ...DecodeOption) *Decoder {
	d := &Decoder{data: data, str: string(data)}
	for _, o := range opts {
		o(d)
	}
	return d
}

// IsLenient reports whether the Lenient option is in effect.
func (d *Decoder) IsLenient() bool { return d.lenient }

// Decodable is implemented by every generated type.
type Decodable interface {
	DecodeJSON(d *Decoder) error
}

// Unmarshal decodes the single JSON value in data into v. root names the
// type for error paths ("Patient").
func Unmarshal(data []byte, v Decodable, root string, opts ...DecodeOption) error {
	d := NewDecoder(data, opts...)
	if err := v.DecodeJSON(d); err != nil {
		return AtRoot(err, root)
	}
	return d.End()
}

// End checks that only whitespace follows the decoded value.
func (d *Decoder) End() error {
	d.ws()
	if d.pos != len(d.data) {
		return d.syntax("unexpected data after the top-level value")
	}
	return nil
}

func (d *Decoder) errAt(sentinel error, msg string) error {
	return &DecodeError{Offset: d.pos, Msg: msg, Err: sentinel}
}

func (d *Decoder) syntax(msg string) error { return d.errAt(ErrSyntax, msg) }

// Fail returns a *DecodeError at the current offset wrapping sentinel.
func (d *Decoder) Fail(sentinel error, msg string) error { return d.errAt(sentinel, msg) }

// Invalid returns a DecodeError for a value with a forbidden lexical form.
func (d *Decoder) Invalid(msg string) error { return d.errAt(ErrInvalidValue, msg) }

func (d *Decoder) ws() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// peek returns the first byte of the next value (0 at end of input).
func (d *Decoder) peek() byte {
	d.ws()
	if d.pos >= len(d.data) {
		return 0
	}
	return d.data[d.pos]
}

func kindOf(c byte) string {
	switch c {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	case 0:
		return "end of input"
	}
	if c == '-' || (c >= '0' && c <= '9') {
		return "a number"
	}
	return "an invalid character"
}

func (d *Decoder) wrongType(want string, c byte) error {
	if kindOf(c) == "an invalid character" || c == 0 {
		return d.syntax("expected " + want + ", found " + kindOf(c))
	}
	return d.errAt(ErrWrongType, "expected "+want+", found "+kindOf(c))
}

// IsNull reports whether the next value is null, consuming it if so.
func (d *Decoder) IsNull() (bool, error) {
	if d.peek() != 'n' {
		return false, nil
	}
	if len(d.data)-d.pos < 4 || d.str[d.pos:d.pos+4] != "null" {
		return false, d.syntax("invalid literal")
	}
	d.pos += 4
	return true, nil
}

func (d *Decoder) nullNotAllowed() error {
	return d.errAt(ErrWrongType, "null is not allowed here")
}

// Object decodes a JSON object, calling field for every member with the
// member name; field must consume the member's value. Errors returned by
// field get the member name added to their path.
func (d *Decoder) Object(field func(d *Decoder, key string) error) error {
	if c := d.peek(); c != '{' {
		return d.wrongType("an object", c)
	}
	d.pos++
	if d.depth++; d.depth > maxDepth {
		return d.syntax("nesting too deep")
	}
	if d.peek() == '}' {
		d.pos++
		d.depth--
		return nil
	}
	for {
		key, err := d.key()
		if err != nil {
			return err
		}
		if err := field(d, key); err != nil {
			return AtField(err, key)
		}
		switch d.peek() {
		case ',':
			d.pos++
		case '}':
			d.pos++
			d.depth--
			return nil
		default:
			return d.syntax("expected ',' or '}' after object member")
		}
	}
}

// key reads a member name and the colon after it.
func (d *Decoder) key() (string, error) {
	if c := d.peek(); c != '"' {
		return "", d.syntax("expected a member name")
	}
	k, err := d.str0()
	if err != nil {
		return "", err
	}
	if d.peek() != ':' {
		return "", d.syntax("expected ':' after member name")
	}
	d.pos++
	return k, nil
}

// Array decodes a JSON array, calling elem for every element with its index.
// elem must consume the element. Errors get the index added to their path.
func (d *Decoder) Array(elem func(d *Decoder, i int) error) error {
	if c := d.peek(); c != '[' {
		return d.wrongType("an array", c)
	}
	d.pos++
	if d.depth++; d.depth > maxDepth {
		return d.syntax("nesting too deep")
	}
	if d.peek() == ']' {
		d.pos++
		d.depth--
		if !d.lenient {
			return d.Invalid("empty arrays are not allowed")
		}
		return nil
	}
	for i := 0; ; i++ {
		if err := elem(d, i); err != nil {
			return AtIndex(err, i)
		}
		switch d.peek() {
		case ',':
			d.pos++
		case ']':
			d.pos++
			d.depth--
			return nil
		default:
			return d.syntax("expected ',' or ']' after array element")
		}
	}
}

// RawString reads a JSON string value (no emptiness check).
func (d *Decoder) RawString() (string, error) {
	if c := d.peek(); c != '"' {
		return "", d.wrongType("a string", c)
	}
	return d.str0()
}

// str0 reads the string starting at d.pos (which is a quote).
func (d *Decoder) str0() (string, error) {
	start := d.pos + 1
	i := start
	ascii := true
	for i < len(d.data) {
		c := d.data[i]
		switch {
		case c == '"':
			d.pos = i + 1
			s := d.str[start:i]
			if !ascii && !utf8.ValidString(s) {
				d.pos = start
				return "", d.syntax("invalid UTF-8 in string")
			}
			return s, nil
		case c == '\\':
			return d.strSlow(start)
		case c < 0x20:
			d.pos = i
			return "", d.syntax("control character in string")
		case c >= 0x80:
			ascii = false
		}
		i++
	}
	d.pos = i
	return "", d.syntax("unterminated string")
}

// strSlow decodes a string with escapes.
func (d *Decoder) strSlow(start int) (string, error) {
	// Size the buffer once: the decoded string is never longer than its
	// escaped form.
	end := start
	for end < len(d.data) && d.data[end] != '"' {
		if d.data[end] == '\\' {
			end++
		}
		end++
	}
	buf := make([]byte, 0, min(end, len(d.data))-start)
	i := start
	for i < len(d.data) {
		c := d.data[i]
		switch {
		case c == '"':
			d.pos = i + 1
			if !utf8.Valid(buf) {
				d.pos = start
				return "", d.syntax("invalid UTF-8 in string")
			}
			if len(buf) == 0 {
				return "", nil
			}
			// buf is not used after this point, so the string can share it.
			return unsafe.String(&buf[0], len(buf)), nil
		case c < 0x20:
			d.pos = i
			return "", d.syntax("control character in string")
		case c != '\\':
			j := i + 1
			for j < len(d.data) && d.data[j] >= 0x20 && d.data[j] != '"' && d.data[j] != '\\' {
				j++
			}
			buf = append(buf, d.data[i:j]...)
			i = j
			continue
		}
		i++
		if i >= len(d.data) {
			break
		}
		switch e := d.data[i]; e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, ok := hex4(d.data, i+1)
			if !ok {
				d.pos = i
				return "", d.syntax("invalid \\u escape")
			}
			i += 4
			if utf16.IsSurrogate(r) {
				r2, ok2 := rune(0), false
				if i+2 < len(d.data) && d.data[i+1] == '\\' && d.data[i+2] == 'u' {
					r2, ok2 = hex4(d.data, i+3)
				}
				if dec := utf16.DecodeRune(r, r2); ok2 && dec != utf8.RuneError {
					r = dec
					i += 6
				} else {
					r = utf8.RuneError
				}
			}
			buf = utf8.AppendRune(buf, r)
		default:
			d.pos = i
			return "", d.syntax("invalid escape in string")
		}
		i++
	}
	d.pos = i
	return "", d.syntax("unterminated string")
}

func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// RawNumber reads a JSON number and returns its exact text.
func (d *Decoder) RawNumber() (string, error) {
	c := d.peek()
	if c != '-' && (c < '0' || c > '9') {
		return "", d.wrongType("a number", c)
	}
	end, ok := scanNumber(d.str, d.pos)
	if ok && end < len(d.str) {
		switch c := d.str[end]; {
		case c >= '0' && c <= '9', c == '.', c == '+', c == '-', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
			ok = false
		}
	}
	if !ok {
		d.pos = end
		return "", d.syntax("invalid number")
	}
	s := d.str[d.pos:end]
	d.pos = end
	return s, nil
}

// RawBool reads true or false.
func (d *Decoder) RawBool() (bool, error) {
	c := d.peek()
	switch {
	case c == 't' && len(d.data)-d.pos >= 4 && d.str[d.pos:d.pos+4] == "true":
		d.pos += 4
		return true, nil
	case c == 'f' && len(d.data)-d.pos >= 5 && d.str[d.pos:d.pos+5] == "false":
		d.pos += 5
		return false, nil
	case c == 't' || c == 'f':
		return false, d.syntax("invalid literal")
	}
	return false, d.wrongType("a boolean", c)
}

// Skip consumes the next value of any kind and returns its raw text.
func (d *Decoder) Skip() (string, error) {
	c := d.peek()
	start := d.pos
	switch {
	case c == '{':
		err := d.Object(func(d *Decoder, _ string) error { _, err := d.Skip(); return err })
		return d.str[start:d.pos], err
	case c == '[':
		d.pos++
		if d.peek() == ']' {
			d.pos++
			return d.str[start:d.pos], nil
		}
		d.pos = start
		err := d.Array(func(d *Decoder, _ int) error { _, err := d.Skip(); return err })
		return d.str[start:d.pos], err
	case c == '"':
		_, err := d.str0()
		return d.str[start:d.pos], err
	case c == 't' || c == 'f':
		_, err := d.RawBool()
		return d.str[start:d.pos], err
	case c == 'n':
		_, err := d.IsNull()
		return d.str[start:d.pos], err
	default:
		_, err := d.RawNumber()
		return d.str[start:d.pos], err
	}
}

// ResourceType finds the value of the "resourceType" member of the object
// that starts at the current position, without consuming anything.
func (d *Decoder) ResourceType() (string, error) {
	save, depth := d.pos, d.depth
	var rt string
	found := false
	err := d.Object(func(d *Decoder, key string) error {
		if key == "resourceType" && !found {
			s, err := d.RawString()
			rt, found = s, true
			if err == nil {
				// Stop scanning early: unwind with a marker.
				return errFound
			}
			return err
		}
		_, err := d.Skip()
		return err
	})
	d.pos, d.depth = save, depth
	if err == errFound {
		err = nil
	}
	if err != nil {
		if de, ok := err.(*DecodeError); ok {
			de.Path = ""
		}
		return "", err
	}
	if !found {
		return "", d.errAt(ErrResourceType, "missing resourceType")
	}
	return rt, nil
}

// errFound stops the resourceType scan early; it is not a *DecodeError so
// that AtField leaves it alone.
var errFound = errors.New("found")

// CheckResourceType consumes the value of a "resourceType" member and checks
// that it equals want.
func (d *Decoder) CheckResourceType(want string) error {
	s, err := d.RawString()
	if err != nil {
		return err
	}
	if s != want {
		return d.errAt(ErrResourceType, "resourceType does not match: expected "+want)
	}
	return nil
}

// Unknown handles a member that the type does not define: in lenient mode
// (or for fhir_comments with KeepComments) it is stored in u, otherwise it is
// an error.
func (d *Decoder) Unknown(key string, u *Unknown) error {
	if !d.lenient && !(d.comments && key == "fhir_comments") {
		return d.errAt(ErrUnknownElement, "unknown element")
	}
	raw, err := d.Skip()
	if err != nil {
		return err
	}
	*u = append(*u, UnknownMember{Name: key, Value: compact(raw)})
	return nil
}

// compact removes the whitespace between the tokens of the valid JSON text
// s, so that kept members are re-encoded compactly.
func compact(s string) string {
	i := 0
	inStr := false
	for ; i < len(s); i++ {
		c := s[i]
		if inStr {
			if c == '\\' {
				i++
			} else if c == '"' {
				inStr = false
			}
			continue
		}
		if c == '"' {
			inStr = true
		} else if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
			break
		}
	}
	if i >= len(s) {
		return s
	}
	b := make([]byte, 0, len(s))
	b = append(b, s[:i]...)
	for ; i < len(s); i++ {
		c := s[i]
		if inStr {
			b = append(b, c)
			if c == '\\' && i+1 < len(s) {
				i++
				b = append(b, s[i])
			} else if c == '"' {
				inStr = false
			}
			continue
		}
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		case '"':
			inStr = true
		}
		b = append(b, c)
	}
	return string(b)
}

// Unknown holds members that lenient decoding kept because the FHIR type does
// not define them, in input order. They are re-encoded after the known
// members. A nil Unknown is empty.
type Unknown []UnknownMember

// UnknownMember is one kept member: its name and its raw JSON value.
type UnknownMember struct {
	Name  string
	Value string
}
