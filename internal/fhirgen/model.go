package main

import (
	"fmt"
	"sort"
	"strings"
	"unicode"
)

// primKind describes how a FHIR primitive is represented in Go.
type primKind struct {
	goType string // Go type of a single value
	class  string // "str", "bool", "int", "dec"
	check  string // fhirjson check function for strings, or "nil"
	intK   string // fhirjson IntKind for integers
	alias  string // Go alias type generated for the primitive
	doc    string // what the alias holds
}

var primitives = map[string]primKind{
	"string":       {"string", "str", "nil", "", "String", "a Unicode string"},
	"markdown":     {"string", "str", "nil", "", "Markdown", "a string that may contain markdown"},
	"id":           {"string", "str", "nil", "", "ID", "a logical id: 1-64 characters of A-Z, a-z, 0-9, '-' and '.'"},
	"uri":          {"string", "str", "nil", "", "URI", "a URI"},
	"oid":          {"string", "str", "nil", "", "OID", "an OID as a URI (urn:oid:...)"},
	"uuid":         {"string", "str", "nil", "", "UUID", "a UUID as a URI (urn:uuid:...)"},
	"base64Binary": {"string", "str", "nil", "", "Base64Binary", "base64-encoded bytes, kept as the encoded text"},
	"xhtml":        {"string", "str", "nil", "", "XHTML", "an XHTML fragment (a narrative div), written without HTML escaping"},
	"code":         {"string", "str", "nil", "", "Code", "a code; codes of required bindings have their own types"},
	"date":         {"string", "str", "fhirjson.CheckDate", "", "Date", "a date of the form YYYY, YYYY-MM or YYYY-MM-DD, kept as written"},
	"dateTime":     {"string", "str", "fhirjson.CheckDateTime", "", "DateTime", "a date, or a date and time with a zone, kept as written with its precision"},
	"instant":      {"string", "str", "fhirjson.CheckInstant", "", "Instant", "a date and time with seconds and a zone, kept as written"},
	"time":         {"string", "str", "fhirjson.CheckTime", "", "Time", "a time of day hh:mm:ss[.fff], kept as written"},
	"boolean":      {"bool", "bool", "", "", "Boolean", "true or false"},
	"integer":      {"int", "int", "", "fhirjson.Integer", "Integer", "a 32-bit signed integer"},
	"positiveInt":  {"int", "int", "", "fhirjson.PositiveInt", "PositiveInt", "an integer from 1 to 2^31-1"},
	"unsignedInt":  {"int", "int", "", "fhirjson.UnsignedInt", "UnsignedInt", "an integer from 0 to 2^31-1"},
	"decimal":      {"fhirjson.Decimal", "dec", "", "", "Decimal", "a decimal number that keeps its lexical form"},
}

// structType is one generated Go struct.
type structType struct {
	name     string // Go type name
	fhirPath string // element path or type name
	kind     string // "resource", "datatype", "backbone"
	url      string
	file     string // output file stem
	base     string // for profiles: the constrained type
	fields   []*field
	choices  []*choice
}

// field is one FHIR element (or one type of a choice element).
type field struct {
	goName   string
	jsonName string
	path     string // FHIR element path, e.g. Patient.name
	min      int
	many     bool
	fhirType string // FHIR type code
	goType   string // element Go type (without slice/pointer)
	prim     *primKind
	resource bool  // the Resource interface
	enum     *enum // typed code
	hasExt   bool  // has a "_name" primitive extension member
	choice   *choice
}

type choice struct {
	base   string // e.g. "value"
	goBase string // e.g. "Value"
	path   string
	min    int
	fields []*field
}

type enum struct {
	name     string
	valueSet string
	codes    []string
	consts   []string
}

type generator struct {
	version   string
	spec      specFile
	term      *terminology
	defs      map[string]*structureDef // by name
	structs   []*structType
	byName    map[string]*structType
	resources []string
	enums     map[string]*enum // by value set URL
	typeNames map[string]bool
}

func goExported(s string) string {
	if s == "" {
		return s
	}
	switch s {
	case "id":
		return "ID"
	case "url":
		return "URL"
	}
	r := []rune(s)
	r[0] = unicode.ToUpper(r[0])
	out := string(r)
	// Go initialisms at the end of a name: versionId -> VersionID.
	for _, suf := range [][2]string{{"Id", "ID"}, {"Url", "URL"}, {"Uri", "URI"}} {
		if strings.HasSuffix(out, suf[0]) && len(out) > len(suf[0]) {
			return strings.TrimSuffix(out, suf[0]) + suf[1]
		}
	}
	return out
}

// constrained DSTU2/STU3 datatypes that are profiles on Quantity.
func isQuantityProfile(d *structureDef) bool {
	return !d.Specialization && d.Type == "Quantity" && d.Kind != "resource" && d.Name != "Quantity"
}

func newGenerator(version string, spec specFile, term *terminology) (*generator, error) {
	g := &generator{version: version, spec: spec, term: term, defs: map[string]*structureDef{},
		byName: map[string]*structType{}, enums: map[string]*enum{}, typeNames: map[string]bool{}}
	var roots []*structureDef
	for i := range spec.Definitions {
		d := &spec.Definitions[i]
		switch {
		case d.Kind == "resource" && d.Specialization && !d.Abstract:
			roots = append(roots, d)
			g.resources = append(g.resources, d.Name)
		case (d.Kind == "datatype" || d.Kind == "complex-type") && d.Specialization && !d.Abstract && primitives[d.Name].goType == "":
			roots = append(roots, d)
		case d.Name == "Element" || isQuantityProfile(d):
			roots = append(roots, d)
		default:
			continue
		}
		g.defs[d.Name] = d
	}
	sort.Slice(roots, func(i, j int) bool { return roots[i].Name < roots[j].Name })
	sort.Strings(g.resources)
	for _, d := range roots {
		g.typeNames[d.Name] = true
	}
	for _, p := range primitives {
		if g.typeNames[p.alias] {
			return nil, fmt.Errorf("primitive alias %s collides with a type", p.alias)
		}
		g.typeNames[p.alias] = true
	}
	for _, d := range roots {
		if err := g.buildDef(d); err != nil {
			return nil, fmt.Errorf("%s: %w", d.Name, err)
		}
	}
	g.nameEnums()
	return g, nil
}

// buildDef turns one definition into a struct and its backbone structs.
func (g *generator) buildDef(d *structureDef) error {
	kind := "datatype"
	if d.Kind == "resource" {
		kind = "resource"
	}
	if len(d.Elements) == 0 {
		return fmt.Errorf("no elements")
	}
	root := d.Elements[0].Path
	children := map[string][]*elementDef{}
	hasChildren := map[string]bool{}
	for i := range d.Elements[1:] {
		e := &d.Elements[i+1]
		if e.Max == "0" {
			continue
		}
		e.Type = dedupeTypes(e.Type)
		parent := e.Path[:strings.LastIndexByte(e.Path, '.')]
		children[parent] = append(children[parent], e)
		hasChildren[parent] = true
	}
	// backbone type names, by element path
	names := map[string]string{root: d.Name}
	var order []string
	var walk func(p string)
	walk = func(p string) {
		for _, e := range children[p] {
			if hasChildren[e.Path] {
				names[e.Path] = names[p] + goExported(strings.TrimSuffix(lastSeg(e.Path), "[x]"))
				order = append(order, e.Path)
				walk(e.Path)
			}
		}
	}
	walk(root)
	resolveRef := func(e *elementDef) (string, error) {
		if e.ContentReference != "" {
			p := strings.TrimPrefix(e.ContentReference, "#")
			// STU3 content references use the definition's own root.
			if n, ok := names[p]; ok {
				return n, nil
			}
			return "", fmt.Errorf("%s: unresolved contentReference %s", e.Path, e.ContentReference)
		}
		best := ""
		for p := range names {
			if p != root && lastSeg(p) == e.NameReference && (best == "" || len(p) < len(best) || (len(p) == len(best) && p < best)) {
				best = p
			}
		}
		if best == "" {
			return "", fmt.Errorf("%s: unresolved nameReference %s", e.Path, e.NameReference)
		}
		return names[best], nil
	}
	build := func(p string, name, k string) error {
		st := &structType{name: name, fhirPath: p, kind: k, url: d.URL, file: "datatypes"}
		if d.Kind == "resource" {
			st.file = strings.ToLower(d.Name)
		}
		if isQuantityProfile(d) {
			st.base = d.Type
		}
		if p == root {
			st.fhirPath = d.Name
		}
		if g.byName[name] != nil || (k == "backbone" && g.typeNames[name]) {
			return fmt.Errorf("type name collision: %s", name)
		}
		g.byName[name] = st
		g.typeNames[name] = true
		g.structs = append(g.structs, st)
		for _, e := range children[p] {
			elemName := lastSeg(e.Path)
			fpath := st.fhirPath + "." + elemName
			if p != root {
				fpath = e.Path
			}
			many := e.Max != "1"
			xmlAttr := false
			for _, r := range e.Representation {
				if r == "xmlAttr" {
					xmlAttr = true
				}
			}
			if strings.HasSuffix(elemName, "[x]") {
				base := strings.TrimSuffix(elemName, "[x]")
				ch := &choice{base: base, goBase: goExported(base), path: fpath, min: e.Min}
				for _, t := range e.Type {
					f, err := g.fieldFor(e, t, base+upperFirst(t.Code), fpath, many, xmlAttr)
					if err != nil {
						return err
					}
					f.choice = ch
					ch.fields = append(ch.fields, f)
					st.fields = append(st.fields, f)
				}
				st.choices = append(st.choices, ch)
				continue
			}
			var f *field
			switch {
			case e.ContentReference != "" || e.NameReference != "":
				tn, err := resolveRef(e)
				if err != nil {
					return err
				}
				f = &field{goType: tn, fhirType: tn}
			case hasChildren[e.Path]:
				f = &field{goType: names[e.Path], fhirType: "BackboneElement"}
			case len(e.Type) == 1:
				var err error
				f, err = g.fieldFor(e, e.Type[0], elemName, fpath, many, xmlAttr)
				if err != nil {
					return err
				}
			default:
				return fmt.Errorf("%s: %d types", e.Path, len(e.Type))
			}
			f.jsonName, f.goName, f.path, f.min, f.many = elemName, goExported(elemName), fpath, e.Min, many
			st.fields = append(st.fields, f)
		}
		return nil
	}
	if err := build(root, d.Name, kind); err != nil {
		return err
	}
	for _, p := range order {
		if err := build(p, names[p], "backbone"); err != nil {
			return err
		}
	}
	return nil
}

func lastSeg(p string) string { return p[strings.LastIndexByte(p, '.')+1:] }

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// fieldFor maps one element type to a field.
func (g *generator) fieldFor(e *elementDef, t typeRef, jsonName, path string, many, xmlAttr bool) (*field, error) {
	f := &field{jsonName: jsonName, goName: goExported(jsonName), path: path, min: e.Min, many: many, fhirType: t.Code}
	if p, ok := primitives[t.Code]; ok {
		pk := p
		f.prim = &pk
		f.goType = p.alias
		f.hasExt = !xmlAttr && t.Code != "xhtml"
		if t.Code == "code" && e.Binding != nil && e.Binding.Strength == "required" {
			url := e.Binding.valueSetURL()
			if en := g.enumFor(url); en != nil {
				f.enum = en
			}
		}
		return f, nil
	}
	switch t.Code {
	case "Resource":
		f.resource = true
		f.goType = "Resource"
		return f, nil
	case "":
		return nil, fmt.Errorf("%s: empty type", e.Path)
	}
	name := t.Code
	for _, pr := range t.profiles() {
		pn := pr[strings.LastIndexByte(pr, '/')+1:]
		if d, ok := g.defs[pn]; ok && isQuantityProfile(d) {
			name = pn
		}
	}
	if _, ok := g.defs[name]; !ok {
		return nil, fmt.Errorf("%s: unknown type %s", e.Path, name)
	}
	f.goType = name
	return f, nil
}

func (g *generator) enumFor(url string) *enum {
	if url == "" {
		return nil
	}
	if en, ok := g.enums[url]; ok {
		return en
	}
	codes := g.term.codes(url, 0)
	if len(codes) == 0 {
		g.enums[url] = nil
		return nil
	}
	for _, c := range codes {
		if strings.TrimSpace(c) == "" {
			g.enums[url] = nil
			return nil
		}
	}
	en := &enum{valueSet: url, codes: codes}
	g.enums[url] = en
	return en
}

// nameEnums assigns Go names to enum types and constants, deterministically.
func (g *generator) nameEnums() {
	used := map[string]bool{}
	for n := range g.typeNames {
		used[n] = true
	}
	for _, n := range []string{"Resource", "Model", "Unmarshal", "UnmarshalResource", "NewResource", "ResourceTypes", "Marshal"} {
		used[n] = true
	}
	for _, url := range sortedKeys(g.enums) {
		en := g.enums[url]
		if en == nil {
			delete(g.enums, url)
			continue
		}
		base := identFrom(url[strings.LastIndexByte(url, '/')+1:])
		if base == "" || !unicode.IsLetter(rune(base[0])) {
			base = "Code" + base
		}
		name := base
		if used[name] {
			name = base + "Code"
		}
		for i := 2; used[name]; i++ {
			name = fmt.Sprintf("%sCode%d", base, i)
		}
		used[name] = true
		en.name = name
		for _, c := range en.codes {
			cn := name + codeIdent(c)
			if used[cn] {
				for i := 2; ; i++ {
					if alt := fmt.Sprintf("%s_%d", cn, i); !used[alt] {
						cn = alt
						break
					}
				}
			}
			used[cn] = true
			en.consts = append(en.consts, cn)
		}
	}
}

// identFrom turns "administrative-gender" into "AdministrativeGender".
func identFrom(s string) string {
	var b strings.Builder
	up := true
	for _, r := range s {
		if r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			if up {
				r = unicode.ToUpper(r)
				up = false
			}
			b.WriteRune(r)
		} else {
			up = true
		}
	}
	return b.String()
}

var symbolCodes = map[string]string{
	"<": "LessThan", "<=": "LessOrEqual", ">": "GreaterThan", ">=": "GreaterOrEqual",
	"=": "Equal", "!=": "NotEqual", "+": "Plus", "-": "Minus", "*": "Star",
}

func codeIdent(c string) string {
	if s, ok := symbolCodes[c]; ok {
		return s
	}
	id := identFrom(c)
	if id == "" {
		return "Code"
	}
	return id
}

// dedupeTypes merges type entries with the same code (STU3 lists one
// Reference entry per target profile). A plain entry wins over a profiled one.
func dedupeTypes(ts []typeRef) []typeRef {
	var out []typeRef
	idx := map[string]int{}
	for _, t := range ts {
		if i, ok := idx[t.Code]; ok {
			if len(t.profiles()) == 0 {
				out[i] = t
			}
			continue
		}
		idx[t.Code] = len(out)
		out = append(out, t)
	}
	return out
}
