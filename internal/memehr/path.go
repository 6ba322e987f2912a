package memehr

import (
	"fmt"
	"strings"
	"unicode"
)

// A node is one value found at a path: a JSON value (obj,
// []any is never a node, string, json.Number, bool) and, for a choice
// element, the type suffix of its JSON name ("DateTime" for
// "effectiveDateTime").
type node struct {
	v      any
	choice string
}

// step is one navigation step of a compiled path.
type step struct {
	name   string // element name; choice elements match name+Type
	asType string // only the choice type (from .as(T) / "as T"), lower-case first letter
	refIs  string // where(resolve() is T): keep references to T only
}

// path is a compiled search-parameter expression: a union of step lists.
type path [][]step

// compilePath compiles the subset of FHIRPath (and DSTU2 XPath) that search
// parameter definitions use: "Type.a.b", unions "x | y", choice elements
// ("effective", "effective[x]"), ".as(T)", "(x as T)", ".where(resolve() is
// T)", and "f:Type/f:a/f:b". The first step (the resource type, or
// "Resource") is skipped.
func compilePath(expr string) (path, error) {
	var out path
	for _, alt := range splitTop(expr, '|') {
		alt = strings.TrimSpace(alt)
		if strings.HasPrefix(alt, "(") && strings.HasSuffix(alt, ")") && len(splitTop(alt[1:len(alt)-1], ')')) == 1 {
			alt = strings.TrimSpace(alt[1 : len(alt)-1])
		}
		if alt == "" {
			continue
		}
		if strings.HasPrefix(alt, "f:") { // DSTU2 XPath
			alt = strings.ReplaceAll(strings.ReplaceAll(alt, "f:", ""), "/", ".")
		}
		asType := ""
		if i := strings.Index(alt, " as "); i >= 0 {
			asType = strings.TrimSpace(alt[i+4:])
			alt = strings.TrimSpace(alt[:i])
		}
		parts := splitTop(alt, '.')
		if len(parts) < 2 {
			return nil, fmt.Errorf("memehr: path %q: want Type.element", expr)
		}
		var steps []step
		for _, p := range parts[1:] {
			p = strings.TrimSpace(p)
			switch {
			case strings.HasPrefix(p, "as(") && strings.HasSuffix(p, ")"):
				if len(steps) == 0 {
					return nil, fmt.Errorf("memehr: path %q: as() without element", expr)
				}
				steps[len(steps)-1].asType = p[3 : len(p)-1]
			case strings.HasPrefix(p, "where(") && strings.HasSuffix(p, ")"):
				if len(steps) == 0 {
					return nil, fmt.Errorf("memehr: path %q: where() without element", expr)
				}
				cond := strings.TrimSpace(p[6 : len(p)-1])
				if t, ok := strings.CutPrefix(cond, "resolve() is "); ok {
					steps[len(steps)-1].refIs = strings.TrimSpace(t)
				}
				// Other conditions are not evaluated: they only narrow.
			default:
				name := strings.TrimSuffix(p, "[x]")
				if name == "" || !isName(name) {
					return nil, fmt.Errorf("memehr: path %q: unsupported step %q", expr, p)
				}
				steps = append(steps, step{name: name})
			}
		}
		if asType != "" && len(steps) > 0 {
			steps[len(steps)-1].asType = asType
		}
		if len(steps) == 0 {
			return nil, fmt.Errorf("memehr: path %q: no element", expr)
		}
		out = append(out, steps)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("memehr: empty path %q", expr)
	}
	return out, nil
}

func isName(s string) bool {
	for _, c := range s {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// splitTop splits s on sep outside parentheses.
func splitTop(s string, sep byte) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			depth--
		case sep:
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

// eval returns the values found at p in a resource tree: an obj, or a tree
// decoded into map[string]any.
func (p path) eval(tree any) []node {
	if m, ok := tree.(map[string]any); ok {
		tree = (&interner{}).compact(m)
	}
	var out []node
	var root [1]node
	for _, steps := range p {
		root[0] = node{v: tree}
		cur := root[:]
		for _, st := range steps {
			var next []node
			for _, n := range cur {
				m, ok := n.v.(obj)
				if !ok {
					continue
				}
				next = appendChild(next, m, st)
			}
			cur = next
			if len(cur) == 0 {
				break
			}
		}
		out = append(out, cur...)
	}
	return out
}

// some reports whether match holds for a value at p in the resource tree,
// stopping at the first; it is eval without building the list.
func (p path) some(tree obj, match func(node) bool) bool {
	for _, steps := range p {
		if someBelow(node{v: tree}, steps, match) {
			return true
		}
	}
	return false
}

func someBelow(n node, steps []step, match func(node) bool) bool {
	if len(steps) == 0 {
		return match(n)
	}
	m, ok := n.v.(obj)
	if !ok {
		return false
	}
	st := steps[0]
	each := func(v any, choice string) bool {
		if arr, ok := v.([]any); ok {
			for _, e := range arr {
				if c := (node{v: e, choice: choice}); keep(c, st) && someBelow(c, steps[1:], match) {
					return true
				}
			}
			return false
		}
		c := node{v: v, choice: choice}
		return keep(c, st) && someBelow(c, steps[1:], match)
	}
	if v, ok := m.get(st.name); ok {
		return each(v, "")
	}
	for _, mb := range m {
		if isChoiceOf(mb.key, st.name) && each(mb.val, mb.key[len(st.name):]) {
			return true
		}
	}
	return false
}

// appendChild adds the values of element st.name of m, flattening arrays
// and resolving choice elements.
func appendChild(dst []node, m obj, st step) []node {
	add := func(v any, choice string) {
		if arr, ok := v.([]any); ok {
			for _, e := range arr {
				dst = appendFiltered(dst, node{v: e, choice: choice}, st)
			}
			return
		}
		dst = appendFiltered(dst, node{v: v, choice: choice}, st)
	}
	if v, ok := m.get(st.name); ok {
		add(v, "")
		return dst
	}
	for _, mb := range m {
		if isChoiceOf(mb.key, st.name) {
			add(mb.val, mb.key[len(st.name):])
		}
	}
	return dst
}

// isChoiceOf reports whether k is a choice element of name: name followed
// by an upper-case type name ("effectiveDateTime" of "effective").
func isChoiceOf(k, name string) bool {
	return len(k) > len(name) && strings.HasPrefix(k, name) && unicode.IsUpper(rune(k[len(name)]))
}

func appendFiltered(dst []node, n node, st step) []node {
	if keep(n, st) {
		dst = append(dst, n)
	}
	return dst
}

// keep applies the type filters of a step (.as(T), where(resolve() is T)).
func keep(n node, st step) bool {
	if st.asType != "" && !strings.EqualFold(n.choice, st.asType) {
		return false
	}
	return st.refIs == "" || refHasType(n.v, st.refIs)
}

// refHasType reports whether a Reference points to a resource of type t
// (relative "T/id" or absolute ".../T/id").
func refHasType(v any, t string) bool {
	m, ok := v.(obj)
	if !ok {
		return false
	}
	ref := m.str("reference")
	typ, _, ok := splitRef(ref)
	return ok && typ == t
}

// splitRef returns the type and id of a literal reference ("Patient/1",
// "http://x/fhir/Patient/1", "Patient/1/_history/2").
func splitRef(ref string) (typ, id string, ok bool) {
	if i := strings.Index(ref, "/_history/"); i >= 0 {
		ref = ref[:i]
	}
	if i := strings.LastIndexByte(ref, '/'); i > 0 {
		id = ref[i+1:]
		rest := ref[:i]
		typ = rest[strings.LastIndexByte(rest, '/')+1:]
		return typ, id, typ != "" && id != ""
	}
	return "", "", false
}
