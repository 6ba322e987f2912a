package patientsfhir_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/patientsfhir/patientsfhir"
	"github.com/patientsfhir/patientsfhir/auth"
	"github.com/patientsfhir/patientsfhir/portal"
	"github.com/patientsfhir/patientsfhir/routing"
	"github.com/patientsfhir/patientsfhir/stu3"
	"github.com/patientsfhir/patientsfhir/stu3/stu3mem"
)

// auditRecorder is a configured Auditor: it still gets every event when
// the portal's activity ring is teed in.
type auditRecorder struct {
	mu    sync.Mutex
	types []auth.EventType
}

func (a *auditRecorder) Record(_ context.Context, e auth.Event) {
	a.mu.Lock()
	a.types = append(a.types, e.Type)
	a.mu.Unlock()
}

func (a *auditRecorder) has(t auth.EventType) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, x := range a.types {
		if x == t {
			return true
		}
	}
	return false
}

// portalServer is a TLS server as the sample EHR would run it: tenants
// from a routing directory, served by one provider, and the portal.
func portalServer(t *testing.T, audit auth.Auditor, mutate func(*patientsfhir.Config)) (*httptest.Server, *routing.Directory) {
	t.Helper()
	ctx := context.Background()
	dir, err := routing.NewDirectory(ctx, routing.DirectoryConfig{Store: routing.NewMemoryStore(), Logger: quiet()})
	require.NoError(t, err)
	_, err = dir.Add(ctx, routing.Tenant{ID: tenant, Name: "Contoso", Backend: "sample"})
	require.NoError(t, err)
	b3, err := stu3mem.NewWithFixtures()
	require.NoError(t, err)
	reg, err := routing.NewRegistry(dir, map[string]routing.Provider[stu3.Backend]{"sample": routing.Fixed[stu3.Backend](b3)})
	require.NoError(t, err)
	ts := httptest.NewUnstartedServer(nil)
	ts.StartTLS()
	t.Cleanup(ts.Close)
	cfg := patientsfhir.Config{
		PublicURL: ts.URL,
		Auth:      auth.Config{SealKey: bytes.Repeat([]byte{7}, 32), TenantValidator: dir.Check, Auditor: audit},
		Store:     auth.NewMemoryStore(),
		STU3:      &stu3.Config{Router: reg, Profile: stu3.PatientsApp()},
		Portal:    &portal.Config{Tenants: dir, Providers: []string{"sample"}, Credential: operatorToken},
		Logger:    quiet(),
	}
	if mutate != nil {
		mutate(&cfg)
	}
	srv, err := patientsfhir.New(ctx, cfg)
	require.NoError(t, err)
	ts.Config.Handler = srv
	return ts, dir
}

var csrfValue = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// portalPost submits a portal form with the CSRF token of the page at from.
func portalPost(t *testing.T, c *http.Client, base, from, to string, form url.Values) (int, string) {
	t.Helper()
	res, err := c.Get(base + from)
	require.NoError(t, err)
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := csrfValue.FindSubmatch(page)
	require.NotNil(t, m, "a CSRF token on %s", from)
	form.Set("csrf", string(m[1]))
	res, err = c.PostForm(base+to, form)
	require.NoError(t, err)
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

// patientsfhir.New mounts the portal at /portal over its own authorization
// server: a client registered there gets tokens from /token that read
// /stu3, and the activity page sees them while the configured Auditor
// still gets every event.
func TestNewMountsThePortal(t *testing.T) {
	audit := &auditRecorder{}
	ts, _ := portalServer(t, audit, nil)
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	c := ts.Client()
	c.Jar = jar

	res, err := c.Get(ts.URL + "/portal")
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, "/portal/signin", res.Request.URL.Path)
	assert.Contains(t, res.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'")

	status, _ := portalPost(t, c, ts.URL, "/portal/signin", "/portal/signin", url.Values{"credential": {operatorToken}})
	require.Equal(t, http.StatusOK, status)
	status, body := portalPost(t, c, ts.URL, "/portal/clients", "/portal/clients", url.Values{"client_id": {"teams"}, "tenants": {tenant}})
	require.Equal(t, http.StatusOK, status, body)
	m := regexp.MustCompile(`id="new-secret">([^<]+)<`).FindStringSubmatch(body)
	require.NotNil(t, m, "the secret is shown")

	cc := clientcredentials.Config{ClientID: "teams", ClientSecret: m[1], TokenURL: ts.URL + "/token", Scopes: []string{tenant}}
	hc := cc.Client(context.WithValue(context.Background(), oauth2.HTTPClient, ts.Client()))
	res, err = hc.Get(ts.URL + "/stu3/Patient/pat-1")
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusOK, res.StatusCode, "the portal's client reads the tenant's data")

	res, err = c.Get(ts.URL + "/portal/activity?client=teams")
	require.NoError(t, err)
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	assert.Contains(t, string(page), `<td class="num">1</td>`, "one token issued, on the activity page")
	assert.True(t, audit.has(auth.EventTokenIssued), "the configured Auditor still gets the events")
	assert.True(t, audit.has(auth.EventClientCreated))
	assert.NotContains(t, string(page), m[1])
}

func TestNewPortalConfigErrors(t *testing.T) {
	for _, c := range []struct {
		name   string
		mutate func(*patientsfhir.Config)
		want   string
	}{
		{"open", func(c *patientsfhir.Config) { c.Open, c.Auth, c.Store = true, auth.Config{}, nil }, "Config.Portal: needs the authorization server"},
		{"auth set", func(c *patientsfhir.Config) { c.Portal.Auth = &auth.Server{} }, "Config.Portal.Auth: leave empty"},
		{"overlaps a base", func(c *patientsfhir.Config) { c.Portal.BasePath = "/stu3/portal" }, `Config.Portal.BasePath: "/stu3/portal" overlaps "/stu3"`},
		{"overlaps admin", func(c *patientsfhir.Config) { c.Portal.BasePath = "/admin" }, "overlaps"},
		{"portal field", func(c *patientsfhir.Config) { c.Portal.Credential = "short" }, "Config.Portal.Credential: must satisfy min=16"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ts := httptest.NewTLSServer(nil)
			defer ts.Close()
			b3, err := stu3mem.NewWithFixtures()
			require.NoError(t, err)
			cfg := patientsfhir.Config{
				PublicURL: ts.URL, Auth: auth.Config{SealKey: bytes.Repeat([]byte{7}, 32)}, Store: auth.NewMemoryStore(),
				STU3: &stu3.Config{Backend: b3}, Portal: &portal.Config{Credential: operatorToken}, Logger: quiet(),
			}
			c.mutate(&cfg)
			_, err = patientsfhir.New(context.Background(), cfg)
			require.ErrorIs(t, err, patientsfhir.ErrInvalidConfig)
			assert.True(t, strings.Contains(err.Error(), c.want), "%v", err)
		})
	}
}
