package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// FuzzClientAssertion feeds arbitrary private_key_jwt client assertions
// (and client_id hints) to the token endpoint of a server whose client has
// registered an ES384 key. Whatever the input: no panic, never a 5xx, an
// RFC 6749 JSON error with no-store, and a token only for an assertion the
// client's key really signed (the seeds).
func FuzzClientAssertion(f *testing.F) {
	e := newEnv(f, func(c *Config) { c.FailedAuthBurst, c.ClientFailedAuthBurst = 1<<30, 1<<30 })
	key, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	require.NoError(f, err)
	raw, err := key.PublicKey.Bytes()
	require.NoError(f, err)
	jwks, err := json.Marshal(map[string]any{"keys": []map[string]string{{
		"kty": "EC", "crv": "P-384", "kid": "k1", "alg": "ES384", "use": "sig", "x": b64(raw[1:49]), "y": b64(raw[49:]),
	}}})
	require.NoError(f, err)
	require.NoError(f, e.srv.Registry().SetJWKS(context.Background(), e.clientID, jwks, "test"))

	sign := func(claims jwt.MapClaims, header map[string]any) string {
		t := jwt.NewWithClaims(jwt.SigningMethodES384, claims)
		for k, v := range header {
			t.Header[k] = v
		}
		s, err := t.SignedString(key)
		require.NoError(f, err)
		return s
	}
	now := e.clock.Now()
	claims := func(jti string) jwt.MapClaims {
		return jwt.MapClaims{"iss": e.clientID, "sub": e.clientID, "aud": e.srv.Endpoints().Token,
			"exp": now.Add(4 * time.Minute).Unix(), "jti": jti}
	}
	var signed []string
	for i, mod := range []func(jwt.MapClaims, map[string]any){
		nil,
		func(c jwt.MapClaims, _ map[string]any) { c["aud"] = issuer },
		func(c jwt.MapClaims, _ map[string]any) { c["aud"] = []string{issuer, "https://elsewhere.example"} },
		func(c jwt.MapClaims, _ map[string]any) { c["exp"] = now.Add(time.Hour).Unix() },
		func(c jwt.MapClaims, _ map[string]any) { c["iss"] = "someone-else" },
		func(_ jwt.MapClaims, h map[string]any) { h["kid"] = "k2" },
		func(_ jwt.MapClaims, h map[string]any) { h["jku"] = "https://attacker.example/jwks" },
		func(_ jwt.MapClaims, h map[string]any) { h["typ"] = "at+jwt" },
	} {
		c, h := claims("jti-"+string(rune('a'+i))), map[string]any{"kid": "k1", "typ": "JWT"}
		if mod != nil {
			mod(c, h)
		}
		s := sign(c, h)
		signed = append(signed, s)
		f.Add(s, "")
		f.Add(s, e.clientID)
	}
	f.Add(signed[0][:len(signed[0])-3], "")
	f.Add("eyJhbGciOiJub25lIn0.eyJpc3MiOiJ0ZWFtcy1hcHAifQ.", "")
	f.Add(strings.Repeat("a", 9000), "")
	f.Add("a.b.c", "teams-app")

	f.Fuzz(func(t *testing.T, assertion, hint string) {
		form := url.Values{"grant_type": {"client_credentials"}, "scope": {tenantA},
			"client_assertion_type": {ClientAssertionType}, "client_assertion": {assertion}}
		if hint != "" {
			form.Set("client_id", hint)
		}
		r := httptest.NewRequest(http.MethodPost, "/token", strings.NewReader(form.Encode()))
		r.RemoteAddr = "192.0.2.10:4000"
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		e.srv.Issuer().ServeHTTP(w, r)
		require.Less(t, w.Code, 500, "%d %s", w.Code, w.Body)
		assert.Equal(t, "no-store", w.Header().Get("Cache-Control"))
		var body map[string]any
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &body), "not JSON: %s", w.Body)
		if w.Code == http.StatusOK {
			assert.True(t, slices.Contains(signed, assertion), "a token for an assertion the client never signed: %q", assertion)
			assert.NotEmpty(t, body["access_token"])
			return
		}
		assert.NotEmpty(t, body["error"], "an error without an RFC 6749 code: %s", w.Body)
		assert.Nil(t, body["access_token"])
	})
}
