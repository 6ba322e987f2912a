package routing_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patientsfhir/patientsfhir/auth"
	"github.com/patientsfhir/patientsfhir/routing"
)

const operatorToken = "operator-token-0123456789abcdef0123456789"

// events records audit events.
type events struct {
	mu sync.Mutex
	ev []auth.Event
}

func (e *events) Record(_ context.Context, ev auth.Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.ev = append(e.ev, ev)
}

func (e *events) all() []auth.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]auth.Event(nil), e.ev...)
}

// adminCall sends one request to h with the operator's token (unless
// token is "-") and returns the status and the decoded JSON body.
func adminCall(t *testing.T, h http.Handler, method, path, body, token string) (int, map[string]any, http.Header) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	r := httptest.NewRequest(method, path, rd)
	if token != "-" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	var out map[string]any
	if w.Body.Len() > 0 {
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &out), "body %q", w.Body.String())
	}
	return w.Code, out, w.Header()
}

func newAdmin(t *testing.T, dir *routing.Directory, ev *events, mod ...func(*routing.AdminConfig)) *routing.Admin {
	t.Helper()
	cfg := routing.AdminConfig{Directory: dir, OperatorToken: operatorToken, Auditor: ev}
	for _, m := range mod {
		m(&cfg)
	}
	a, err := routing.NewAdmin(cfg)
	require.NoError(t, err)
	return a
}

func TestAdminConfig(t *testing.T) {
	dir := newDir(t, routing.NewMemoryStore(), nil, nil)
	_, err := routing.NewAdmin(routing.AdminConfig{Directory: dir, OperatorToken: "short"})
	assert.ErrorContains(t, err, "AdminConfig.OperatorToken: must satisfy min 32")
	_, err = routing.NewAdmin(routing.AdminConfig{OperatorToken: operatorToken})
	assert.ErrorContains(t, err, "AdminConfig.Directory: must satisfy required")
}

// The operator's token opens the API; anything else gets the auth
// server's 401 shape, audited, and 429 once the failure budget is spent.
// The right token is served even then.
func TestAdminOperator(t *testing.T) {
	dir := newDir(t, routing.NewMemoryStore(), nil, nil)
	ev := &events{}
	a := newAdmin(t, dir, ev, func(c *routing.AdminConfig) { c.FailedAuthBurst, c.FailedAuthPerMinute = 2, 1 })

	status, body, h := adminCall(t, a, "GET", "/tenants", "", "-")
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.Equal(t, `Bearer realm="operator"`, h.Get("WWW-Authenticate"))
	assert.Equal(t, map[string]any{"error": "unauthorized", "error_description": "authentication failed"}, body)
	assert.Equal(t, "no-store", h.Get("Cache-Control"))

	status, body, h = adminCall(t, a, "GET", "/tenants", "", operatorToken+"x")
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.Equal(t, `Bearer realm="operator", error="invalid_token"`, h.Get("WWW-Authenticate"))
	assert.Equal(t, "invalid_token", body["error"])

	status, body, h = adminCall(t, a, "GET", "/tenants", "", "wrong")
	assert.Equal(t, http.StatusTooManyRequests, status)
	assert.Equal(t, "temporarily_unavailable", body["error"])
	assert.NotEmpty(t, h.Get("Retry-After"))

	status, body, _ = adminCall(t, a, "GET", "/tenants", "", operatorToken)
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, map[string]any{"tenants": []any{}}, body)

	denied := ev.all()
	require.Len(t, denied, 3)
	for _, e := range denied {
		assert.Equal(t, auth.EventAdminDenied, e.Type)
		assert.Equal(t, "operator_auth", e.Reason)
		assert.Equal(t, "/tenants", e.Path)
	}
}

// Tenants are added, listed, described, renamed, disabled, re-pointed and
// removed through the Directory: each change takes effect for Check at
// once, and is audited without the tenant's name.
func TestAdminTenantLifecycle(t *testing.T) {
	dir := newDir(t, routing.NewMemoryStore(), nil, nil)
	ev := &events{}
	a := newAdmin(t, dir, ev)
	ctx := context.Background()
	id := tenantID(1)

	status, body, _ := adminCall(t, a, "POST", "/tenants", `{"id":"`+strings.ToUpper(id)+`","name":"Contoso General","backend":"sql"}`, operatorToken)
	require.Equal(t, http.StatusCreated, status, body)
	assert.Equal(t, id, body["id"], "stored in lower case")
	assert.Equal(t, "Contoso General", body["name"])
	assert.Equal(t, "sql", body["backend"])
	assert.Equal(t, "active", body["state"])
	assert.NotEmpty(t, body["created_at"])
	require.NoError(t, dir.Check(ctx, id))

	status, body, _ = adminCall(t, a, "GET", "/tenants", "", operatorToken)
	require.Equal(t, http.StatusOK, status)
	require.Len(t, body["tenants"], 1)
	assert.Equal(t, id, body["tenants"].([]any)[0].(map[string]any)["id"])

	status, body, _ = adminCall(t, a, "PATCH", "/tenants/"+id, `{"state":"disabled"}`, operatorToken)
	require.Equal(t, http.StatusOK, status, body)
	assert.Equal(t, "disabled", body["state"])
	assert.ErrorIs(t, dir.Check(ctx, id), routing.ErrTenantDisabled)

	status, body, _ = adminCall(t, a, "PATCH", "/tenants/"+id, `{"state":"active","backend":"proxy-east","name":"Contoso"}`, operatorToken)
	require.Equal(t, http.StatusOK, status, body)
	assert.Equal(t, "proxy-east", body["backend"])
	assert.Equal(t, "Contoso", body["name"])
	require.NoError(t, dir.Check(ctx, id))

	status, body, _ = adminCall(t, a, "GET", "/tenants/"+id, "", operatorToken)
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, "active", body["state"])

	status, body, _ = adminCall(t, a, "DELETE", "/tenants/"+id, "", operatorToken)
	require.Equal(t, http.StatusNoContent, status)
	assert.Nil(t, body)
	assert.ErrorIs(t, dir.Check(ctx, id), routing.ErrUnknownTenant)

	status, body, _ = adminCall(t, a, "DELETE", "/tenants/"+id, "", operatorToken)
	assert.Equal(t, http.StatusNotFound, status)
	assert.Equal(t, map[string]any{"error": "not_found", "error_description": "no such tenant", "field": "id"}, body)

	var got []string
	for _, e := range ev.all() {
		assert.Equal(t, id, e.Tenant)
		assert.Equal(t, "operator", e.Actor)
		assert.NotContains(t, e.Reason, "Contoso", "names stay out of the audit trail")
		got = append(got, string(e.Type)+" "+e.Reason)
	}
	assert.Equal(t, []string{
		"tenant.created backend=sql state=active",
		"tenant.updated state=disabled",
		"tenant.updated name backend=proxy-east state=active",
		"tenant.removed ",
	}, got)
}

// Every refused body names the member that was wrong, never its value.
func TestAdminErrorsNameTheField(t *testing.T) {
	dir := newDir(t, routing.NewMemoryStore(), nil, nil)
	ev := &events{}
	a := newAdmin(t, dir, ev, func(c *routing.AdminConfig) { c.MaxBodyBytes = 1024 })
	id := tenantID(2)
	_, err := dir.Add(context.Background(), routing.Tenant{ID: id, Backend: "sql"})
	require.NoError(t, err)

	for _, tc := range []struct {
		name, method, path, body string
		status                   int
		field, desc              string
	}{
		{"unknown member", "POST", "/tenants", `{"id":"` + tenantID(3) + `","backend":"sql","nickname":"x"}`, 400, "nickname", "nickname: unknown field"},
		{"wrong type", "POST", "/tenants", `{"id":"` + tenantID(3) + `","backend":"sql","name":5}`, 400, "name", "name: must be a JSON string"},
		{"not a GUID", "POST", "/tenants", `{"id":"contoso","backend":"sql"}`, 400, "id", "id: must be a tenant GUID in lower case"},
		{"no backend", "POST", "/tenants", `{"id":"` + tenantID(3) + `"}`, 400, "backend", "backend: must be 1 to 64 characters of [A-Za-z0-9._-]"},
		{"bad state", "POST", "/tenants", `{"id":"` + tenantID(3) + `","backend":"sql","state":"paused"}`, 400, "state", `state: must be "active" or "disabled"`},
		{"control character in name", "PATCH", "/tenants/" + id, `{"name":"a\u0007b"}`, 400, "name", "name: must be at most 200 characters of printable text"},
		{"exists", "POST", "/tenants", `{"id":"` + id + `","backend":"sql"}`, 409, "id", "the tenant already exists"},
		{"id in a patch", "PATCH", "/tenants/" + id, `{"id":"` + tenantID(4) + `"}`, 400, "id", "id: cannot be changed (add a tenant and remove this one)"},
		{"empty patch", "PATCH", "/tenants/" + id, `{}`, 400, "", "nothing to change: give name, backend or state"},
		{"bad backend in a patch", "PATCH", "/tenants/" + id, `{"backend":"a b"}`, 400, "backend", "backend: must be 1 to 64 characters of [A-Za-z0-9._-]"},
		{"no body", "POST", "/tenants", ``, 400, "", "a JSON object is required"},
		{"not JSON", "POST", "/tenants", `{"id":`, 400, "", "the body must be one JSON object"},
		{"syntax", "POST", "/tenants", `{"id" "x"}`, 400, "", "the body is not valid JSON (at byte 7)"},
		{"array", "POST", "/tenants", `[]`, 400, "", "the body must be a JSON object"},
		{"two objects", "POST", "/tenants", `{"id":"` + tenantID(3) + `","backend":"sql"}{}`, 400, "", "the body must be one JSON object"},
		{"unknown tenant", "PATCH", "/tenants/" + tenantID(9), `{"name":"x"}`, 404, "id", "no such tenant"},
		{"path id not a GUID", "GET", "/tenants/contoso", ``, 400, "id", "id: must be a tenant GUID"},
		{"too large", "POST", "/tenants", `{"name":"` + strings.Repeat("x", 2000) + `"}`, 413, "", "the body is too large"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body, _ := adminCall(t, a, tc.method, tc.path, tc.body, operatorToken)
			assert.Equal(t, tc.status, status)
			assert.Equal(t, tc.desc, body["error_description"])
			if tc.field != "" {
				assert.Equal(t, tc.field, body["field"])
			} else {
				assert.NotContains(t, body, "field")
			}
		})
	}
	got, err := dir.Get(context.Background(), id)
	require.NoError(t, err)
	assert.Equal(t, "sql", got.Backend, "no refused change was written")
	assert.Empty(t, ev.all(), "nothing changed, nothing audited")
}

// A change made through one node's admin API reaches another node's
// directory within its MaxStale.
func TestAdminChangeReachesOtherNodes(t *testing.T) {
	st, clk := routing.NewMemoryStore(), newClock()
	nodeA, nodeB := newDir(t, st, clk, nil), newDir(t, st, clk, nil)
	a := newAdmin(t, nodeA, &events{})
	id := tenantID(5)
	status, _, _ := adminCall(t, a, "POST", "/tenants", `{"id":"`+id+`","backend":"sql"}`, operatorToken)
	require.Equal(t, http.StatusCreated, status)
	ctx := context.Background()
	assert.ErrorIs(t, nodeB.Check(ctx, id), routing.ErrUnknownTenant, "node B has not refreshed yet")
	clk.Advance(nodeB.MaxStale())
	assert.NoError(t, nodeB.Check(ctx, id))

	status, _, _ = adminCall(t, a, "PATCH", "/tenants/"+id, `{"state":"disabled"}`, operatorToken)
	require.Equal(t, http.StatusOK, status)
	clk.Advance(nodeB.MaxStale())
	assert.ErrorIs(t, nodeB.Check(ctx, id), routing.ErrTenantDisabled)
}

// With RequireTLS, a request over plain HTTP is refused before the token
// is even looked at; over TLS it is served.
func TestAdminRequireTLS(t *testing.T) {
	dir := newDir(t, routing.NewMemoryStore(), nil, nil)
	a := newAdmin(t, dir, &events{}, func(c *routing.AdminConfig) { c.RequireTLS = true })
	status, body, _ := adminCall(t, a, "GET", "/tenants", "", operatorToken)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "TLS is required", body["error_description"])

	r := httptest.NewRequest("GET", "/tenants", nil)
	r.TLS = &tls.ConnectionState{}
	r.Header.Set("Authorization", "Bearer "+operatorToken)
	w := httptest.NewRecorder()
	a.ServeHTTP(w, r)
	assert.Equal(t, http.StatusOK, w.Code)
}

// Guard puts another handler behind the same operator check.
func TestAdminGuard(t *testing.T) {
	dir := newDir(t, routing.NewMemoryStore(), nil, nil)
	a := newAdmin(t, dir, &events{})
	h := a.Guard(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) }))
	status, _, hdr := adminCall(t, h, "GET", "/keys", "", "-")
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.Equal(t, `Bearer realm="operator"`, hdr.Get("WWW-Authenticate"))
	status, _, _ = adminCall(t, h, "GET", "/keys", "", operatorToken)
	assert.Equal(t, http.StatusTeapot, status)
}
