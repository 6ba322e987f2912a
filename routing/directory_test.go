package routing_test

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patientsfhir/patientsfhir/auth"
	"github.com/patientsfhir/patientsfhir/fhir"
	"github.com/patientsfhir/patientsfhir/routing"
)

func TestDirectoryConfig(t *testing.T) {
	ctx := context.Background()
	_, err := routing.NewDirectory(ctx, routing.DirectoryConfig{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "DirectoryConfig.Store")
	_, err = routing.NewDirectory(ctx, routing.DirectoryConfig{Store: routing.NewMemoryStore(), MaxStale: 10 * time.Minute})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "DirectoryConfig.MaxStale")
	_, err = routing.NewDirectory(ctx, routing.DirectoryConfig{Store: routing.NewMemoryStore(), MaxStale: -time.Second})
	assert.ErrorContains(t, err, "DirectoryConfig.MaxStale")

	d, err := routing.NewDirectory(ctx, routing.DirectoryConfig{Store: routing.NewMemoryStore()})
	require.NoError(t, err)
	assert.Equal(t, routing.DefaultMaxStale, d.MaxStale())

	// A node does not start without its tenants.
	down := &flakyStore{TenantStore: routing.NewMemoryStore()}
	down.down.Store(true)
	_, err = routing.NewDirectory(ctx, routing.DirectoryConfig{Store: down})
	assert.ErrorIs(t, err, errDown)
}

func TestDirectoryAdministration(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	d := newDir(t, routing.NewMemoryStore(), clk, nil)

	upper := strings.ToUpper(tenantID(0xabc))
	added, err := d.Add(ctx, routing.Tenant{ID: upper, Name: "Contoso Clinic", Backend: "ehr-a"})
	require.NoError(t, err)
	assert.Equal(t, tenantID(0xabc), added.ID, "ids are stored in lower case")
	assert.Equal(t, routing.StateActive, added.State, "an empty State means active")
	assert.Equal(t, clk.Now(), added.CreatedAt)
	assert.Equal(t, clk.Now(), added.UpdatedAt)
	assert.NotZero(t, added.Revision)
	assert.NoError(t, d.Check(ctx, tenantID(0xabc)))
	assert.NoError(t, d.Check(ctx, upper), "Check accepts any case")

	_, err = d.Add(ctx, routing.Tenant{ID: tenantID(0xabc), Backend: "ehr-b"})
	assert.ErrorIs(t, err, routing.ErrTenantExists)

	for name, bad := range map[string]routing.Tenant{
		"ID":      {ID: "not-a-guid", Backend: "ehr"},
		"Name":    {ID: tenantID(1), Backend: "ehr", Name: "line\nbreak"},
		"Backend": {ID: tenantID(1), Backend: "has space"},
		"State":   {ID: tenantID(1), Backend: "ehr", State: "paused"},
	} {
		_, err := d.Add(ctx, bad)
		require.ErrorIs(t, err, routing.ErrInvalidTenant, name)
		assert.Contains(t, err.Error(), name+":", "the error names the field")
		if bad.Name != "" {
			assert.NotContains(t, err.Error(), bad.Name, "the error does not repeat the value")
		}
	}
	_, err = d.Get(ctx, tenantID(1))
	assert.ErrorIs(t, err, routing.ErrTenantNotFound, "refused records are not written")

	clk.Advance(time.Minute)
	updated, err := d.Update(ctx, upper, func(tn *routing.Tenant) error {
		tn.ID, tn.CreatedAt = tenantID(2), time.Time{} // kept
		tn.Name, tn.Backend = "Contoso Health", "ehr-b"
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, routing.Tenant{ID: tenantID(0xabc), Name: "Contoso Health", Backend: "ehr-b", State: routing.StateActive,
		CreatedAt: added.CreatedAt, UpdatedAt: clk.Now(), Revision: updated.Revision}, updated)
	assert.Greater(t, updated.Revision, added.Revision)

	_, err = d.Update(ctx, tenantID(0xabc), func(tn *routing.Tenant) error { tn.Backend = ""; return nil })
	assert.ErrorIs(t, err, routing.ErrInvalidTenant)
	got, err := d.Get(ctx, tenantID(0xabc))
	require.NoError(t, err)
	assert.Equal(t, updated, got, "an invalid update writes nothing")

	require.NoError(t, d.Disable(ctx, tenantID(0xabc)))
	assert.Equal(t, routing.ErrTenantDisabled, d.Check(ctx, tenantID(0xabc)), "disabled at once on this node")
	require.NoError(t, d.Enable(ctx, tenantID(0xabc)))
	assert.NoError(t, d.Check(ctx, tenantID(0xabc)), "enabled at once on this node")

	_, err = d.Add(ctx, routing.Tenant{ID: tenantID(3), Backend: "ehr-a", State: routing.StateDisabled})
	require.NoError(t, err)
	list, err := d.List(ctx)
	require.NoError(t, err)
	require.Len(t, list, 2)
	assert.Equal(t, tenantID(3), list[0].ID)
	assert.Equal(t, routing.StateDisabled, list[0].State)

	require.NoError(t, d.Remove(ctx, tenantID(0xabc)))
	assert.Equal(t, routing.ErrUnknownTenant, d.Check(ctx, tenantID(0xabc)), "removed at once on this node")
	assert.ErrorIs(t, d.Remove(ctx, tenantID(0xabc)), routing.ErrTenantNotFound)
	assert.ErrorIs(t, d.Enable(ctx, tenantID(0xabc)), routing.ErrTenantNotFound)
	assert.ErrorIs(t, d.Remove(ctx, "x"), routing.ErrInvalidTenant)

	for _, bad := range []string{"", "x", tenantID(1) + " ", "{" + tenantID(1) + "}"} {
		assert.Equal(t, routing.ErrUnknownTenant, d.Check(ctx, bad), "%q", bad)
	}
}

// Two Directories over one store are two nodes: a change made through one takes effect there at
// once and on the other within MaxStale, and not a moment later. Before MaxStale/2 the other node
// does not even ask the store.
func TestDirectoryStalenessBound(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	shared := &flakyStore{TenantStore: routing.NewMemoryStore()}
	a := newDir(t, shared, clk, nil)
	b := newDir(t, shared, clk, nil)
	bound := b.MaxStale()
	require.Equal(t, 5*time.Second, bound)

	_, err := a.Add(ctx, routing.Tenant{ID: tenantID(1), Backend: "ehr"})
	require.NoError(t, err)
	require.NoError(t, a.Check(ctx, tenantID(1)))
	assert.Equal(t, routing.ErrUnknownTenant, b.Check(ctx, tenantID(1)), "node B's view is from before the change")

	calls := shared.changes.Load()
	clk.Advance(bound/2 - time.Millisecond)
	for range 100 {
		assert.Equal(t, routing.ErrUnknownTenant, b.Check(ctx, tenantID(1)))
	}
	assert.Equal(t, calls, shared.changes.Load(), "a view younger than MaxStale/2 is served without asking the store")

	clk.Advance(bound/2 + time.Millisecond) // exactly MaxStale since B's view was made
	assert.NoError(t, b.Check(ctx, tenantID(1)), "node B after MaxStale")

	// Disabling: at once on A; on B within the bound.
	require.NoError(t, a.Disable(ctx, tenantID(1)))
	assert.Equal(t, routing.ErrTenantDisabled, a.Check(ctx, tenantID(1)))
	clk.Advance(bound/2 - time.Millisecond)
	assert.NoError(t, b.Check(ctx, tenantID(1)), "B's view is younger than MaxStale/2: still active")
	clk.Advance(bound / 4)
	_ = b.Check(ctx, tenantID(1)) // may answer either way; starts a refresh in the background
	clk.Advance(bound/4 + time.Millisecond)
	assert.Equal(t, routing.ErrTenantDisabled, b.Check(ctx, tenantID(1)), "node B within MaxStale of the change")

	// Removal, the same way.
	require.NoError(t, a.Remove(ctx, tenantID(1)))
	assert.Equal(t, routing.ErrUnknownTenant, a.Check(ctx, tenantID(1)))
	clk.Advance(bound)
	assert.Equal(t, routing.ErrUnknownTenant, b.Check(ctx, tenantID(1)))

	// Past MaxStale/2 the view is refreshed in the background, without making requests wait.
	_, err = a.Add(ctx, routing.Tenant{ID: tenantID(2), Backend: "ehr"})
	require.NoError(t, err)
	clk.Advance(bound * 3 / 4)
	_ = b.Check(ctx, tenantID(2))
	require.Eventually(t, func() bool { return b.Check(ctx, tenantID(2)) == nil }, 5*time.Second, time.Millisecond,
		"the background refresh did not happen")
}

// A store that cannot be reached never turns into "unknown tenant": within MaxStale the current
// view answers; after it, every lookup is 503 until the store is back.
func TestDirectoryStoreDown(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	st := &flakyStore{TenantStore: routing.NewMemoryStore()}
	d := newDir(t, st, clk, nil)
	_, err := d.Add(ctx, routing.Tenant{ID: tenantID(1), Backend: "ehr"})
	require.NoError(t, err)

	st.down.Store(true)
	assert.NoError(t, d.Check(ctx, tenantID(1)), "a fresh view answers while the store is down")
	clk.Advance(d.MaxStale())
	for _, id := range []string{tenantID(1), tenantID(2)} {
		err := d.Check(ctx, id)
		require.Error(t, err)
		assert.ErrorIs(t, err, fhir.ErrUnavailable)
		assert.ErrorIs(t, err, auth.ErrUnavailable, "the bearer verifier and the token endpoint answer 503 for it")
		assert.NotErrorIs(t, err, routing.ErrUnknownTenant)
		assert.Equal(t, http.StatusServiceUnavailable, fhir.StatusOf(err))
		assert.Equal(t, "The tenant directory is temporarily unavailable.", fhir.Classify(err).Diagnostics, "the cause is for logs only")
	}
	_, err = d.Add(ctx, routing.Tenant{ID: tenantID(2), Backend: "ehr"})
	assert.ErrorIs(t, err, errDown, "administration reports the store's error")
	assert.ErrorIs(t, d.Refresh(ctx), fhir.ErrUnavailable)

	st.down.Store(false)
	assert.NoError(t, d.Check(ctx, tenantID(1)), "back with the store")
	assert.NoError(t, d.Refresh(ctx))

	// A change written while the refresh that follows it fails: the node does not keep serving
	// the state from before its own change.
	st.changesDown.Store(true)
	require.NoError(t, d.Disable(ctx, tenantID(1)))
	assert.ErrorIs(t, d.Check(ctx, tenantID(1)), fhir.ErrUnavailable)
	st.changesDown.Store(false)
	assert.Equal(t, routing.ErrTenantDisabled, d.Check(ctx, tenantID(1)))
}

// Requests waiting for a refresh share it; one that gives up gets an unavailable error, and the
// refresh goes on for the others.
func TestDirectoryWaiterCancelled(t *testing.T) {
	clk := newClock()
	gate := &gatedStore{TenantStore: routing.NewMemoryStore(), release: make(chan struct{})}
	d := newDir(t, gate, clk, nil)
	_, err := d.Add(context.Background(), routing.Tenant{ID: tenantID(1), Backend: "ehr"})
	require.NoError(t, err)
	gate.block.Store(true)
	clk.Advance(d.MaxStale())

	other := make(chan error, 1)
	go func() { other <- d.Check(context.Background(), tenantID(1)) }()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = d.Check(ctx, tenantID(1))
	assert.ErrorIs(t, err, fhir.ErrUnavailable)
	assert.ErrorIs(t, err, context.Canceled)
	close(gate.release)
	assert.NoError(t, <-other)
}

// gatedStore blocks TenantChanges until release is closed while block is set.
type gatedStore struct {
	routing.TenantStore
	block   atomic.Bool
	release chan struct{}
}

func (g *gatedStore) TenantChanges(ctx context.Context, since uint64) (routing.TenantChanges, error) {
	if g.block.Load() {
		<-g.release
	}
	return g.TenantStore.TenantChanges(ctx, since)
}
