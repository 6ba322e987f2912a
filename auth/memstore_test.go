package auth

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestMemoryStoreClientsCopyInOut(t *testing.T) {
	ctx := context.Background()
	m := NewMemoryStore()
	c := &Client{ID: "a", Tenants: []string{"t"}, Secrets: []SecretRecord{{ID: "s", Hash: []byte{1}}}}
	require.NoError(t, m.CreateClient(ctx, c))
	c.Tenants[0] = "mutated"
	c.Secrets[0].Hash[0] = 9
	err := m.CreateClient(ctx, &Client{ID: "a"})
	require.ErrorIs(t, err, ErrConflict, "duplicate create: %v", err)
	got, err := m.GetClient(ctx, "a")
	require.NoError(t, err)
	require.Equal(t, "t", got.Tenants[0], "store kept caller's reference: %+v", got)
	require.EqualValues(t, 1, got.Secrets[0].Hash[0], "store kept caller's reference: %+v", got)
	_, err = m.GetClient(ctx, "b")
	require.ErrorIs(t, err, ErrNotFound, "missing client: %v", err)
	boom := errors.New("boom")
	err = m.UpdateClient(ctx, "a", func(c *Client) error { c.Name = "x"; return boom })
	require.ErrorIs(t, err, boom, "fn error not returned: %v", err)
	got, _ = m.GetClient(ctx, "a")
	require.Equal(t, "", got.Name, "failed update was written")
	err = m.UpdateClient(ctx, "zz", func(*Client) error { return nil })
	require.ErrorIs(t, err, ErrNotFound, "update missing: %v", err)
}

func TestMemoryStoreUpdateSerialises(t *testing.T) {
	ctx := context.Background()
	m := NewMemoryStore()
	require.NoError(t, m.CreateClient(ctx, &Client{ID: "a"}))
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = m.UpdateClient(ctx, "a", func(c *Client) error {
				c.Scopes = append(c.Scopes, "x")
				return nil
			})
		}()
	}
	wg.Wait()
	got, _ := m.GetClient(ctx, "a")
	require.EqualValues(t, 50, len(got.Scopes), "lost updates: %d", len(got.Scopes))
}

func TestMemoryStoreDenyList(t *testing.T) {
	ctx := context.Background()
	m := NewMemoryStore()
	now := time.Unix(1000, 0)
	added, err := m.Deny(ctx, "jti:1", now.Add(time.Minute), now)
	require.NoError(t, err)
	require.True(t, added, "first deny: %v %v", added, err)
	added, _ = m.Deny(ctx, "jti:1", now.Add(time.Minute), now)
	require.False(t, added, "second deny reported added")
	d, _ := m.IsDenied(ctx, "jti:1", now.Add(59*time.Second))
	require.True(t, d, "not denied before expiry")
	d, _ = m.IsDenied(ctx, "jti:1", now.Add(time.Minute))
	require.False(t, d, "denied at expiry")
	added, _ = m.Deny(ctx, "jti:1", now.Add(3*time.Minute), now.Add(2*time.Minute))
	require.True(t, added, "expired entry not replaced")
	n, _ := m.PurgeDenied(ctx, now.Add(time.Hour))
	require.EqualValues(t, 1, n, "purged %d", n)
}

func TestMemoryStoreKeys(t *testing.T) {
	ctx := context.Background()
	m := NewMemoryStore()
	t0 := time.Unix(1000, 0)
	for i, kid := range []string{"b", "a"} {
		require.NoError(t, m.CreateKey(ctx, KeyRecord{KID: kid, State: KeyPending, CreatedAt: t0.Add(time.Duration(i) * time.Second)}))
	}
	err := m.CreateKey(ctx, KeyRecord{KID: "a"})
	require.ErrorIs(t, err, ErrConflict, err)
	require.NoError(t, m.UpdateKey(ctx, "a", func(k *KeyRecord) error { k.State = KeyActive; return nil }))
	ks, _ := m.ListKeys(ctx)
	require.EqualValues(t, 2, len(ks), "keys: %+v", ks)
	require.Equal(t, "b", ks[0].KID, "keys: %+v", ks)
	require.Equal(t, KeyActive, ks[1].State, "keys: %+v", ks)
	require.NoError(t, m.DeleteKey(ctx, "b"))
	err = m.DeleteKey(ctx, "b")
	require.ErrorIs(t, err, ErrNotFound, err)
}

// TestMemoryStoreDenyBounded: expired entries are dropped as the map grows,
// without a full scan on every few insertions.
func TestMemoryStoreDenyBounded(t *testing.T) {
	ctx := context.Background()
	m := NewMemoryStore()
	now := time.Unix(1000, 0)
	for i := range 20000 {
		// every entry lives one second; the clock moves 1ms per insertion
		t0 := now.Add(time.Duration(i) * time.Millisecond)
		_, err := m.Deny(ctx, fmt.Sprint("k", i), t0.Add(time.Second), t0)
		require.NoError(t, err)
	}
	n := len(m.deny)
	require.False(t, n > 2*minPurge+1000, "%d entries kept for ~1000 live ones", n)
}
