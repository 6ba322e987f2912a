package auth

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const adminAddr = "203.0.113.5"

func (e *env) admin(method, path, authz, body string) *httptest.ResponseRecorder {
	return e.adminFrom(adminAddr, method, path, authz, body)
}

func (e *env) adminFrom(addr, method, path, authz, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	r.RemoteAddr = addr + ":1000"
	if authz != "" {
		r.Header.Set("Authorization", authz)
	}
	w := httptest.NewRecorder()
	e.srv.Admin().ServeHTTP(w, r)
	return w
}

var operatorAuthz = "Bearer " + strings.Repeat("o", 40)

// basicAuthz is the Basic Authorization value of a client, form-encoded.
func basicAuthz(id, secret string) string {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	return r.Header.Get("Authorization")
}

// decodeJSON decodes a response body into a T.
func decodeJSON[T any](t *testing.T, w *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &v), "body %s", w.Body)
	return v
}

// assertAdminError checks a registration API error: status and error code.
func assertAdminError(t *testing.T, w *httptest.ResponseRecorder, status int, code string) {
	t.Helper()
	require.Equal(t, status, w.Code, "body %s", w.Body)
	assert.Equal(t, code, decodeJSON[map[string]string](t, w)["error"])
	assert.Equal(t, "no-store", w.Header().Get("Cache-Control"))
	assert.Equal(t, "no-cache", w.Header().Get("Pragma"))
}

func TestAdminOperatorAndSelfServiceRotation(t *testing.T) {
	e := newEnv(t, nil)
	op := operatorAuthz

	// Operator authentication.
	for _, a := range []string{"", "Bearer wrong", "Basic " + strings.Repeat("o", 40), op + "x"} {
		w := e.admin("GET", "/clients", a, "")
		assert.Equal(t, http.StatusUnauthorized, w.Code, "operator auth %q", a)
		assert.NotEmpty(t, w.Header().Get("WWW-Authenticate"), "operator auth %q", a)
	}
	// Create, with validation naming the field.
	w := e.admin("POST", "/clients", op, `{"client_id":"bad id!","tenants":["nope"]}`)
	require.Equal(t, http.StatusBadRequest, w.Code)
	assert.Contains(t, w.Body.String(), "NewClient.ID")
	assert.Contains(t, w.Body.String(), "NewClient.Tenants[0]")
	assert.Equal(t, http.StatusBadRequest, e.admin("POST", "/clients", op, `{"client_id":"x","unknown":1}`).Code, "unknown field")
	w = e.admin("POST", "/clients", op, `{"client_id":"lists-app","name":"Lists","tenants":["`+strings.ToUpper(tenantB)+`"]}`)
	require.Equal(t, http.StatusCreated, w.Code, "create: %s", w.Body)
	// The response showing a secret must not be cached anywhere.
	assert.Equal(t, "no-store", w.Header().Get("Cache-Control"))
	assert.Equal(t, "no-cache", w.Header().Get("Pragma"))
	created := decodeJSON[CreatedClient](t, w)
	assert.Equal(t, []string{tenantB}, created.Client.Tenants)
	assert.True(t, strings.HasPrefix(created.Secret, SecretPrefix))
	assert.Equal(t, http.StatusConflict, e.admin("POST", "/clients", op, `{"client_id":"lists-app"}`).Code, "duplicate")
	// Listing never shows hashes or the secret.
	w = e.admin("GET", "/clients", op, "")
	require.Equal(t, http.StatusOK, w.Code)
	assert.NotContains(t, w.Body.String(), created.Secret)
	assert.NotContains(t, w.Body.String(), "hash")
	// Tenants.
	assert.Equal(t, http.StatusOK, e.admin("PUT", "/clients/lists-app/tenants", op, `{"tenants":["`+tenantA+`","`+tenantB+`"]}`).Code)
	assert.Equal(t, http.StatusNotFound, e.admin("PUT", "/clients/nobody/tenants", op, `{"tenants":["`+tenantA+`"]}`).Code)

	// Self-service rotation by the client with its current credentials.
	basic := func(sec string) string { return basicAuthz("lists-app", sec) }
	assertAdminError(t, e.admin("POST", "/self/secrets", basic("wrong"), ""), http.StatusUnauthorized, ErrCodeInvalidClient)
	w = e.admin("POST", "/self/secrets", basic(created.Secret), "")
	require.Equal(t, http.StatusCreated, w.Code, "self add: %s", w.Body)
	assert.Equal(t, "no-cache", w.Header().Get("Pragma"))
	ns := decodeJSON[CreatedSecret](t, w)
	assertAdminError(t, e.admin("POST", "/self/secrets", basic(ns.Secret), `{"lifetime_seconds":3600}`), http.StatusConflict, "too_many_secrets")
	oldID, _ := ParseSecret(created.Secret)
	// The old secret is superseded only once the new one is a grace period old.
	assertAdminError(t, e.admin("DELETE", "/self/secrets/"+oldID, basic(ns.Secret), ""), http.StatusForbidden, "operator_required")
	e.clock.Advance(e.srv.Config().SelfServiceGrace)
	w = e.admin("DELETE", "/self/secrets/"+oldID, basic(ns.Secret), "")
	require.Equal(t, http.StatusNoContent, w.Code, "self revoke: %s", w.Body)
	assert.Equal(t, http.StatusUnauthorized, e.admin("GET", "/self/secrets", basic(created.Secret), "").Code, "revoked secret still authenticates")
	w = e.admin("GET", "/self/secrets", basic(ns.Secret), "")
	require.Equal(t, http.StatusOK, w.Code)
	list := decodeJSON[struct{ Secrets []SecretInfo }](t, w)
	require.Len(t, list.Secrets, 2)
	assert.False(t, list.Secrets[0].Active)
	assert.True(t, list.Secrets[1].Active)
	// The token endpoint agrees.
	f := url.Values{"grant_type": {"client_credentials"}, "client_id": {"lists-app"}, "client_secret": {ns.Secret}, "scope": {tenantA}}
	assert.Equal(t, http.StatusOK, e.post(f.Encode()).Code, "token with rotated secret")
	f.Set("client_secret", created.Secret)
	assertOAuthError(t, e.post(f.Encode()), 401, ErrCodeInvalidClient)

	// Disable.
	assert.Equal(t, http.StatusOK, e.admin("POST", "/clients/lists-app/disable", op, "").Code)
	f.Set("client_secret", ns.Secret)
	assertOAuthError(t, e.post(f.Encode()), 401, ErrCodeInvalidClient)
	assert.Equal(t, http.StatusOK, e.admin("POST", "/clients/lists-app/enable", op, "").Code)
	assert.Equal(t, http.StatusOK, e.post(f.Encode()).Code, "re-enabled")
	// Operator revokes a secret at once, whatever its age.
	nsID, _ := ParseSecret(ns.Secret)
	assert.Equal(t, http.StatusNoContent, e.admin("DELETE", "/clients/lists-app/secrets/"+nsID, op, "").Code)
	assert.Equal(t, http.StatusNotFound, e.admin("DELETE", "/clients/lists-app/secrets/nope", op, "").Code)
	// A declared body over the cap is refused at once.
	w = e.admin("POST", "/clients", op, `{"name":"`+strings.Repeat("a", 20<<10)+`"}`)
	assertAdminError(t, w, http.StatusRequestEntityTooLarge, ErrCodeInvalidRequest)
}

func TestAdminUnauthorizedChallenges(t *testing.T) {
	e := newEnv(t, nil)
	cases := []struct {
		authz, challenge, code string
	}{
		{"", `Bearer realm="operator"`, "unauthorized"},
		{"Basic " + strings.Repeat("o", 40), `Bearer realm="operator"`, "unauthorized"},
		{"Bearer wrong", `Bearer realm="operator", error="invalid_token"`, ErrCodeInvalidToken},
	}
	for _, c := range cases {
		w := e.admin("GET", "/clients", c.authz, "")
		assertAdminError(t, w, http.StatusUnauthorized, c.code)
		assert.Equal(t, c.challenge, w.Header().Get("WWW-Authenticate"), "Authorization %q", c.authz)
	}
	// Self-service speaks the token endpoint's language: Basic + invalid_client.
	w := e.admin("GET", "/self/secrets", basicAuthz(e.clientID, "wrong"), "")
	assertAdminError(t, w, http.StatusUnauthorized, ErrCodeInvalidClient)
	assert.Equal(t, `Basic realm="`+issuer+`"`, w.Header().Get("WWW-Authenticate"))
}

func TestAdminDisabledWithoutOperatorToken(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.OperatorToken = "" })
	for _, a := range []string{"Bearer ", operatorAuthz, "Bearer x"} {
		assert.Equal(t, http.StatusUnauthorized, e.admin("GET", "/clients", a, "").Code, "%q", a)
	}
	// Self-service still works without an operator token.
	assert.Equal(t, http.StatusOK, e.admin("GET", "/self/secrets", basicAuthz(e.clientID, e.secret), "").Code)
}

func TestAdminFailuresAreRateLimitedButNeverTheOperator(t *testing.T) {
	e := newEnv(t, nil)
	var last *httptest.ResponseRecorder
	for range 30 {
		last = e.admin("GET", "/clients", "Bearer nope", "")
	}
	assertAdminError(t, last, http.StatusTooManyRequests, ErrCodeTemporarilyUnavailable)
	assert.NotEmpty(t, last.Header().Get("Retry-After"))
	// The right operator token from the same address is served at once.
	assert.Equal(t, http.StatusOK, e.admin("GET", "/clients", operatorAuthz, "").Code)
}

func TestSelfServicePolicies(t *testing.T) {
	newSecretOf := func(t *testing.T, e *env) string {
		w := e.admin("POST", "/self/secrets", basicAuthz(e.clientID, e.secret), "")
		require.Equal(t, http.StatusCreated, w.Code, "%s", w.Body)
		return decodeJSON[CreatedSecret](t, w).Secret
	}
	t.Run("off", func(t *testing.T) {
		rec := &recordingAuditor{next: SlogAuditor{}}
		e := newEnv(t, func(c *Config) { c.SelfService = SelfServiceOff; c.Auditor = rec })
		me := basicAuthz(e.clientID, e.secret)
		sid, _ := ParseSecret(e.secret)
		for _, m := range [][2]string{{"GET", "/self/secrets"}, {"POST", "/self/secrets"}, {"DELETE", "/self/secrets/" + sid}} {
			assertAdminError(t, e.admin(m[0], m[1], me, ""), http.StatusForbidden, "operator_required")
		}
		assert.Contains(t, rec.dump(), "self_service_off")
		// The operator still manages secrets.
		assert.Equal(t, http.StatusCreated, e.admin("POST", "/clients/"+e.clientID+"/secrets", operatorAuthz, "").Code)
	})
	t.Run("add-only", func(t *testing.T) {
		e := newEnv(t, func(c *Config) { c.SelfService = SelfServiceAddOnly })
		me := basicAuthz(e.clientID, e.secret)
		assert.Equal(t, http.StatusOK, e.admin("GET", "/self/secrets", me, "").Code)
		second := newSecretOf(t, e)
		oldID, _ := ParseSecret(e.secret)
		e.clock.Advance(30 * 24 * time.Hour)
		// No self-service revocation, however old the secrets.
		assertAdminError(t, e.admin("DELETE", "/self/secrets/"+oldID, basicAuthz(e.clientID, second), ""), http.StatusForbidden, "operator_required")
		assert.Equal(t, http.StatusOK, e.post(e.goodForm().Encode()).Code, "the old secret still works")
		assert.Equal(t, http.StatusNoContent, e.admin("DELETE", "/clients/"+e.clientID+"/secrets/"+oldID, operatorAuthz, "").Code)
	})
	t.Run("full", func(t *testing.T) {
		e := newEnv(t, func(c *Config) { c.SelfServiceGrace = time.Hour })
		oldID, _ := ParseSecret(e.secret)
		second := newSecretOf(t, e)
		secondID, _ := ParseSecret(second)
		withSecond := basicAuthz(e.clientID, second)
		// Within the grace period neither secret can be revoked by the client.
		assertAdminError(t, e.admin("DELETE", "/self/secrets/"+oldID, withSecond, ""), http.StatusForbidden, "operator_required")
		assertAdminError(t, e.admin("DELETE", "/self/secrets/"+secondID, basicAuthz(e.clientID, e.secret), ""), http.StatusForbidden, "operator_required")
		e.clock.Advance(time.Hour)
		// The newest secret older than the grace period is never self-revocable...
		assertAdminError(t, e.admin("DELETE", "/self/secrets/"+secondID, basicAuthz(e.clientID, e.secret), ""), http.StatusForbidden, "operator_required")
		// ...but the secret it supersedes is.
		assert.Equal(t, http.StatusNoContent, e.admin("DELETE", "/self/secrets/"+oldID, withSecond, "").Code)
		assert.Equal(t, http.StatusNoContent, e.admin("DELETE", "/self/secrets/"+oldID, withSecond, "").Code, "idempotent")
		assertAdminError(t, e.admin("DELETE", "/self/secrets/"+secondID, withSecond, ""), http.StatusForbidden, "operator_required")
		assertAdminError(t, e.admin("DELETE", "/self/secrets/nope", withSecond, ""), http.StatusNotFound, "not_found")
	})
}

// TestLeakedSecretUnderDefaultPolicy plays an attacker who has the Patients
// app's only secret, with the default configuration.
func TestLeakedSecretUnderDefaultPolicy(t *testing.T) {
	rec := &recordingAuditor{next: SlogAuditor{}}
	e := newEnv(t, func(c *Config) { c.Auditor = rec })
	const attacker = "198.51.100.66"
	leaked := basicAuthz(e.clientID, e.secret)
	appSID, _ := ParseSecret(e.secret)
	other, otherSecret, err := e.srv.Registry().CreateClient(t.Context(), NewClient{ID: "other-app", Tenants: []string{tenantB}}, "operator")
	require.NoError(t, err)
	otherSID, _ := ParseSecret(otherSecret)

	// What the attacker can do: get tokens, list the secrets (no hash, no
	// plaintext), add one secret of its own.
	tokenReq := func(addr string) int {
		return e.post(e.goodForm().Encode(), func(r *http.Request) { r.RemoteAddr = addr + ":1" }).Code
	}
	assert.Equal(t, http.StatusOK, tokenReq(attacker))
	w := e.adminFrom(attacker, "GET", "/self/secrets", leaked, "")
	require.Equal(t, http.StatusOK, w.Code)
	assert.NotContains(t, w.Body.String(), e.secret)
	w = e.adminFrom(attacker, "POST", "/self/secrets", leaked, "")
	require.Equal(t, http.StatusCreated, w.Code)
	planted := decodeJSON[CreatedSecret](t, w)

	// Every self-service change is an audit event with the actor and the
	// address, for the operator to alert on.
	var addEvent *Event
	for _, ev := range rec.events {
		if ev.Type == EventSecretCreated && ev.SecretID == planted.SecretInfo.ID {
			addEvent = &ev
		}
	}
	require.NotNil(t, addEvent, "no secret.created event for the planted secret")
	assert.Equal(t, "client", addEvent.Actor)
	assert.Equal(t, attacker, addEvent.RemoteIP)
	assert.Equal(t, e.clientID, addEvent.ClientID)

	// What the attacker cannot do: revoke the app's secret (with either
	// credential), add more secrets, touch another client, use the operator
	// API.
	assertAdminError(t, e.adminFrom(attacker, "DELETE", "/self/secrets/"+appSID, leaked, ""), http.StatusForbidden, "operator_required")
	assertAdminError(t, e.adminFrom(attacker, "DELETE", "/self/secrets/"+appSID, basicAuthz(e.clientID, planted.Secret), ""), http.StatusForbidden, "operator_required")
	assert.Contains(t, rec.dump(), "self_service_grace")
	assertAdminError(t, e.adminFrom(attacker, "POST", "/self/secrets", leaked, ""), http.StatusConflict, "too_many_secrets")
	assertAdminError(t, e.adminFrom(attacker, "DELETE", "/self/secrets/"+otherSID, leaked, ""), http.StatusNotFound, "not_found")
	assert.Equal(t, http.StatusOK, e.post(url.Values{"grant_type": {"client_credentials"}, "client_id": {other.ID}, "client_secret": {otherSecret}, "scope": {tenantB}}.Encode()).Code, "the other client is untouched")
	assert.Equal(t, http.StatusUnauthorized, e.adminFrom(attacker, "GET", "/clients", leaked, "").Code)
	assert.Equal(t, http.StatusUnauthorized, e.adminFrom(attacker, "POST", "/clients/"+e.clientID+"/disable", leaked, "").Code)
	// The app keeps working throughout.
	assert.Equal(t, http.StatusOK, tokenReq("203.0.113.9"))

	// The operator, alerted, revokes both secrets and issues a new one: the
	// attacker is out.
	assert.Equal(t, http.StatusNoContent, e.admin("DELETE", "/clients/"+e.clientID+"/secrets/"+planted.SecretInfo.ID, operatorAuthz, "").Code)
	assert.Equal(t, http.StatusNoContent, e.admin("DELETE", "/clients/"+e.clientID+"/secrets/"+appSID, operatorAuthz, "").Code)
	w = e.admin("POST", "/clients/"+e.clientID+"/secrets", operatorAuthz, "")
	require.Equal(t, http.StatusCreated, w.Code)
	assert.Equal(t, http.StatusUnauthorized, tokenReq(attacker))
	assert.Equal(t, http.StatusUnauthorized, e.adminFrom(attacker, "GET", "/self/secrets", basicAuthz(e.clientID, planted.Secret), "").Code)
}

// TestLeakedSecretAfterGraceWithoutOperator shows the limit of the grace
// period: if nobody acts on the alert, the planted secret supersedes the
// app's once it is SelfServiceGrace old.
func TestLeakedSecretAfterGraceWithoutOperator(t *testing.T) {
	e := newEnv(t, nil)
	leaked := basicAuthz(e.clientID, e.secret)
	appSID, _ := ParseSecret(e.secret)
	w := e.admin("POST", "/self/secrets", leaked, "")
	require.Equal(t, http.StatusCreated, w.Code)
	planted := basicAuthz(e.clientID, decodeJSON[CreatedSecret](t, w).Secret)
	e.clock.Advance(e.srv.Config().SelfServiceGrace - time.Second)
	assertAdminError(t, e.admin("DELETE", "/self/secrets/"+appSID, planted, ""), http.StatusForbidden, "operator_required")
	e.clock.Advance(time.Second)
	assert.Equal(t, http.StatusNoContent, e.admin("DELETE", "/self/secrets/"+appSID, planted, "").Code)
}

// The registration API's answer to a body it cannot decode names the
// field to blame, and repeats no value from the body.
func TestAdminDecodeErrorsNameTheField(t *testing.T) {
	e := newEnv(t, nil)
	for _, c := range []struct{ body, want string }{
		{`{"client_id":"x","unknown":1}`, `field \"unknown\": unknown field`},
		{`{"client_id":"x","tenants":"fhcs_not-a-list"}`, `field \"tenants\": must be an array`},
		{`{"client_id":7}`, `field \"client_id\": must be a string`},
		{`{"token_ttl_seconds":"60"}`, `field \"token_ttl_seconds\": must be an integer`},
		{`{"client_id":"x"} {}`, "the body has data after the JSON object"},
		{`{"client_id":`, "the body is not valid JSON: it ends too early"},
		{`{"client_id" "x"}`, "the body is not valid JSON at byte 14"},
		{`["x"]`, "the body must be a JSON object"},
		{``, "a JSON body is required"},
		{`{"bad\u0001name":1}`, `field \"\u003cinvalid\u003e\": unknown field`},
	} {
		w := e.admin("POST", "/clients", operatorAuthz, c.body)
		assertAdminError(t, w, http.StatusBadRequest, ErrCodeInvalidRequest)
		assert.Contains(t, w.Body.String(), c.want, "body %q", c.body)
		assert.NotContains(t, w.Body.String(), "fhcs_", "body %q: no value is repeated", c.body)
	}
	// The same on a route with another body type.
	w := e.admin("PUT", "/clients/nobody/tenants", operatorAuthz, `{"tenant":["x"]}`)
	assertAdminError(t, w, http.StatusBadRequest, ErrCodeInvalidRequest)
	assert.Equal(t, `field "tenant": unknown field`, decodeJSON[map[string]string](t, w)["error_description"])
}
