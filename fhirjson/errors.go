package fhirjson

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"
)

// DecodeError reports why a document could not be decoded and where.
type DecodeError struct {
	// Path is the JSON path of the offending member, such as
	// "Patient.name[0].given[1]". It starts with the type being decoded.
	Path string
	// Offset is the byte offset in the input where the problem was found.
	Offset int
	// Msg says what is wrong, without echoing input values.
	Msg string
	// Err is the underlying sentinel error, if any (ErrUnknownElement,
	// ErrSyntax, ...), for use with errors.Is.
	Err error
}

// Sentinel errors wrapped by DecodeError.
var (
	// ErrSyntax marks input that is not well-formed JSON.
	ErrSyntax = errors.New("invalid JSON")
	// ErrUnknownElement marks a member that the FHIR type does not define
	// (strict decoding only).
	ErrUnknownElement = errors.New("unknown element")
	// ErrWrongType marks a JSON value of the wrong kind (a number where a
	// string belongs, an object where an array belongs, ...).
	ErrWrongType = errors.New("wrong JSON type")
	// ErrInvalidValue marks a value whose lexical form FHIR forbids (a
	// malformed date, an empty string, a negative positiveInt, ...).
	ErrInvalidValue = errors.New("invalid value")
	// ErrResourceType marks a missing, unknown or mismatched resourceType.
	ErrResourceType = errors.New("bad resourceType")
)

// Error formats the error as "fhirjson: <path>: <msg> (offset N)".
func (e *DecodeError) Error() string {
	var b strings.Builder
	b.WriteString("fhirjson: ")
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	b.WriteString(" (offset ")
	b.WriteString(strconv.Itoa(e.Offset))
	b.WriteString(")")
	return b.String()
}

// Unwrap returns the sentinel error.
func (e *DecodeError) Unwrap() error { return e.Err }

// AtField prefixes the path of a *DecodeError with the member name. Errors of
// other types are returned unchanged. Generated code calls it while the error
// travels up, so that paths cost nothing when decoding succeeds.
func AtField(err error, name string) error {
	if de, ok := err.(*DecodeError); ok {
		if len(name) > maxPathName {
			// Member names come from the input: keep error texts short.
			n := maxPathName
			for n > 0 && !utf8.RuneStart(name[n]) {
				n--
			}
			name = name[:n] + "..."
		}
		de.Path = "." + name + de.Path
	}
	return err
}

// maxPathName bounds how much of an (unknown, input-supplied) member name
// goes into a path.
const maxPathName = 64

// AtIndex prefixes the path of a *DecodeError with an array index.
func AtIndex(err error, i int) error {
	if de, ok := err.(*DecodeError); ok {
		de.Path = "[" + strconv.Itoa(i) + "]" + de.Path
	}
	return err
}

// AtRoot prefixes the path with the name of the root type.
func AtRoot(err error, root string) error {
	if de, ok := err.(*DecodeError); ok {
		de.Path = root + de.Path
	}
	return err
}

// ValidationIssue is one problem found by Validate.
type ValidationIssue struct {
	// Path is the FHIRPath-like location, such as "Patient.contact[0].name".
	Path string
	// Message says what is wrong.
	Message string
}

// ValidationErrors is the error returned by the generated Validate methods:
// every problem found, in document order. Use errors.As to get it.
type ValidationErrors []ValidationIssue

// Error lists the issues, one per line after the first.
func (v ValidationErrors) Error() string {
	var b strings.Builder
	b.WriteString("fhirjson: ")
	b.WriteString(strconv.Itoa(len(v)))
	b.WriteString(" validation issue(s)")
	for _, is := range v {
		b.WriteString("\n  ")
		b.WriteString(is.Path)
		b.WriteString(": ")
		b.WriteString(is.Message)
	}
	return b.String()
}

// Add records a problem at path.
func (v *ValidationErrors) Add(path, msg string) {
	*v = append(*v, ValidationIssue{Path: path, Message: msg})
}

// Missing records a required element that is absent.
func (v *ValidationErrors) Missing(path string) {
	v.Add(path, "required element is missing")
}

// BadCode records a code that is not in the required value set.
func (v *ValidationErrors) BadCode(path, valueSet string) {
	v.Add(path, "code is not in the required value set "+valueSet)
}

// BadFormat records a primitive whose lexical form is not valid for its
// FHIR type (typ is the type name, such as "date").
func (v *ValidationErrors) BadFormat(path, typ string) {
	v.Add(path, "value is not a valid "+typ)
}

// Err returns v as an error, or nil when v is empty.
func (v ValidationErrors) Err() error {
	if len(v) == 0 {
		return nil
	}
	return v
}
