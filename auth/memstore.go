package auth

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"
)

// MemoryStore is an in-memory [Store] for tests, examples and single-process
// deployments that do not need durability. The zero value is not usable; call
// [NewMemoryStore]. It is safe for concurrent use; every method copies records
// in and out, and UpdateClient/UpdateKey run fn under the store's lock. A
// call waiting for the lock gives up when its context is done, and an
// update whose context ends while fn runs writes nothing and returns the
// context's error, as a database transaction would.
type MemoryStore struct {
	lock    chan struct{} // one slot: the store's lock, waitable with a context
	clients map[string]*Client
	keys    map[string]KeyRecord
	deny    map[string]time.Time
	purgeAt int // purge expired deny entries when the map reaches this size
}

// NewMemoryStore returns an empty in-memory store.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{
		lock:    make(chan struct{}, 1),
		clients: make(map[string]*Client),
		keys:    make(map[string]KeyRecord),
		deny:    make(map[string]time.Time),
		purgeAt: minPurge,
	}
}

var _ Store = (*MemoryStore)(nil)

// acquire takes the store's lock or returns the context's error.
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

// GetClient implements [ClientStore].
func (m *MemoryStore) GetClient(ctx context.Context, id string) (*Client, error) {
	if err := m.acquire(ctx); err != nil {
		return nil, err
	}
	defer m.release()
	c, ok := m.clients[id]
	if !ok {
		return nil, fmt.Errorf("client %q: %w", id, ErrNotFound)
	}
	return c.Clone(), nil
}

// CreateClient implements [ClientStore].
func (m *MemoryStore) CreateClient(ctx context.Context, c *Client) error {
	if err := m.acquire(ctx); err != nil {
		return err
	}
	defer m.release()
	if _, ok := m.clients[c.ID]; ok {
		return fmt.Errorf("client %q: %w", c.ID, ErrConflict)
	}
	m.clients[c.ID] = c.Clone()
	return nil
}

// UpdateClient implements [ClientStore].
func (m *MemoryStore) UpdateClient(ctx context.Context, id string, fn func(*Client) error) error {
	if err := m.acquire(ctx); err != nil {
		return err
	}
	defer m.release()
	c, ok := m.clients[id]
	if !ok {
		return fmt.Errorf("client %q: %w", id, ErrNotFound)
	}
	cp := c.Clone()
	if err := fn(cp); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err // like a transaction whose context ended before commit
	}
	cp.ID = id
	m.clients[id] = cp.Clone()
	return nil
}

// ListClients implements [ClientStore].
func (m *MemoryStore) ListClients(ctx context.Context) ([]*Client, error) {
	if err := m.acquire(ctx); err != nil {
		return nil, err
	}
	defer m.release()
	out := make([]*Client, 0, len(m.clients))
	for _, c := range m.clients {
		out = append(out, c.Clone())
	}
	slices.SortFunc(out, func(a, b *Client) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// ListKeys implements [KeyStore].
func (m *MemoryStore) ListKeys(ctx context.Context) ([]KeyRecord, error) {
	if err := m.acquire(ctx); err != nil {
		return nil, err
	}
	defer m.release()
	out := make([]KeyRecord, 0, len(m.keys))
	for _, k := range m.keys {
		out = append(out, k.Clone())
	}
	slices.SortFunc(out, func(a, b KeyRecord) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return cmp.Compare(a.KID, b.KID)
	})
	return out, nil
}

// CreateKey implements [KeyStore].
func (m *MemoryStore) CreateKey(ctx context.Context, k KeyRecord) error {
	if err := m.acquire(ctx); err != nil {
		return err
	}
	defer m.release()
	if _, ok := m.keys[k.KID]; ok {
		return fmt.Errorf("key %q: %w", k.KID, ErrConflict)
	}
	m.keys[k.KID] = k.Clone()
	return nil
}

// UpdateKey implements [KeyStore].
func (m *MemoryStore) UpdateKey(ctx context.Context, kid string, fn func(*KeyRecord) error) error {
	if err := m.acquire(ctx); err != nil {
		return err
	}
	defer m.release()
	k, ok := m.keys[kid]
	if !ok {
		return fmt.Errorf("key %q: %w", kid, ErrNotFound)
	}
	cp := k.Clone()
	if err := fn(&cp); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	cp.KID = kid
	m.keys[kid] = cp.Clone()
	return nil
}

// DeleteKey implements [KeyStore].
func (m *MemoryStore) DeleteKey(ctx context.Context, kid string) error {
	if err := m.acquire(ctx); err != nil {
		return err
	}
	defer m.release()
	if _, ok := m.keys[kid]; !ok {
		return fmt.Errorf("key %q: %w", kid, ErrNotFound)
	}
	delete(m.keys, kid)
	return nil
}

// minPurge is the deny-list size below which expired entries are left for
// PurgeDenied.
const minPurge = 1024

// Deny implements [DenyList]. When the map has doubled since the last
// purge it also drops expired entries, so memory stays within twice the
// live entries at amortised O(1) cost per insertion.
func (m *MemoryStore) Deny(ctx context.Context, key string, until, now time.Time) (bool, error) {
	if err := m.acquire(ctx); err != nil {
		return false, err
	}
	defer m.release()
	if len(m.deny) >= m.purgeAt {
		m.purgeLocked(now)
		m.purgeAt = max(minPurge, 2*len(m.deny))
	}
	old, ok := m.deny[key]
	if ok && old.After(now) {
		if until.After(old) {
			m.deny[key] = until
		}
		return false, nil
	}
	m.deny[key] = until
	return true, nil
}

// IsDenied implements [DenyList].
func (m *MemoryStore) IsDenied(ctx context.Context, key string, now time.Time) (bool, error) {
	if err := m.acquire(ctx); err != nil {
		return false, err
	}
	defer m.release()
	until, ok := m.deny[key]
	return ok && until.After(now), nil
}

// PurgeDenied implements [DenyList].
func (m *MemoryStore) PurgeDenied(ctx context.Context, now time.Time) (int, error) {
	if err := m.acquire(ctx); err != nil {
		return 0, err
	}
	defer m.release()
	return m.purgeLocked(now), nil
}

func (m *MemoryStore) purgeLocked(now time.Time) int {
	n := 0
	for k, until := range m.deny {
		if !until.After(now) {
			delete(m.deny, k)
			n++
		}
	}
	return n
}
