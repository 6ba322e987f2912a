package auth

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// FuzzAdmin feeds arbitrary requests to the registration API: JSON bodies
// of every route (clients, tenants, token lifetimes, JWKS, secrets) with
// the operator's token, and self-service requests with arbitrary Basic
// credentials. Whatever the input: no panic, never a 5xx, no-store, a JSON
// answer from every route (the mux's own 404 and 405 aside), and neither
// the operator token nor a stored secret hash in any answer.
func FuzzAdmin(f *testing.F) {
	e := newEnv(f, func(c *Config) { c.FailedAuthBurst, c.ClientFailedAuthBurst = 1<<30, 1<<30 })
	operator := strings.Repeat("o", 40)
	admin := e.srv.Admin()
	seeds := []struct {
		method     uint8
		path, body string
		operator   bool
		basic      string
	}{
		{0, "/clients", `{"client_id":"c1","tenants":["c0ffee00-1111-2222-3333-444455556666"]}`, true, ""},
		{0, "/clients", `{"client_id":"c1","tenants":["C0FFEE00-1111-2222-3333-444455556666"],"token_ttl_seconds":60}`, true, ""},
		{0, "/clients", `{"client_id":"","tenants":[]}`, true, ""},
		{0, "/clients", `{"client_id":"x","tenants":["a"],"unknown":1}{}`, true, ""},
		{1, "/clients", ``, true, ""},
		{1, "/clients/teams-app", ``, true, ""},
		{2, "/clients/teams-app/tenants", `{"tenants":["0badf00d-aaaa-bbbb-cccc-ddddeeeeffff"]}`, true, ""},
		{2, "/clients/teams-app/token_ttl", `{"token_ttl_seconds":-1}`, true, ""},
		{2, "/clients/teams-app/jwks", `{"jwks":{"keys":[{"kty":"EC","crv":"P-256","x":"AA","y":"AA","kid":"k"}]}}`, true, ""},
		{2, "/clients/teams-app/jwks", `{"jwks":{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB","kid":"r","alg":"RS256"}]}}`, true, ""},
		{2, "/clients/teams-app/jwks", `{"jwks":null}`, true, ""},
		{0, "/clients/teams-app/disable", ``, true, ""},
		{0, "/clients/teams-app/enable", ``, true, ""},
		{0, "/clients/teams-app/secrets", `{"lifetime_seconds":3600}`, true, ""},
		{3, "/clients/teams-app/secrets/s1", ``, true, ""},
		{1, "/self/secrets", ``, false, "Basic dGVhbXMtYXBwOndyb25n"},
		{0, "/self/secrets", `{}`, false, "Basic Og=="},
		{3, "/self/secrets/%zz", ``, false, ""},
		{1, "/clients/%2e%2e/secrets", ``, true, ""},
	}
	for _, s := range seeds {
		f.Add(s.method, s.path, s.body, s.operator, s.basic)
	}
	methods := []string{http.MethodPost, http.MethodGet, http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodHead}
	f.Fuzz(func(t *testing.T, method uint8, path, body string, withOperator bool, basic string) {
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		r, err := http.NewRequest(methods[int(method)%len(methods)], "http://auth.example.test"+path, strings.NewReader(body))
		if err != nil {
			return // not a request a client could send
		}
		r.RemoteAddr = "192.0.2.20:5000"
		r.Header.Set("Content-Type", "application/json")
		switch {
		case withOperator:
			r.Header.Set("Authorization", "Bearer "+operator)
		case basic != "":
			r.Header["Authorization"] = []string{basic}
		}
		w := httptest.NewRecorder()
		admin.ServeHTTP(w, r)
		require.Less(t, w.Code, 500, "%s %s -> %d %s", r.Method, path, w.Code, w.Body)
		assert.Equal(t, "no-store", w.Header().Get("Cache-Control"))
		if !strings.Contains(body+path, operator) {
			assert.NotContains(t, w.Body.String(), operator, "the operator token in an answer")
		}
		// JSON-encoded values escape quotes: a "hash" member is the server's.
		assert.NotContains(t, strings.ToLower(w.Body.String()), `"hash"`, "a secret hash in an answer")
		if w.Code == http.StatusMovedPermanently || w.Code == http.StatusTemporaryRedirect || w.Code == http.StatusPermanentRedirect {
			// net/http's ServeMux sends a request for a path that is not
			// clean ("/." or "/clients/./x") to the clean one, on this
			// server, before any handler (and so before any credential check).
			loc := w.Header().Get("Location")
			assert.True(t, strings.HasPrefix(loc, "/") && !strings.HasPrefix(loc, "//"), "a redirect off the server: %q", loc)
			return
		}
		if r.Method == http.MethodHead || w.Body.Len() == 0 || strings.HasPrefix(w.Header().Get("Content-Type"), "text/plain") &&
			(w.Code == http.StatusNotFound || w.Code == http.StatusMethodNotAllowed) {
			return
		}
		assert.True(t, json.Valid(w.Body.Bytes()), "%s %s -> %d not JSON: %s", r.Method, path, w.Code, w.Body)
	})
}
