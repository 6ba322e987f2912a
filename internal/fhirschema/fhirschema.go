package fhirschema

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"slices"
	"sort"
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

// compiled is one compiled schema: the root and one entry per resource type.
type compiled struct {
	resources map[string]*jsonschema.Schema
	types     []string // sorted
	// patternNames maps a primitive's pattern (as published and anchored)
	// to the primitive's name, to name it in error messages.
	patternNames map[string]string
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
	sch, ok := c.resources[rt]
	if !ok {
		return fmt.Errorf("%w: %s has no resource type %q", ErrInvalid, version, rt)
	}
	err = sch.Validate(inst)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	problems := c.collect(ve, nil)
	if len(problems) == 0 { // cannot happen for a failed validation; be safe
		problems = []Problem{{Message: "validation failed"}}
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

var printer = message.NewPrinter(language.English)

// collect flattens a validation error tree into leaf problems. For a failed
// oneOf over resource types (Bundle entries, contained resources) it keeps
// only the branches whose resourceType matched, so the report is about the
// resource the document declares instead of about every resource type.
func (c *compiled) collect(e *jsonschema.ValidationError, out []Problem) []Problem {
	if oneOf, ok := e.ErrorKind.(*kind.OneOf); ok && len(oneOf.Subschemas) == 0 && len(e.Causes) > 1 {
		var kept []*jsonschema.ValidationError
		for _, cause := range e.Causes {
			if !hasResourceTypeMismatch(cause, len(e.InstanceLocation)) {
				kept = append(kept, cause)
			}
		}
		switch {
		case len(kept) == 0:
			return append(out, Problem{Path: pointer(e.InstanceLocation), Message: "not a resource of any known resourceType"})
		case len(kept) < len(e.Causes):
			for _, cause := range kept {
				out = c.collect(cause, out)
			}
			return out
		}
	}
	if len(e.Causes) == 0 {
		return append(out, Problem{Path: pointer(e.InstanceLocation), Message: c.describe(e)})
	}
	for _, cause := range e.Causes {
		out = c.collect(cause, out)
	}
	return out
}

// hasResourceTypeMismatch reports whether e contains a const failure on the
// resourceType property of the object at depth.
func hasResourceTypeMismatch(e *jsonschema.ValidationError, depth int) bool {
	if _, ok := e.ErrorKind.(*kind.Const); ok && len(e.InstanceLocation) == depth+1 && e.InstanceLocation[depth] == "resourceType" {
		return true
	}
	for _, c := range e.Causes {
		if hasResourceTypeMismatch(c, depth) {
			return true
		}
	}
	return false
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
