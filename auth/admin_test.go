package auth

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func (e *env) admin(method, path, authz, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	r.RemoteAddr = "203.0.113.5:1000"
	if authz != "" {
		r.Header.Set("Authorization", authz)
	}
	w := httptest.NewRecorder()
	e.srv.Admin().ServeHTTP(w, r)
	return w
}

func TestAdminOperatorAndSelfServiceRotation(t *testing.T) {
	e := newEnv(t, nil)
	op := "Bearer " + strings.Repeat("o", 40)

	// Operator authentication.
	for _, a := range []string{"", "Bearer wrong", "Basic " + strings.Repeat("o", 40), op + "x"} {
		if w := e.admin("GET", "/clients", a, ""); w.Code != 401 || w.Header().Get("WWW-Authenticate") == "" {
			t.Fatalf("operator auth %q: %d", a, w.Code)
		}
	}
	// Create, with validation naming the field.
	w := e.admin("POST", "/clients", op, `{"client_id":"bad id!","tenants":["nope"]}`)
	if w.Code != 400 || !strings.Contains(w.Body.String(), "NewClient.ID") || !strings.Contains(w.Body.String(), "NewClient.Tenants[0]") {
		t.Fatalf("validation: %d %s", w.Code, w.Body)
	}
	if w := e.admin("POST", "/clients", op, `{"client_id":"x","unknown":1}`); w.Code != 400 {
		t.Fatalf("unknown field: %d", w.Code)
	}
	w = e.admin("POST", "/clients", op, `{"client_id":"lists-app","name":"Lists","tenants":["`+strings.ToUpper(tenantB)+`"]}`)
	if w.Code != 201 {
		t.Fatalf("create: %d %s", w.Code, w.Body)
	}
	var created CreatedClient
	mustJSON(t, w.Body.Bytes(), &created)
	if created.Client.Tenants[0] != tenantB || !strings.HasPrefix(created.Secret, SecretPrefix) {
		t.Fatalf("created %+v", created)
	}
	if w := e.admin("POST", "/clients", op, `{"client_id":"lists-app"}`); w.Code != 409 {
		t.Fatalf("duplicate: %d", w.Code)
	}
	// Listing never shows hashes or the secret.
	w = e.admin("GET", "/clients", op, "")
	if w.Code != 200 || strings.Contains(w.Body.String(), created.Secret) || strings.Contains(w.Body.String(), "hash") {
		t.Fatalf("list: %d %s", w.Code, w.Body)
	}
	// Tenants.
	if w := e.admin("PUT", "/clients/lists-app/tenants", op, `{"tenants":["`+tenantA+`","`+tenantB+`"]}`); w.Code != 200 {
		t.Fatalf("tenants: %d %s", w.Code, w.Body)
	}
	if w := e.admin("PUT", "/clients/nobody/tenants", op, `{"tenants":["`+tenantA+`"]}`); w.Code != 404 {
		t.Fatalf("tenants of unknown: %d", w.Code)
	}

	// Self-service rotation by the client with its current credentials.
	basic := func(sec string) string {
		r := httptest.NewRequest("GET", "/", nil)
		r.SetBasicAuth("lists-app", url.QueryEscape(sec))
		return r.Header.Get("Authorization")
	}
	if w := e.admin("POST", "/self/secrets", basic("wrong"), ""); w.Code != 401 {
		t.Fatalf("self with wrong secret: %d", w.Code)
	}
	w = e.admin("POST", "/self/secrets", basic(created.Secret), "")
	if w.Code != 201 {
		t.Fatalf("self add: %d %s", w.Code, w.Body)
	}
	var ns CreatedSecret
	mustJSON(t, w.Body.Bytes(), &ns)
	if w := e.admin("POST", "/self/secrets", basic(ns.Secret), `{"lifetime_seconds":3600}`); w.Code != 409 {
		t.Fatalf("third secret: %d %s", w.Code, w.Body)
	}
	oldID, _ := ParseSecret(created.Secret)
	if w := e.admin("DELETE", "/self/secrets/"+oldID, basic(ns.Secret), ""); w.Code != 204 {
		t.Fatalf("self revoke: %d %s", w.Code, w.Body)
	}
	if w := e.admin("GET", "/self/secrets", basic(created.Secret), ""); w.Code != 401 {
		t.Fatalf("revoked secret still authenticates: %d", w.Code)
	}
	w = e.admin("GET", "/self/secrets", basic(ns.Secret), "")
	var list struct{ Secrets []SecretInfo }
	_ = json.Unmarshal(w.Body.Bytes(), &list)
	if w.Code != 200 || len(list.Secrets) != 2 || list.Secrets[0].Active || !list.Secrets[1].Active {
		t.Fatalf("self list: %d %s", w.Code, w.Body)
	}
	// The token endpoint agrees.
	f := url.Values{"grant_type": {"client_credentials"}, "client_id": {"lists-app"}, "client_secret": {ns.Secret}, "scope": {tenantA}}
	if w := e.post(f.Encode()); w.Code != 200 {
		t.Fatalf("token with rotated secret: %d", w.Code)
	}
	f.Set("client_secret", created.Secret)
	assertOAuthError(t, e.post(f.Encode()), 401, ErrCodeInvalidClient)

	// Disable.
	if w := e.admin("POST", "/clients/lists-app/disable", op, ""); w.Code != 200 {
		t.Fatalf("disable: %d", w.Code)
	}
	f.Set("client_secret", ns.Secret)
	assertOAuthError(t, e.post(f.Encode()), 401, ErrCodeInvalidClient)
	if w := e.admin("POST", "/clients/lists-app/enable", op, ""); w.Code != 200 {
		t.Fatalf("enable: %d", w.Code)
	}
	if w := e.post(f.Encode()); w.Code != 200 {
		t.Fatalf("re-enabled: %d", w.Code)
	}
	// Operator revokes a secret; body too large is refused.
	nsID, _ := ParseSecret(ns.Secret)
	if w := e.admin("DELETE", "/clients/lists-app/secrets/"+nsID, op, ""); w.Code != 204 {
		t.Fatalf("operator revoke: %d", w.Code)
	}
	if w := e.admin("DELETE", "/clients/lists-app/secrets/nope", op, ""); w.Code != 404 {
		t.Fatalf("revoke unknown secret: %d", w.Code)
	}
	if w := e.admin("POST", "/clients", op, `{"name":"`+strings.Repeat("a", 20<<10)+`"}`); w.Code != 400 {
		t.Fatalf("oversized body: %d", w.Code)
	}
}

func TestAdminDisabledWithoutOperatorToken(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.OperatorToken = "" })
	for _, a := range []string{"Bearer ", "Bearer " + strings.Repeat("o", 40), "Bearer x"} {
		if w := e.admin("GET", "/clients", a, ""); w.Code != 401 {
			t.Fatalf("%q: %d", a, w.Code)
		}
	}
	// Self-service still works without an operator token.
	r := httptest.NewRequest("GET", "/self/secrets", nil)
	r.SetBasicAuth(e.clientID, e.secret)
	w := httptest.NewRecorder()
	e.srv.Admin().ServeHTTP(w, r)
	if w.Code != 200 {
		t.Fatalf("self-service: %d", w.Code)
	}
}

func TestAdminFailuresAreRateLimited(t *testing.T) {
	e := newEnv(t, nil)
	var last *httptest.ResponseRecorder
	for range 30 {
		last = e.admin("GET", "/clients", "Bearer nope", "")
	}
	if last.Code != http.StatusTooManyRequests || last.Header().Get("Retry-After") == "" {
		t.Fatalf("%d %v", last.Code, last.Header())
	}
}
