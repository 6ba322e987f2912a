package auth

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tokenResp posts form to the issuer and decodes a 200 answer.
func (e *env) tokenResp(t *testing.T, form url.Values) TokenResponse {
	t.Helper()
	w := e.post(form.Encode())
	require.Equal(t, http.StatusOK, w.Code, "body %s", w.Body)
	return decodeJSON[TokenResponse](t, w)
}

func issuedEvents(rec *recordingAuditor) []Event {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var out []Event
	for _, ev := range rec.events {
		if ev.Type == EventTokenIssued {
			out = append(out, ev)
		}
	}
	return out
}

func TestTokenReuseAnswersRepeatsWithTheRecentToken(t *testing.T) {
	rec := &recordingAuditor{next: SlogAuditor{}}
	e := newEnv(t, func(c *Config) { c.Auditor = rec })
	require.Equal(t, 30*time.Second, e.srv.Config().TokenReuseWindow, "on by default")
	first := e.tokenResp(t, e.goodForm())
	e.clock.Advance(10 * time.Second)
	again := e.tokenResp(t, e.goodForm())
	assert.Equal(t, first.AccessToken, again.AccessToken)
	assert.EqualValues(t, 300, first.ExpiresIn)
	assert.EqualValues(t, 290, again.ExpiresIn, "expires_in is the true remaining lifetime")
	assert.Equal(t, first.Scope, again.Scope)
	// It still verifies, and each answer was audited as an issuance.
	assert.Equal(t, http.StatusOK, e.get(e.protected(), "/", "Bearer "+again.AccessToken).Code)
	evs := issuedEvents(rec)
	require.Len(t, evs, 2)
	assert.Equal(t, evs[0].JTI, evs[1].JTI)
	assert.Equal(t, evs[0].ExpiresAt, evs[1].ExpiresAt)
	assert.Equal(t, evs[0].SecretID, evs[1].SecretID)
	// Past the window a new token is minted, with a new jti.
	e.clock.Advance(20 * time.Second)
	fresh := e.tokenResp(t, e.goodForm())
	assert.NotEqual(t, first.AccessToken, fresh.AccessToken)
	assert.EqualValues(t, 300, fresh.ExpiresIn)
	evs = issuedEvents(rec)
	assert.NotEqual(t, evs[0].JTI, evs[2].JTI)
}

func TestTokenReuseOffMintsEveryTime(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.TokenReuseWindow = -1 })
	seen := map[string]bool{}
	for range 20 {
		seen[e.tokenResp(t, e.goodForm()).AccessToken] = true
	}
	assert.Len(t, seen, 20)
}

func TestTokenReuseWindowIsAtMostAQuarterOfTheLifetime(t *testing.T) {
	e := newEnv(t, nil)
	require.NoError(t, e.srv.Registry().SetTokenTTL(t.Context(), e.clientID, time.Minute, "operator"))
	first := e.tokenResp(t, e.goodForm())
	assert.EqualValues(t, 60, first.ExpiresIn)
	e.clock.Advance(14 * time.Second)
	assert.Equal(t, first.AccessToken, e.tokenResp(t, e.goodForm()).AccessToken)
	e.clock.Advance(time.Second) // 15 s = a quarter of 60 s
	assert.NotEqual(t, first.AccessToken, e.tokenResp(t, e.goodForm()).AccessToken)
}

// TestTokenReuseIsPerClientSecretTenantAndScopes: a token is only handed to
// a request that would have got the same claims.
func TestTokenReuseIsPerClientSecretTenantAndScopes(t *testing.T) {
	e := newEnv(t, nil)
	ctx := t.Context()
	reg := e.srv.Registry()
	require.NoError(t, reg.SetTenants(ctx, e.clientID, []string{tenantA, tenantB}, "operator"))
	require.NoError(t, e.srv.store.UpdateClient(ctx, e.clientID, func(c *Client) error { c.Scopes = []string{"system/Patient.read"}; return nil }))
	reg.Invalidate(e.clientID)
	second, _, err := reg.AddSecret(ctx, e.clientID, 0, "operator")
	require.NoError(t, err)
	base := e.tokenResp(t, e.goodForm()).AccessToken
	assert.Equal(t, base, e.tokenResp(t, e.goodForm()).AccessToken)
	variants := map[string]url.Values{}
	f := e.goodForm()
	f.Set("scope", tenantB)
	variants["other tenant"] = f
	f = e.goodForm()
	f.Set("scope", tenantA+" system/Patient.read")
	variants["extra scope"] = f
	f = e.goodForm()
	f.Set("client_secret", second)
	variants["other secret"] = f
	f = e.goodForm()
	f.Set("scope", strings.ToUpper(tenantA))
	for name, v := range variants {
		assert.NotEqual(t, base, e.tokenResp(t, v).AccessToken, name)
	}
	// The same request in another spelling of the same tenant is the same request.
	assert.Equal(t, base, e.tokenResp(t, f).AccessToken, "upper-case tenant")
	other, otherSecret, err := reg.CreateClient(ctx, NewClient{ID: "other", Tenants: []string{tenantA}}, "operator")
	require.NoError(t, err)
	o := url.Values{"grant_type": {"client_credentials"}, "client_id": {other.ID}, "client_secret": {otherSecret}, "scope": {tenantA}}
	assert.NotEqual(t, base, e.tokenResp(t, o).AccessToken, "other client")
	// Wrong credentials never get the recent token.
	f = e.goodForm()
	f.Set("client_secret", SecretPrefix+"AAAAAAAAAA_"+strings.Repeat("A", secretBodyLen))
	w := e.post(f.Encode())
	assertOAuthError(t, w, http.StatusUnauthorized, ErrCodeInvalidClient)
	assert.NotContains(t, w.Body.String(), base)
}

// TestTokenReuseNeverOutlivesARevocation: after a revocation of the token,
// the secret, the client or the tenant, or a change of signing key, the
// recent token is never handed out again.
func TestTokenReuseNeverOutlivesARevocation(t *testing.T) {
	ctx := context.Background()
	reg := func(e *env) *Registry { return e.srv.Registry() }
	cases := []struct {
		name   string
		cfg    func(*Config)
		revoke func(t *testing.T, e *env, tok string)
		// after says what the next request gets: 0 means a new token.
		after int
	}{
		{"token revoked through the endpoint", func(c *Config) { c.DenyList = true }, func(t *testing.T, e *env, tok string) {
			f := url.Values{"token": {tok}}
			r := httptest.NewRequest(http.MethodPost, "/revoke", strings.NewReader(f.Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r.SetBasicAuth(e.clientID, e.secret)
			w := httptest.NewRecorder()
			e.srv.Handler().ServeHTTP(w, r)
			require.Equal(t, http.StatusOK, w.Code)
		}, 0},
		{"token revoked from code", func(c *Config) { c.DenyList = true }, func(t *testing.T, e *env, tok string) {
			p, err := e.srv.Verifier().Verify(ctx, tok)
			require.NoError(t, err)
			require.NoError(t, e.srv.RevokeToken(ctx, p.JTI, p.ExpiresAt))
		}, 0},
		{"token revoked on another node (shared deny-list)", func(c *Config) { c.DenyList = true }, func(t *testing.T, e *env, tok string) {
			other, err := New(ctx, e.srv.Config(), e.store)
			require.NoError(t, err)
			p, err := other.Verifier().Verify(ctx, tok)
			require.NoError(t, err)
			require.NoError(t, other.RevokeToken(ctx, p.JTI, p.ExpiresAt))
		}, 0},
		{"secret revoked", nil, func(t *testing.T, e *env, _ string) {
			sid, _ := ParseSecret(e.secret)
			require.NoError(t, reg(e).RevokeSecret(ctx, e.clientID, sid, "operator"))
		}, http.StatusUnauthorized},
		{"client disabled", nil, func(t *testing.T, e *env, _ string) {
			require.NoError(t, reg(e).SetDisabled(ctx, e.clientID, true, "operator"))
		}, http.StatusUnauthorized},
		{"client disabled and enabled again at once", nil, func(t *testing.T, e *env, _ string) {
			require.NoError(t, reg(e).SetDisabled(ctx, e.clientID, true, "operator"))
			require.NoError(t, reg(e).SetDisabled(ctx, e.clientID, false, "operator"))
		}, 0},
		{"tenant removed from the client", nil, func(t *testing.T, e *env, _ string) {
			require.NoError(t, reg(e).SetTenants(ctx, e.clientID, []string{tenantB}, "operator"))
		}, http.StatusBadRequest},
		{"signing key rotated", nil, func(t *testing.T, e *env, _ string) {
			_, err := e.srv.Keys().Rotate(ctx)
			require.NoError(t, err)
		}, 0},
		{"signing key rotated and removed", nil, func(t *testing.T, e *env, tok string) {
			_, oldKid, _ := e.signer()
			_, err := e.srv.Keys().Rotate(ctx)
			require.NoError(t, err)
			require.NoError(t, e.srv.Keys().Remove(ctx, oldKid))
		}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, c.cfg)
			tok := e.tokenResp(t, e.goodForm()).AccessToken
			require.Equal(t, tok, e.tokenResp(t, e.goodForm()).AccessToken, "reuse works before the revocation")
			c.revoke(t, e, tok)
			w := e.post(e.goodForm().Encode())
			if c.after != 0 {
				assert.Equal(t, c.after, w.Code, "body %s", w.Body)
				assert.NotContains(t, w.Body.String(), tok)
				return
			}
			require.Equal(t, http.StatusOK, w.Code, "body %s", w.Body)
			next := decodeJSON[TokenResponse](t, w).AccessToken
			assert.NotEqual(t, tok, next, "the revoked token was handed out again")
			assert.Equal(t, http.StatusOK, e.get(e.protected(), "/", "Bearer "+next).Code)
		})
	}
}

// TestTokenReuseStopsWhenTheTenantIsRefused: a tenant the TenantValidator
// refuses is never served from a recent token, even once it is accepted
// again.
func TestTokenReuseStopsWhenTheTenantIsRefused(t *testing.T) {
	var refuse atomic.Bool
	e := newEnv(t, func(c *Config) {
		c.TenantValidator = func(_ context.Context, tenant string) error {
			if refuse.Load() {
				return errors.New("tenant offboarded")
			}
			return nil
		}
	})
	tok := e.tokenResp(t, e.goodForm()).AccessToken
	refuse.Store(true)
	assertOAuthError(t, e.post(e.goodForm().Encode()), http.StatusBadRequest, ErrCodeInvalidScope)
	refuse.Store(false)
	assert.NotEqual(t, tok, e.tokenResp(t, e.goodForm()).AccessToken)
}

func TestReuseCacheIsBounded(t *testing.T) {
	rc := newReuseCache(time.Minute, 4)
	now := time.Unix(1000, 0)
	c := &Client{ID: "c"}
	for i := range 10 {
		k := reuseKey{client: "c", tenant: string(rune('a' + i)), ttl: time.Hour}
		rc.put(k, c, mintedToken{token: "t", kid: "k", scope: "s"}, &Principal{JTI: "j", ExpiresAt: now.Add(time.Hour)}, time.Hour, now)
	}
	assert.LessOrEqual(t, len(rc.m), 4)
	assert.Nil(t, newReuseCache(-1, 4), "a negative window disables reuse")
}
