package auth

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

func TestMemoryStoreClientsCopyInOut(t *testing.T) {
	ctx := context.Background()
	m := NewMemoryStore()
	c := &Client{ID: "a", Tenants: []string{"t"}, Secrets: []SecretRecord{{ID: "s", Hash: []byte{1}}}}
	if err := m.CreateClient(ctx, c); err != nil {
		t.Fatal(err)
	}
	c.Tenants[0] = "mutated"
	c.Secrets[0].Hash[0] = 9
	if err := m.CreateClient(ctx, &Client{ID: "a"}); !errors.Is(err, ErrConflict) {
		t.Fatalf("duplicate create: %v", err)
	}
	got, err := m.GetClient(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	if got.Tenants[0] != "t" || got.Secrets[0].Hash[0] != 1 {
		t.Fatalf("store kept caller's reference: %+v", got)
	}
	if _, err := m.GetClient(ctx, "b"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing client: %v", err)
	}
	boom := errors.New("boom")
	if err := m.UpdateClient(ctx, "a", func(c *Client) error { c.Name = "x"; return boom }); !errors.Is(err, boom) {
		t.Fatalf("fn error not returned: %v", err)
	}
	if got, _ := m.GetClient(ctx, "a"); got.Name != "" {
		t.Fatal("failed update was written")
	}
	if err := m.UpdateClient(ctx, "zz", func(*Client) error { return nil }); !errors.Is(err, ErrNotFound) {
		t.Fatalf("update missing: %v", err)
	}
}

func TestMemoryStoreUpdateSerialises(t *testing.T) {
	ctx := context.Background()
	m := NewMemoryStore()
	if err := m.CreateClient(ctx, &Client{ID: "a"}); err != nil {
		t.Fatal(err)
	}
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
	if len(got.Scopes) != 50 {
		t.Fatalf("lost updates: %d", len(got.Scopes))
	}
}

func TestMemoryStoreDenyList(t *testing.T) {
	ctx := context.Background()
	m := NewMemoryStore()
	now := time.Unix(1000, 0)
	added, err := m.Deny(ctx, "jti:1", now.Add(time.Minute), now)
	if err != nil || !added {
		t.Fatalf("first deny: %v %v", added, err)
	}
	if added, _ := m.Deny(ctx, "jti:1", now.Add(time.Minute), now); added {
		t.Fatal("second deny reported added")
	}
	if d, _ := m.IsDenied(ctx, "jti:1", now.Add(59*time.Second)); !d {
		t.Fatal("not denied before expiry")
	}
	if d, _ := m.IsDenied(ctx, "jti:1", now.Add(time.Minute)); d {
		t.Fatal("denied at expiry")
	}
	if added, _ := m.Deny(ctx, "jti:1", now.Add(3*time.Minute), now.Add(2*time.Minute)); !added {
		t.Fatal("expired entry not replaced")
	}
	if n, _ := m.PurgeDenied(ctx, now.Add(time.Hour)); n != 1 {
		t.Fatalf("purged %d", n)
	}
}

func TestMemoryStoreKeys(t *testing.T) {
	ctx := context.Background()
	m := NewMemoryStore()
	t0 := time.Unix(1000, 0)
	for i, kid := range []string{"b", "a"} {
		if err := m.CreateKey(ctx, KeyRecord{KID: kid, State: KeyPending, CreatedAt: t0.Add(time.Duration(i) * time.Second)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.CreateKey(ctx, KeyRecord{KID: "a"}); !errors.Is(err, ErrConflict) {
		t.Fatal(err)
	}
	if err := m.UpdateKey(ctx, "a", func(k *KeyRecord) error { k.State = KeyActive; return nil }); err != nil {
		t.Fatal(err)
	}
	ks, _ := m.ListKeys(ctx)
	if len(ks) != 2 || ks[0].KID != "b" || ks[1].State != KeyActive {
		t.Fatalf("keys: %+v", ks)
	}
	if err := m.DeleteKey(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	if err := m.DeleteKey(ctx, "b"); !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
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
		if _, err := m.Deny(ctx, fmt.Sprint("k", i), t0.Add(time.Second), t0); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(m.deny); n > 2*minPurge+1000 {
		t.Fatalf("%d entries kept for ~1000 live ones", n)
	}
}
