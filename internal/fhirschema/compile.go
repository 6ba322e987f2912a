package fhirschema

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// compile loads and compiles the embedded schema of version. With strict it
// first rewrites the in-memory document as described in the package doc.
func compile(version string, strict bool) (*compiled, error) {
	raw, err := schemaFiles.ReadFile("schemas/" + version + ".schema.json")
	if err != nil {
		return nil, fmt.Errorf("fhirschema: embedded %s schema: %w", version, err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("fhirschema: parse %s schema: %w", version, err)
	}
	c := jsonschema.NewCompiler()
	url := "urn:patientsfhir:fhirschema:" + version
	if strict {
		url += ":strict"
		if err := tighten(doc); err != nil {
			return nil, fmt.Errorf("fhirschema: tighten %s schema: %w", version, err)
		}
		for _, f := range strictFormats {
			c.RegisterFormat(f)
		}
		c.AssertFormat()
	}
	if err := c.AddResource(url, doc); err != nil {
		return nil, fmt.Errorf("fhirschema: add %s schema: %w", version, err)
	}
	root, err := c.Compile(url)
	if err != nil {
		return nil, fmt.Errorf("fhirschema: compile %s schema: %w", version, err)
	}
	out := &compiled{
		resources:    make(map[string]*jsonschema.Schema, len(root.OneOf)),
		patternNames: map[string]string{},
	}
	if defs, ok := doc.(map[string]any)["definitions"].(map[string]any); ok {
		for p, name := range primitivePatterns(defs) {
			out.patternNames[p] = name
			out.patternNames[anchor(p)] = name
		}
	}
	for _, alt := range root.OneOf {
		s := alt
		if s.Ref != nil {
			s = s.Ref
		}
		name := definitionName(s.Location)
		if name == "value" || s.Properties["resourceType"] == nil {
			return nil, fmt.Errorf("fhirschema: %s schema: unexpected root alternative %s", version, s.Location)
		}
		out.resources[name] = s
		out.types = append(out.types, name)
	}
	sort.Strings(out.types)
	return out, nil
}

// tighten rewrites a parsed FHIR schema in place for ValidateStrict.
//
// Primitive types are recognised by their pattern: the DSTU2 schema refers
// to the primitive definitions ("$ref": "#/definitions/date") but the STU3
// schema also inlines the primitive's pattern into choice elements such as
// Patient.deceasedDateTime, so every schema object carrying a primitive's
// pattern is tightened like that primitive. The instant pattern is empty in
// STU3, so inline instants are recognised by a property name ending in
// "Instant" (Extension.valueInstant and the like).
func tighten(doc any) error {
	root, ok := doc.(map[string]any)
	if !ok {
		return fmt.Errorf("schema root is not an object")
	}
	defs, ok := root["definitions"].(map[string]any)
	if !ok {
		return fmt.Errorf("schema has no definitions")
	}
	names := primitivePatterns(defs)
	for _, want := range []string{"date", "dateTime", "integer", "positiveInt", "unsignedInt", "id", "code"} {
		if !slices.Contains(slices.Collect(maps.Values(names)), want) {
			return fmt.Errorf("schema has no pattern for %s", want)
		}
	}
	instant, ok := defs["instant"].(map[string]any)
	if !ok {
		return fmt.Errorf("schema has no instant definition")
	}
	instant["format"] = formatInstant
	tightenAll(doc, names)
	return nil
}

// primitivePatterns maps the pattern of each primitive definition (lower-case
// name, non-empty pattern) to the primitive's name.
func primitivePatterns(defs map[string]any) map[string]string {
	names := map[string]string{}
	for name, d := range defs {
		m, ok := d.(map[string]any)
		if !ok || name == "" || name[0] < 'a' || name[0] > 'z' {
			continue
		}
		if p, ok := m["pattern"].(string); ok && p != "" {
			if _, dup := names[p]; !dup || name < names[p] {
				names[p] = name
			}
		}
	}
	return names
}

// tightenAll walks every schema object below v.
func tightenAll(v any, names map[string]string) {
	switch v := v.(type) {
	case map[string]any:
		if p, ok := v["pattern"].(string); ok && p != "" {
			tightenPrimitive(v, names[p])
			v["pattern"] = anchor(p)
		}
		if props, ok := v["properties"].(map[string]any); ok {
			for name, ps := range props {
				m, ok := ps.(map[string]any)
				if ok && strings.HasSuffix(name, "Instant") && m["$ref"] == nil && m["type"] == "string" {
					m["format"] = formatInstant
				}
			}
		}
		for _, child := range v {
			tightenAll(child, names)
		}
	case []any:
		for _, child := range v {
			tightenAll(child, names)
		}
	}
}

// tightenPrimitive adds the strict checks of primitive type name to the
// schema object m ("" if m's pattern is not a primitive's).
func tightenPrimitive(m map[string]any, name string) {
	switch name {
	case "date":
		m["format"] = formatDate
	case "dateTime":
		m["format"] = formatDateTime
	case "integer", "positiveInt", "unsignedInt":
		m["type"] = "integer"
		m["minimum"] = map[string]int64{"integer": -2147483648, "positiveInt": 1, "unsignedInt": 0}[name]
		m["maximum"] = int64(2147483647)
	}
}

// anchor makes a JSON Schema pattern match the whole string.
func anchor(p string) string {
	if strings.HasPrefix(p, "^") && strings.HasSuffix(p, "$") {
		return p
	}
	return "^(?:" + p + ")$"
}
