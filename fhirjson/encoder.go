package fhirjson

import (
	"strconv"
	"sync"
	"unicode/utf8"
)

// Encoder appends compact JSON to a byte buffer. The generated EncodeJSON
// methods drive it. Unlike encoding/json it does not escape <, > and &, so
// narrative XHTML stays readable; it does escape what JSON requires and
// replaces invalid UTF-8 with U+FFFD.
type Encoder struct {
	buf   []byte
	start int // bytes before start belong to the caller (AppendJSON)
}

// Encodable is implemented by every generated type.
type Encodable interface {
	EncodeJSON(e *Encoder)
}

var encoderPool = sync.Pool{New: func() any { return &Encoder{buf: make([]byte, 0, 4096)} }}

// Marshal encodes v into a new byte slice.
func Marshal(v Encodable) []byte {
	e := encoderPool.Get().(*Encoder)
	e.Reset()
	v.EncodeJSON(e)
	out := make([]byte, len(e.buf))
	copy(out, e.buf)
	if cap(e.buf) <= 1<<20 {
		encoderPool.Put(e)
	}
	return out
}

// AppendJSON appends the encoding of v to dst.
func AppendJSON(dst []byte, v Encodable) []byte {
	e := Encoder{buf: dst, start: len(dst)}
	v.EncodeJSON(&e)
	return e.buf
}

// Reset empties the buffer, keeping its storage.
func (e *Encoder) Reset() { e.buf, e.start = e.buf[:0], 0 }

// Bytes returns the encoded bytes.
func (e *Encoder) Bytes() []byte { return e.buf }

// sep writes a comma unless a value or member starts right after '{', '['
// or ':'.
func (e *Encoder) sep() {
	if n := len(e.buf); n > e.start {
		switch e.buf[n-1] {
		case '{', '[', ':':
		default:
			e.buf = append(e.buf, ',')
		}
	}
}

// BeginObject starts an object value.
func (e *Encoder) BeginObject() {
	e.sep()
	e.buf = append(e.buf, '{')
}

// EndObject ends an object.
func (e *Encoder) EndObject() { e.buf = append(e.buf, '}') }

// BeginArray starts an array value.
func (e *Encoder) BeginArray() {
	e.sep()
	e.buf = append(e.buf, '[')
}

// EndArray ends an array.
func (e *Encoder) EndArray() { e.buf = append(e.buf, ']') }

// Key writes a member name; name must not need escaping.
func (e *Encoder) Key(name string) {
	e.sep()
	e.buf = append(e.buf, '"')
	e.buf = append(e.buf, name...)
	e.buf = append(e.buf, '"', ':')
}

// Null writes null.
func (e *Encoder) Null() {
	e.sep()
	e.buf = append(e.buf, "null"...)
}

// Raw writes already-encoded JSON.
func (e *Encoder) Raw(s string) {
	e.sep()
	e.buf = append(e.buf, s...)
}

// Bool writes a boolean.
func (e *Encoder) Bool(b bool) {
	e.sep()
	e.buf = strconv.AppendBool(e.buf, b)
}

// Int writes an integer.
func (e *Encoder) Int(n int) {
	e.sep()
	e.buf = strconv.AppendInt(e.buf, int64(n), 10)
}

// Decimal writes the lexical form of a decimal (null when absent).
func (e *Encoder) Decimal(d Decimal) {
	if d.lit == "" {
		e.Null()
		return
	}
	e.sep()
	e.buf = append(e.buf, d.lit...)
}

const hexDigits = "0123456789abcdef"

// String writes a JSON string.
func (e *Encoder) String(s string) {
	e.sep()
	b := append(e.buf, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	e.buf = append(b, '"')
}

// Unknown writes the members kept by lenient decoding. Their names come
// from the input, so unlike Key's they are escaped as strings are.
func (e *Encoder) Unknown(u Unknown) {
	for _, m := range u {
		e.String(m.Name)
		e.buf = append(e.buf, ':')
		e.Raw(m.Value)
	}
}

// Field helpers: each writes "name":value when the value is present and
// nothing otherwise.

// StringField writes a non-empty string member.
func (e *Encoder) StringField(name, v string) {
	if v != "" {
		e.Key(name)
		e.String(v)
	}
}

// CodeField writes a non-empty string-based member.
func CodeField[T ~string](e *Encoder, name string, v T) {
	if v != "" {
		e.Key(name)
		e.String(string(v))
	}
}

// BoolField writes a non-nil boolean member.
func (e *Encoder) BoolField(name string, v *bool) {
	if v != nil {
		e.Key(name)
		e.Bool(*v)
	}
}

// IntField writes a non-nil integer member.
func (e *Encoder) IntField(name string, v *int) {
	if v != nil {
		e.Key(name)
		e.Int(*v)
	}
}

// DecimalField writes a present decimal member.
func (e *Encoder) DecimalField(name string, v Decimal) {
	if v.lit != "" {
		e.Key(name)
		e.Decimal(v)
	}
}

// CodesField writes an array of strings, with null for "" (elements that
// only have extensions); n is the length of the matching extension array, so
// that a non-empty value array is padded to align with it. When there are
// no values at all only the "_name" array is written.
func CodesField[T ~string](e *Encoder, name string, v []T, n int) {
	if len(v) == 0 {
		return
	}
	e.Key(name)
	e.BeginArray()
	for _, s := range v {
		if s == "" {
			e.Null()
		} else {
			e.String(string(s))
		}
	}
	for i := len(v); i < n; i++ {
		e.Null()
	}
	e.EndArray()
}

// BoolsField writes an array of booleans.
func (e *Encoder) BoolsField(name string, v []bool) {
	if len(v) == 0 {
		return
	}
	e.Key(name)
	e.BeginArray()
	for _, b := range v {
		e.Bool(b)
	}
	e.EndArray()
}

// IntsField writes an array of integers.
func (e *Encoder) IntsField(name string, v []int) {
	if len(v) == 0 {
		return
	}
	e.Key(name)
	e.BeginArray()
	for _, n := range v {
		e.Int(n)
	}
	e.EndArray()
}

// DecimalsField writes an array of decimals, null for absent ones, padded
// to n elements like CodesField.
func (e *Encoder) DecimalsField(name string, v []Decimal, n int) {
	if len(v) == 0 {
		return
	}
	e.Key(name)
	e.BeginArray()
	for _, d := range v {
		e.Decimal(d)
	}
	for i := len(v); i < n; i++ {
		e.Null()
	}
	e.EndArray()
}

// PtrField writes a non-nil object member.
func PtrField[T any, P interface {
	*T
	Encodable
}](e *Encoder, name string, v *T) {
	if v != nil {
		e.Key(name)
		P(v).EncodeJSON(e)
	}
}

// SliceField writes a non-empty array of objects.
func SliceField[T any, P interface {
	*T
	Encodable
}](e *Encoder, name string, v []T) {
	if len(v) == 0 {
		return
	}
	e.Key(name)
	e.BeginArray()
	for i := range v {
		P(&v[i]).EncodeJSON(e)
	}
	e.EndArray()
}

// PtrSliceField writes an array of objects or nulls (the "_name" array of
// primitive extensions) when at least one element is non-nil.
func PtrSliceField[T any, P interface {
	*T
	Encodable
}](e *Encoder, name string, v []*T) {
	any := false
	for _, p := range v {
		if p != nil {
			any = true
			break
		}
	}
	if !any {
		return
	}
	e.Key(name)
	e.BeginArray()
	for _, p := range v {
		if p == nil {
			e.Null()
		} else {
			P(p).EncodeJSON(e)
		}
	}
	e.EndArray()
}
