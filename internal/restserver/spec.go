package restserver

import (
	"context"
	"encoding/json"

	"github.com/patientsfhir/patientsfhir/fhir"
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
// and one Binding per typed resource.
type Spec struct {
	// Version is the FHIR version served.
	Version *fhir.Version
	// Types are all resource type names of the version.
	Types []string
	// Bindings adapt the typed interfaces, one per resource type.
	Bindings []Binding
	// Generic adapts the version's GenericBackend; nil when it has none.
	Generic *GenericBinding
}

// Binding adapts one resource type's typed backend interfaces.
type Binding struct {
	// Type is the resource type.
	Type string
	// Params are the declared search parameters.
	Params []fhir.SearchParam
	// PatientParams are the reference parameters that scope a search to a
	// patient (patient, subject, beneficiary). When set, a search must name
	// exactly one patient, and every result must belong to it (Owner).
	PatientParams []string
	// CanRead and CanSearch report whether a backend implements the type's
	// reader and searcher interfaces.
	CanRead, CanSearch func(b any) bool
	// Read calls the reader; b implements it.
	Read func(ctx context.Context, b any, id string) (Resource, error)
	// Search calls the searcher with the typed query built from a.
	Search func(ctx context.Context, b any, a *Args) (Page[Resource], error)
	// Owner returns the reference of the patient r belongs to ("" when it
	// has none).
	Owner func(r Resource) string
}

// GenericBinding adapts a version's GenericBackend.
type GenericBinding struct {
	// Types returns the declared generic types when b implements the
	// generic interface.
	Types func(b any) ([]GenericType, bool)
	// Read and Search call it.
	Read   func(ctx context.Context, b any, typ, id string) (Resource, error)
	Search func(ctx context.Context, b any, typ string, s Search) (Page[Resource], error)
}

// Args is what a Binding's Search gets: the common part of the typed
// query (whose Strings, Tokens and Dates apply the profile's readings) and
// the requested patient.
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

// Page is the one page type.
type Page[T any] = fhir.Page[T]

// Search is the common part of every typed query.
type Search = fhir.Search

// Erase turns a typed page into a page of Resource. A nil resource stays
// nil (and fails the output check).
func Erase[E any, P interface {
	*E
	Resource
}](p Page[P]) Page[Resource] {
	out := Page[Resource]{Total: p.Total, TotalKnown: p.TotalKnown, Next: p.Next}
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

// Bind builds the Binding of one resource type from its reader and
// searcher interfaces R and S (method expressions such as
// PatientReader.ReadPatient), the function building the typed query, and
// the patient reference of a resource (nil for types not scoped to a
// patient).
func Bind[E any, P interface {
	*E
	Resource
}, R any, S any](typ string, params []fhir.SearchParam, scope []string,
	read func(R, context.Context, string) (P, error),
	search func(S, context.Context, *Args) (Page[P], error),
	owner func(P) string,
) Binding {
	bd := Binding{
		Type: typ, Params: params, PatientParams: scope,
		CanRead:   func(b any) bool { _, ok := b.(R); return ok },
		CanSearch: func(b any) bool { _, ok := b.(S); return ok },
		Read: func(ctx context.Context, b any, id string) (Resource, error) {
			return Single(read(b.(R), ctx, id))
		},
		Search: func(ctx context.Context, b any, a *Args) (Page[Resource], error) {
			p, err := search(b.(S), ctx, a)
			return Erase(p), err
		},
		Owner: func(Resource) string { return "" },
	}
	if owner != nil {
		bd.Owner = func(r Resource) string { return owner(r.(P)) }
	}
	return bd
}

// genericBackend is the shape of a version's GenericBackend interface, with
// R the version's Resource interface and Q its GenericQuery.
type genericBackend[R Resource, Q any] interface {
	GenericTypes() []GenericType
	ReadGeneric(ctx context.Context, typ, id string) (R, error)
	SearchGeneric(ctx context.Context, q Q) (Page[R], error)
}

// BindGeneric adapts a version's GenericBackend interface G (whose methods
// use the version's Resource R and GenericQuery Q) to a GenericBinding;
// query builds the version's query from the type and the common search.
func BindGeneric[G genericBackend[R, Q], R Resource, Q any](query func(typ string, s Search) Q) *GenericBinding {
	return &GenericBinding{
		Types: func(b any) ([]GenericType, bool) {
			g, ok := b.(G)
			if !ok {
				return nil, false
			}
			return g.GenericTypes(), true
		},
		Read: func(ctx context.Context, b any, typ, id string) (Resource, error) {
			r, err := b.(G).ReadGeneric(ctx, typ, id)
			if any(r) == nil {
				return nil, err // no typed nil inside the interface
			}
			return r, err
		},
		Search: func(ctx context.Context, b any, typ string, s Search) (Page[Resource], error) {
			p, err := b.(G).SearchGeneric(ctx, query(typ, s))
			out := Page[Resource]{Total: p.Total, TotalKnown: p.TotalKnown, Next: p.Next,
				Resources: make([]Resource, len(p.Resources))}
			for i, r := range p.Resources {
				if any(r) != nil {
					out.Resources[i] = r
				}
			}
			return out, err
		},
	}
}
