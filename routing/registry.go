package routing

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sync/singleflight"
)

// Provider builds the backend that serves one tenant, from its record: for
// example a SQL backend scoped to the tenant's rows, or a proxy to the
// tenant's upstream FHIR server. The [Registry] calls it once per tenant
// record (again when the record changes) and keeps the result.
//
// An error is returned to the request that needed the backend, and the next
// request tries again; return fhir errors (fhir.ErrUnavailable for an
// upstream that cannot be reached) so that the answer has the right status.
type Provider[B any] func(ctx context.Context, t Tenant) (B, error)

// Fixed returns a provider that serves every tenant that names it from the
// one backend b (which reads the tenant from the request's context,
// auth.PrincipalFrom, if it holds several tenants' data).
func Fixed[B any](b B) Provider[B] {
	return func(context.Context, Tenant) (B, error) { return b, nil }
}

// Registry is the [Router] over a [Directory]: a tenant's requests go to
// the backend its record names (Tenant.Backend, a key of the providers
// map), built by that [Provider] and kept until the record changes.
//
// Route answers [ErrUnknownTenant] for a tenant the directory does not know
// and for one whose Backend names no provider (logged once per record, with
// the tenant id and the provider name only), [ErrTenantDisabled] for a
// disabled tenant, and an error wrapping fhir.ErrUnavailable when the
// directory cannot be read. The tenant comes only from the caller (the
// verified token's tenant): nothing else selects a backend.
type Registry[B any] struct {
	dir       *Directory
	providers map[string]Provider[B]

	mu    sync.RWMutex
	built map[string]builtBackend[B] // by tenant id
	sf    singleflight.Group         // by tenant id and revision
}

// builtBackend is a provider's result for one revision of a tenant record.
type builtBackend[B any] struct {
	rev uint64
	b   B
	err error // ErrUnknownTenant for a record naming no provider
}

// NewRegistry returns the router of the tenants of dir over providers,
// keyed by the names tenant records give in Backend. It fails naming every
// provider that is nil or whose name no record could hold (1 to 64
// characters of [A-Za-z0-9._-]). Tenants whose Backend names no provider
// are logged at start-up, one line per provider name.
func NewRegistry[B any](dir *Directory, providers map[string]Provider[B]) (*Registry[B], error) {
	if dir == nil {
		return nil, errors.New("routing: NewRegistry: the Directory is nil")
	}
	if len(providers) == 0 {
		return nil, errors.New("routing: NewRegistry: no providers")
	}
	var bad []string
	for _, name := range slices.Sorted(maps.Keys(providers)) {
		switch {
		case providers[name] == nil:
			bad = append(bad, strconv.Quote(name)+" is nil")
		case !validBackendName(name):
			bad = append(bad, strconv.Quote(name)+" is not a valid backend name (1 to 64 characters of [A-Za-z0-9._-])")
		}
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("routing: NewRegistry: provider %s", strings.Join(bad, "; provider "))
	}
	r := &Registry[B]{dir: dir, providers: providers, built: map[string]builtBackend[B]{}}
	missing := map[string]int{}
	for _, t := range dir.snap.Load().tenants {
		if _, ok := providers[t.Backend]; !ok {
			missing[t.Backend]++
		}
	}
	for _, name := range slices.Sorted(maps.Keys(missing)) {
		dir.log.Warn("routing: tenants name a backend provider that is not registered; they are refused as unknown",
			"provider", name, "tenants", missing[name])
	}
	return r, nil
}

// Route implements [Router].
func (r *Registry[B]) Route(ctx context.Context, tenant string) (B, error) {
	var zero B
	t, err := r.dir.lookup(ctx, tenant)
	if err != nil {
		if errors.Is(err, ErrUnknownTenant) || errors.Is(err, ErrTenantDisabled) {
			r.forget(tenant)
		}
		return zero, err
	}
	r.mu.RLock()
	e, ok := r.built[t.ID]
	r.mu.RUnlock()
	if ok && e.rev == t.Revision {
		return e.b, e.err
	}
	// One build per record revision, shared by the requests waiting for it
	// and not cut short by the first one's cancellation.
	ch := r.sf.DoChan(t.ID+"@"+strconv.FormatUint(t.Revision, 10), func() (any, error) {
		return r.build(context.WithoutCancel(ctx), t)
	})
	select {
	case res := <-ch:
		if res.Err != nil {
			return zero, res.Err
		}
		e := res.Val.(builtBackend[B])
		return e.b, e.err
	case <-ctx.Done():
		return zero, ctx.Err()
	}
}

// build calls the tenant's provider and keeps the result unless a newer
// revision's is already kept. A provider's error is not kept.
func (r *Registry[B]) build(ctx context.Context, t Tenant) (builtBackend[B], error) {
	e := builtBackend[B]{rev: t.Revision}
	if p, ok := r.providers[t.Backend]; ok {
		b, err := p(ctx, t)
		if err != nil {
			return e, err
		}
		e.b = b
	} else {
		r.dir.log.ErrorContext(ctx, "routing: tenant names a backend provider that is not registered; refused as unknown",
			"tenant", t.ID, "provider", t.Backend)
		e.err = ErrUnknownTenant
	}
	r.mu.Lock()
	if cur, ok := r.built[t.ID]; !ok || cur.rev < e.rev {
		r.built[t.ID] = e
	}
	r.mu.Unlock()
	return e, nil
}

// forget drops what was built for a tenant that is no longer routed.
func (r *Registry[B]) forget(tenant string) {
	r.mu.RLock()
	_, ok := r.built[tenant]
	r.mu.RUnlock()
	if ok {
		r.mu.Lock()
		delete(r.built, tenant)
		r.mu.Unlock()
	}
}
