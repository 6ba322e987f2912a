package routing_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/patientsfhir/patientsfhir/routing"
)

// BenchmarkRoute compares the request-path cost of the routers over 1000 tenants: the fixed
// map, and the Registry over a Directory (cached view and built backend: what every request
// pays between refreshes).
//
//	go test -run '^$' -bench Route -benchmem ./routing
func BenchmarkRoute(b *testing.B) {
	ctx := context.Background()
	const tenants = 1000
	static := routing.Static[*backend]{}
	d := newDir(b, routing.NewMemoryStore(), nil, nil)
	ids := make([]string, tenants)
	for i := range tenants {
		ids[i] = tenantID(i)
		static[tenantID(i)] = &backend{tenant: tenantID(i)}
		_, err := d.Add(ctx, routing.Tenant{ID: tenantID(i), Backend: "ehr"})
		require.NoError(b, err)
	}
	reg, err := routing.NewRegistry(d, map[string]routing.Provider[*backend]{"ehr": func(_ context.Context, t routing.Tenant) (*backend, error) {
		return &backend{tenant: t.ID}, nil
	}})
	require.NoError(b, err)
	for name, r := range map[string]routing.Router[*backend]{"static": static, "registry": reg} {
		b.Run(name, func(b *testing.B) {
			for i := range tenants { // build every backend first
				_, err := r.Route(ctx, tenantID(i))
				require.NoError(b, err)
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := r.Route(ctx, ids[i%tenants]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
