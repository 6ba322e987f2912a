package upstream

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/patientsfhir/patientsfhir/auth"
	"github.com/patientsfhir/patientsfhir/routing"
)

// Set is the upstreams an operator configures, by name, each opened once
// at start-up: one backend, one connection pool and one token source per
// upstream, shared by every tenant that names it. Build it with the
// version package's NewSet (stu3proxy.NewSet, dstu2proxy.NewSet); B is the
// version's backend interface. A Set is safe for concurrent use.
//
// The tenant registry names a tenant's upstream, never its credentials:
// the upstream's name is the tenant record's backend, and the operator
// keeps the Config of each name (secrets from a secret manager or the
// environment).
type Set[B any] struct {
	backends map[string]B
}

// NewSet opens every upstream with open (the version package's New). The
// map keys are the upstreams' names (1 to 64 characters of [A-Za-z0-9._-]),
// also their Config.Name unless set. Errors name the upstream and the
// field.
func NewSet[B any](upstreams map[string]Config, open func(Config) (B, error)) (*Set[B], error) {
	if len(upstreams) == 0 {
		return nil, errors.New("upstream: NewSet: no upstreams")
	}
	s := &Set[B]{backends: make(map[string]B, len(upstreams))}
	var bad []string
	for _, name := range slices.Sorted(maps.Keys(upstreams)) {
		if !validName(name) {
			bad = append(bad, fmt.Sprintf("%q: not a valid upstream name (1 to 64 characters of [A-Za-z0-9._-])", name))
			continue
		}
		cfg := upstreams[name]
		if cfg.Name == "" {
			cfg.Name = name
		}
		b, err := open(cfg)
		if err != nil {
			bad = append(bad, fmt.Sprintf("%q: %v", name, strings.TrimPrefix(err.Error(), "upstream: ")))
			continue
		}
		s.backends[name] = b
	}
	if len(bad) > 0 {
		s.Close()
		return nil, errors.New("upstream: NewSet: " + strings.Join(bad, "; "))
	}
	return s, nil
}

// validName reports whether s is 1 to 64 characters of [A-Za-z0-9._-]: an
// upstream name (the alphabet of a tenant record's backend name) or a
// search parameter name.
func validName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c == '_' || c == '-' || c == '.' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// Backend returns the backend of the upstream name.
func (s *Set[B]) Backend(name string) (B, bool) {
	b, ok := s.backends[name]
	return b, ok
}

// Names lists the upstreams, sorted.
func (s *Set[B]) Names() []string { return slices.Sorted(maps.Keys(s.backends)) }

// Static returns the router of a fixed tenant map: tenants maps each
// tenant GUID (any case) to the name of its upstream. Every name must be
// in the set; several tenants may share an upstream.
func (s *Set[B]) Static(tenants map[string]string) (routing.Static[B], error) {
	r := make(routing.Static[B], len(tenants))
	var bad []string
	for _, t := range slices.Sorted(maps.Keys(tenants)) {
		ct, ok := auth.CanonicalTenant(t)
		b, known := s.backends[tenants[t]]
		switch {
		case !ok:
			bad = append(bad, fmt.Sprintf("tenant %q is not a GUID", t))
		case !known:
			bad = append(bad, fmt.Sprintf("tenant %s names the unknown upstream %q", ct, tenants[t]))
		default:
			r[ct] = b
		}
	}
	if len(bad) > 0 {
		return nil, errors.New("upstream: Static: " + strings.Join(bad, "; "))
	}
	return r, nil
}

// Providers returns one routing.Provider per upstream, keyed by its name,
// for routing.NewRegistry: a tenant record whose Backend names an upstream
// is served by it. The credentials stay in the operator's Config; the
// tenant registry holds names only.
func (s *Set[B]) Providers() map[string]routing.Provider[B] {
	out := make(map[string]routing.Provider[B], len(s.backends))
	for name, b := range s.backends {
		out[name] = routing.Fixed(b)
	}
	return out
}

// Close closes the idle connections of every upstream.
func (s *Set[B]) Close() {
	for _, b := range s.backends {
		if c, ok := any(b).(interface{ Close() }); ok {
			c.Close()
		}
	}
}
