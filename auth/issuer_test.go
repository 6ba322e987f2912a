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
		if w.Header().Get("Allow") != "POST" {
			t.Fatalf("Allow = %q", w.Header().Get("Allow"))
		}
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
		if w := c.post(f.Encode()); w.Code != 200 {
			t.Fatalf("compat: %d %s", w.Code, w.Body)
		}
		if !strings.Contains(c.logs.String(), string(EventCompatGrantType)) {
			t.Fatal("compat use not logged")
		}
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
		if strings.Contains(e.logs.String(), e.secret) {
			t.Fatal("secret from the URL reached the logs")
		}
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
		if w := e.post(good.Encode() + "&foo=bar"); w.Code != 200 {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
	})
	t.Run("case13_1MiB_body_bounded", func(t *testing.T) {
		body := &countingReader{r: strings.NewReader(good.Encode() + "&pad=" + strings.Repeat("a", 1<<20))}
		r := httptest.NewRequest(http.MethodPost, "/token", body)
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		e.srv.Issuer().ServeHTTP(w, r)
		assertOAuthError(t, w, 400, ErrCodeInvalidRequest)
		if body.n > e.srv.Config().MaxBodyBytes+64<<10 {
			t.Fatalf("read %d bytes of a 1 MiB body", body.n)
		}
	})
	t.Run("case14_charset_utf8", func(t *testing.T) {
		w := e.post(good.Encode(), func(r *http.Request) {
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8")
		})
		if w.Code != 200 {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
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
		if a.Body.String() != b.Body.String() || fmt.Sprint(a.Header()) != fmt.Sprint(b.Header()) || a.Code != b.Code {
			t.Fatalf("distinguishable:\n%v %s\n%v %s", a.Header(), a.Body, b.Header(), b.Body)
		}
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
		if w := e.post(basicForm, withBasic(e.clientID, e.secret)); w.Code != 200 {
			t.Fatalf("x/oauth2-style Basic: %d %s", w.Code, w.Body)
		}
		raw := func(r *http.Request) { r.SetBasicAuth(e.clientID, e.secret) }
		if w := e.post(basicForm, raw); w.Code != 200 {
			t.Fatalf("raw Basic: %d %s", w.Code, w.Body)
		}
		var pct strings.Builder
		for _, c := range []byte(e.secret) {
			fmt.Fprintf(&pct, "%%%02X", c)
		}
		allEncoded := func(r *http.Request) { r.SetBasicAuth(e.clientID, pct.String()) }
		if w := e.post(basicForm, allEncoded); w.Code != 200 {
			t.Fatalf("fully percent-encoded Basic: %d %s", w.Code, w.Body)
		}
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
		if w.Code != 200 {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
	})
	t.Run("case23_lower_case_basic", func(t *testing.T) {
		lc := func(r *http.Request) {
			r.Header.Set("Authorization", "basic "+base64.StdEncoding.EncodeToString([]byte(e.clientID+":"+e.secret)))
		}
		if w := e.post(basicForm, lc); w.Code != 200 {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
	})
	t.Run("case24_expired_and_revoked", func(t *testing.T) {
		x := newEnv(t, nil)
		plain, si, err := x.srv.Registry().AddSecret(ctx, x.clientID, time.Hour, "test")
		if err != nil {
			t.Fatal(err)
		}
		f := x.goodForm()
		f.Set("client_secret", plain)
		if w := x.post(f.Encode()); w.Code != 200 {
			t.Fatalf("fresh secret: %d", w.Code)
		}
		x.clock.Advance(time.Hour)
		assertOAuthError(t, x.post(f.Encode()), 401, ErrCodeInvalidClient)
		_ = si

		// Revocation: immediate on the node that revoked, within
		// ClientCacheTTL on another node sharing the store.
		cfg := testConfig(x.clock, x.logs)
		node2, err := New(ctx, cfg, x.store)
		if err != nil {
			t.Fatal(err)
		}
		post2 := func() int {
			r := httptest.NewRequest(http.MethodPost, "/token", strings.NewReader(x.goodForm().Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			w := httptest.NewRecorder()
			node2.Issuer().ServeHTTP(w, r)
			return w.Code
		}
		if c := post2(); c != 200 {
			t.Fatalf("node2 before revoke: %d", c)
		}
		id, _ := ParseSecret(x.secret)
		if err := x.srv.Registry().RevokeSecret(ctx, x.clientID, id, "test"); err != nil {
			t.Fatal(err)
		}
		assertOAuthError(t, x.post(x.goodForm().Encode()), 401, ErrCodeInvalidClient)
		if c := post2(); c != 200 {
			t.Fatalf("node2 inside cache TTL: %d (the stated bound allows the old answer)", c)
		}
		x.clock.Advance(node2.Config().ClientCacheTTL + time.Second)
		if c := post2(); c != 401 {
			t.Fatalf("node2 after ClientCacheTTL: %d", c)
		}
	})
	t.Run("case25_rotation", func(t *testing.T) {
		x := newEnv(t, nil)
		reg := x.srv.Registry()
		newPlain, _, err := reg.AddSecret(ctx, x.clientID, 0, "test")
		if err != nil {
			t.Fatal(err)
		}
		oldForm, newForm := x.goodForm(), x.goodForm()
		newForm.Set("client_secret", newPlain)
		for _, f := range []url.Values{oldForm, newForm} {
			if w := x.post(f.Encode()); w.Code != 200 {
				t.Fatalf("both secrets must work: %d", w.Code)
			}
		}
		if _, _, err := reg.AddSecret(ctx, x.clientID, 0, "test"); !errors.Is(err, ErrTooManySecrets) {
			t.Fatalf("third secret: %v", err)
		}
		oldID, _ := ParseSecret(x.secret)
		if err := reg.RevokeSecret(ctx, x.clientID, oldID, "test"); err != nil {
			t.Fatal(err)
		}
		assertOAuthError(t, x.post(oldForm.Encode()), 401, ErrCodeInvalidClient)
		if w := x.post(newForm.Encode()); w.Code != 200 {
			t.Fatalf("new secret after revoke: %d", w.Code)
		}
		if _, _, err := reg.AddSecret(ctx, x.clientID, 0, "test"); err != nil {
			t.Fatalf("a slot is free again after revoke: %v", err)
		}
	})
	t.Run("case26_disabled_client", func(t *testing.T) {
		x := newEnv(t, nil)
		if err := x.srv.Registry().SetDisabled(ctx, x.clientID, true, "test"); err != nil {
			t.Fatal(err)
		}
		assertOAuthError(t, x.post(x.goodForm().Encode()), 401, ErrCodeInvalidClient)
	})
	t.Run("case27_no_client_credentials_grant", func(t *testing.T) {
		ci, secret, err := e.srv.Registry().CreateClient(ctx, NewClient{ID: "nogrant", Tenants: []string{tenantA}, NoClientCredentials: true}, "test")
		if err != nil {
			t.Fatal(err)
		}
		assertOAuthError(t, e.post(form(ci.ID, secret)), 400, ErrCodeUnauthorizedClient)
	})
	t.Run("case28_list_hides_hashes_and_secret_format", func(t *testing.T) {
		x := newEnv(t, nil)
		plain, _, err := x.srv.Registry().AddSecret(ctx, x.clientID, 0, "test")
		if err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(`^fhcs_[A-Za-z0-9_-]+$`).MatchString(plain) {
			t.Fatalf("format: %q", plain)
		}
		raw, err := base64.RawURLEncoding.DecodeString(plain[len(plain)-secretBodyLen:])
		if err != nil || len(raw)*8 < 256 {
			t.Fatalf("random part: %d bits, %v", len(raw)*8, err)
		}
		list, err := x.srv.Registry().ListSecrets(ctx, x.clientID)
		if err != nil || len(list) != 2 {
			t.Fatalf("list: %v %v", list, err)
		}
		js := fmt.Sprintf("%+v", list)
		c, _ := x.mem.GetClient(ctx, x.clientID)
		for _, rec := range c.Secrets {
			if strings.Contains(js, fmt.Sprint(rec.Hash)) || strings.Contains(js, b64(rec.Hash)) {
				t.Fatal("hash in listing")
			}
		}
		if strings.Contains(js, plain) || strings.Contains(js, x.secret) {
			t.Fatal("plaintext in listing")
		}
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
		if limited == nil {
			t.Fatal("never limited")
		}
		assertOAuthError(t, limited, 429, ErrCodeTemporarilyUnavailable)
		if ra := limited.Header().Get("Retry-After"); ra == "" || ra == "0" {
			t.Fatalf("Retry-After %q", ra)
		}
		// The real client from another IP is not locked out.
		w := x.post(x.goodForm().Encode(), func(r *http.Request) { r.RemoteAddr = "198.51.100.7:5000" })
		if w.Code != 200 {
			t.Fatalf("real client locked out: %d", w.Code)
		}
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
		if w.Code != 200 {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
		var tr TokenResponse
		mustJSON(t, w.Body.Bytes(), &tr)
		if tr.Scope != tenantA {
			t.Fatalf("response scope %q", tr.Scope)
		}
		p, err := e.srv.Verifier().Verify(context.Background(), tr.AccessToken)
		if err != nil || p.TenantID != tenantA || p.Scopes[0] != tenantA {
			t.Fatalf("token scope: %+v %v", p, err)
		}
	})
	t.Run("case34_path_and_nul", func(t *testing.T) {
		for _, s := range []string{"../../etc", "a\x00b", tenantA + "\x00"} {
			w := scope(s)
			assertOAuthError(t, w, 400, ErrCodeInvalidScope)
			if strings.Contains(w.Body.String(), "etc") || strings.Contains(w.Body.String(), "\x00") {
				t.Fatalf("scope echoed: %s", w.Body)
			}
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
		if w := x.post(x.goodForm().Encode()); w.Code != 200 {
			t.Fatalf("before refusal: %d", w.Code)
		}
		refuse.Store(true)
		assertOAuthError(t, x.post(x.goodForm().Encode()), 400, ErrCodeInvalidScope)
		if err := x.srv.Registry().SetTenants(context.Background(), x.clientID, []string{tenantA}, "test"); !errors.Is(err, ErrUnknownTenant) {
			t.Fatalf("mapping a refused tenant: %v", err)
		}
	})
	t.Run("extra_granted_scope", func(t *testing.T) {
		ci, secret, err := e.srv.Registry().CreateClient(context.Background(), NewClient{ID: "smart", Tenants: []string{tenantA}, Scopes: []string{"system/Patient.read"}}, "test")
		if err != nil {
			t.Fatal(err)
		}
		f := url.Values{"grant_type": {"client_credentials"}, "client_id": {ci.ID}, "client_secret": {secret}, "scope": {"system/Patient.read " + tenantA}}
		w := e.post(f.Encode())
		var tr TokenResponse
		mustJSON(t, w.Body.Bytes(), &tr)
		if w.Code != 200 || tr.Scope != tenantA+" system/Patient.read" {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
	})
}

// TestAdversarialTokenResponse covers cases 35-39.
func TestAdversarialTokenResponse(t *testing.T) {
	e := newEnv(t, nil)
	t.Run("case35_success_shape", func(t *testing.T) {
		w := e.post(e.goodForm().Encode())
		if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") ||
			w.Header().Get("Cache-Control") != "no-store" || w.Header().Get("Pragma") != "no-cache" {
			t.Fatalf("%d %v", w.Code, w.Header())
		}
		var m map[string]any
		mustJSON(t, w.Body.Bytes(), &m)
		if m["token_type"] != "Bearer" || m["expires_in"] != float64(300) || m["scope"] != tenantA || m["access_token"] == "" {
			t.Fatalf("body %v", m)
		}
		if _, ok := m["refresh_token"]; ok {
			t.Fatal("refresh_token issued")
		}
		if !regexp.MustCompile(`"expires_in":300[,}]`).MatchString(w.Body.String()) {
			t.Fatal("expires_in not an integer")
		}
	})
	t.Run("case36_errors_no_store_fixed_codes", func(t *testing.T) {
		fixed := map[string]bool{ErrCodeInvalidRequest: true, ErrCodeInvalidClient: true, ErrCodeUnauthorizedClient: true,
			ErrCodeUnsupportedGrantType: true, ErrCodeInvalidScope: true, ErrCodeTemporarilyUnavailable: true, ErrCodeServerError: true}
		for _, body := range []string{"", "grant_type=x", "grant_type=client_credentials", "grant_type=client_credentials&client_id=a&client_secret=b", "%zz"} {
			w := e.post(body)
			var m map[string]string
			mustJSON(t, w.Body.Bytes(), &m)
			if !fixed[m["error"]] || w.Header().Get("Cache-Control") != "no-store" || w.Header().Get("Pragma") != "no-cache" {
				t.Fatalf("%q -> %d %v %s", body, w.Code, w.Header(), w.Body)
			}
			if strings.Contains(w.Body.String(), "goroutine") || strings.Contains(w.Body.String(), ".go:") {
				t.Fatal("internal detail in body")
			}
		}
		// A failing store gives 503 without its text.
		x := newEnv(t, nil)
		x.srv.registry.store = failingClients{x.mem}
		w := x.post(x.goodForm().Encode(), func(r *http.Request) {})
		assertOAuthError(t, w, 503, ErrCodeTemporarilyUnavailable)
		if strings.Contains(w.Body.String(), "database") {
			t.Fatal("store error text leaked")
		}
	})
	t.Run("case37_jwt_contents_and_unique_jti", func(t *testing.T) {
		tok := e.token()
		var claims AccessClaims
		parsed, _, err := jwt.NewParser().ParseUnverified(tok, &claims)
		if err != nil {
			t.Fatal(err)
		}
		if parsed.Header["typ"] != "at+jwt" || parsed.Header["alg"] != "ES256" {
			t.Fatalf("header %v", parsed.Header)
		}
		var set JWKSet
		w := httptest.NewRecorder()
		e.srv.JWKS().ServeHTTP(w, httptest.NewRequest("GET", "/jwks", nil))
		mustJSON(t, w.Body.Bytes(), &set)
		found := false
		for _, k := range set.Keys {
			found = found || k.Kid == parsed.Header["kid"]
		}
		if !found {
			t.Fatal("kid not in JWKS")
		}
		if claims.Issuer != issuer || len(claims.Audience) != 1 || claims.Audience[0] != aud || claims.Subject != e.clientID ||
			claims.ClientID != e.clientID || claims.IssuedAt == nil || claims.ExpiresAt.Sub(claims.IssuedAt.Time) != 300*time.Second || claims.ID == "" {
			t.Fatalf("claims %+v", claims)
		}
		seen := make(map[string]bool, 10000)
		for range 10000 {
			seen[newJTI()] = true
		}
		for range 200 {
			_, mt, err := e.srv.Keys().mint(context.Background(), &e.srv.cfg, e.clientID, "", tenantA, nil, time.Minute, nil)
			if err != nil {
				t.Fatal(err)
			}
			seen[mt.jti] = true
		}
		if len(seen) != 10200 {
			t.Fatalf("jti collisions: %d distinct of 10200", len(seen))
		}
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
			mustJSON(t, w.Body.Bytes(), &raw)
			if len(raw.Keys) == 0 {
				t.Fatal("empty JWKS")
			}
			for _, k := range raw.Keys {
				for _, priv := range []string{"d", "p", "q", "dp", "dq", "qi"} {
					if _, ok := k[priv]; ok {
						t.Fatalf("%s: private member %q", alg, priv)
					}
				}
				if k["kid"] == "" || k["alg"] != alg || k["use"] != "sig" {
					t.Fatalf("%s: %v", alg, k)
				}
			}
			if w.Header().Get("ETag") == "" || !strings.Contains(w.Header().Get("Cache-Control"), "max-age=") {
				t.Fatalf("caching headers %v", w.Header())
			}
			if _, err := x.srv.Verifier().Verify(context.Background(), x.token()); err != nil {
				t.Fatalf("%s round trip: %v", alg, err)
			}
		}
	})
}

type failingClients struct{ *MemoryStore }

func (failingClients) GetClient(context.Context, string) (*Client, error) {
	return nil, fmt.Errorf("database connection refused: %w", ErrUnavailable)
}
