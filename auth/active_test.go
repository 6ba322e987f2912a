package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// VerifierConfig.Active runs on every request, for a token seen the first time and for one
// served from the cache: a refusal is 401 invalid_token, an unavailable check 503.
func TestVerifierActiveHook(t *testing.T) {
	e := newEnv(t, nil)
	rec := &recordingAuditor{next: SlogAuditor{Logger: e.srv.Config().Logger}}
	var (
		calls   atomic.Int64
		verdict atomic.Value // error, or nil for nil
		seen    sync.Map     // client/tenant pairs the hook was asked about
	)
	verdict.Store(errBox{})
	vc := e.srv.VerifierConfig()
	vc.Auditor = rec
	vc.CacheSize = 16 // a cache of its own, empty
	vc.Active = func(_ context.Context, p *Principal) error {
		calls.Add(1)
		seen.Store(p.ClientID+"/"+p.TenantID, true)
		return verdict.Load().(errBox).err
	}
	v, err := NewVerifier(vc)
	require.NoError(t, err)
	h := v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) }))
	tok := e.token()
	bearer := "Bearer " + tok

	w := e.get(h, "/Patient", bearer)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	w = e.get(h, "/Patient", bearer) // from the cache
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, int64(2), calls.Load(), "asked for the first use and for the cached one")
	_, ok := seen.Load(e.clientID + "/" + tenantA)
	assert.True(t, ok, "the hook gets the token's principal")

	verdict.Store(errBox{errors.New("tenant disabled")})
	w = e.get(h, "/Patient", bearer)
	assert.Equal(t, http.StatusUnauthorized, w.Code)
	assert.Equal(t, `Bearer realm="fhir", error="invalid_token"`, w.Header().Get("WWW-Authenticate"))
	assert.JSONEq(t, `{"error":"invalid_token"}`, w.Body.String())
	assert.Contains(t, rec.dump(), "Reason:principal_inactive")
	_, err = v.Verify(context.Background(), tok)
	assert.ErrorIs(t, err, ErrInvalidToken)
	assert.NotErrorIs(t, err, ErrUnavailable)

	verdict.Store(errBox{fmt.Errorf("tenant store: %w", ErrUnavailable)})
	w = e.get(h, "/Patient", bearer)
	assert.Equal(t, http.StatusServiceUnavailable, w.Code)
	assert.Equal(t, "1", w.Header().Get("Retry-After"))
	assert.JSONEq(t, `{"error":"temporarily_unavailable"}`, w.Body.String())
	_, err = v.Verify(context.Background(), tok)
	assert.ErrorIs(t, err, ErrUnavailable)
	assert.NotErrorIs(t, err, ErrInvalidToken)

	verdict.Store(errBox{})
	assert.Equal(t, http.StatusOK, e.get(h, "/Patient", bearer).Code, "accepted again when the check passes")

	// Forged or expired tokens never reach the hook.
	before := calls.Load()
	claims := e.validClaims()
	claims["exp"] = e.clock.Now().Add(-time.Hour).Unix()
	claims["iat"] = e.clock.Now().Add(-2 * time.Hour).Unix()
	assert.Equal(t, http.StatusUnauthorized, e.get(h, "/Patient", "Bearer "+e.forge(claims, nil)).Code)
	assert.Equal(t, before, calls.Load())
}

type errBox struct{ err error }

// The server's own verifier refuses the tokens of a client that is disabled or loses the
// token's tenant: at once when the change is made through this server.
func TestServerVerifierChecksTheClient(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil)
	h := e.protected()
	bearer := "Bearer " + e.token()
	require.Equal(t, http.StatusOK, e.get(h, "/Patient", bearer).Code)

	require.NoError(t, e.srv.Registry().SetDisabled(ctx, e.clientID, true, "test"))
	assert.Equal(t, http.StatusUnauthorized, e.get(h, "/Patient", bearer).Code, "a disabled client's token, at once on this node")
	require.NoError(t, e.srv.Registry().SetDisabled(ctx, e.clientID, false, "test"))
	assert.Equal(t, http.StatusOK, e.get(h, "/Patient", bearer).Code, "re-enabled")

	require.NoError(t, e.srv.Registry().SetTenants(ctx, e.clientID, []string{tenantB}, "test"))
	assert.Equal(t, http.StatusUnauthorized, e.get(h, "/Patient", bearer).Code, "the client no longer has the token's tenant")

	// A token naming a client that does not exist (signed with the server's key) is refused.
	claims := e.validClaims()
	claims["sub"], claims["client_id"] = "ghost", "ghost"
	assert.Equal(t, http.StatusUnauthorized, e.get(h, "/Patient", "Bearer "+e.forge(claims, nil)).Code)
}

// Two servers on one store are two nodes: a client disabled on node A loses its tokens on A at
// once and on node B within ClientCacheTTL, not later; node B's verifier variants (built from
// VerifierConfig, as the FHIR servers do) follow.
func TestDisabledClientTokensStopOnEveryNode(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil)
	cfg := testConfig(e.clock, e.logs)
	b, err := New(ctx, cfg, e.store)
	require.NoError(t, err)
	ttl := b.Config().ClientCacheTTL
	require.Equal(t, 30*time.Second, ttl)
	variant, err := NewVerifier(b.VerifierConfig())
	require.NoError(t, err)

	tok := e.token()
	for name, v := range map[string]*Verifier{"A": e.srv.Verifier(), "B": b.Verifier(), "B variant": variant} {
		_, err := v.Verify(ctx, tok)
		require.NoError(t, err, name)
	}
	require.NoError(t, e.srv.Registry().SetDisabled(ctx, e.clientID, true, "operator"))
	_, err = e.srv.Verifier().Verify(ctx, tok)
	assert.ErrorIs(t, err, ErrInvalidToken, "node A, at once")
	e.clock.Advance(ttl - time.Second)
	_, err = b.Verifier().Verify(ctx, tok)
	assert.NoError(t, err, "node B's cached client is younger than ClientCacheTTL")
	e.clock.Advance(time.Second)
	for name, v := range map[string]*Verifier{"B": b.Verifier(), "B variant": variant} {
		_, err := v.Verify(ctx, tok)
		assert.ErrorIs(t, err, ErrInvalidToken, "%s after ClientCacheTTL", name)
	}
}

// With a TenantValidator (routing.Directory.Check) the tenant is checked for every token issued
// and every request verified; a validator whose store is down is 503 at both, never a refusal
// that looks final.
func TestTenantValidatorIsTheTenantTruth(t *testing.T) {
	ctx := context.Background()
	var verdict atomic.Value
	verdict.Store(errBox{})
	e := newEnv(t, func(c *Config) {
		c.TenantValidator = func(context.Context, string) error { return verdict.Load().(errBox).err }
	})
	h := e.protected()
	bearer := "Bearer " + e.token()
	require.Equal(t, http.StatusOK, e.get(h, "/Patient", bearer).Code)

	verdict.Store(errBox{errors.New("tenant disabled")})
	assertOAuthError(t, e.post(e.goodForm().Encode()), http.StatusBadRequest, ErrCodeInvalidScope)
	assert.Equal(t, http.StatusUnauthorized, e.get(h, "/Patient", bearer).Code, "issued tokens stop too")
	err := e.srv.Registry().SetTenants(ctx, e.clientID, []string{tenantA}, "test")
	assert.ErrorIs(t, err, ErrUnknownTenant)

	verdict.Store(errBox{fmt.Errorf("tenant directory: %w", ErrUnavailable)})
	assertOAuthError(t, e.post(e.goodForm().Encode()), http.StatusServiceUnavailable, ErrCodeTemporarilyUnavailable)
	assert.Equal(t, http.StatusServiceUnavailable, e.get(h, "/Patient", bearer).Code)
	err = e.srv.Registry().SetTenants(ctx, e.clientID, []string{tenantA}, "test")
	assert.ErrorIs(t, err, ErrUnavailable)
	assert.NotErrorIs(t, err, ErrUnknownTenant)

	verdict.Store(errBox{})
	assert.Equal(t, http.StatusOK, e.get(h, "/Patient", bearer).Code)
	assert.Equal(t, http.StatusOK, e.post(e.goodForm().Encode()).Code)
}

// failingStore fails GetClient while down is set.
type failingStore struct {
	Store
	down atomic.Bool
}

func (f *failingStore) GetClient(ctx context.Context, id string) (*Client, error) {
	if f.down.Load() {
		return nil, errors.New("connection refused")
	}
	return f.Store.GetClient(ctx, id)
}

// A client store that cannot be reached is 503 for a token once the cached client is
// ClientCacheTTL old: never a refusal, never an acceptance past the bound.
func TestClientCheckStoreDown(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil)
	fs := &failingStore{Store: e.store}
	b, err := New(ctx, testConfig(e.clock, e.logs), fs)
	require.NoError(t, err)
	h := b.Verifier().Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	bearer := "Bearer " + e.token()
	require.Equal(t, http.StatusOK, e.get(h, "/Patient", bearer).Code)
	fs.down.Store(true)
	assert.Equal(t, http.StatusOK, e.get(h, "/Patient", bearer).Code, "the cached client answers")
	e.clock.Advance(b.Config().ClientCacheTTL)
	w := e.get(h, "/Patient", bearer)
	assert.Equal(t, http.StatusServiceUnavailable, w.Code)
	assert.NotContains(t, w.Body.String(), "connection refused")
	fs.down.Store(false)
	assert.Equal(t, http.StatusOK, e.get(h, "/Patient", bearer).Code)
}

// BenchmarkVerifyActive compares the cached-token path with and without the server's client
// check (VerifierConfig.Active), which runs on every request.
//
//	go test -run '^$' -bench VerifyActive -count 10 ./auth
func BenchmarkVerifyActive(b *testing.B) {
	e := benchEnv(b, AlgES256, false)
	tok := e.token()
	for _, mode := range []string{"without", "client_check"} {
		b.Run(mode, func(b *testing.B) {
			vc := e.srv.VerifierConfig()
			if mode == "without" {
				vc.Active = nil
			}
			v, err := NewVerifier(vc)
			require.NoError(b, err)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Verify(ctx, tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
