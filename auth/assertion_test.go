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
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/golang-jwt/jwt/v5"
)

// pkjEnv registers a client with an ES384 key for private_key_jwt.
type pkjEnv struct {
	*env
	key *ecdsa.PrivateKey
}

func newPKJEnv(t *testing.T) *pkjEnv {
	e := newEnv(t, nil)
	key, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	raw, _ := key.PublicKey.Bytes()
	jwks, _ := json.Marshal(map[string]any{"keys": []map[string]string{{
		"kty": "EC", "crv": "P-384", "kid": "k1", "alg": "ES384", "use": "sig",
		"x": b64(raw[1:49]), "y": b64(raw[49:]),
	}}})
	require.NoError(t, e.srv.Registry().SetJWKS(context.Background(), e.clientID, jwks, "test"))
	return &pkjEnv{env: e, key: key}
}

func (p *pkjEnv) assertion(mod func(jwt.MapClaims, map[string]any)) string {
	now := p.clock.Now()
	c := jwt.MapClaims{"iss": p.clientID, "sub": p.clientID, "aud": p.srv.Endpoints().Token,
		"exp": now.Add(4 * time.Minute).Unix(), "jti": newJTI()}
	h := map[string]any{"kid": "k1", "typ": "JWT"}
	if mod != nil {
		mod(c, h)
	}
	t := jwt.NewWithClaims(jwt.SigningMethodES384, c)
	for k, v := range h {
		t.Header[k] = v
	}
	s, err := t.SignedString(p.key)
	require.NoError(p.t, err)
	return s
}

func (p *pkjEnv) postAssertion(a string) *httptest.ResponseRecorder {
	f := url.Values{"grant_type": {"client_credentials"}, "scope": {tenantA},
		"client_assertion_type": {ClientAssertionType}, "client_assertion": {a}}
	return p.post(f.Encode())
}

func TestPrivateKeyJWT(t *testing.T) {
	t.Run("valid_assertion", func(t *testing.T) {
		p := newPKJEnv(t)
		w := p.postAssertion(p.assertion(nil))
		require.Equal(t, 200, w.Code, "%d %s", w.Code, w.Body)
		var tr TokenResponse
		require.NoError(t, jsonUnmarshal(w.Body.Bytes(), &tr))
		pr, err := p.srv.Verifier().Verify(context.Background(), tr.AccessToken)
		require.NoError(t, err)
		require.Equal(t, p.clientID, pr.ClientID, "%+v %v", pr, err)
		require.Equal(t, "", pr.SecretID, "%+v %v", pr, err)
		// aud = the issuer is accepted too (RFC 7523bis).
		w = p.postAssertion(p.assertion(func(c jwt.MapClaims, _ map[string]any) { c["aud"] = issuer }))
		require.Equal(t, http.StatusOK, w.Code, "aud=issuer: %s", w.Body)
	})
	t.Run("case64_concurrent_replay", func(t *testing.T) {
		p := newPKJEnv(t)
		a := p.assertion(nil)
		codes := make([]int, 2)
		var wg sync.WaitGroup
		for i := range codes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes[i] = p.postAssertion(a).Code
			}()
		}
		wg.Wait()
		require.True(t, codes[0] == 200 && codes[1] == 401 || codes[0] == 401 && codes[1] == 200, "codes %v, want exactly one 200 and one 401", codes)
		assertOAuthError(t, p.postAssertion(a), 401, ErrCodeInvalidClient)
	})
	t.Run("case65_lifetime_audience_jku", func(t *testing.T) {
		old := http.DefaultTransport
		http.DefaultTransport = failTransport{t}
		defer func() { http.DefaultTransport = old }()
		p := newPKJEnv(t)
		for name, mod := range map[string]func(jwt.MapClaims, map[string]any){
			"exp_10min":         func(c jwt.MapClaims, _ map[string]any) { c["exp"] = p.clock.Now().Add(10 * time.Minute).Unix() },
			"aud_introspection": func(c jwt.MapClaims, _ map[string]any) { c["aud"] = issuer + "/introspect" },
			"aud_array_extra": func(c jwt.MapClaims, _ map[string]any) {
				c["aud"] = []string{p.srv.Endpoints().Token, "https://evil.example"}
			},
			"jku_unregistered":   func(_ jwt.MapClaims, h map[string]any) { h["jku"] = "https://attacker.example/jwks" },
			"no_exp":             func(c jwt.MapClaims, _ map[string]any) { delete(c, "exp") },
			"expired":            func(c jwt.MapClaims, _ map[string]any) { c["exp"] = p.clock.Now().Add(-2 * time.Minute).Unix() },
			"no_jti":             func(c jwt.MapClaims, _ map[string]any) { delete(c, "jti") },
			"sub_differs":        func(c jwt.MapClaims, _ map[string]any) { c["sub"] = "someone-else" },
			"unknown_kid":        func(_ jwt.MapClaims, h map[string]any) { h["kid"] = "k2" },
			"typ_at_jwt":         func(_ jwt.MapClaims, h map[string]any) { h["typ"] = "at+jwt" },
			"unknown_client_iss": func(c jwt.MapClaims, _ map[string]any) { c["iss"], c["sub"] = "ghost", "ghost" },
		} {
			w := p.postAssertion(p.assertion(mod))
			require.Equal(t, 401, w.Code, "%s: %d %s", name, w.Code, w.Body)
			assertOAuthError(t, w, 401, ErrCodeInvalidClient)
		}
		// Signed by a key that is not registered.
		other := &pkjEnv{env: p.env}
		other.key, _ = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
		assertOAuthError(t, p.postAssertion(other.assertion(nil)), 401, ErrCodeInvalidClient)
		// Assertion plus a secret is two methods.
		f := url.Values{"grant_type": {"client_credentials"}, "scope": {tenantA}, "client_secret": {p.secret},
			"client_assertion_type": {ClientAssertionType}, "client_assertion": {p.assertion(nil)}}
		assertOAuthError(t, p.post(f.Encode()), 400, ErrCodeInvalidRequest)
		f.Del("client_secret")
		f.Set("client_assertion_type", "urn:other")
		assertOAuthError(t, p.post(f.Encode()), 401, ErrCodeInvalidClient)
		f.Set("client_assertion_type", ClientAssertionType)
		f.Set("client_id", "someone-else")
		assertOAuthError(t, p.post(f.Encode()), 401, ErrCodeInvalidClient)
	})
	t.Run("jwks_validation", func(t *testing.T) {
		e := newEnv(t, nil)
		for _, bad := range []string{`{}`, `{"keys":[]}`, `{"keys":[{"kty":"oct","kid":"a","k":"AAAA"}]}`,
			`{"keys":[{"kty":"EC","crv":"P-256","kid":"a","x":"AAAA","y":"AAAA"}]}`,
			`{"keys":[{"kty":"RSA","kid":"a","n":"AQAB","e":"AQAB"}]}`,
			`{"keys":[{"kty":"EC","crv":"P-256","kid":"a","x":"x","y":"y","d":"secret"}]}`} {
			err := e.srv.Registry().SetJWKS(context.Background(), e.clientID, []byte(bad), "t")
			assert.ErrorIs(t, err, ErrInvalidInput, "%s accepted: %v", bad, err)
		}
		w := e.admin("PUT", "/clients/"+e.clientID+"/jwks", "Bearer "+strings.Repeat("o", 40), `{"jwks":null}`)
		require.Equal(t, 200, w.Code, "remove jwks: %d %s", w.Code, w.Body)
	})
}
