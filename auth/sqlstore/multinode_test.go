package sqlstore_test

import (
	"context"
	"log/slog"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/patientsfhir/patientsfhir/auth"
	"github.com/patientsfhir/patientsfhir/internal/testsupport"
)

func newNode(t *testing.T, st auth.Store, clk *testsupport.Clock) *auth.Server {
	t.Helper()
	srv, err := auth.New(context.Background(), auth.Config{
		Issuer:                     "https://auth.example.com",
		Audience:                   "https://fhir.example.com/stu3",
		SealKey:                    sealKey,
		Logger:                     slog.New(slog.DiscardHandler),
		Now:                        clk.Now,
		RevokeTokensOnSecretRevoke: true,
	}, st)
	require.NoError(t, err)
	return srv
}

// runTwoNodes checks issue 5's multi-node promises over one database, with two auth.Servers on
// two separate store connections: a secret revoked on one node is refused there at once and on
// the other within Config.ClientCacheTTL, and (RevokeTokensOnSecretRevoke) the tokens minted
// with it stop verifying on both at once; a token revoked on one node fails on the other; the
// new secret works on both; a key rotated on one node signs tokens the other verifies.
func runTwoNodes(t *testing.T, open func(t *testing.T) auth.Store) {
	ctx := context.Background()
	clk := testsupport.NewClock(time.Now().UTC())
	a, b := newNode(t, open(t), clk), newNode(t, open(t), clk)

	_, old, err := a.Registry().CreateClient(ctx, auth.NewClient{ID: "patients-app", Tenants: []string{restartTenant}}, "operator")
	require.NoError(t, err)
	code, oldTok := token(t, b, "patients-app", old)
	require.Equal(t, http.StatusOK, code, "node B, a client created on node A: %d", code)
	_, err = a.Verifier().Verify(ctx, oldTok)
	require.NoError(t, err)
	fresh, _, err := a.Registry().AddSecret(ctx, "patients-app", 0, "patients-app")
	require.NoError(t, err)
	oldID, err := auth.ParseSecret(old)
	require.NoError(t, err)
	require.NoError(t, a.Registry().RevokeSecret(ctx, "patients-app", oldID, "patients-app"))
	code, _ = token(t, a, "patients-app", old)
	require.Equal(t, http.StatusUnauthorized, code, "node A right after revoking: %d, want 401", code)
	// The deny-list is in the shared database: both nodes refuse the old secret's token at once.
	for name, n := range map[string]*auth.Server{"A": a, "B": b} {
		_, err := n.Verifier().Verify(ctx, oldTok)
		require.Error(t, err, "node %s still accepts a token minted with the revoked secret", name)
	}
	// Node B may still accept the old secret from its cache, but not past the bound.
	clk.Advance(b.Config().ClientCacheTTL + time.Second)
	code, _ = token(t, b, "patients-app", old)
	require.Equal(t, http.StatusUnauthorized, code, "node B after ClientCacheTTL: revoked secret got %d, want 401", code)
	code, _ = token(t, b, "patients-app", fresh)
	require.Equal(t, http.StatusOK, code, "node B, the new secret: %d", code)

	// Keys live in the database: a key rotated on A signs tokens that B verifies.
	kid, err := a.Keys().Rotate(ctx)
	require.NoError(t, err)
	code, tok := token(t, a, "patients-app", fresh)
	require.Equal(t, http.StatusOK, code, "node A after rotation: %d", code)
	clk.Advance(b.Config().KeyRefreshInterval + time.Second)
	p, err := b.Verifier().Verify(ctx, tok)
	require.NoError(t, err, "node B verifying a token signed by node A's new key %s", kid)
	// A token revoked on A (RFC 7009 style) fails on B too.
	require.NoError(t, a.RevokeToken(ctx, p.JTI, p.ExpiresAt))
	_, err = b.Verifier().Verify(ctx, tok)
	require.Error(t, err, "node B accepts a token revoked on node A")
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
	dsn := testsupport.PostgresSchema(t)
	runTwoNodes(t, func(t *testing.T) auth.Store {
		s := openPG(t, dsn)
		t.Cleanup(func() { s.Close() })
		return s
	})
}
