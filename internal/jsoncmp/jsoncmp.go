package jsoncmp

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Difference is one place where two documents differ.
type Difference struct {
	// Path locates the value from the document root, e.g. "name[0].given[1]".
	// It is empty for the root itself. Member names that are not plain
	// identifiers are quoted: `extension[0]["odd.name"]`.
	Path string
	// Want is the expected value as compact JSON, or empty when the member or
	// element is absent from the expected document.
	Want string
	// Got is the actual value as compact JSON, or empty when the member or
	// element is absent from the actual document.
	Got string
}

// String describes the difference on one line.
func (d Difference) String() string {
	p := d.Path
	if p == "" {
		p = "(root)"
	}
	switch {
	case d.Got == "":
		return fmt.Sprintf("%s: missing, want %s", p, d.Want)
	case d.Want == "":
		return fmt.Sprintf("%s: unexpected %s", p, d.Got)
	default:
		return fmt.Sprintf("%s: got %s, want %s", p, d.Got, d.Want)
	}
}

// ErrDuplicateMember is returned (wrapped) when an object has two members
// with the same name.
var ErrDuplicateMember = errors.New("jsoncmp: duplicate object member")

// Diff compares the JSON documents want and got and returns every
// difference, in the order of the members of want (members only in got
// come after). It returns nil when they are semantically equal, and an
// error when either is not a single valid JSON value.
func Diff(want, got []byte) ([]Difference, error) {
	w, err := parse(want)
	if err != nil {
		return nil, fmt.Errorf("jsoncmp: want: %w", err)
	}
	g, err := parse(got)
	if err != nil {
		return nil, fmt.Errorf("jsoncmp: got: %w", err)
	}
	var out []Difference
	compare(make([]segment, 0, 16), w, g, &out)
	return out, nil
}

// Equal reports whether want and got are semantically equal JSON documents.
func Equal(want, got []byte) (bool, error) {
	d, err := Diff(want, got)
	return err == nil && len(d) == 0, err
}

// Format describes the first max differences, one per line, followed by a
// count of those left out. max <= 0 means all.
func Format(diffs []Difference, max int) string {
	var b strings.Builder
	for i, d := range diffs {
		if max > 0 && i == max {
			fmt.Fprintf(&b, "\n... and %d more", len(diffs)-max)
			break
		}
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(d.String())
	}
	return b.String()
}

type kind uint8

const (
	kNull kind = iota
	kBool
	kNumber
	kString
	kArray
	kObject
)

// value is a parsed JSON value that keeps number literals and member order.
type value struct {
	kind kind
	lit  string // bool ("true"/"false"), number literal, or unescaped string
	arr  []*value
	keys []string // object member names in document order
	obj  map[string]*value
}

// parse checks data with json.Valid (and takes encoding/json's message when
// it is not valid), then builds the tree with a small scanner that may assume
// well-formed input. That is several times faster than json.Decoder.Token,
// which matters when every official example is compared under -race.
func parse(data []byte) (*value, error) {
	if !json.Valid(data) {
		var v any
		if err := json.Unmarshal(data, &v); err != nil {
			return nil, err
		}
		return nil, errors.New("invalid JSON")
	}
	p := parser{data: data}
	return p.value()
}

type parser struct {
	data []byte
	pos  int
	// at is the location of the value being parsed, kept as segments so
	// that paths cost nothing unless a duplicate member is reported.
	at []segment
}

// segment is one step of a path: an object member or an array index.
type segment struct {
	name  string
	index int // used when name is ""
}

// pathOf renders a location such as name[0].given[1].
func pathOf(at []segment) string {
	s := ""
	for _, seg := range at {
		if seg.name == "" {
			s = index(s, seg.index)
		} else {
			s = member(s, seg.name)
		}
	}
	return s
}

func (p *parser) ws() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

// value parses the value at p.pos.
func (p *parser) value() (*value, error) {
	p.ws()
	switch p.data[p.pos] {
	case '{':
		p.pos++
		v := &value{kind: kObject, obj: map[string]*value{}}
		p.ws()
		if p.data[p.pos] == '}' {
			p.pos++
			return v, nil
		}
		for {
			p.ws()
			k := p.str()
			p.ws()
			p.pos++ // ':'
			p.at = append(p.at, segment{name: k})
			if _, dup := v.obj[k]; dup {
				return nil, fmt.Errorf("%w at %s", ErrDuplicateMember, pathOf(p.at))
			}
			e, err := p.value()
			p.at = p.at[:len(p.at)-1]
			if err != nil {
				return nil, err
			}
			v.keys = append(v.keys, k)
			v.obj[k] = e
			p.ws()
			c := p.data[p.pos]
			p.pos++ // ',' or '}'
			if c == '}' {
				return v, nil
			}
		}
	case '[':
		p.pos++
		v := &value{kind: kArray}
		p.ws()
		if p.data[p.pos] == ']' {
			p.pos++
			return v, nil
		}
		for {
			p.at = append(p.at, segment{index: len(v.arr)})
			e, err := p.value()
			p.at = p.at[:len(p.at)-1]
			if err != nil {
				return nil, err
			}
			v.arr = append(v.arr, e)
			p.ws()
			c := p.data[p.pos]
			p.pos++ // ',' or ']'
			if c == ']' {
				return v, nil
			}
		}
	case '"':
		return &value{kind: kString, lit: p.str()}, nil
	case 't':
		p.pos += len("true")
		return &value{kind: kBool, lit: "true"}, nil
	case 'f':
		p.pos += len("false")
		return &value{kind: kBool, lit: "false"}, nil
	case 'n':
		p.pos += len("null")
		return &value{kind: kNull}, nil
	default:
		start := p.pos
		for p.pos < len(p.data) && strings.IndexByte("+-.0123456789eE", p.data[p.pos]) >= 0 {
			p.pos++
		}
		return &value{kind: kNumber, lit: string(p.data[start:p.pos])}, nil
	}
}

// str consumes a string at p.pos and returns its unescaped value. Strings
// with escapes or invalid UTF-8 go through encoding/json, which unescapes
// them (surrogate pairs included) and replaces invalid bytes with U+FFFD.
func (p *parser) str() string {
	start := p.pos
	p.pos++ // opening quote
	escaped := false
	for {
		c := p.data[p.pos]
		p.pos++
		if c == '\\' {
			escaped = true
			p.pos++ // the escaped character (a \u escape's hex digits are plain)
			continue
		}
		if c == '"' {
			break
		}
	}
	raw := p.data[start:p.pos]
	if !escaped && utf8.Valid(raw) {
		return string(raw[1 : len(raw)-1])
	}
	var s string
	_ = json.Unmarshal(raw, &s) // raw is a valid JSON string: json.Valid passed
	return s
}

// compare appends the differences between w and g, found at the location
// at, to out. Paths are built only for differences.
func compare(at []segment, w, g *value, out *[]Difference) {
	if w.kind != g.kind {
		*out = append(*out, Difference{Path: pathOf(at), Want: w.String(), Got: g.String()})
		return
	}
	switch w.kind {
	case kArray:
		n := min(len(w.arr), len(g.arr))
		for i := range n {
			compare(append(at, segment{index: i}), w.arr[i], g.arr[i], out)
		}
		for i := n; i < len(w.arr); i++ {
			*out = append(*out, Difference{Path: pathOf(append(at, segment{index: i})), Want: w.arr[i].String()})
		}
		for i := n; i < len(g.arr); i++ {
			*out = append(*out, Difference{Path: pathOf(append(at, segment{index: i})), Got: g.arr[i].String()})
		}
	case kObject:
		for _, k := range w.keys {
			if ge, ok := g.obj[k]; ok {
				compare(append(at, segment{name: k}), w.obj[k], ge, out)
			} else {
				*out = append(*out, Difference{Path: pathOf(append(at, segment{name: k})), Want: w.obj[k].String()})
			}
		}
		for _, k := range g.keys {
			if _, ok := w.obj[k]; !ok {
				*out = append(*out, Difference{Path: pathOf(append(at, segment{name: k})), Got: g.obj[k].String()})
			}
		}
	default:
		if w.lit != g.lit {
			*out = append(*out, Difference{Path: pathOf(at), Want: w.String(), Got: g.String()})
		}
	}
}

// String renders the value as compact JSON, keeping number literals and
// member order. Long renderings are shortened to keep messages readable.
func (v *value) String() string {
	var b strings.Builder
	v.write(&b)
	const limit = 120
	s := b.String()
	if len(s) <= limit {
		return s
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func (v *value) write(b *strings.Builder) {
	switch v.kind {
	case kNull:
		b.WriteString("null")
	case kBool, kNumber:
		b.WriteString(v.lit)
	case kString:
		b.WriteString(strconv.Quote(v.lit))
	case kArray:
		b.WriteByte('[')
		for i, e := range v.arr {
			if i > 0 {
				b.WriteByte(',')
			}
			e.write(b)
			if b.Len() > 200 {
				b.WriteString("…")
				return
			}
		}
		b.WriteByte(']')
	case kObject:
		b.WriteByte('{')
		for i, k := range v.keys {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Quote(k))
			b.WriteByte(':')
			v.obj[k].write(b)
			if b.Len() > 200 {
				b.WriteString("…")
				return
			}
		}
		b.WriteByte('}')
	}
}

func index(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}

func member(path, name string) string {
	if isIdent(name) {
		if path == "" {
			return name
		}
		return path + "." + name
	}
	return path + "[" + strconv.Quote(name) + "]"
}

// isIdent reports whether name can be shown after a dot without ambiguity.
func isIdent(name string) bool {
	if name == "" {
		return false
	}
	for i, r := range name {
		switch {
		case r == '_' || r == '$' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z'):
		case i > 0 && r >= '0' && r <= '9':
		default:
			return false
		}
	}
	return true
}
