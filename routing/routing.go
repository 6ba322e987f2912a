package routing

import (
	"context"

	"github.com/patientsfhir/patientsfhir/fhir"
)

// Router finds the backend that serves a tenant. The FHIR servers call it
// once per request (once per batch) with the tenant of the verified access
// token, never with anything taken from the URL, headers, body or a page
// cursor.
//
// B is the version's backend type (stu3.Backend, dstu2.Backend), so a
// router hands the server a typed value: no reflection and no `any` on the
// request path.
//
// Route returns an error wrapping [ErrUnknownTenant] for a tenant it does
// not serve and [ErrTenantDisabled] for one that is switched off; the
// servers answer both with a 403 OperationOutcome. Any other error is
// answered as fhir's error table says (a store that cannot be reached
// should return an error wrapping fhir.ErrUnavailable: 503).
//
// Implementations must be safe for concurrent use and should be fast: the
// call is on every request's path. Wrap a slow one with a cache, as
// [Registry] does.
type Router[B any] interface {
	Route(ctx context.Context, tenant string) (B, error)
}

// Errors of routers. Both are [fhir.Error] values of kind fhir.ErrForbidden,
// so the servers answer 403 with their message, which names no tenant.
var (
	// ErrUnknownTenant: the router serves no such tenant.
	ErrUnknownTenant = &fhir.Error{Kind: fhir.ErrForbidden, Message: "This tenant is not served by this server."}
	// ErrTenantDisabled: the tenant is known but switched off.
	ErrTenantDisabled = &fhir.Error{Kind: fhir.ErrForbidden, Message: "This tenant is disabled on this server."}
)

// Func adapts a function to a [Router], as http.HandlerFunc does for
// handlers.
type Func[B any] func(ctx context.Context, tenant string) (B, error)

// Route implements [Router] by calling f.
func (f Func[B]) Route(ctx context.Context, tenant string) (B, error) { return f(ctx, tenant) }

// Static is a fixed map from canonical (lower-case) tenant GUID to backend.
// A tenant that is not a key gets [ErrUnknownTenant]. Build it once at
// start-up; it must not be modified while it serves.
type Static[B any] map[string]B

// Route implements [Router].
func (s Static[B]) Route(_ context.Context, tenant string) (B, error) {
	b, ok := s[tenant]
	if !ok {
		var zero B
		return zero, ErrUnknownTenant
	}
	return b, nil
}

// Single returns a router that serves every tenant from b: a single-tenant
// server, or one whose backend reads the tenant from the request context
// itself (auth.PrincipalFrom). With the token endpoint, only tenants a
// client was registered for get tokens at all.
func Single[B any](b B) Router[B] { return single[B]{b} }

type single[B any] struct{ b B }

func (s single[B]) Route(context.Context, string) (B, error) { return s.b, nil }
