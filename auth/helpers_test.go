package auth

import (
	"bytes"
	"context"
	"crypto"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patientsfhir/patientsfhir/internal/testsupport"
)

const (
	tenantA = "c0ffee00-1111-2222-3333-444455556666"
	tenantB = "0badf00d-aaaa-bbbb-cccc-ddddeeeeffff"
	issuer  = "https://auth.example.test"
	aud     = "https://fhir.example.test/stu3"
)

// newClock returns a fake clock at the tests' fixed start time.
func newClock() *testsupport.Clock {
	return testsupport.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
}

type env struct {
	t        testing.TB
	srv      *Server
	store    Store
	mem      *MemoryStore
	clock    *testsupport.Clock
	logs     *testsupport.Buffer
	clientID string
	secret   string
}

var testSealKey = bytes.Repeat([]byte{7}, 32)

func testConfig(clock *testsupport.Clock, logs *testsupport.Buffer) Config {
	l := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return Config{
		Issuer: issuer, Audience: aud, SealKey: testSealKey, Leeway: 60 * time.Second,
		Logger: l, Now: clock.Now, OperatorToken: strings.Repeat("o", 40),
	}
}

// newEnv builds a server over a fresh memory store with one client allowed
// tenant A.
func newEnv(t testing.TB, mutate func(*Config)) *env {
	t.Helper()
	e := &env{t: t, clock: newClock(), logs: &testsupport.Buffer{}, mem: NewMemoryStore()}
	e.store = e.mem
	cfg := testConfig(e.clock, e.logs)
	if mutate != nil {
		mutate(&cfg)
	}
	srv, err := New(context.Background(), cfg, e.store)
	require.NoError(t, err)
	e.srv = srv
	ci, secret, err := srv.Registry().CreateClient(context.Background(), NewClient{ID: "teams-app", Tenants: []string{tenantA}}, "test")
	require.NoError(t, err)
	e.clientID, e.secret = ci.ID, secret
	// Case 62 for every test: whatever a test did, the client's secret never
	// reaches the logs.
	t.Cleanup(func() {
		assert.NotContains(t, e.logs.String(), secret, "the client secret appeared in the logs")
	})
	return e
}

// post sends a token request straight to the issuer.
func (e *env) post(form string, mod ...func(*http.Request)) *httptest.ResponseRecorder {
	e.t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/token", strings.NewReader(form))
	r.RemoteAddr = "192.0.2.10:4000"
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, m := range mod {
		m(r)
	}
	w := httptest.NewRecorder()
	e.srv.Issuer().ServeHTTP(w, r)
	return w
}

// goodForm is the Patients app's request (client_secret_post).
func (e *env) goodForm() url.Values {
	return url.Values{"grant_type": {"client_credentials"}, "client_id": {e.clientID}, "client_secret": {e.secret}, "scope": {tenantA}}
}

func withBasic(id, secret string) func(*http.Request) {
	return func(r *http.Request) { r.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret)) }
}

// token obtains a valid access token.
func (e *env) token() string {
	e.t.Helper()
	w := e.post(e.goodForm().Encode())
	require.Equal(e.t, http.StatusOK, w.Code, "token: %s", w.Body)
	var tr TokenResponse
	require.NoError(e.t, jsonUnmarshal(w.Body.Bytes(), &tr))
	return tr.AccessToken
}

// protected returns a handler protected by the server's verifier that
// answers 200 with the principal's tenant.
func (e *env) protected() http.Handler {
	return e.srv.Verifier().Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := PrincipalFrom(r.Context())
		if !ok {
			http.Error(w, "no principal", 500)
			return
		}
		_, _ = w.Write([]byte(p.TenantID))
	}))
}

// get calls the protected handler with an Authorization value.
func (e *env) get(h http.Handler, target, authz string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, target, nil)
	if authz != "" {
		r.Header.Set("Authorization", authz)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// signer returns the active private key and its kid and method.
func (e *env) signer() (crypto.Signer, string, jwt.SigningMethod) {
	k, err := e.srv.Keys().signer(context.Background())
	require.NoError(e.t, err)
	return k.priv, k.kid, k.method
}

// validClaims returns claims like the issuer's, as a map for tampering.
func (e *env) validClaims() jwt.MapClaims {
	now := e.clock.Now().Unix()
	return jwt.MapClaims{
		"iss": issuer, "sub": e.clientID, "aud": []string{aud}, "iat": now, "nbf": now, "exp": now + 300,
		"jti": "jti-1", "client_id": e.clientID, "scope": tenantA, "tid": tenantA,
	}
}

// forge signs claims with the active key and the given header overrides
// (a nil value deletes a member).
func (e *env) forge(claims jwt.Claims, header map[string]any) string {
	e.t.Helper()
	priv, kid, method := e.signer()
	t := jwt.NewWithClaims(method, claims)
	t.Header["typ"] = "at+jwt"
	t.Header["kid"] = kid
	for k, v := range header {
		if v == nil {
			delete(t.Header, k)
		} else {
			t.Header[k] = v
		}
	}
	s, err := t.SignedString(priv)
	require.NoError(e.t, err)
	return s
}

// assertOAuthError checks an RFC 6749 §5.2 error response.
func assertOAuthError(t *testing.T, w *httptest.ResponseRecorder, status int, code string) {
	t.Helper()
	require.Equal(t, status, w.Code, "body %s", w.Body)
	var body struct {
		Error string `json:"error"`
	}
	require.NoError(t, jsonUnmarshal(w.Body.Bytes(), &body), "body %s", w.Body)
	assert.Equal(t, code, body.Error)
	assert.Equal(t, "no-store", w.Header().Get("Cache-Control"))
	assert.Equal(t, "no-cache", w.Header().Get("Pragma"))
	assert.NotContains(t, w.Body.String(), "access_token", "error response carries a token")
	if code == ErrCodeInvalidClient {
		assert.True(t, strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Basic realm="), "invalid_client without Basic challenge: %v", w.Header())
	}
}
