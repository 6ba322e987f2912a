package portal

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patientsfhir/patientsfhir/routing"
)

// errorNextTo returns the error shown next to a field, or "".
func errorNextTo(body, field string) string {
	start := strings.Index(body, `id="f-`+field+`-error">`)
	if start < 0 {
		return ""
	}
	rest := body[start:]
	rest = rest[strings.Index(rest, "</span>")+len("</span>"):]
	return rest[:strings.Index(rest, "</p>")]
}

// Bad input is answered with the form again: the error next to the field
// (and in the summary), the values kept, the server unchanged.
func TestFormErrorsNameTheField(t *testing.T) {
	e := newEnv(t, nil)
	b := e.browser()
	b.signIn()
	res := b.post("/clients", "/clients", url.Values{"client_id": {"taken"}, "tenants": {tenantA}})
	require.Equal(t, http.StatusOK, res.status)

	for _, c := range []struct {
		name  string
		form  url.Values
		field string
		want  string
	}{
		{"id taken", url.Values{"client_id": {"taken"}}, "client_id", "A client with this client ID already exists."},
		{"id characters", url.Values{"client_id": {"bad id!"}}, "client_id", "letters, digits and . _ ~ - only"},
		{"name not ascii", url.Values{"name": {"Clínica"}}, "name", "printable ASCII"},
		{"name too long", url.Values{"name": {strings.Repeat("n", 201)}}, "name", "at most 200 characters"},
		{"tenant not a GUID", url.Values{"tenants": {tenantA + "\nnope"}}, "tenants", `&#34;nope&#34; is not a tenant GUID`},
		{"tenant not mapped", url.Values{"tenants": {tenantB}}, "tenants", "Tenant " + tenantB + " is not mapped, or is disabled"},
	} {
		res := b.post("/clients", "/clients", c.form)
		assert.Equal(t, http.StatusBadRequest, res.status, c.name)
		assert.Contains(t, errorNextTo(res.body, c.field), c.want, c.name)
		assert.Contains(t, res.body, `aria-invalid="true"`, c.name)
		assert.Contains(t, res.body, `<a href="#f-`+c.field+`">`, c.name+": the summary links to the field")
		for k, v := range c.form {
			assert.Contains(t, res.body, strings.ReplaceAll(v[0], "\n", "\n"), c.name+": the value of "+k+" is kept")
		}
	}
	assert.Equal(t, 1, e.clientCount())

	// Secrets: a bad lifetime, then one too many.
	res = b.post("/clients/taken", "/clients/taken/secrets", url.Values{"lifetime_days": {"0"}})
	assert.Equal(t, http.StatusBadRequest, res.status)
	assert.Contains(t, errorNextTo(res.body, "lifetime_days"), "whole number of days")
	res = b.post("/clients/taken", "/clients/taken/secrets", url.Values{"lifetime_days": {"30"}})
	require.Equal(t, http.StatusOK, res.status)
	assert.Contains(t, res.body, "The new secret")
	page := b.get("/clients/taken")
	assert.Contains(t, page.body, "already has 2 active secrets", "the form gives way to the rule")
	res = b.post("/clients/taken", "/clients/taken/secrets", url.Values{})
	assert.Equal(t, http.StatusConflict, res.status)
	assert.Contains(t, res.body, "already has 2 active secrets, the most it may hold")

	// Tenants: a bad GUID, a provider that is not configured, a duplicate.
	for _, c := range []struct {
		name  string
		form  url.Values
		field string
		want  string
	}{
		{"bad GUID", url.Values{"id": {"{" + tenantB + "}"}, "provider": {"sample"}}, "id", "Enter the tenant GUID"},
		{"no provider", url.Values{"id": {tenantB}}, "provider", "Choose the provider"},
		{"unknown provider", url.Values{"id": {tenantB}, "provider": {"elsewhere"}}, "provider", "sample, upstream-b"},
		{"duplicate", url.Values{"id": {strings.ToUpper(tenantA)}, "provider": {"sample"}}, "id", "already mapped"},
		{"name with control characters", url.Values{"id": {tenantB}, "name": {"a\x07b"}, "provider": {"sample"}}, "name", "printable text"},
	} {
		res := b.post("/tenants", "/tenants", c.form)
		assert.Equal(t, http.StatusBadRequest, res.status, c.name)
		assert.Contains(t, errorNextTo(res.body, c.field), c.want, c.name)
	}
	ts, err := e.dir.List(t.Context())
	require.NoError(t, err)
	assert.Len(t, ts, 1, "no tenant was added")

	res = b.post("/tenants/"+tenantA, "/tenants/"+tenantA, url.Values{"provider": {"elsewhere"}})
	assert.Equal(t, http.StatusBadRequest, res.status)
	assert.Contains(t, errorNextTo(res.body, "provider"), "Choose one of the configured providers")
	res = b.post("/tenants/"+tenantA, "/tenants/"+tenantA+"/clients", url.Values{"client": {"nobody"}})
	assert.Equal(t, http.StatusBadRequest, res.status)
	assert.Contains(t, errorNextTo(res.body, "client"), "Choose a registered client.")

	// A client whose other tenant is disabled cannot be changed until it is
	// enabled again (the registry checks every tenant of the list).
	_, err = e.dir.Add(t.Context(), routing.Tenant{ID: tenantB, Backend: "sample"})
	require.NoError(t, err)
	res = b.post("/clients/taken", "/clients/taken/tenants", url.Values{"tenants": {tenantA + "\n" + tenantB}})
	require.Equal(t, http.StatusOK, res.status, res.body)
	require.NoError(t, e.dir.Disable(t.Context(), tenantB))
	res = b.post("/tenants/"+tenantA, "/tenants/"+tenantA+"/clients/taken/remove", url.Values{})
	assert.Equal(t, http.StatusConflict, res.status)
	assert.Contains(t, errorNextTo(res.body, "remove"), "Tenant "+tenantB+" of this client is disabled")

	// Records that do not exist.
	assert.Equal(t, http.StatusNotFound, b.get("/clients/nobody").status)
	assert.Equal(t, http.StatusNotFound, b.get("/clients/taken/secrets/nope/revoke").status)
	assert.Equal(t, http.StatusNotFound, b.get("/tenants/"+"00000000-0000-4000-8000-000000000000").status)
	assert.Equal(t, http.StatusNotFound, b.get("/tenants/not-a-guid").status)
	assert.Equal(t, http.StatusNotFound, b.post("/clients", "/clients/nobody/disable", url.Values{}).status)
	assert.Equal(t, http.StatusNotFound, b.post("/clients", "/clients/nobody/secrets", url.Values{}).status)
	assert.Equal(t, http.StatusNotFound, b.post("/clients", "/tenants/00000000-0000-4000-8000-000000000000/disable", url.Values{}).status)
	assert.Equal(t, http.StatusOK, b.get("/clients").status, "the server stays up")
}

// What an operator types is escaped wherever it is shown.
func TestNamesAreEscaped(t *testing.T) {
	e := newEnv(t, nil)
	b := e.browser()
	b.signIn()
	evil := `<script>alert(1)</script>`
	res := b.post("/clients", "/clients", url.Values{"name": {evil}, "client_id": {"x"}, "tenants": {tenantA}})
	require.Equal(t, http.StatusOK, res.status, res.body)
	for _, p := range []string{"/clients", "/clients/x", "/tenants/" + tenantA} {
		body := b.get(p).body
		assert.NotContains(t, body, evil, p)
		assert.Contains(t, body, "&lt;script&gt;", p)
	}
}

// A secret is shown on the first page rendered after it was created and
// never again, whichever page that is, and not at all after two minutes.
func TestSecretIsShownOnce(t *testing.T) {
	e := newEnv(t, nil)
	b := e.browser()
	b.signIn()
	noRedirect := *b.c
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	post := func(path string, form url.Values) {
		form.Set("csrf", csrf(t, b.get("/clients").body))
		req, err := http.NewRequest(http.MethodPost, e.url(path), strings.NewReader(form.Encode()))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		res, err := noRedirect.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
	}

	post("/clients", url.Values{"client_id": {"a"}})
	first := b.get("/clients/a")
	require.NotEmpty(t, secretOn(first.body))
	assert.Empty(t, secretOn(b.get("/clients/a").body), "a reload shows no secret")

	post("/clients/a/secrets", url.Values{})
	assert.Empty(t, secretOn(b.get("/tenants").body), "another page")
	assert.Empty(t, secretOn(b.get("/clients/a").body), "the other page was the one")

	post("/clients", url.Values{"client_id": {"b"}})
	assert.Empty(t, secretOn(b.get("/clients/a").body), "another client's page")

	post("/clients", url.Values{"client_id": {"d"}})
	e.clock.Advance(shownSecretTTL)
	assert.Empty(t, secretOn(b.get("/clients/d").body), "too late")

	// Another session never sees it.
	other := e.browser()
	other.signIn()
	res := other.post("/clients", "/clients", url.Values{"client_id": {"c"}})
	secret := secretOn(res.body)
	require.NotEmpty(t, secret)
	for _, p := range []string{"/clients", "/clients/c", "/activity"} {
		assert.NotContains(t, b.get(p).body, secret, p)
	}
	assert.NotContains(t, e.logs.String(), secret)
}

// failingTenants is a tenant store that can be switched off.
type failingTenants struct {
	*routing.MemoryStore
	down atomic.Bool
}

var errDown = errors.New("dial tcp 10.0.0.7:5432: connection refused")

func (f *failingTenants) ListTenants(ctx context.Context) ([]routing.Tenant, error) {
	if f.down.Load() {
		return nil, errDown
	}
	return f.MemoryStore.ListTenants(ctx)
}

// A store that cannot be reached gets a 503 page; the cause goes to the
// log, never to the page.
func TestStoreUnavailable(t *testing.T) {
	store := &failingTenants{MemoryStore: routing.NewMemoryStore()}
	e := newEnv(t, func(c *Config) {
		dir, err := routing.NewDirectory(context.Background(), routing.DirectoryConfig{Store: store, MaxStale: time.Minute})
		require.NoError(t, err)
		c.Tenants = dir
	})
	b := e.browser()
	b.signIn()
	assert.Equal(t, http.StatusOK, b.get("/tenants").status)
	store.down.Store(true)
	res := b.get("/tenants")
	assert.Equal(t, http.StatusServiceUnavailable, res.status)
	assert.Contains(t, res.body, "could not be reached")
	assert.NotContains(t, res.body, "10.0.0.7")
	assert.Contains(t, e.logs.String(), "10.0.0.7")
	store.down.Store(false)
	assert.Equal(t, http.StatusOK, b.get("/tenants").status)
}

// Without a directory the tenant pages say so, and clients still work.
func TestWithoutTenantDirectory(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Tenants = nil; c.Providers = nil })
	b := e.browser()
	b.signIn()
	res := b.get("/tenants")
	assert.Equal(t, http.StatusOK, res.status)
	assert.Contains(t, res.body, "not managed here")
	assert.Equal(t, http.StatusNotFound, b.post("/tenants", "/tenants", url.Values{"id": {tenantB}, "provider": {"x"}}).status)
	assert.Equal(t, http.StatusNotFound, b.get("/tenants/"+tenantA).status)
	res = b.post("/clients", "/clients", url.Values{"client_id": {"x"}, "tenants": {tenantA}})
	require.Equal(t, http.StatusOK, res.status)
	assert.Contains(t, res.body, "<code>"+tenantA+"</code>")
}
