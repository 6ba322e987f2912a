package jsoncmp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
	compare("", w, g, &out)
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

func parse(data []byte) (*value, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := parseValue(dec, "")
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		if err == nil {
			return nil, errors.New("data after the top-level value")
		}
		return nil, err
	}
	return v, nil
}

func parseValue(dec *json.Decoder, path string) (*value, error) {
	tok, err := dec.Token()
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	switch t := tok.(type) {
	case nil:
		return &value{kind: kNull}, nil
	case bool:
		return &value{kind: kBool, lit: strconv.FormatBool(t)}, nil
	case json.Number:
		return &value{kind: kNumber, lit: string(t)}, nil
	case string:
		return &value{kind: kString, lit: t}, nil
	case json.Delim:
		if t == '[' {
			v := &value{kind: kArray}
			for dec.More() {
				e, err := parseValue(dec, index(path, len(v.arr)))
				if err != nil {
					return nil, err
				}
				v.arr = append(v.arr, e)
			}
			_, err := dec.Token() // ']'
			return v, err
		}
		v := &value{kind: kObject, obj: map[string]*value{}}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil, err
			}
			k := kt.(string) // the decoder only yields string keys inside objects
			mp := member(path, k)
			if _, dup := v.obj[k]; dup {
				return nil, fmt.Errorf("%w at %s", ErrDuplicateMember, mp)
			}
			e, err := parseValue(dec, mp)
			if err != nil {
				return nil, err
			}
			v.keys = append(v.keys, k)
			v.obj[k] = e
		}
		_, err := dec.Token() // '}'
		return v, err
	}
	return nil, fmt.Errorf("unexpected token %v", tok)
}

func compare(path string, w, g *value, out *[]Difference) {
	if w.kind != g.kind {
		*out = append(*out, Difference{Path: path, Want: w.String(), Got: g.String()})
		return
	}
	switch w.kind {
	case kArray:
		n := min(len(w.arr), len(g.arr))
		for i := range n {
			compare(index(path, i), w.arr[i], g.arr[i], out)
		}
		for i := n; i < len(w.arr); i++ {
			*out = append(*out, Difference{Path: index(path, i), Want: w.arr[i].String()})
		}
		for i := n; i < len(g.arr); i++ {
			*out = append(*out, Difference{Path: index(path, i), Got: g.arr[i].String()})
		}
	case kObject:
		for _, k := range w.keys {
			if ge, ok := g.obj[k]; ok {
				compare(member(path, k), w.obj[k], ge, out)
			} else {
				*out = append(*out, Difference{Path: member(path, k), Want: w.obj[k].String()})
			}
		}
		for _, k := range g.keys {
			if _, ok := w.obj[k]; !ok {
				*out = append(*out, Difference{Path: member(path, k), Got: g.obj[k].String()})
			}
		}
	default:
		if w.lit != g.lit {
			*out = append(*out, Difference{Path: path, Want: w.String(), Got: g.String()})
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
