package auth

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	pfauth "github.com/patientsfhir/patientsfhir/auth"
)

// ----------------------------------------------------------------------------------------------
// PATIENTSFHIR: patientsfhir's issuer and verifier in the comparison.
// ----------------------------------------------------------------------------------------------
//
// The server is configured like production for the Teams profile: ES256 signing key, SHA-256
// client-secret hashes, the in-memory store, default limits (failure budgets, in-progress caps,
// body read deadline), the default token-per-request path (a repeated request within 30 s gets
// the token minted for it, as the Patients app's pattern does; impl=patientsfhir-fresh turns it
// off) and audit events, which go to a discarding slog handler so that the terminal is not the
// bottleneck (the events are still built). It serves its public handler (routing included).

func oursServer(tb testing.TB) (*pfauth.Server, string) {
	return oursServerOn(tb, pfauth.NewMemoryStore())
}

func oursServerOn(tb testing.TB, store pfauth.Store) (*pfauth.Server, string) {
	return oursServerWith(tb, store, func(*pfauth.Config) {})
}

// oursServerWith is the server with the default configuration changed by mutate.
func oursServerWith(tb testing.TB, store pfauth.Store, mutate func(*pfauth.Config)) (*pfauth.Server, string) {
	tb.Helper()
	ctx := context.Background()
	cfg := pfauth.Config{
		Issuer:   "https://auth.example.com",
		Audience: "https://fhir.example.com/stu3",
		SealKey:  []byte("0123456789abcdef0123456789abcdef"),
		Logger:   slog.New(slog.DiscardHandler),
	}
	mutate(&cfg)
	srv, err := pfauth.New(ctx, cfg, store)
	require.NoError(tb, err)
	_, secret, err := srv.Registry().CreateClient(ctx, pfauth.NewClient{ID: benchClientID, Tenants: []string{benchTenant}}, "bench")
	require.NoError(tb, err)
	return srv, secret
}

// oursIssuer returns patientsfhir's token endpoint and the request body for its client.
func oursIssuer(tb testing.TB) (http.Handler, string) {
	srv, secret := oursServer(tb)
	return srv.Handler(), tokenForm(secret)
}

// oursIssuerFresh is oursIssuer with the token-per-request path off (Config.TokenReuseWindow
// negative): every request signs a new ES256 token.
func oursIssuerFresh(tb testing.TB) (http.Handler, string) {
	srv, secret := oursServerWith(tb, pfauth.NewMemoryStore(), func(c *pfauth.Config) { c.TokenReuseWindow = -1 })
	return srv.Handler(), tokenForm(secret)
}

// oursIssuerEdDSA is oursIssuerFresh signing with Ed25519 (Config.Alg EdDSA) instead of ES256.
func oursIssuerEdDSA(tb testing.TB) (http.Handler, string) {
	srv, secret := oursServerWith(tb, pfauth.NewMemoryStore(), func(c *pfauth.Config) { c.Alg, c.TokenReuseWindow = pfauth.AlgEdDSA, -1 })
	return srv.Handler(), tokenForm(secret)
}

// oursVerifier returns patientsfhir's bearer verification (every check of the middleware,
// without HTTP) on node B, and functions issuing a new token on node B itself (its verifier
// has seen the token: the single-node case) and on node A (a second server over the same
// store: the token is new to B, as behind a load balancer).
func oursVerifier(tb testing.TB) (verify func(token string) error, issueSame, issueOther func() string) {
	store := pfauth.NewMemoryStore()
	// Every token must be new: the token-per-request path is off on both nodes.
	nodeA, secret := oursServerWith(tb, store, func(c *pfauth.Config) { c.TokenReuseWindow = -1 })
	nodeB, err := pfauth.New(context.Background(), nodeA.Config(), store)
	require.NoError(tb, err)
	issuer := func(srv *pfauth.Server) func() string {
		h, form := srv.Handler(), tokenForm(secret)
		return func() string {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, newTokenRequest(form))
			var body pfauth.TokenResponse
			require.False(tb, rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &body) != nil, "issuing a token: %d %s", rec.Code, rec.Body.String())
			return body.AccessToken
		}
	}
	v, ctx := nodeB.Verifier(), context.Background()
	return func(tok string) error { _, err := v.Verify(ctx, tok); return err }, issuer(nodeB), issuer(nodeA)
}
