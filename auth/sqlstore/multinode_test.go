package sqlstore_test

import (
	"context"
	"log/slog"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/patientsfhir/patientsfhir/auth"
)

// clock is a settable Config.Now shared by the nodes of a test.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

func newNode(t *testing.T, st auth.Store, clk *clock) *auth.Server {
	t.Helper()
	srv, err := auth.New(context.Background(), auth.Config{
		Issuer:                     "https://auth.example.com",
		Audience:                   "https://fhir.example.com/stu3",
		SealKey:                    sealKey,
		Logger:                     slog.New(slog.DiscardHandler),
		Now:                        clk.Now,
		RevokeTokensOnSecretRevoke: true,
	}, st)
	if err != nil {
		t.Fatalf("auth.New: %v", err)
	}
	return srv
}

// runTwoNodes checks issue 5's multi-node promises over one database, with two auth.Servers on
// two separate store connections: a secret revoked on one node is refused there at once and on
// the other within Config.ClientCacheTTL, and (RevokeTokensOnSecretRevoke) the tokens minted
// with it stop verifying on both at once; a token revoked on one node fails on the other; the
// new secret works on both; a key rotated on one node signs tokens the other verifies.
func runTwoNodes(t *testing.T, open func(t *testing.T) auth.Store) {
	ctx := context.Background()
	clk := &clock{now: time.Now().UTC()}
	a, b := newNode(t, open(t), clk), newNode(t, open(t), clk)

	_, old, err := a.Registry().CreateClient(ctx, auth.NewClient{ID: "patients-app", Tenants: []string{restartTenant}}, "operator")
	if err != nil {
		t.Fatal(err)
	}
	code, oldTok := token(t, b, "patients-app", old)
	if code != http.StatusOK {
		t.Fatalf("node B, a client created on node A: %d", code)
	}
	if _, err := a.Verifier().Verify(ctx, oldTok); err != nil {
		t.Fatalf("node A verifying node B's token: %v", err)
	}
	fresh, _, err := a.Registry().AddSecret(ctx, "patients-app", 0, "patients-app")
	if err != nil {
		t.Fatal(err)
	}
	oldID, err := auth.ParseSecret(old)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Registry().RevokeSecret(ctx, "patients-app", oldID, "patients-app"); err != nil {
		t.Fatal(err)
	}
	if code, _ := token(t, a, "patients-app", old); code != http.StatusUnauthorized {
		t.Fatalf("node A right after revoking: %d, want 401", code)
	}
	// The deny-list is in the shared database: both nodes refuse the old secret's token at once.
	for name, n := range map[string]*auth.Server{"A": a, "B": b} {
		if _, err := n.Verifier().Verify(ctx, oldTok); err == nil {
			t.Fatalf("node %s still accepts a token minted with the revoked secret", name)
		}
	}
	// Node B may still accept the old secret from its cache, but not past the bound.
	clk.Advance(b.Config().ClientCacheTTL + time.Second)
	if code, _ := token(t, b, "patients-app", old); code != http.StatusUnauthorized {
		t.Fatalf("node B after ClientCacheTTL: revoked secret got %d, want 401", code)
	}
	if code, _ := token(t, b, "patients-app", fresh); code != http.StatusOK {
		t.Fatalf("node B, the new secret: %d", code)
	}

	// Keys live in the database: a key rotated on A signs tokens that B verifies.
	kid, err := a.Keys().Rotate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	code, tok := token(t, a, "patients-app", fresh)
	if code != http.StatusOK {
		t.Fatalf("node A after rotation: %d", code)
	}
	clk.Advance(b.Config().KeyRefreshInterval + time.Second)
	p, err := b.Verifier().Verify(ctx, tok)
	if err != nil {
		t.Fatalf("node B verifying a token signed by node A's new key %s: %v", kid, err)
	}
	// A token revoked on A (RFC 7009 style) fails on B too.
	if err := a.RevokeToken(ctx, p.JTI, p.ExpiresAt); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Verifier().Verify(ctx, tok); err == nil {
		t.Fatal("node B accepts a token revoked on node A")
	}
}

func TestSQLiteTwoNodes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "auth.db")
	runTwoNodes(t, func(t *testing.T) auth.Store {
		s := openSQLite(t, path)
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestPostgresTwoNodes(t *testing.T) {
	dsn := pgSchemaDSN(t)
	runTwoNodes(t, func(t *testing.T) auth.Store {
		s := openPG(t, dsn)
		t.Cleanup(func() { s.Close() })
		return s
	})
}
