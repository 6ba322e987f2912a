package servertest

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/patientsfhir/patientsfhir/fhir"
	"github.com/patientsfhir/patientsfhir/internal/fhirschema"
	"github.com/patientsfhir/patientsfhir/internal/restserver"
	"github.com/patientsfhir/patientsfhir/routing"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Version is what one FHIR version supplies to the shared tests. B is the
// version's Backend interface. internal/servergen writes each version's
// value (var version in the generated servertest_gen_test.go files) from
// the same declaration as the version's server, so nothing here names a
// version.
type Version[B any] struct {
	// FHIR is the version served.
	FHIR *fhir.Version
	// Pkg is the version package's name ("stu3"), as start-up errors spell it.
	Pkg string
	// Base is the base path the shared tests mount the handler at ("/stu3").
	Base string
	// Schema is the fhirschema version name ("STU3").
	Schema string
	// Fixtures is the internal/fixtures version ("stu3").
	Fixtures string
	// Medication is the type the Patients app lists medications with
	// (MedicationRequest in STU3, MedicationOrder in DSTU2).
	Medication string
	// OtherType is a resource type of the other version only.
	OtherType string
	// OtherBase is the other version's base path (outside this handler).
	OtherBase string
	// Types are the resource types with a typed interface, in declaration
	// order.
	Types []Type
	// Decode is the version's strict UnmarshalResource.
	Decode func(data []byte) (restserver.Resource, error)
	// MissingDisplays is the version's MissingDisplays.
	MissingDisplays func(r restserver.Resource) []string
	// NewHandler is the version's NewHandler, given cfg in its Config.
	NewHandler func(cfg Config[B]) (Handler, error)
	// ConfigField returns the Field of the version's *ConfigError.
	ConfigField func(err error) (field string, ok bool)
	// Typed returns the version's backend over a neutral one: it
	// implements every typed interface and GenericBackend.
	Typed func(Backend) B
	// TypedJSON is Typed whose searchers are also the version's JSON
	// searchers: each resource of a page encoded with its MarshalJSON,
	// then passed through mangle (when not nil) to break it.
	TypedJSON func(n Backend, mangle func(typ string, b []byte) []byte) B
	// Neutral returns the neutral view of a typed backend (the opposite of
	// Typed): a type the backend does not serve is fhir.ErrNotSupported.
	Neutral func(B) Backend
	// PatientsOnly returns b restricted to the Backend interface (Patient
	// read and search): a backend that lacks everything else.
	PatientsOnly func(b B) B
	// NewMem returns the version's in-memory backend loaded with the
	// fixtures; it also implements [Mem].
	NewMem func() (B, error)
}

// Line returns the request line of the interface (docs/server.md) for this
// version: "S1" for STU3, "D1" for DSTU2.
func (v Version[B]) Line(n string) string { return v.FHIR.Name[:1] + n }

// Type is one resource type with a typed interface.
type Type struct {
	// Name is the resource type, e.g. "Observation".
	Name string
	// Params are its declared search parameters (stu3.ObservationParams).
	Params []fhir.SearchParam
	// Scoped reports whether a search must name one patient.
	Scoped bool
}

// Params returns the declared search parameters of typ.
func (v Version[B]) Params(typ string) []fhir.SearchParam {
	for _, t := range v.Types {
		if t.Name == typ {
			return t.Params
		}
	}
	return nil
}

// Config is a version's Config, version-neutral: the version's NewHandler
// copies every field.
type Config[B any] struct {
	Backend B
	Router  routing.Router[B]
	Serve   []string
	// PatientsApp sets Profile to the version's PatientsApp().
	PatientsApp bool
	restserver.Options
}

// Handler is what the shared tests use of a version's *Handler.
type Handler interface {
	http.Handler
	CapabilityJSON() []byte
	Routes() []restserver.RouteInfo
}

// Backend is a version-neutral backend: one Read and one Search for every
// type, typed or generic. The fakes of this package implement it once;
// Version.Typed turns one into the version's typed backend.
type Backend interface {
	Read(ctx context.Context, typ, id string) (restserver.Resource, error)
	Search(ctx context.Context, q Query) (fhir.Page[restserver.Resource], error)
	GenericTypes() []restserver.GenericType
}

// Mem is what the in-memory backends (stu3mem, dstu2mem) add to the typed
// interfaces.
type Mem interface {
	LoadExamples(types ...string) (int, error)
	Load(data []byte) error
	Delete(typ, id string) bool
}

// Query is a typed query of either version as data: the common part, the
// patient, and the typed fields by parameter name.
type Query struct {
	// Type is the resource type searched.
	Type string
	fhir.Search
	// Patient is the typed query's Patient (patient-scoped types).
	Patient string
	// Fields are the typed query's parameter fields.
	Fields []Field
}

// Field is one parameter field of a typed query (PatientQuery.Family is
// {Name: "family", Strings: q.Family}); one of Strings, Tokens and Dates is
// set, as the parameter's type says.
type Field struct {
	Name    string
	Strings fhir.StringParam
	Tokens  fhir.TokenParam
	Dates   fhir.DateParam
}

func (q Query) field(name string) Field {
	for _, f := range q.Fields {
		if f.Name == name {
			return f
		}
	}
	return Field{}
}

// Strings returns the field of a string parameter.
func (q Query) Strings(name string) fhir.StringParam { return q.field(name).Strings }

// Tokens returns the field of a token parameter.
func (q Query) Tokens(name string) fhir.TokenParam { return q.field(name).Tokens }

// Dates returns the field of a date parameter.
func (q Query) Dates(name string) fhir.DateParam { return q.field(name).Dates }

// As returns r as T, or T's zero value when r is nil or another type.
func As[T any](r restserver.Resource) T {
	t, _ := r.(T)
	return t
}

// PageOf converts a neutral page to a typed one (see As).
func PageOf[T any](p fhir.Page[restserver.Resource]) fhir.Page[T] {
	out := fhir.Page[T]{Total: p.Total, TotalKnown: p.TotalKnown, Next: p.Next}
	if p.Resources != nil {
		out.Resources = make([]T, len(p.Resources))
		for i, r := range p.Resources {
			out.Resources[i] = As[T](r)
		}
	}
	return out
}

// JSONPage encodes a typed page's resources as a JSON searcher returns
// them, each passed through mangle (when not nil) with its type.
func JSONPage[T json.Marshaler](typ string, p fhir.Page[T], mangle func(string, []byte) []byte) fhir.Page[json.RawMessage] {
	out := fhir.Page[json.RawMessage]{Total: p.Total, TotalKnown: p.TotalKnown, Next: p.Next}
	for _, r := range p.Resources {
		b, err := r.MarshalJSON()
		if err != nil {
			panic(err) // the fake's resources are the version's models
		}
		if mangle != nil {
			b = mangle(typ, b)
		}
		out.Resources = append(out.Resources, b)
	}
	return out
}

// Result is a response read back.
type Result struct {
	Status int
	Header http.Header
	Body   []byte
	JSON   map[string]any
}

// Form is the media type of POST _search bodies.
const Form = "application/x-www-form-urlencoded"

// Do runs r through h and decodes the JSON body; every answer of the server
// is JSON, so a body that is not fails the test.
func Do(t testing.TB, h http.Handler, r *http.Request) Result {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	res := Result{Status: w.Code, Header: w.Header(), Body: w.Body.Bytes()}
	require.NoError(t, json.Unmarshal(res.Body, &res.JSON), "%s %s: the body is not JSON: %q", r.Method, r.URL, res.Body)
	return res
}

// Serve runs one request through h (see Do).
func Serve(t testing.TB, h http.Handler, method, target, contentType, body string) Result {
	t.Helper()
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	return Do(t, h, r)
}

// Get is Serve for a GET.
func Get(t testing.TB, h http.Handler, target string) Result {
	t.Helper()
	return Serve(t, h, http.MethodGet, target, "", "")
}

// Discard is a logger that drops everything.
func Discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// IDs returns the resource ids of a searchset; res must be one, with a
// total.
func IDs(t testing.TB, res Result) []string {
	t.Helper()
	require.Equal(t, "Bundle", res.JSON["resourceType"], "not a Bundle (%d): %s", res.Status, res.Body)
	require.Equal(t, "searchset", res.JSON["type"], "not a searchset: %s", res.Body)
	require.Contains(t, res.JSON, "total", "searchset without total: %s", res.Body)
	out := []string{}
	entries, _ := res.JSON["entry"].([]any)
	for _, e := range entries {
		r := e.(map[string]any)["resource"].(map[string]any)
		out = append(out, r["id"].(string))
	}
	return out
}

// Total returns Bundle.total.
func Total(res Result) int { n, _ := res.JSON["total"].(float64); return int(n) }

// IssueCode returns the first issue code of an OperationOutcome; res must
// be one, with the version's media type.
func (v Version[B]) IssueCode(t testing.TB, res Result) string {
	t.Helper()
	require.Equal(t, "OperationOutcome", res.JSON["resourceType"], "status %d: %s", res.Status, res.Body)
	assert.True(t, strings.HasPrefix(res.Header.Get("Content-Type"), v.FHIR.MIMEType),
		"OperationOutcome Content-Type %q, want %s", res.Header.Get("Content-Type"), v.FHIR.MIMEType)
	issues, _ := res.JSON["issue"].([]any)
	require.NotEmpty(t, issues, "OperationOutcome without issues: %s", res.Body)
	code, _ := issues[0].(map[string]any)["code"].(string)
	return code
}

// Validate checks res against the version's official JSON schema.
func (v Version[B]) Validate(t testing.TB, res Result) {
	t.Helper()
	assert.NoError(t, fhirschema.Validate(v.Schema, res.Body), "response is not schema-valid: %s", res.Body)
}

// Handler builds the version's handler as most shared tests use it: at
// Base, on the Patients-app profile, serving the profile's types but
// MedicationStatement (what the Patients app needs in both versions), with
// a token URL in the statement and no logs. mod changes the Config.
func (v Version[B]) Handler(t testing.TB, b B, mod func(*Config[B])) Handler {
	t.Helper()
	cfg := Config[B]{Backend: b, PatientsApp: true, Serve: v.served(),
		Options: restserver.Options{BasePath: v.Base, Logger: Discard(), Security: security}}
	if mod != nil {
		mod(&cfg)
	}
	h, err := v.NewHandler(cfg)
	require.NoError(t, err)
	return h
}

// served are the types the shared tests' handlers serve.
func (v Version[B]) served() []string {
	return []string{"Patient", "Observation", "Condition", "Encounter", "AllergyIntolerance", v.Medication, "Coverage"}
}
