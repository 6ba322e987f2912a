package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/golang-jwt/jwt/v5"
)

// assertBearer checks status and the WWW-Authenticate challenge.
func assertBearer(t *testing.T, w *httptest.ResponseRecorder, status int, code string) {
	t.Helper()
	require.Equal(t, status, w.Code, "status %d, want %d (%s)", w.Code, status, w.Body)
	ch := w.Header().Get("WWW-Authenticate")
	require.True(t, strings.HasPrefix(ch, `Bearer realm="fhir"`), "challenge %q", ch)
	require.False(t, code == "" && strings.Contains(ch, "error="), "challenge must not carry an error: %q", ch)
	require.False(t, code != "" && !strings.Contains(ch, `error="`+code+`"`), "challenge %q, want error %q", ch, code)
}

// spyKeys counts key-store reads.
type spyKeys struct {
	*MemoryStore
	lists atomic.Int32
}

func (s *spyKeys) ListKeys(ctx context.Context) ([]KeyRecord, error) {
	s.lists.Add(1)
	return s.MemoryStore.ListKeys(ctx)
}

// failTransport fails the test if anything makes an outbound request.
type failTransport struct{ t *testing.T }

func (f failTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	f.t.Errorf("unexpected outbound request to %s", r.URL.Host)
	return nil, errors.New("no network in this test")
}

func TestAdversarialBearer(t *testing.T) {
	e := newEnv(t, nil)
	h := e.protected()
	tok := e.token()
	bearer := func(s string) string { return "Bearer " + s }

	t.Run("valid_token_reaches_handler", func(t *testing.T) {
		w := e.get(h, "/fhir/Patient", bearer(tok))
		require.Equal(t, 200, w.Code, "%d %s", w.Code, w.Body)
		require.Equal(t, tenantA, w.Body.String(), "%d %s", w.Code, w.Body)
	})
	t.Run("case40_no_authorization", func(t *testing.T) {
		assertBearer(t, e.get(h, "/fhir/Patient", ""), 401, "")
	})
	t.Run("case41_basic_scheme", func(t *testing.T) {
		assertBearer(t, e.get(h, "/fhir/Patient", "Basic "+base64.StdEncoding.EncodeToString([]byte("a:b"))), 401, "")
	})
	t.Run("case42_malformed_bearer", func(t *testing.T) {
		for _, a := range []string{"Bearer ", "Bearer", "Bearer  " + tok, `Bearer a"b`, "Bearer a,b", "Bearer a b", "Bearer a\tb"} {
			assertBearer(t, e.get(h, "/fhir/Patient", a), 400, ErrCodeInvalidRequest)
		}
		r := httptest.NewRequest("GET", "/fhir/Patient", nil)
		r.Header.Add("Authorization", bearer(tok))
		r.Header.Add("Authorization", bearer(tok))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		assertBearer(t, w, 400, ErrCodeInvalidRequest)
	})
	t.Run("case43_query_token", func(t *testing.T) {
		assertBearer(t, e.get(h, "/fhir/Patient?access_token="+tok, ""), 401, "")
		assertBearer(t, e.get(h, "/fhir/Patient?access_token="+tok, bearer(tok)), 400, ErrCodeInvalidRequest)
	})
	t.Run("case44_alg_none", func(t *testing.T) {
		_, kid, _ := e.signer()
		hdr := b64([]byte(`{"alg":"none","typ":"at+jwt","kid":"` + kid + `"}`))
		body, _ := json.Marshal(e.validClaims())
		none := hdr + "." + b64(body) + "."
		assertBearer(t, e.get(h, "/fhir/Patient", bearer(none)), 401, ErrCodeInvalidToken)
		// and with a non-empty junk signature
		assertBearer(t, e.get(h, "/fhir/Patient", bearer(none+"AAAA")), 401, ErrCodeInvalidToken)
	})
	t.Run("case45_hs256_with_public_key_bytes", func(t *testing.T) {
		priv, kid, _ := e.signer()
		der, _ := x509.MarshalPKIXPublicKey(priv.Public())
		for _, key := range [][]byte{der, []byte("-----BEGIN PUBLIC KEY-----\n" + base64.StdEncoding.EncodeToString(der) + "\n-----END PUBLIC KEY-----\n")} {
			tk := jwt.NewWithClaims(jwt.SigningMethodHS256, e.validClaims())
			tk.Header["typ"], tk.Header["kid"] = "at+jwt", kid
			s, err := tk.SignedString(key)
			require.NoError(t, err)
			assertBearer(t, e.get(h, "/fhir/Patient", bearer(s)), 401, ErrCodeInvalidToken)
		}
	})
	t.Run("case46_alg_relabelled", func(t *testing.T) {
		_, kid, _ := e.signer()
		rk, _ := rsa.GenerateKey(rand.Reader, 2048)
		tk := jwt.NewWithClaims(jwt.SigningMethodRS256, e.validClaims())
		tk.Header["typ"], tk.Header["kid"] = "at+jwt", kid
		s, _ := tk.SignedString(rk)
		assertBearer(t, e.get(h, "/fhir/Patient", bearer(s)), 401, ErrCodeInvalidToken)
		// A valid ES256 token with its header re-labelled ES384.
		parts := strings.Split(tok, ".")
		relabelled := b64([]byte(`{"alg":"ES384","kid":"`+kid+`","typ":"at+jwt"}`)) + "." + parts[1] + "." + parts[2]
		assertBearer(t, e.get(h, "/fhir/Patient", bearer(relabelled)), 401, ErrCodeInvalidToken)
	})
	t.Run("case47_kid_missing_unknown_injection", func(t *testing.T) {
		spy := &spyKeys{MemoryStore: e.mem}
		v := e.verifierOver(spy)
		for _, kid := range []any{nil, "", "no-such-kid", "../../etc/passwd", "' OR 1=1--", 42} {
			s := e.forge(e.validClaims(), map[string]any{"kid": kid})
			if kid == nil {
				s = e.forge(e.validClaims(), map[string]any{"kid": nil})
			}
			before := spy.lists.Load()
			_, err := v.Verify(context.Background(), s)
			require.ErrorIs(t, err, ErrInvalidToken, "kid %v accepted: %v", kid, err)
			require.False(t, kid != "no-such-kid" && spy.lists.Load() != before, "kid %v reached the store", kid)
		}
	})
	t.Run("case48_key_carrying_headers_no_fetch", func(t *testing.T) {
		old := http.DefaultTransport
		http.DefaultTransport = failTransport{t}
		defer func() { http.DefaultTransport = old }()
		attacker, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		aj, _ := publicJWK(attacker.Public(), AlgES256)
		certDER := []byte("not-a-cert")
		for name, hdr := range map[string]map[string]any{
			"jku": {"jku": "https://attacker.example/jwks.json"},
			"x5u": {"x5u": "https://attacker.example/cert.pem"},
			"x5c": {"x5c": []string{base64.StdEncoding.EncodeToString(certDER)}},
		} {
			assertBearer(t, e.get(h, "/fhir/Patient", bearer(e.forge(e.validClaims(), hdr))), 401, ErrCodeInvalidToken)
			_ = name
		}
		// A token signed by the attacker's key, which it embeds as jwk.
		tk := jwt.NewWithClaims(jwt.SigningMethodES256, e.validClaims())
		tk.Header["typ"], tk.Header["jwk"] = "at+jwt", aj
		s, _ := tk.SignedString(attacker)
		assertBearer(t, e.get(h, "/fhir/Patient", bearer(s)), 401, ErrCodeInvalidToken)
	})
	t.Run("case49_crit", func(t *testing.T) {
		assertBearer(t, e.get(h, "/fhir/Patient", bearer(e.forge(e.validClaims(), map[string]any{"crit": []string{"exp"}}))), 401, ErrCodeInvalidToken)
	})
	t.Run("case50_typ", func(t *testing.T) {
		for _, typ := range []any{nil, "JWT", "id_token+jwt"} {
			assertBearer(t, e.get(h, "/fhir/Patient", bearer(e.forge(e.validClaims(), map[string]any{"typ": typ}))), 401, ErrCodeInvalidToken)
		}
		assert.Equal(t, http.StatusOK, e.get(h, "/fhir/Patient", bearer(e.forge(e.validClaims(), map[string]any{"typ": "application/at+jwt"}))).Code, "application/at+jwt")
	})
	t.Run("case51_exp", func(t *testing.T) {
		now := e.clock.Now().Unix()
		c := e.validClaims()
		c["iat"], c["nbf"], c["exp"] = now-330, now-330, now-30
		w := e.get(h, "/", bearer(e.forge(c, nil)))
		require.Equal(t, 200, w.Code, "exp-30s within 60s leeway: %d", w.Code)
		c["exp"] = now - 61
		assertBearer(t, e.get(h, "/", bearer(e.forge(c, nil))), 401, ErrCodeInvalidToken)
		for _, exp := range []any{nil, 0, "soon", "9999999999"} {
			c := e.validClaims()
			if exp == nil {
				delete(c, "exp")
			} else {
				c["exp"] = exp
			}
			assertBearer(t, e.get(h, "/", bearer(e.forge(c, nil))), 401, ErrCodeInvalidToken)
		}
		c = e.validClaims()
		c["exp"] = now + 3601 // longer than MaxTokenTTL
		assertBearer(t, e.get(h, "/", bearer(e.forge(c, nil))), 401, ErrCodeInvalidToken)
	})
	t.Run("case52_iat_nbf_future", func(t *testing.T) {
		now := e.clock.Now().Unix()
		for _, claim := range []string{"iat", "nbf"} {
			c := e.validClaims()
			c[claim] = now + 61
			assertBearer(t, e.get(h, "/", bearer(e.forge(c, nil))), 401, ErrCodeInvalidToken)
		}
		c := e.validClaims()
		delete(c, "iat")
		assertBearer(t, e.get(h, "/", bearer(e.forge(c, nil))), 401, ErrCodeInvalidToken)
	})
	t.Run("case53_iss_aud", func(t *testing.T) {
		for _, mod := range []func(jwt.MapClaims){
			func(c jwt.MapClaims) { c["iss"] = issuer + "/" },
			func(c jwt.MapClaims) { c["aud"] = "https://other.example/fhir" },
			func(c jwt.MapClaims) { delete(c, "aud") },
			func(c jwt.MapClaims) { c["aud"] = []string{} },
		} {
			c := e.validClaims()
			mod(c)
			assertBearer(t, e.get(h, "/", bearer(e.forge(c, nil))), 401, ErrCodeInvalidToken)
		}
		c := e.validClaims()
		c["aud"] = []string{"https://other.example", aud}
		w := e.get(h, "/", bearer(e.forge(c, nil)))
		require.Equal(t, 200, w.Code, "aud array containing ours: %d", w.Code)
	})
	t.Run("case54_tampered_payload", func(t *testing.T) {
		parts := strings.Split(tok, ".")
		payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
		payload = []byte(strings.ReplaceAll(string(payload), tenantA, tenantB))
		forged := parts[0] + "." + b64(payload) + "." + parts[2]
		assertBearer(t, e.get(h, "/", bearer(forged)), 401, ErrCodeInvalidToken)
	})
	t.Run("case55_other_tenant_route", func(t *testing.T) {
		vc := e.srv.VerifierConfig()
		vc.TenantFromRequest = func(r *http.Request) (string, bool) { return r.PathValue("tenant"), true }
		v, err := NewVerifier(vc)
		require.NoError(t, err)
		var reached atomic.Int32
		mux := http.NewServeMux()
		mux.Handle("/t/{tenant}/Patient", v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached.Add(1) })))
		w := e.get(mux, "/t/"+tenantB+"/Patient", bearer(tok))
		assertBearer(t, w, 403, ErrCodeInsufficientScope)
		require.Contains(t, w.Header().Get("WWW-Authenticate"), `scope="`+tenantB+`"`, "%v reached=%d", w.Header(), reached.Load())
		require.EqualValues(t, 0, reached.Load(), "%v reached=%d", w.Header(), reached.Load())
		w = e.get(mux, "/t/"+strings.ToUpper(tenantA)+"/Patient", bearer(tok))
		require.Equal(t, 200, w.Code, "own tenant: %d", w.Code)
		require.EqualValues(t, 1, reached.Load(), "own tenant: %d", w.Code)
	})
	t.Run("case56_scope_tid_disagree", func(t *testing.T) {
		for _, mod := range []func(jwt.MapClaims){
			func(c jwt.MapClaims) { c["tid"] = tenantB },
			func(c jwt.MapClaims) { delete(c, "tid") },
			func(c jwt.MapClaims) { c["scope"] = tenantA + " " + tenantB },
			func(c jwt.MapClaims) { c["scope"] = strings.ToUpper(tenantA) },
		} {
			c := e.validClaims()
			mod(c)
			assertBearer(t, e.get(h, "/", bearer(e.forge(c, nil))), 401, ErrCodeInvalidToken)
		}
	})
	t.Run("case57_expired_and_badly_signed", func(t *testing.T) {
		c := e.validClaims()
		c["exp"] = e.clock.Now().Unix() - 3600
		c["iat"] = e.clock.Now().Unix() - 3900
		s := e.forge(c, nil)
		bad := s[:len(s)-4] + "AAAA"
		_, err := e.srv.Verifier().Verify(context.Background(), bad)
		require.ErrorIs(t, err, ErrInvalidToken, err)
		assertBearer(t, e.get(h, "/", bearer(bad)), 401, ErrCodeInvalidToken)
	})
	t.Run("case58_huge_inputs", func(t *testing.T) {
		for _, a := range []string{bearer(strings.Repeat("A", 100<<10)), bearer(strings.Repeat(".", 100000))} {
			w := e.get(h, "/", a)
			require.False(t, w.Code != 400 && w.Code != 401, "%d", w.Code)
		}
		allocs := testing.AllocsPerRun(20, func() {
			_, _ = e.srv.Verifier().Verify(context.Background(), strings.Repeat(".", 3000))
		})
		require.False(t, allocs > 10, "%v allocations for a dots-only token", allocs)
	})
	t.Run("case59_key_retire_remove_and_kid_flood", func(t *testing.T) {
		x := newEnv(t, nil)
		ctx := context.Background()
		old := x.token()
		_, oldKid, _ := x.signer()
		_, err := x.srv.Keys().Rotate(ctx)
		require.NoError(t, err)
		_, err = x.srv.Verifier().Verify(ctx, old)
		require.NoError(t, err)
		_, err = x.srv.Verifier().Verify(ctx, x.token())
		require.NoError(t, err)
		require.NoError(t, x.srv.Keys().Remove(ctx, oldKid))
		_, err = x.srv.Verifier().Verify(ctx, old)
		require.ErrorIs(t, err, ErrInvalidToken, "removed key still verifies: %v", err)
		spy := &spyKeys{MemoryStore: x.mem}
		v := x.verifierOver(spy)
		for i := range 200 {
			s := x.forge(x.validClaims(), map[string]any{"kid": "unknown" + string(rune('a'+i%26))})
			_, _ = v.Verify(ctx, s)
		}
		// The first load and at most one forced refresh.
		require.LessOrEqual(t, spy.lists.Load(), int32(2), "key-store reads for an unknown-kid flood")
		x.clock.Advance(6 * time.Second)
		_, _ = v.Verify(ctx, x.forge(x.validClaims(), map[string]any{"kid": "another"}))
		n := spy.lists.Load()
		require.False(t, n > 3, "%d reads after the interval", n)
	})
	t.Run("case60_revoked_jti", func(t *testing.T) {
		x := newEnv(t, func(c *Config) { c.DenyList = true })
		s := x.token()
		p, err := x.srv.Verifier().Verify(context.Background(), s)
		require.NoError(t, err)
		require.NoError(t, x.srv.RevokeToken(context.Background(), p.JTI, p.ExpiresAt))
		assertBearer(t, x.get(x.protected(), "/", bearer(s)), 401, ErrCodeInvalidToken)
	})
	t.Run("case60_revoked_secret_revokes_its_tokens", func(t *testing.T) {
		x := newEnv(t, func(c *Config) { c.RevokeTokensOnSecretRevoke = true })
		ctx := context.Background()
		s := x.token()
		plain, _, _ := x.srv.Registry().AddSecret(ctx, x.clientID, 0, "test")
		f := x.goodForm()
		f.Set("client_secret", plain)
		var other TokenResponse
		require.NoError(t, jsonUnmarshal(x.post(f.Encode()).Body.Bytes(), &other))
		id, _ := ParseSecret(x.secret)
		require.NoError(t, x.srv.Registry().RevokeSecret(ctx, x.clientID, id, "test"))
		assertBearer(t, x.get(x.protected(), "/", bearer(s)), 401, ErrCodeInvalidToken)
		w := x.get(x.protected(), "/", bearer(other.AccessToken))
		require.Equal(t, 200, w.Code, "token of the other secret: %d", w.Code)
	})
	t.Run("case61_discovery_public_and_consistent", func(t *testing.T) {
		hd := e.srv.Handler()
		ep := e.srv.Endpoints()
		var meta AuthorizationServerMetadata
		w := e.get(hd, ep.Metadata, "")
		require.Equal(t, 200, w.Code, "metadata %d", w.Code)
		require.NoError(t, jsonUnmarshal(w.Body.Bytes(), &meta))
		var smart SMARTConfiguration
		w = httptest.NewRecorder()
		e.srv.SMARTConfiguration().ServeHTTP(w, httptest.NewRequest("GET", "/.well-known/smart-configuration", nil))
		require.NoError(t, jsonUnmarshal(w.Body.Bytes(), &smart))
		require.Equal(t, ep.Token, meta.TokenEndpoint, "disagree: %+v %+v %+v", meta, smart, ep)
		require.Equal(t, ep.Token, smart.TokenEndpoint, "disagree: %+v %+v %+v", meta, smart, ep)
		require.Equal(t, issuer, meta.Issuer, "disagree: %+v %+v %+v", meta, smart, ep)
		require.Equal(t, ep.JWKS, meta.JWKSURI, "disagree: %+v %+v %+v", meta, smart, ep)
		require.EqualValues(t, 1, len(meta.GrantTypesSupported), "metadata %+v", meta)
		require.Equal(t, "client_credentials", meta.GrantTypesSupported[0], "metadata %+v", meta)
		require.NotNil(t, meta.ResponseTypesSupported, "metadata %+v", meta)
		// The token endpoint is really served at the advertised URL.
		r := httptest.NewRequest("POST", ep.Token, strings.NewReader(e.goodForm().Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w = httptest.NewRecorder()
		hd.ServeHTTP(w, r)
		require.Equal(t, 200, w.Code, "token at %s: %d", ep.Token, w.Code)
		w = e.get(hd, ep.JWKS, "")
		require.Equal(t, 200, w.Code, "jwks %d", w.Code)
	})
}

// verifierOver builds a verifier whose keys come from a separate key
// manager over ks (as another node would).
func (e *env) verifierOver(ks KeyStore) *Verifier {
	cfg := e.srv.cfg
	sealer, _ := NewSealer(cfg.SealKey)
	km := newKeyManager(&cfg, ks, sealer, cfg.Auditor)
	vc := e.srv.VerifierConfig()
	vc.Keys = km
	v, err := NewVerifier(vc)
	require.NoError(e.t, err)
	return v
}

func TestVerifiedTokenCache(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	v := e.srv.Verifier()
	tok := e.token()
	p1, err := v.Verify(ctx, tok)
	require.NoError(t, err)
	p1.Scopes[0], p1.ClientID = "mutated", "mutated" // callers get copies
	p2, err := v.Verify(ctx, tok)
	require.NoError(t, err)
	require.Equal(t, e.clientID, p2.ClientID, "cached principal: %+v %v", p2, err)
	require.Equal(t, tenantA, p2.Scopes[0], "cached principal: %+v %v", p2, err)
	require.EqualValues(t, 1, v.cache.len(), "cache holds %d entries", v.cache.len())
	// Forgeries never enter the cache.
	for range 10 {
		_, _ = v.Verify(ctx, tok[:len(tok)-2]+"AA")
	}
	require.EqualValues(t, 1, v.cache.len(), "cache holds %d entries after forgeries", v.cache.len())
	// Expiry is checked on every hit (exp 300s + leeway 60s).
	e.clock.Advance(359 * time.Second)
	_, err = v.Verify(ctx, tok)
	require.NoError(t, err)
	e.clock.Advance(2 * time.Second)
	_, err = v.Verify(ctx, tok)
	require.ErrorIs(t, err, ErrInvalidToken, "expired cached token accepted: %v", err)
	// Bounded.
	vc := e.srv.VerifierConfig()
	vc.CacheSize = 3
	small, _ := NewVerifier(vc)
	for range 10 {
		_, err := small.Verify(ctx, e.token())
		require.NoError(t, err)
	}
	n := small.cache.len()
	require.False(t, n > 3, "cache grew to %d", n)
	vc.CacheSize = -1
	off, _ := NewVerifier(vc)
	_, err = off.Verify(ctx, e.token())
	require.NoError(t, err)
	require.Nil(t, off.cache, "disabled cache: %v", err)
}

// TestIssuerSeedsVerifierCache: the server's verifier (and variants with the
// same rules) knows a freshly minted token without verifying its signature,
// yields the same principal as a full verification, and a variant with
// other rules does not share the cache.
func TestIssuerSeedsVerifierCache(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	before := e.srv.Verifier().cache.len()
	tok := e.token()
	require.Equal(t, before+1, e.srv.Verifier().cache.len(), "issuance did not seed the cache")
	seeded, err := e.srv.Verifier().Verify(ctx, tok)
	require.NoError(t, err)
	vc := e.srv.VerifierConfig()
	vc.CacheSize = -1
	cold, _ := NewVerifier(vc)
	full, err := cold.Verify(ctx, tok)
	require.NoError(t, err)
	require.Equal(t, fmt.Sprintf("%+v", full), fmt.Sprintf("%+v", seeded), "seeded %+v\nfull   %+v", seeded, full)
	// Same rules: shared cache. Other audience: own cache, token refused.
	vc = e.srv.VerifierConfig()
	variant, _ := NewVerifier(vc)
	require.Equal(t, e.srv.Verifier().cache, variant.cache, "variant with the same rules does not share the cache")
	vc.Audience = "https://fhir.example.test/dstu2"
	other, _ := NewVerifier(vc)
	require.NotEqual(t, e.srv.Verifier().cache, other.cache, "variant with another audience shares the cache")
	_, err = other.Verify(ctx, tok)
	require.ErrorIs(t, err, ErrInvalidToken, "token for another audience accepted: %v", err)
}

// countingDeny counts deny-list lookups.
type countingDeny struct {
	DenyList
	n atomic.Int32
}

func (c *countingDeny) IsDenied(ctx context.Context, key string, now time.Time) (bool, error) {
	c.n.Add(1)
	return c.DenyList.IsDenied(ctx, key, now)
}

func TestDenyListLookupsPerRequest(t *testing.T) {
	for _, tc := range []struct {
		secretRevocation bool
		want             int32
	}{{false, 1}, {true, 2}} {
		e := newEnv(t, func(c *Config) { c.DenyList, c.RevokeTokensOnSecretRevoke = true, tc.secretRevocation })
		spy := &countingDeny{DenyList: e.mem}
		vc := e.srv.VerifierConfig()
		vc.DenyList, vc.CacheSize = spy, -1
		v, _ := NewVerifier(vc)
		_, err := v.Verify(context.Background(), e.token())
		require.NoError(t, err)
		require.Equal(t, tc.want, spy.n.Load(), "secret revocation %v: %d lookups, want %d", tc.secretRevocation, spy.n.Load(), tc.want)
	}
}
