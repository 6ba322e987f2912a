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

// compile loads the embedded schema of version into a compiler (with
// strict, tightened first as described in the package doc). Resource
// definitions are compiled later, on first use, by compiled.schema.
//
// The document is also rewritten in memory, in both modes, so that
// compiling one resource type does not drag in all others:
//
//   - the root oneOf over all resource types is dropped: Validate
//     dispatches on resourceType itself;
//   - ResourceList (the type of contained resources, Bundle.entry.resource,
//     Parameters.parameter.resource …) becomes "an object with a string
//     resourceType"; validateResource checks each nested resource against
//     its own definition instead.
//
// This is the same check as the published oneOf (whose alternatives differ
// by their resourceType const) and keeps compile time proportional to the
// types actually validated: the library's compile queue is quadratic in the
// number of subschemas, and a full STU3 compile takes seconds under -race.
func compile(version string, strict bool) (*compiled, error) {
	raw, err := schemaFiles.ReadFile("schemas/" + version + ".schema.json")
	if err != nil {
		return nil, fmt.Errorf("fhirschema: embedded %s schema: %w", version, err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("fhirschema: parse %s schema: %w", version, err)
	}
	root, ok := doc.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("fhirschema: %s schema root is not an object", version)
	}
	defs, ok := root["definitions"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("fhirschema: %s schema has no definitions", version)
	}
	types, err := resourceTypes(defs)
	if err != nil {
		return nil, fmt.Errorf("fhirschema: %s schema: %w", version, err)
	}
	delete(root, "oneOf")
	delete(root, "discriminator")
	defs["ResourceList"] = map[string]any{
		"type":       "object",
		"required":   []any{"resourceType"},
		"properties": map[string]any{"resourceType": map[string]any{"type": "string"}},
	}

	out := &compiled{
		url:          "urn:patientsfhir:fhirschema:" + version,
		types:        types,
		compiler:     jsonschema.NewCompiler(),
		byType:       map[string]*jsonschema.Schema{},
		patternNames: map[string]string{},
	}
	for p, name := range primitivePatterns(defs) {
		out.patternNames[p] = name
		out.patternNames[anchor(p)] = name
	}
	if strict {
		out.url += ":strict"
		if err := tighten(defs); err != nil {
			return nil, fmt.Errorf("fhirschema: tighten %s schema: %w", version, err)
		}
		for _, f := range strictFormats {
			out.compiler.RegisterFormat(f)
		}
		out.compiler.AssertFormat()
	}
	if err := out.compiler.AddResource(out.url, doc); err != nil {
		return nil, fmt.Errorf("fhirschema: add %s schema: %w", version, err)
	}
	return out, nil
}

// resourceTypes lists, sorted, the resource types of the schema: the
// alternatives of its ResourceList definition.
func resourceTypes(defs map[string]any) ([]string, error) {
	list, _ := defs["ResourceList"].(map[string]any)
	alts, _ := list["oneOf"].([]any)
	var types []string
	for _, a := range alts {
		ref, _ := a.(map[string]any)["$ref"].(string)
		name, ok := strings.CutPrefix(ref, "#/definitions/")
		if !ok {
			return nil, fmt.Errorf("unexpected ResourceList alternative %v", a)
		}
		if _, ok := defs[name]; !ok {
			return nil, fmt.Errorf("ResourceList names undefined %s", name)
		}
		types = append(types, name)
	}
	if len(types) == 0 {
		return nil, fmt.Errorf("no ResourceList alternatives")
	}
	sort.Strings(types)
	return types, nil
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
func tighten(defs map[string]any) error {
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
	tightenAll(defs, names)
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
