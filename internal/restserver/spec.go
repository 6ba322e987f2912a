package restserver

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/patientsfhir/patientsfhir/fhir"
	"github.com/patientsfhir/patientsfhir/internal/rest"
)

// Resource is what the engine needs of a generated resource model; every
// resource of packages dstu2 and stu3 implements it.
type Resource interface {
	json.Marshaler
	// ResourceType returns the type name, e.g. "Patient".
	ResourceType() string
	// GetID returns the logical id.
	GetID() string
	// Validate checks cardinality and required bindings.
	Validate() error
}

// Spec is what a version package supplies: its version, its resource types
// and one Binding per typed resource, for its backend type B.
type Spec[B any] struct {
	// Version is the FHIR version served.
	Version *fhir.Version
	// Package is the version package's name ("stu3"), for messages.
	Package string
	// Types are all resource type names of the version.
	Types []string
	// Bindings adapt the typed interfaces, one per resource type.
	Bindings []Binding[B]
	// Generic adapts the version's GenericBackend; nil when it has none.
	Generic *GenericBinding[B]
}

// Method names one method of a typed backend interface, for start-up
// errors: "stu3.ObservationSearcher", "SearchObservations" and its Go
// signature.
type Method struct {
	Interface, Name, Signature string
}

// Binding adapts one resource type's typed backend interfaces. The version
// packages' generated code fills it with type assertions and method calls;
// nothing here uses reflection on the request path.
type Binding[B any] struct {
	// Type is the resource type.
	Type string
	// Params are the declared search parameters.
	Params []fhir.SearchParam
	// PatientParams are the reference parameters that scope a search to a
	// patient (patient, subject, beneficiary). When set, a search must name
	// exactly one patient, and every result must belong to it (Owner).
	PatientParams []string
	// Reader and Searcher name the interfaces, for start-up errors.
	Reader, Searcher Method
	// CanRead and CanSearch report whether a backend implements the type's
	// reader and searcher interfaces.
	CanRead, CanSearch func(b B) bool
	// Read calls the reader; ok is false when b does not implement it.
	Read func(ctx context.Context, b B, id string) (r Resource, ok bool, err error)
	// Search calls the searcher with the typed query built from a (the
	// JSON searcher when b implements it, through EraseJSON); ok is false
	// when b implements neither.
	Search func(ctx context.Context, b B, a *Args) (p fhir.Page[Resource], ok bool, err error)
	// Owner returns the reference of the patient r, a typed resource,
	// belongs to ("" when it has none). A JSON searcher's resources carry
	// theirs, scanned by EraseJSON.
	Owner func(r Resource) string
}

// GenericType declares one resource type served by a GenericBackend.
type GenericType struct {
	Type         string
	Read, Search bool
	Params       []fhir.SearchParam
}

// GenericBinding adapts a version's GenericBackend.
type GenericBinding[B any] struct {
	// Types returns the declared generic types when b implements the
	// generic interface.
	Types func(b B) ([]GenericType, bool)
	// Read and Search call it; ok is false when b does not implement it.
	Read   func(ctx context.Context, b B, typ, id string) (Resource, bool, error)
	Search func(ctx context.Context, b B, typ string, s fhir.Search) (fhir.Page[Resource], bool, error)
}

// Args is what a Binding's Search gets: the common part of every typed
// query and the requested patient.
type Args struct {
	fhir.Search
	// Patient is the requested patient's logical id for patient-scoped
	// types.
	Patient string
}

// Strings returns a string parameter's values (the profile's readings are
// already applied by the parser).
func (a *Args) Strings(name string) fhir.StringParam { return a.Query.Strings(name) }

// Tokens returns a token parameter's values.
func (a *Args) Tokens(name string) fhir.TokenParam { return a.Query.Tokens(name) }

// Dates returns a date parameter's values.
func (a *Args) Dates(name string) fhir.DateParam { return a.Query.Dates(name) }

// Erase turns a typed page into a page of Resource. A nil resource stays
// nil (and fails the output check).
func Erase[E any, P interface {
	*E
	Resource
}](p fhir.Page[P]) fhir.Page[Resource] {
	out := fhir.Page[Resource]{Total: p.Total, TotalKnown: p.TotalKnown, Next: p.Next}
	if len(p.Resources) > 0 {
		out.Resources = make([]Resource, len(p.Resources))
		for i, r := range p.Resources {
			if r != nil {
				out.Resources[i] = r
			}
		}
	}
	return out
}

// Single returns r as a Resource, nil when r is nil.
func Single[E any, P interface {
	*E
	Resource
}](r P, err error) (Resource, error) {
	if r == nil {
		return nil, err
	}
	return r, err
}

// EraseAny is Erase for a page of a version's Resource interface (the
// generic backend's pages).
func EraseAny[R Resource](p fhir.Page[R]) fhir.Page[Resource] {
	out := fhir.Page[Resource]{Total: p.Total, TotalKnown: p.TotalKnown, Next: p.Next}
	if len(p.Resources) > 0 {
		out.Resources = make([]Resource, len(p.Resources))
		for i, r := range p.Resources {
			if any(r) != nil {
				out.Resources[i] = r
			}
		}
	}
	return out
}

// EraseJSON is Erase for a JSON searcher's page: each resource becomes a
// Resource whose type, id and owner are those scanned from its JSON
// (rest.ScanResource; ownerKey is the member holding the patient
// reference, "subject", or "" for a type without one), so that the output
// checks see what the client will read. A nil or malformed resource fails
// the checks.
func EraseJSON(p fhir.Page[json.RawMessage], ownerKey string) fhir.Page[Resource] {
	out := fhir.Page[Resource]{Total: p.Total, TotalKnown: p.TotalKnown, Next: p.Next}
	if len(p.Resources) > 0 {
		out.Resources = make([]Resource, len(p.Resources))
		for i, b := range p.Resources {
			if b != nil {
				r := &jsonResource{data: b}
				r.facts, r.ok = rest.ScanResource(b, ownerKey)
				out.Resources[i] = r
			}
		}
	}
	return out
}

// jsonResource is a resource a backend returned as JSON, with the facts
// scanned from it.
type jsonResource struct {
	data  json.RawMessage
	facts rest.ResourceFacts
	ok    bool // data is one JSON object with string facts
}

// errNotJSONObject is the Validate error of a malformed JSON resource.
var errNotJSONObject = errors.New("not one JSON object with string resourceType and id")

func (r *jsonResource) MarshalJSON() ([]byte, error) { return r.data, nil }
func (r *jsonResource) ResourceType() string         { return r.facts.Type }
func (r *jsonResource) GetID() string                { return r.facts.ID }

// Validate reports whether the JSON could be scanned; a JSON resource is
// not decoded, so its content is not validated further.
func (r *jsonResource) Validate() error {
	if !r.ok {
		return errNotJSONObject
	}
	return nil
}
