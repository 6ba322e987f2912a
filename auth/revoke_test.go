package auth

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRevocationEndpoint(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.DenyList = true })
	ep := e.srv.Endpoints()
	require.Equal(t, issuer+"/revoke", ep.Revocation, "revocation endpoint not advertised: %+v", ep)
	require.Equal(t, ep.Revocation, e.srv.MetadataDocument().RevocationEndpoint, "revocation endpoint not advertised: %+v", ep)
	h := e.srv.Handler()
	revoke := func(tok string, mod ...func(*http.Request)) *httptest.ResponseRecorder {
		f := url.Values{"token": {tok}, "token_type_hint": {"access_token"}}
		r := httptest.NewRequest("POST", ep.Revocation, strings.NewReader(f.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.SetBasicAuth(e.clientID, e.secret)
		for _, m := range mod {
			m(r)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	tok := e.token()
	w := e.get(e.protected(), "/", "Bearer "+tok)
	require.Equal(t, 200, w.Code, w.Code)
	assert.Equal(t, http.StatusUnauthorized, revoke(tok, func(r *http.Request) { r.SetBasicAuth(e.clientID, "wrong") }).Code, "wrong credentials")
	w = revoke(tok)
	require.Equal(t, 200, w.Code, "revoke: %d %s", w.Code, w.Body)
	require.Equal(t, "no-store", w.Header().Get("Cache-Control"), "revoke: %d %s", w.Code, w.Body)
	assertBearer(t, e.get(e.protected(), "/", "Bearer "+tok), 401, ErrCodeInvalidToken)
	// Unknown, malformed and already revoked tokens: 200, nothing to do.
	for _, s := range []string{tok, "garbage", tok + "x"} {
		w := revoke(s)
		require.Equal(t, 200, w.Code, "%q: %d", s[:5], w.Code)
	}
	assertOAuthError(t, revoke(""), 400, ErrCodeInvalidRequest)
	// Another client's token is refused and stays valid.
	ci, secret, _ := e.srv.Registry().CreateClient(context.Background(), NewClient{ID: "other", Tenants: []string{tenantA}}, "t")
	other := e.token()
	w = revoke(other, func(r *http.Request) { r.SetBasicAuth(ci.ID, secret) })
	assertOAuthError(t, w, 400, ErrCodeUnauthorizedClient)
	w = e.get(e.protected(), "/", "Bearer "+other)
	require.Equal(t, 200, w.Code, "foreign revoke took effect: %d", w.Code)
	// Without the deny-list there is no revocation endpoint.
	x := newEnv(t, nil)
	require.Equal(t, "", x.srv.Endpoints().Revocation, "revocation advertised without deny-list")
	require.Equal(t, "", x.srv.MetadataDocument().RevocationEndpoint, "revocation advertised without deny-list")
}
