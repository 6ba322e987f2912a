package routing_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patientsfhir/patientsfhir/fhir"
	"github.com/patientsfhir/patientsfhir/internal/testsupport"
	"github.com/patientsfhir/patientsfhir/routing"
)

// backend is what the test providers build: it says which tenant and provider it was built for.
type backend struct {
	tenant, provider string
	rev              uint64
}

// countingProviders returns providers named names whose backends record what built them, and
// the number of builds per provider.
func countingProviders(names ...string) (map[string]routing.Provider[*backend], *sync.Map) {
	builds := &sync.Map{}
	ps := map[string]routing.Provider[*backend]{}
	for _, name := range names {
		ps[name] = func(_ context.Context, t routing.Tenant) (*backend, error) {
			n, _ := builds.LoadOrStore(name, new(atomic.Int64))
			n.(*atomic.Int64).Add(1)
			return &backend{tenant: t.ID, provider: name, rev: t.Revision}, nil
		}
	}
	return ps, builds
}

func buildsOf(builds *sync.Map, name string) int64 {
	n, ok := builds.Load(name)
	if !ok {
		return 0
	}
	return n.(*atomic.Int64).Load()
}

func TestNewRegistryValidation(t *testing.T) {
	ctx := context.Background()
	logs := &testsupport.Buffer{}
	d := newDir(t, routing.NewMemoryStore(), nil, logs)
	ok := routing.Fixed(&backend{})

	_, err := routing.NewRegistry[*backend](nil, map[string]routing.Provider[*backend]{"a": ok})
	assert.ErrorContains(t, err, "Directory is nil")
	_, err = routing.NewRegistry[*backend](d, nil)
	assert.ErrorContains(t, err, "no providers")
	_, err = routing.NewRegistry(d, map[string]routing.Provider[*backend]{"a": ok, "ehr-b": nil, "bad name": ok, "ehr-c": nil})
	require.Error(t, err)
	for _, want := range []string{`"ehr-b" is nil`, `"ehr-c" is nil`, `"bad name" is not a valid backend name`} {
		assert.Contains(t, err.Error(), want)
	}
	assert.NotContains(t, err.Error(), `"a"`, "only the bad providers are named")

	// Tenants whose provider is not registered are reported at start-up, one line per name.
	for i, name := range []string{"ghost", "ghost", "a"} {
		_, err := d.Add(ctx, routing.Tenant{ID: tenantID(i), Backend: name})
		require.NoError(t, err)
	}
	_, err = routing.NewRegistry(d, map[string]routing.Provider[*backend]{"a": ok})
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	require.Len(t, lines, 1)
	var rec map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &rec))
	assert.Equal(t, "ghost", rec["provider"])
	assert.Equal(t, 2.0, rec["tenants"])
}

func TestRegistryRoutes(t *testing.T) {
	ctx := context.Background()
	logs := &testsupport.Buffer{}
	d := newDir(t, routing.NewMemoryStore(), nil, logs)
	providers, builds := countingProviders("ehr-a", "ehr-b")
	failures := 0
	providers["flaky"] = func(_ context.Context, t routing.Tenant) (*backend, error) {
		failures++
		if failures == 1 {
			return nil, fhir.NewError(fhir.ErrUnavailable, "The EHR is not answering.")
		}
		return &backend{tenant: t.ID, provider: "flaky"}, nil
	}
	r, err := routing.NewRegistry(d, providers)
	require.NoError(t, err)
	var _ routing.Router[*backend] = r

	for i, name := range []string{"ehr-a", "ehr-b", "ghost", "flaky"} {
		_, err := d.Add(ctx, routing.Tenant{ID: tenantID(i), Backend: name})
		require.NoError(t, err)
	}
	route := func(id string) (*backend, error) {
		t.Helper()
		return r.Route(ctx, id)
	}
	for range 50 {
		b, err := route(tenantID(0))
		require.NoError(t, err)
		assert.Equal(t, &backend{tenant: tenantID(0), provider: "ehr-a", rev: b.rev}, b)
		b, err = route(tenantID(1))
		require.NoError(t, err)
		assert.Equal(t, tenantID(1), b.tenant)
		assert.Equal(t, "ehr-b", b.provider)
	}
	assert.Equal(t, int64(1), buildsOf(builds, "ehr-a"), "one build per tenant record")
	assert.Equal(t, int64(1), buildsOf(builds, "ehr-b"))

	// A change of the record rebuilds its backend, once.
	_, err = d.Update(ctx, tenantID(0), func(tn *routing.Tenant) error { tn.Name = "renamed"; return nil })
	require.NoError(t, err)
	for range 10 {
		_, err := route(tenantID(0))
		require.NoError(t, err)
	}
	assert.Equal(t, int64(2), buildsOf(builds, "ehr-a"))
	// Re-pointed to another provider: at once.
	_, err = d.Update(ctx, tenantID(0), func(tn *routing.Tenant) error { tn.Backend = "ehr-b"; return nil })
	require.NoError(t, err)
	b, err := route(tenantID(0))
	require.NoError(t, err)
	assert.Equal(t, "ehr-b", b.provider)
	assert.Equal(t, tenantID(0), b.tenant)

	// Disabled, removed, unknown.
	require.NoError(t, d.Disable(ctx, tenantID(1)))
	_, err = route(tenantID(1))
	assert.Equal(t, routing.ErrTenantDisabled, err)
	assert.Equal(t, 403, fhir.StatusOf(err))
	require.NoError(t, d.Enable(ctx, tenantID(1)))
	b, err = route(tenantID(1))
	require.NoError(t, err)
	assert.Equal(t, tenantID(1), b.tenant)
	require.NoError(t, d.Remove(ctx, tenantID(1)))
	_, err = route(tenantID(1))
	assert.Equal(t, routing.ErrUnknownTenant, err)
	_, err = route(tenantID(99))
	assert.Equal(t, routing.ErrUnknownTenant, err)

	// A record naming no provider is an unknown tenant, logged once with the tenant and the
	// provider name only.
	for range 5 {
		_, err = route(tenantID(2))
		assert.Equal(t, routing.ErrUnknownTenant, err)
	}
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var rec map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &rec))
		if rec["provider"] == "ghost" {
			lines = append(lines, rec)
		}
	}
	require.Len(t, lines, 1, "one log line per record, not per request")
	assert.Equal(t, tenantID(2), lines[0]["tenant"])
	for k := range lines[0] {
		assert.Contains(t, []string{"time", "level", "msg", "tenant", "provider"}, k, "unexpected log field")
	}

	// A provider's error reaches the request as it is, and is not kept.
	_, err = route(tenantID(3))
	assert.ErrorIs(t, err, fhir.ErrUnavailable)
	b, err = route(tenantID(3))
	require.NoError(t, err)
	assert.Equal(t, "flaky", b.provider)
}

// Many tenants routed concurrently while others add, disable, re-point and remove them: every
// answer is the asked tenant's backend from a provider it was pointed to while the call ran, or
// the error of a state it had while the call ran. Never another tenant's backend.
func TestRegistryRandomized(t *testing.T) {
	const (
		tenants  = 40
		mutators = 4
		routers  = 8
		ops      = 1500
	)
	ctx := context.Background()
	d := newDir(t, routing.NewMemoryStore(), nil, nil)
	names := []string{"ehr-a", "ehr-b", "ehr-c"}
	providers, _ := countingProviders(names...)
	r, err := routing.NewRegistry(d, providers)
	require.NoError(t, err)

	// Outcomes a tenant can have: a provider name, or one of these.
	const (
		absent   = "absent"
		disabled = "disabled"
		ghost    = "ghost" // a provider name no provider has: routed as unknown
	)
	// history[i] lists tenant i's states with the sequence numbers at which the change that
	// made each began and ended; changes of one tenant are serialised by locks[i].
	type state struct {
		outcome    string
		begin, end int64
	}
	var (
		seq     atomic.Int64
		locks   [tenants]sync.Mutex
		histMu  sync.Mutex
		history [tenants][]state
	)
	for i := range tenants {
		history[i] = []state{{outcome: absent, begin: -1, end: -1}}
	}
	current := func(i int) string {
		histMu.Lock()
		defer histMu.Unlock()
		return history[i][len(history[i])-1].outcome
	}
	// possible returns the outcomes tenant i may show to a call that ran between seq s0 and
	// s1: the state current when it began, and every state whose change began before it ended.
	possible := func(i int, s0, s1 int64) []string {
		histMu.Lock()
		defer histMu.Unlock()
		var out []string
		h := history[i]
		for k, st := range h {
			endedBefore := k+1 < len(h) && h[k+1].end < s0 // superseded before the call began
			if st.begin < s1 && !endedBefore {
				out = append(out, st.outcome)
			}
		}
		return out
	}

	mutate := func(rng *rand.Rand) {
		i := rng.IntN(tenants)
		id := tenantID(i)
		locks[i].Lock()
		defer locks[i].Unlock()
		cur := current(i)
		// Decide the change and record its outcome before making it: a call running meanwhile
		// may already see it.
		var (
			next string
			op   func() error
		)
		switch choice := rng.IntN(4); {
		case cur == absent:
			next = names[rng.IntN(len(names))]
			if rng.IntN(8) == 0 {
				next = ghost
			}
			op = func() error { _, err := d.Add(ctx, routing.Tenant{ID: id, Backend: next}); return err }
		case choice == 0:
			next, op = absent, func() error { return d.Remove(ctx, id) }
		case choice == 1 && cur == disabled:
			tn, err := d.Get(ctx, id)
			if !assert.NoError(t, err) {
				return
			}
			next, op = tn.Backend, func() error { return d.Enable(ctx, id) }
		case choice == 1:
			next, op = disabled, func() error { return d.Disable(ctx, id) }
		default: // re-point, keeping the state
			backend := names[rng.IntN(len(names))]
			next = backend
			if cur == disabled {
				next = disabled
			}
			op = func() error {
				_, err := d.Update(ctx, id, func(tn *routing.Tenant) error { tn.Backend = backend; return nil })
				return err
			}
		}
		histMu.Lock()
		history[i] = append(history[i], state{outcome: next, begin: seq.Add(1), end: math.MaxInt64})
		k := len(history[i]) - 1
		histMu.Unlock()
		err := op()
		histMu.Lock()
		history[i][k].end = seq.Add(1)
		histMu.Unlock()
		assert.NoError(t, err)
	}

	var wg sync.WaitGroup
	stop := make(chan struct{})
	for m := range mutators {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(m), 1))
			for {
				select {
				case <-stop:
					return
				default:
					mutate(rng)
				}
			}
		})
	}
	var routed, refused atomic.Int64
	var routerWG sync.WaitGroup
	for g := range routers {
		routerWG.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 2))
			for range ops {
				i := rng.IntN(tenants)
				s0 := seq.Add(1)
				b, err := r.Route(ctx, tenantID(i))
				s1 := seq.Add(1)
				var got string
				switch {
				case err == nil:
					if !assert.Equal(t, tenantID(i), b.tenant, "tenant %d was routed to another tenant's backend", i) {
						return
					}
					got = b.provider
					routed.Add(1)
				case errors.Is(err, routing.ErrTenantDisabled):
					got = disabled
					refused.Add(1)
				case errors.Is(err, routing.ErrUnknownTenant):
					got = absent
					refused.Add(1)
				default:
					assert.Failf(t, "unexpected error", "tenant %d: %v, want none, %v or %v", i, err, routing.ErrTenantDisabled, routing.ErrUnknownTenant)
					return
				}
				ok := possible(i, s0, s1)
				if got == absent && contains(ok, ghost) {
					continue // a record naming no provider is an unknown tenant
				}
				if !contains(ok, got) {
					stored, gerr := d.Get(ctx, tenantID(i))
					var brev uint64
					if b != nil {
						brev = b.rev
					}
					histMu.Lock()
					assert.Contains(t, ok, got, "tenant %d (backend rev %d): routed to what it could not be while the call ran; stored %+v %v; history %+v", i, brev, stored, gerr, history[i])
					histMu.Unlock()
					return
				}
			}
		})
	}
	routerWG.Wait()
	close(stop)
	wg.Wait()
	t.Logf("%d routed, %d refused", routed.Load(), refused.Load())
	assert.Positive(t, routed.Load())
	assert.Positive(t, refused.Load())
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func TestFixedProvider(t *testing.T) {
	b := &backend{provider: "shared"}
	got, err := routing.Fixed(b)(context.Background(), routing.Tenant{ID: tenantID(1)})
	require.NoError(t, err)
	assert.Same(t, b, got)
}

func ExampleFixed() {
	shared := "one backend for every tenant that names it"
	p := routing.Fixed(shared)
	b, _ := p(context.Background(), routing.Tenant{ID: "6a1c4f0e-0000-4000-8000-000000000001", Backend: "shared"})
	fmt.Println(b)
	// Output: one backend for every tenant that names it
}
