package routing_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/patientsfhir/patientsfhir/internal/testsupport"
	"github.com/patientsfhir/patientsfhir/routing"
)

// tenantID returns the i-th test tenant GUID.
func tenantID(i int) string { return fmt.Sprintf("6a1c4f0e-0000-4000-8000-%012x", i) }

// newClock returns a fake clock at the tests' fixed start time.
func newClock() *testsupport.Clock {
	return testsupport.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
}

// errDown is what a store that cannot be reached returns.
var errDown = errors.New("connection refused")

// flakyStore wraps a store: it can be taken down, and counts TenantChanges calls (the
// directory's only read on the request path).
type flakyStore struct {
	routing.TenantStore
	down        atomic.Bool // every call fails
	changesDown atomic.Bool // only TenantChanges fails
	changes     atomic.Int64
}

func (f *flakyStore) TenantChanges(ctx context.Context, since uint64) (routing.TenantChanges, error) {
	f.changes.Add(1)
	if f.down.Load() || f.changesDown.Load() {
		return routing.TenantChanges{}, errDown
	}
	return f.TenantStore.TenantChanges(ctx, since)
}

func (f *flakyStore) CreateTenant(ctx context.Context, t routing.Tenant) (routing.Tenant, error) {
	if f.down.Load() {
		return routing.Tenant{}, errDown
	}
	return f.TenantStore.CreateTenant(ctx, t)
}

func (f *flakyStore) UpdateTenant(ctx context.Context, id string, fn func(*routing.Tenant) error) (routing.Tenant, error) {
	if f.down.Load() {
		return routing.Tenant{}, errDown
	}
	return f.TenantStore.UpdateTenant(ctx, id, fn)
}

// newDir builds a Directory over st with the fake clock and a JSON log.
func newDir(t testing.TB, st routing.TenantStore, clk *testsupport.Clock, logs *testsupport.Buffer) *routing.Directory {
	t.Helper()
	cfg := routing.DirectoryConfig{Store: st, Logger: slog.New(slog.DiscardHandler)}
	if clk != nil {
		cfg.Now = clk.Now
	}
	if logs != nil {
		cfg.Logger = slog.New(slog.NewJSONHandler(logs, nil))
	}
	d, err := routing.NewDirectory(context.Background(), cfg)
	require.NoError(t, err)
	return d
}
