package auth

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/golang-jwt/jwt/v5"
)

// TestAdversarialTokenProtocol covers cases 1-14 of the requirements' §6.
func TestAdversarialTokenProtocol(t *testing.T) {
	e := newEnv(t, nil)
	good := e.goodForm()

	t.Run("case01_GET_is_405", func(t *testing.T) {
		r := httptest.NewRequest(http.MethodGet, "/token?"+good.Encode(), nil)
		w := httptest.NewRecorder()
		e.srv.Issuer().ServeHTTP(w, r)
		assertOAuthError(t, w, 405, ErrCodeInvalidRequest)
		require.Equal(t, "POST", w.Header().Get("Allow"), "Allow = %q", w.Header().Get("Allow"))
	})
	t.Run("case02_JSON_body", func(t *testing.T) {
		w := e.post(`{"grant_type":"client_credentials"}`, func(r *http.Request) { r.Header.Set("Content-Type", "application/json") })
		assertOAuthError(t, w, 400, ErrCodeInvalidRequest)
	})
	t.Run("case03_multipart", func(t *testing.T) {
		var b strings.Builder
		mw := multipart.NewWriter(&b)
		for k, v := range good {
			_ = mw.WriteField(k, v[0])
		}
		_ = mw.Close()
		w := e.post(b.String(), func(r *http.Request) { r.Header.Set("Content-Type", mw.FormDataContentType()) })
		assertOAuthError(t, w, 400, ErrCodeInvalidRequest)
	})
	t.Run("case04_no_grant_type", func(t *testing.T) {
		f := e.goodForm()
		f.Del("grant_type")
		assertOAuthError(t, e.post(f.Encode()), 400, ErrCodeInvalidRequest)
	})
	t.Run("case05_hyphen_grant_type_strict", func(t *testing.T) {
		f := e.goodForm()
		f.Del("grant_type")
		f.Set("grant-type", "client_credentials")
		assertOAuthError(t, e.post(f.Encode()), 400, ErrCodeInvalidRequest)
	})
	t.Run("case05_hyphen_grant_type_compat_logged", func(t *testing.T) {
		c := newEnv(t, func(c *Config) { c.AllowHyphenGrantType = true })
		f := c.goodForm()
		f.Del("grant_type")
		f.Set("grant-type", "client_credentials")
		w := c.post(f.Encode())
		require.Equal(t, 200, w.Code, "compat: %d %s", w.Code, w.Body)
		require.Contains(t, c.logs.String(), string(EventCompatGrantType), "compat use not logged")
	})
	t.Run("case06_other_grants", func(t *testing.T) {
		for _, g := range []string{"password", "authorization_code"} {
			f := e.goodForm()
			f.Set("grant_type", g)
			assertOAuthError(t, e.post(f.Encode()), 400, ErrCodeUnsupportedGrantType)
		}
	})
	t.Run("case07_grant_type_twice", func(t *testing.T) {
		assertOAuthError(t, e.post(good.Encode()+"&grant_type=client_credentials"), 400, ErrCodeInvalidRequest)
	})
	t.Run("case08_scope_twice", func(t *testing.T) {
		assertOAuthError(t, e.post(good.Encode()+"&scope="+tenantA), 400, ErrCodeInvalidRequest)
	})
	t.Run("case09_secret_in_query", func(t *testing.T) {
		w := e.post(good.Encode(), func(r *http.Request) { r.URL.RawQuery = "client_secret=" + e.secret })
		assertOAuthError(t, w, 400, ErrCodeInvalidRequest)
		require.NotContains(t, e.logs.String(), e.secret, "secret from the URL reached the logs")
	})
	t.Run("case10_basic_and_body_secret", func(t *testing.T) {
		assertOAuthError(t, e.post(good.Encode(), withBasic(e.clientID, e.secret)), 400, ErrCodeInvalidRequest)
	})
	t.Run("case11_empty_scope", func(t *testing.T) {
		f := e.goodForm()
		f.Set("scope", "")
		assertOAuthError(t, e.post(f.Encode()), 400, ErrCodeInvalidScope)
	})
	t.Run("case12_unknown_param_ignored", func(t *testing.T) {
		w := e.post(good.Encode() + "&foo=bar")
		require.Equal(t, 200, w.Code, "%d %s", w.Code, w.Body)
	})
	t.Run("case13_1MiB_body_bounded", func(t *testing.T) {
		body := &countingReader{r: strings.NewReader(good.Encode() + "&pad=" + strings.Repeat("a", 1<<20))}
		r := httptest.NewRequest(http.MethodPost, "/token", body)
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		e.srv.Issuer().ServeHTTP(w, r)
		assertOAuthError(t, w, 400, ErrCodeInvalidRequest)
		require.False(t, body.n > e.srv.Config().MaxBodyBytes+64<<10, "read %d bytes of a 1 MiB body", body.n)
	})
	t.Run("case14_charset_utf8", func(t *testing.T) {
		w := e.post(good.Encode(), func(r *http.Request) {
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8")
		})
		require.Equal(t, 200, w.Code, "%d %s", w.Code, w.Body)
	})
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// TestAdversarialClientAuthentication covers cases 15-29.
func TestAdversarialClientAuthentication(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	form := func(id, secret string) string {
		f := e.goodForm()
		f.Set("client_id", id)
		f.Set("client_secret", secret)
		return f.Encode()
	}
	basicForm := url.Values{"grant_type": {"client_credentials"}, "scope": {tenantA}}.Encode()
	wrong, _ := newSecret()

	t.Run("case15_unknown_client_identical_to_wrong_secret", func(t *testing.T) {
		a := e.post(form("nobody", wrong))
		b := e.post(form(e.clientID, wrong))
		assertOAuthError(t, a, 401, ErrCodeInvalidClient)
		require.Equal(t, b.Body.String(), a.Body.String(), "distinguishable:\n%v %s\n%v %s", a.Header(), a.Body, b.Header(), b.Body)
		require.Equal(t, fmt.Sprint(b.Header()), fmt.Sprint(a.Header()), "distinguishable:\n%v %s\n%v %s", a.Header(), a.Body, b.Header(), b.Body)
		require.Equal(t, b.Code, a.Code, "distinguishable:\n%v %s\n%v %s", a.Header(), a.Body, b.Header(), b.Body)
	})
	t.Run("case16_wrong_secret_basic", func(t *testing.T) {
		assertOAuthError(t, e.post(basicForm, withBasic(e.clientID, wrong)), 401, ErrCodeInvalidClient)
	})
	t.Run("case17_wrong_secret_post", func(t *testing.T) {
		assertOAuthError(t, e.post(form(e.clientID, wrong)), 401, ErrCodeInvalidClient)
	})
	t.Run("case18_appended_bytes", func(t *testing.T) {
		assertOAuthError(t, e.post(form(e.clientID, e.secret+"0123456789")), 401, ErrCodeInvalidClient)
	})
	t.Run("case19_trailing_whitespace", func(t *testing.T) {
		assertOAuthError(t, e.post(form(e.clientID, e.secret+"\n")), 401, ErrCodeInvalidClient)
		assertOAuthError(t, e.post(form(e.clientID, e.secret+" ")), 401, ErrCodeInvalidClient)
	})
	t.Run("case20_empty_secret", func(t *testing.T) {
		assertOAuthError(t, e.post(form(e.clientID, "")), 401, ErrCodeInvalidClient)
		f := e.goodForm()
		f.Del("client_secret")
		assertOAuthError(t, e.post(f.Encode()), 401, ErrCodeInvalidClient)
	})
	t.Run("case21_basic_encoded_and_raw", func(t *testing.T) {
		w := e.post(basicForm, withBasic(e.clientID, e.secret))
		require.Equal(t, 200, w.Code, "x/oauth2-style Basic: %d %s", w.Code, w.Body)
		raw := func(r *http.Request) { r.SetBasicAuth(e.clientID, e.secret) }
		w = e.post(basicForm, raw)
		require.Equal(t, 200, w.Code, "raw Basic: %d %s", w.Code, w.Body)
		var pct strings.Builder
		for _, c := range []byte(e.secret) {
			fmt.Fprintf(&pct, "%%%02X", c)
		}
		allEncoded := func(r *http.Request) { r.SetBasicAuth(e.clientID, pct.String()) }
		w = e.post(basicForm, allEncoded)
		require.Equal(t, 200, w.Code, "fully percent-encoded Basic: %d %s", w.Code, w.Body)
	})
	t.Run("case22_bad_escape_and_bad_base64", func(t *testing.T) {
		esc := func(r *http.Request) { r.SetBasicAuth(e.clientID, "abc%zz") }
		assertOAuthError(t, e.post(basicForm, esc), 400, ErrCodeInvalidRequest)
		b64 := func(r *http.Request) { r.Header.Set("Authorization", "Basic !!!not-base64***") }
		assertOAuthError(t, e.post(basicForm, b64), 401, ErrCodeInvalidClient)
		noColon := func(r *http.Request) {
			r.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("nocolon")))
		}
		assertOAuthError(t, e.post(basicForm, noColon), 401, ErrCodeInvalidClient)
	})
	t.Run("oversized_authorization", func(t *testing.T) {
		huge := func(r *http.Request) { r.Header.Set("Authorization", "Basic "+strings.Repeat("QUFB", 64<<10)) }
		assertOAuthError(t, e.post(basicForm, huge), 400, ErrCodeInvalidRequest)
	})
	t.Run("empty_params_count_as_omitted", func(t *testing.T) {
		// RFC 6749 §3.2: client_secret= and client_id= next to Basic are not
		// a second method.
		w := e.post(basicForm+"&client_secret=&client_id=", withBasic(e.clientID, e.secret))
		require.Equal(t, 200, w.Code, "%d %s", w.Code, w.Body)
	})
	t.Run("case23_lower_case_basic", func(t *testing.T) {
		lc := func(r *http.Request) {
			r.Header.Set("Authorization", "basic "+base64.StdEncoding.EncodeToString([]byte(e.clientID+":"+e.secret)))
		}
		w := e.post(basicForm, lc)
		require.Equal(t, 200, w.Code, "%d %s", w.Code, w.Body)
	})
	t.Run("case24_expired_and_revoked", func(t *testing.T) {
		x := newEnv(t, nil)
		plain, si, err := x.srv.Registry().AddSecret(ctx, x.clientID, time.Hour, "test")
		require.NoError(t, err)
		f := x.goodForm()
		f.Set("client_secret", plain)
		w := x.post(f.Encode())
		require.Equal(t, 200, w.Code, "fresh secret: %d", w.Code)
		x.clock.Advance(time.Hour)
		assertOAuthError(t, x.post(f.Encode()), 401, ErrCodeInvalidClient)
		_ = si

		// Revocation: immediate on the node that revoked, within
		// ClientCacheTTL on another node sharing the store.
		cfg := testConfig(x.clock, x.logs)
		node2, err := New(ctx, cfg, x.store)
		require.NoError(t, err)
		post2 := func() int {
			r := httptest.NewRequest(http.MethodPost, "/token", strings.NewReader(x.goodForm().Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			w := httptest.NewRecorder()
			node2.Issuer().ServeHTTP(w, r)
			return w.Code
		}
		c := post2()
		require.EqualValues(t, 200, c, "node2 before revoke: %d", c)
		id, _ := ParseSecret(x.secret)
		require.NoError(t, x.srv.Registry().RevokeSecret(ctx, x.clientID, id, "test"))
		assertOAuthError(t, x.post(x.goodForm().Encode()), 401, ErrCodeInvalidClient)
		c = post2()
		require.EqualValues(t, 200, c, "node2 inside cache TTL: %d (the stated bound allows the old answer)", c)
		x.clock.Advance(node2.Config().ClientCacheTTL + time.Second)
		c = post2()
		require.EqualValues(t, 401, c, "node2 after ClientCacheTTL: %d", c)
	})
	t.Run("case25_rotation", func(t *testing.T) {
		x := newEnv(t, nil)
		reg := x.srv.Registry()
		newPlain, _, err := reg.AddSecret(ctx, x.clientID, 0, "test")
		require.NoError(t, err)
		oldForm, newForm := x.goodForm(), x.goodForm()
		newForm.Set("client_secret", newPlain)
		for _, f := range []url.Values{oldForm, newForm} {
			w := x.post(f.Encode())
			require.Equal(t, 200, w.Code, "both secrets must work: %d", w.Code)
		}
		_, _, err = reg.AddSecret(ctx, x.clientID, 0, "test")
		require.ErrorIs(t, err, ErrTooManySecrets, "third secret: %v", err)
		oldID, _ := ParseSecret(x.secret)
		require.NoError(t, reg.RevokeSecret(ctx, x.clientID, oldID, "test"))
		assertOAuthError(t, x.post(oldForm.Encode()), 401, ErrCodeInvalidClient)
		w := x.post(newForm.Encode())
		require.Equal(t, 200, w.Code, "new secret after revoke: %d", w.Code)
		_, _, err = reg.AddSecret(ctx, x.clientID, 0, "test")
		require.NoError(t, err)
	})
	t.Run("case26_disabled_client", func(t *testing.T) {
		x := newEnv(t, nil)
		require.NoError(t, x.srv.Registry().SetDisabled(ctx, x.clientID, true, "test"))
		assertOAuthError(t, x.post(x.goodForm().Encode()), 401, ErrCodeInvalidClient)
	})
	t.Run("case27_no_client_credentials_grant", func(t *testing.T) {
		ci, secret, err := e.srv.Registry().CreateClient(ctx, NewClient{ID: "nogrant", Tenants: []string{tenantA}, NoClientCredentials: true}, "test")
		require.NoError(t, err)
		assertOAuthError(t, e.post(form(ci.ID, secret)), 400, ErrCodeUnauthorizedClient)
	})
	t.Run("case28_list_hides_hashes_and_secret_format", func(t *testing.T) {
		x := newEnv(t, nil)
		plain, _, err := x.srv.Registry().AddSecret(ctx, x.clientID, 0, "test")
		require.NoError(t, err)
		require.True(t, regexp.MustCompile(`^fhcs_[A-Za-z0-9_-]+$`).MatchString(plain), "format: %q", plain)
		raw, err := base64.RawURLEncoding.DecodeString(plain[len(plain)-secretBodyLen:])
		require.NoError(t, err)
		require.False(t, len(raw)*8 < 256, "random part: %d bits, %v", len(raw)*8, err)
		list, err := x.srv.Registry().ListSecrets(ctx, x.clientID)
		require.NoError(t, err)
		require.EqualValues(t, 2, len(list), "list: %v %v", list, err)
		js := fmt.Sprintf("%+v", list)
		c, _ := x.mem.GetClient(ctx, x.clientID)
		for _, rec := range c.Secrets {
			require.NotContains(t, js, fmt.Sprint(rec.Hash), "hash in listing")
			require.NotContains(t, js, b64(rec.Hash), "hash in listing")
		}
		require.NotContains(t, js, plain, "plaintext in listing")
		require.NotContains(t, js, x.secret, "plaintext in listing")
	})
	t.Run("case29_failed_auth_rate_limit_no_lockout", func(t *testing.T) {
		x := newEnv(t, nil)
		var limited *httptest.ResponseRecorder
		for i := 0; i < 60; i++ {
			x.clock.Advance(10 * time.Second / 60)
			w := x.post(form(x.clientID, wrong))
			if w.Code == 429 {
				limited = w
			}
		}
		require.NotNil(t, limited, "never limited")
		assertOAuthError(t, limited, 429, ErrCodeTemporarilyUnavailable)
		ra := limited.Header().Get("Retry-After")
		require.NotEqual(t, "", ra, "Retry-After %q", ra)
		require.NotEqual(t, "0", ra, "Retry-After %q", ra)
		// The real client from another IP is not locked out.
		w := x.post(x.goodForm().Encode(), func(r *http.Request) { r.RemoteAddr = "198.51.100.7:5000" })
		require.Equal(t, 200, w.Code, "real client locked out: %d", w.Code)
	})
}

// TestAdversarialScope covers cases 30-34.
func TestAdversarialScope(t *testing.T) {
	e := newEnv(t, nil)
	scope := func(s string) *httptest.ResponseRecorder {
		f := e.goodForm()
		f.Set("scope", s)
		return e.post(f.Encode())
	}
	t.Run("case30_not_a_guid", func(t *testing.T) {
		assertOAuthError(t, scope("openid"), 400, ErrCodeInvalidScope)
		assertOAuthError(t, scope("c0ffee00-1111-2222-3333-44445555666"), 400, ErrCodeInvalidScope)
	})
	t.Run("case31_tenant_not_mapped", func(t *testing.T) {
		assertOAuthError(t, scope(tenantB), 400, ErrCodeInvalidScope)
	})
	t.Run("case32_no_partial_grant", func(t *testing.T) {
		assertOAuthError(t, scope(tenantA+" "+tenantB), 400, ErrCodeInvalidScope)
		assertOAuthError(t, scope(tenantA+" system/Patient.read"), 400, ErrCodeInvalidScope)
	})
	t.Run("case33_upper_case_guid", func(t *testing.T) {
		w := scope(strings.ToUpper(tenantA))
		require.Equal(t, 200, w.Code, "%d %s", w.Code, w.Body)
		var tr TokenResponse
		require.NoError(t, jsonUnmarshal(w.Body.Bytes(), &tr))
		require.Equal(t, tenantA, tr.Scope, "response scope %q", tr.Scope)
		p, err := e.srv.Verifier().Verify(context.Background(), tr.AccessToken)
		require.NoError(t, err)
		require.Equal(t, tenantA, p.TenantID, "token scope: %+v %v", p, err)
		require.Equal(t, tenantA, p.Scopes[0], "token scope: %+v %v", p, err)
	})
	t.Run("case34_path_and_nul", func(t *testing.T) {
		for _, s := range []string{"../../etc", "a\x00b", tenantA + "\x00"} {
			w := scope(s)
			assertOAuthError(t, w, 400, ErrCodeInvalidScope)
			require.NotContains(t, w.Body.String(), "etc", "scope echoed: %s", w.Body)
			require.NotContains(t, w.Body.String(), "\x00", "scope echoed: %s", w.Body)
		}
	})
	t.Run("tenant_validator_hook", func(t *testing.T) {
		var refuse atomic.Bool
		x := newEnv(t, func(c *Config) {
			c.TenantValidator = func(_ context.Context, tenant string) error {
				if tenant == tenantA && refuse.Load() {
					return errors.New("tenant offboarded")
				}
				return nil
			}
		})
		w := x.post(x.goodForm().Encode())
		require.Equal(t, 200, w.Code, "before refusal: %d", w.Code)
		refuse.Store(true)
		assertOAuthError(t, x.post(x.goodForm().Encode()), 400, ErrCodeInvalidScope)
		err := x.srv.Registry().SetTenants(context.Background(), x.clientID, []string{tenantA}, "test")
		require.ErrorIs(t, err, ErrUnknownTenant, "mapping a refused tenant")
	})
	t.Run("extra_granted_scope", func(t *testing.T) {
		ci, secret, err := e.srv.Registry().CreateClient(context.Background(), NewClient{ID: "smart", Tenants: []string{tenantA}, Scopes: []string{"system/Patient.read"}}, "test")
		require.NoError(t, err)
		f := url.Values{"grant_type": {"client_credentials"}, "client_id": {ci.ID}, "client_secret": {secret}, "scope": {"system/Patient.read " + tenantA}}
		w := e.post(f.Encode())
		var tr TokenResponse
		require.NoError(t, jsonUnmarshal(w.Body.Bytes(), &tr))
		require.Equal(t, 200, w.Code, "%d %s", w.Code, w.Body)
		require.Equal(t, tenantA+" system/Patient.read", tr.Scope, "%d %s", w.Code, w.Body)
	})
}

// TestAdversarialTokenResponse covers cases 35-39.
func TestAdversarialTokenResponse(t *testing.T) {
	e := newEnv(t, nil)
	t.Run("case35_success_shape", func(t *testing.T) {
		w := e.post(e.goodForm().Encode())
		require.Equal(t, http.StatusOK, w.Code, "body %s", w.Body)
		assert.True(t, strings.HasPrefix(w.Header().Get("Content-Type"), "application/json"), w.Header().Get("Content-Type"))
		assert.Equal(t, "no-store", w.Header().Get("Cache-Control"))
		assert.Equal(t, "no-cache", w.Header().Get("Pragma"))
		var m map[string]any
		require.NoError(t, jsonUnmarshal(w.Body.Bytes(), &m))
		require.Equal(t, "Bearer", m["token_type"], "body %v", m)
		require.Equal(t, float64(300), m["expires_in"], "body %v", m)
		require.Equal(t, tenantA, m["scope"], "body %v", m)
		require.NotEqual(t, "", m["access_token"], "body %v", m)
		_, ok := m["refresh_token"]
		require.False(t, ok, "refresh_token issued")
		require.True(t, regexp.MustCompile(`"expires_in":300[,}]`).MatchString(w.Body.String()), "expires_in not an integer")
	})
	t.Run("case36_errors_no_store_fixed_codes", func(t *testing.T) {
		fixed := map[string]bool{ErrCodeInvalidRequest: true, ErrCodeInvalidClient: true, ErrCodeUnauthorizedClient: true,
			ErrCodeUnsupportedGrantType: true, ErrCodeInvalidScope: true, ErrCodeTemporarilyUnavailable: true, ErrCodeServerError: true}
		for _, body := range []string{"", "grant_type=x", "grant_type=client_credentials", "grant_type=client_credentials&client_id=a&client_secret=b", "%zz"} {
			w := e.post(body)
			var m map[string]string
			require.NoError(t, jsonUnmarshal(w.Body.Bytes(), &m))
			require.True(t, fixed[m["error"]], "%q -> %d %v %s", body, w.Code, w.Header(), w.Body)
			require.Equal(t, "no-store", w.Header().Get("Cache-Control"), "%q -> %d %v %s", body, w.Code, w.Header(), w.Body)
			require.Equal(t, "no-cache", w.Header().Get("Pragma"), "%q -> %d %v %s", body, w.Code, w.Header(), w.Body)
			require.NotContains(t, w.Body.String(), "goroutine", "internal detail in body")
			require.NotContains(t, w.Body.String(), ".go:", "internal detail in body")
		}
		// A failing store gives 503 without its text.
		x := newEnv(t, nil)
		x.srv.registry.store = failingClients{x.mem}
		w := x.post(x.goodForm().Encode(), func(r *http.Request) {})
		assertOAuthError(t, w, 503, ErrCodeTemporarilyUnavailable)
		require.NotContains(t, w.Body.String(), "database", "store error text leaked")
	})
	t.Run("case37_jwt_contents_and_unique_jti", func(t *testing.T) {
		tok := e.token()
		var claims AccessClaims
		parsed, _, err := jwt.NewParser().ParseUnverified(tok, &claims)
		require.NoError(t, err)
		require.Equal(t, "at+jwt", parsed.Header["typ"], "header %v", parsed.Header)
		require.Equal(t, "ES256", parsed.Header["alg"], "header %v", parsed.Header)
		var set JWKSet
		w := httptest.NewRecorder()
		e.srv.JWKS().ServeHTTP(w, httptest.NewRequest("GET", "/jwks", nil))
		require.NoError(t, jsonUnmarshal(w.Body.Bytes(), &set))
		found := false
		for _, k := range set.Keys {
			found = found || k.Kid == parsed.Header["kid"]
		}
		require.True(t, found, "kid not in JWKS")
		assert.Equal(t, issuer, claims.Issuer)
		assert.Equal(t, jwt.ClaimStrings{aud}, claims.Audience)
		assert.Equal(t, e.clientID, claims.Subject)
		assert.Equal(t, e.clientID, claims.ClientID)
		require.NotNil(t, claims.IssuedAt)
		assert.Equal(t, 300*time.Second, claims.ExpiresAt.Sub(claims.IssuedAt.Time))
		assert.NotEmpty(t, claims.ID)
		seen := make(map[string]bool, 10000)
		for range 10000 {
			seen[newJTI()] = true
		}
		for range 200 {
			_, mt, err := e.srv.Keys().mint(context.Background(), &e.srv.cfg, e.clientID, "", tenantA, nil, time.Minute, nil)
			require.NoError(t, err)
			seen[mt.jti] = true
		}
		require.EqualValues(t, 10200, len(seen), "jti collisions: %d distinct of 10200", len(seen))
	})
	t.Run("case38_x_oauth2_all_styles", func(t *testing.T) { testOAuth2Client(t) })
	t.Run("case39_jwks_public_only", func(t *testing.T) {
		for _, alg := range []string{AlgES256, AlgRS256, AlgEdDSA} {
			x := newEnv(t, func(c *Config) { c.Alg = alg })
			w := httptest.NewRecorder()
			x.srv.JWKS().ServeHTTP(w, httptest.NewRequest("GET", "/jwks", nil))
			var raw struct {
				Keys []map[string]any `json:"keys"`
			}
			require.NoError(t, jsonUnmarshal(w.Body.Bytes(), &raw))
			require.NotEqual(t, 0, len(raw.Keys), "empty JWKS")
			for _, k := range raw.Keys {
				for _, priv := range []string{"d", "p", "q", "dp", "dq", "qi"} {
					_, ok := k[priv]
					require.False(t, ok, "%s: private member %q", alg, priv)
				}
				require.NotEqual(t, "", k["kid"], "%s: %v", alg, k)
				require.Equal(t, alg, k["alg"], "%s: %v", alg, k)
				require.Equal(t, "sig", k["use"], "%s: %v", alg, k)
			}
			require.NotEqual(t, "", w.Header().Get("ETag"), "caching headers %v", w.Header())
			require.Contains(t, w.Header().Get("Cache-Control"), "max-age=", "caching headers %v", w.Header())
			_, err := x.srv.Verifier().Verify(context.Background(), x.token())
			require.NoError(t, err)
		}
	})
}

type failingClients struct{ *MemoryStore }

func (failingClients) GetClient(context.Context, string) (*Client, error) {
	return nil, fmt.Errorf("database connection refused: %w", ErrUnavailable)
}
