package fhirschema

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// Supported FHIR versions, as accepted by [Validate] and [ValidateStrict].
const (
	DSTU2 = "dstu2" // FHIR 1.0.2
	STU3  = "stu3"  // FHIR 3.0.1
)

//go:embed schemas/dstu2.schema.json schemas/stu3.schema.json
var schemaFiles embed.FS

// ErrUnknownVersion is returned for a version other than [DSTU2] or [STU3].
var ErrUnknownVersion = errors.New("fhirschema: unknown FHIR version")

// ErrInvalid is wrapped by every error that rejects a document: malformed
// JSON, a missing or unknown resourceType, or a schema violation.
var ErrInvalid = errors.New("fhirschema: invalid FHIR document")

// Problem is one schema violation.
type Problem struct {
	// Path is the JSON pointer of the offending value, "" for the root.
	Path string
	// Message says what is wrong, without echoing string values.
	Message string
}

// String formats the problem as "path: message" ("/" for the root).
func (p Problem) String() string {
	path := p.Path
	if path == "" {
		path = "/"
	}
	return path + ": " + p.Message
}

// ValidationError reports why a document does not conform to the schema.
// It matches [ErrInvalid] with errors.Is.
type ValidationError struct {
	Version      string    // DSTU2 or STU3
	ResourceType string    // the document's resourceType
	Strict       bool      // true if raised by ValidateStrict
	Problems     []Problem // sorted by Path, then Message; never empty
}

// maxProblemsInMessage bounds the length of [ValidationError.Error].
const maxProblemsInMessage = 5

// Error lists the first few problems on one line.
func (e *ValidationError) Error() string {
	var b strings.Builder
	mode := ""
	if e.Strict {
		mode = " (strict)"
	}
	fmt.Fprintf(&b, "fhirschema: %s %s does not conform to the schema%s: ", e.Version, e.ResourceType, mode)
	for i, p := range e.Problems {
		if i == maxProblemsInMessage {
			fmt.Fprintf(&b, "; and %d more", len(e.Problems)-i)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.String())
	}
	return b.String()
}

// Is reports whether target is [ErrInvalid].
func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

// compiled is one loaded schema. Resource definitions are compiled lazily,
// one resource type at a time, on a shared compiler (datatypes are compiled
// once and reused).
type compiled struct {
	url   string
	types []string // sorted resource type names

	mu       sync.Mutex // guards compiler and byType
	compiler *jsonschema.Compiler
	byType   map[string]*jsonschema.Schema

	// patternNames maps a primitive's pattern (as published and anchored)
	// to the primitive's name, to name it in error messages.
	patternNames map[string]string
}

// schema returns the compiled definition of resource type rt, or nil if the
// version has no such resource type.
func (c *compiled) schema(rt string) (*jsonschema.Schema, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.byType[rt]; ok {
		return s, nil
	}
	if _, ok := slices.BinarySearch(c.types, rt); !ok {
		return nil, nil
	}
	s, err := c.compiler.Compile(c.url + "#/definitions/" + rt)
	if err != nil {
		return nil, fmt.Errorf("fhirschema: compile %s: %w", rt, err)
	}
	c.byType[rt] = s
	return s, nil
}

type schemaKey struct {
	version string
	strict  bool
}

var schemas = map[schemaKey]func() (*compiled, error){
	{DSTU2, false}: sync.OnceValues(func() (*compiled, error) { return compile(DSTU2, false) }),
	{DSTU2, true}:  sync.OnceValues(func() (*compiled, error) { return compile(DSTU2, true) }),
	{STU3, false}:  sync.OnceValues(func() (*compiled, error) { return compile(STU3, false) }),
	{STU3, true}:   sync.OnceValues(func() (*compiled, error) { return compile(STU3, true) }),
}

// Validate checks doc, one JSON resource of the given version ([DSTU2] or
// [STU3]), against the official schema as published. The resource's own
// resourceType selects the definition it is checked against.
func Validate(version string, doc []byte) error {
	return validate(version, false, doc)
}

// ValidateStrict is [Validate] plus the stricter checks described in the
// package documentation (anchored patterns, calendar-valid dates, integral
// integers). It is what tests of emitted resources should normally use.
func ValidateStrict(version string, doc []byte) error {
	return validate(version, true, doc)
}

// ResourceTypes lists, sorted, the resource types the schema of version
// defines.
func ResourceTypes(version string) ([]string, error) {
	c, err := load(version, false)
	if err != nil {
		return nil, err
	}
	return slices.Clone(c.types), nil
}

func load(version string, strict bool) (*compiled, error) {
	get, ok := schemas[schemaKey{version, strict}]
	if !ok {
		return nil, fmt.Errorf("%w: %q (want %q or %q)", ErrUnknownVersion, version, DSTU2, STU3)
	}
	return get()
}

func validate(version string, strict bool, doc []byte) error {
	c, err := load(version, strict)
	if err != nil {
		return err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return fmt.Errorf("%w: malformed JSON: %v", ErrInvalid, err)
	}
	obj, ok := inst.(map[string]any)
	if !ok {
		return fmt.Errorf("%w: a FHIR resource must be a JSON object", ErrInvalid)
	}
	rt, ok := obj["resourceType"].(string)
	if !ok || rt == "" {
		return fmt.Errorf("%w: missing resourceType", ErrInvalid)
	}
	if _, ok := slices.BinarySearch(c.types, rt); !ok {
		return fmt.Errorf("%w: %s has no resource type %q", ErrInvalid, version, rt)
	}
	var problems []Problem
	if strict {
		problems = append(emptyValues(inst, nil, problems), duplicateKeys(doc)...)
	}
	problems, err = c.validateResource(obj, nil, problems)
	if err != nil {
		return err
	}
	if len(problems) == 0 {
		return nil
	}
	sort.Slice(problems, func(i, j int) bool {
		if problems[i].Path != problems[j].Path {
			return problems[i].Path < problems[j].Path
		}
		return problems[i].Message < problems[j].Message
	})
	problems = slices.Compact(problems)
	return &ValidationError{Version: version, ResourceType: rt, Strict: strict, Problems: problems}
}

// validateResource validates the resource obj found at loc against the
// definition of its own resourceType, then every resource nested in it
// (contained resources, Bundle entries, Parameters …) the same way. In the
// loaded schema, nested resources (the ResourceList definition) are only
// required to be objects with a resourceType, so each resource is checked
// exactly once, against its own definition; see package doc.
func (c *compiled) validateResource(obj map[string]any, loc []string, out []Problem) ([]Problem, error) {
	rt, _ := obj["resourceType"].(string)
	sch, err := c.schema(rt)
	if err != nil {
		return nil, err
	}
	if sch == nil {
		return append(out, Problem{Path: pointer(loc), Message: "not a resource of any known resourceType"}), nil
	}
	if err := sch.Validate(obj); err != nil {
		var ve *jsonschema.ValidationError
		if !errors.As(err, &ve) {
			return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
		}
		out = c.collect(ve, loc, out)
	}
	return c.validateNested(obj, loc, out)
}

// validateNested finds the resources nested anywhere below v: in FHIR JSON
// every object whose "resourceType" is a string is a resource (the only
// other elements of that name, STU3 Claim.payee and
// ExplanationOfBenefit.payee, are a Coding and a CodeableConcept).
func (c *compiled) validateNested(v any, loc []string, out []Problem) ([]Problem, error) {
	var err error
	switch v := v.(type) {
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(v)) {
			if out, err = c.validateChild(v[k], append(slices.Clip(loc), k), out); err != nil {
				return nil, err
			}
		}
	case []any:
		for i, e := range v {
			if out, err = c.validateChild(e, append(slices.Clip(loc), strconv.Itoa(i)), out); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// validateChild validates v at loc as a resource if it is one, else looks
// for resources below it.
func (c *compiled) validateChild(v any, loc []string, out []Problem) ([]Problem, error) {
	if m, ok := v.(map[string]any); ok {
		if _, isResource := m["resourceType"].(string); isResource {
			return c.validateResource(m, loc, out)
		}
	}
	return c.validateNested(v, loc, out)
}

var printer = message.NewPrinter(language.English)

// collect flattens a validation error tree into leaf problems; loc is the
// location of the validated resource within the document.
func (c *compiled) collect(e *jsonschema.ValidationError, loc []string, out []Problem) []Problem {
	if len(e.Causes) == 0 {
		path := append(slices.Clip(loc), e.InstanceLocation...)
		return append(out, Problem{Path: pointer(path), Message: c.describe(e)})
	}
	for _, cause := range e.Causes {
		out = c.collect(cause, loc, out)
	}
	return out
}

// describe renders one leaf error without echoing string values.
func (c *compiled) describe(e *jsonschema.ValidationError) string {
	switch k := e.ErrorKind.(type) {
	case *kind.Pattern:
		name, ok := c.patternNames[k.Want]
		if !ok {
			name = definitionName(e.SchemaURL)
		}
		return "is not a valid FHIR " + name
	case *kind.Format:
		msg := "is not a valid FHIR " + strings.TrimPrefix(k.Want, formatPrefix)
		if k.Err != nil {
			msg += ": " + k.Err.Error()
		}
		return msg
	default:
		return e.ErrorKind.LocalizedString(printer)
	}
}

// definitionName extracts "date" from ".../definitions/date/pattern".
func definitionName(schemaURL string) string {
	const marker = "/definitions/"
	i := strings.LastIndex(schemaURL, marker)
	if i < 0 {
		return "value"
	}
	name, _, _ := strings.Cut(schemaURL[i+len(marker):], "/")
	return name
}

// pointer renders an instance location as a JSON pointer (RFC 6901).
func pointer(loc []string) string {
	var b strings.Builder
	for _, tok := range loc {
		b.WriteByte('/')
		tok = strings.ReplaceAll(tok, "~", "~0")
		b.WriteString(strings.ReplaceAll(tok, "/", "~1"))
	}
	return b.String()
}
