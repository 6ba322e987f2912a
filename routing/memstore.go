package routing

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
)

// MemoryStore is an in-memory [TenantStore] for tests, examples and
// single-process deployments that do not need durability. Call
// [NewMemoryStore]; the zero value is not usable. It is safe for concurrent
// use. A call waiting for the store's lock gives up when its context is
// done, and an update whose context ends while fn runs writes nothing, as a
// database transaction would.
type MemoryStore struct {
	lock    chan struct{} // one slot: the store's lock, waitable with a context
	rev     uint64
	tenants map[string]Tenant
	removed map[string]uint64 // id -> revision of its deletion (until re-created)
}

// NewMemoryStore returns an empty in-memory tenant store.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{lock: make(chan struct{}, 1), tenants: map[string]Tenant{}, removed: map[string]uint64{}}
}

var _ TenantStore = (*MemoryStore)(nil)

func (m *MemoryStore) acquire(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case m.lock <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (m *MemoryStore) release() { <-m.lock }

// GetTenant implements [TenantStore].
func (m *MemoryStore) GetTenant(ctx context.Context, id string) (Tenant, error) {
	if err := m.acquire(ctx); err != nil {
		return Tenant{}, err
	}
	defer m.release()
	t, ok := m.tenants[id]
	if !ok {
		return Tenant{}, fmt.Errorf("tenant %q: %w", id, ErrTenantNotFound)
	}
	return t, nil
}

// ListTenants implements [TenantStore].
func (m *MemoryStore) ListTenants(ctx context.Context) ([]Tenant, error) {
	if err := m.acquire(ctx); err != nil {
		return nil, err
	}
	defer m.release()
	out := slices.Collect(maps.Values(m.tenants))
	slices.SortFunc(out, func(a, b Tenant) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// CreateTenant implements [TenantStore].
func (m *MemoryStore) CreateTenant(ctx context.Context, t Tenant) (Tenant, error) {
	if err := m.acquire(ctx); err != nil {
		return Tenant{}, err
	}
	defer m.release()
	if _, ok := m.tenants[t.ID]; ok {
		return Tenant{}, fmt.Errorf("tenant %q: %w", t.ID, ErrTenantExists)
	}
	m.rev++
	t.Revision = m.rev
	m.tenants[t.ID] = t
	delete(m.removed, t.ID)
	return t, nil
}

// UpdateTenant implements [TenantStore].
func (m *MemoryStore) UpdateTenant(ctx context.Context, id string, fn func(*Tenant) error) (Tenant, error) {
	if err := m.acquire(ctx); err != nil {
		return Tenant{}, err
	}
	defer m.release()
	t, ok := m.tenants[id]
	if !ok {
		return Tenant{}, fmt.Errorf("tenant %q: %w", id, ErrTenantNotFound)
	}
	if err := fn(&t); err != nil {
		return Tenant{}, err
	}
	if err := ctx.Err(); err != nil {
		return Tenant{}, err
	}
	m.rev++
	t.ID, t.Revision = id, m.rev
	m.tenants[id] = t
	return t, nil
}

// DeleteTenant implements [TenantStore].
func (m *MemoryStore) DeleteTenant(ctx context.Context, id string) error {
	if err := m.acquire(ctx); err != nil {
		return err
	}
	defer m.release()
	if _, ok := m.tenants[id]; !ok {
		return fmt.Errorf("tenant %q: %w", id, ErrTenantNotFound)
	}
	m.rev++
	delete(m.tenants, id)
	m.removed[id] = m.rev
	return nil
}

// TenantChanges implements [TenantStore].
func (m *MemoryStore) TenantChanges(ctx context.Context, since uint64) (TenantChanges, error) {
	if err := m.acquire(ctx); err != nil {
		return TenantChanges{}, err
	}
	defer m.release()
	ch := TenantChanges{Revision: m.rev, Full: since == 0 || since > m.rev}
	if since == m.rev {
		return ch, nil
	}
	for _, t := range m.tenants {
		if ch.Full || t.Revision > since {
			ch.Changed = append(ch.Changed, t)
		}
	}
	slices.SortFunc(ch.Changed, func(a, b Tenant) int { return cmp.Compare(a.Revision, b.Revision) })
	if !ch.Full {
		for id, rev := range m.removed {
			if rev > since {
				ch.Removed = append(ch.Removed, id)
			}
		}
		slices.Sort(ch.Removed)
	}
	return ch, nil
}
