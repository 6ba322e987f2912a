package routing_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/patientsfhir/patientsfhir/routing"
)

// tenantID returns the i-th test tenant GUID.
func tenantID(i int) string { return fmt.Sprintf("6a1c4f0e-0000-4000-8000-%012x", i) }

// fakeClock is a settable, concurrency-safe clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *fakeClock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

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

// syncBuffer collects logs written concurrently.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// newDir builds a Directory over st with the fake clock and a JSON log.
func newDir(t testing.TB, st routing.TenantStore, clk *fakeClock, logs *syncBuffer) *routing.Directory {
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
