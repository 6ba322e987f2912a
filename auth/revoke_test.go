package auth

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestRevocationEndpoint(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.DenyList = true })
	ep := e.srv.Endpoints()
	if ep.Revocation != issuer+"/revoke" || e.srv.MetadataDocument().RevocationEndpoint != ep.Revocation {
		t.Fatalf("revocation endpoint not advertised: %+v", ep)
	}
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
	if w := e.get(e.protected(), "/", "Bearer "+tok); w.Code != 200 {
		t.Fatal(w.Code)
	}
	if w := revoke(tok, func(r *http.Request) { r.SetBasicAuth(e.clientID, "wrong") }); w.Code != 401 {
		t.Fatalf("wrong credentials: %d", w.Code)
	}
	if w := revoke(tok); w.Code != 200 || w.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("revoke: %d %s", w.Code, w.Body)
	}
	assertBearer(t, e.get(e.protected(), "/", "Bearer "+tok), 401, ErrCodeInvalidToken)
	// Unknown, malformed and already revoked tokens: 200, nothing to do.
	for _, s := range []string{tok, "garbage", tok + "x"} {
		if w := revoke(s); w.Code != 200 {
			t.Fatalf("%q: %d", s[:5], w.Code)
		}
	}
	assertOAuthError(t, revoke(""), 400, ErrCodeInvalidRequest)
	// Another client's token is refused and stays valid.
	ci, secret, _ := e.srv.Registry().CreateClient(context.Background(), NewClient{ID: "other", Tenants: []string{tenantA}}, "t")
	other := e.token()
	w := revoke(other, func(r *http.Request) { r.SetBasicAuth(ci.ID, secret) })
	assertOAuthError(t, w, 400, ErrCodeUnauthorizedClient)
	if w := e.get(e.protected(), "/", "Bearer "+other); w.Code != 200 {
		t.Fatalf("foreign revoke took effect: %d", w.Code)
	}
	// Without the deny-list there is no revocation endpoint.
	x := newEnv(t, nil)
	if x.srv.Endpoints().Revocation != "" || x.srv.MetadataDocument().RevocationEndpoint != "" {
		t.Fatal("revocation advertised without deny-list")
	}
}
