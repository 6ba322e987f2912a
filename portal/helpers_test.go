package portal

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/patientsfhir/patientsfhir/auth"
	"github.com/patientsfhir/patientsfhir/internal/testsupport"
	"github.com/patientsfhir/patientsfhir/routing"
)

// Tenants of the tests: A is mapped before each test starts.
const (
	tenantA = "0e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b"
	tenantB = "72f988bf-86f1-41af-91ab-2d7cd011db47"
)

// testCredential is the operator credential of the tests.
const testCredential = "operator-credential-for-tests-0123456789"

// env is a server as patientsfhir.New builds it, without the FHIR bases:
// the token endpoint and JWKS of an auth server whose tenant truth is a
// routing directory, and the portal, over TLS.
type env struct {
	t        testing.TB
	ts       *httptest.Server
	auth     *auth.Server
	dir      *routing.Directory
	portal   *Portal
	activity *Activity
	clock    *testsupport.Clock  // the portal's clock (sessions, sign-in budget)
	logs     *testsupport.Buffer // everything the servers log, audit events included
	announce *testsupport.Buffer
}

// newEnv starts the servers over TLS; mutate may change the portal's
// Config. The peer 127.0.0.1 is a trusted proxy, so tests choose their
// address with X-Forwarded-For.
func newEnv(t testing.TB, mutate func(*Config)) *env {
	t.Helper()
	return startEnv(t, true, mutate)
}

// startEnv is newEnv, over TLS or plain HTTP.
func startEnv(t testing.TB, useTLS bool, mutate func(*Config)) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{t: t, clock: testsupport.NewClock(time.Now()), logs: &testsupport.Buffer{}, announce: &testsupport.Buffer{}}
	log := slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var handler atomic.Pointer[http.Handler]
	e.ts = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		(*handler.Load()).ServeHTTP(w, r)
	}))
	e.ts.Config.ErrorLog = slog.NewLogLogger(log.Handler(), slog.LevelError)
	if useTLS {
		e.ts.StartTLS()
	} else {
		e.ts.Start()
	}
	t.Cleanup(e.ts.Close)

	dir, err := routing.NewDirectory(ctx, routing.DirectoryConfig{Store: routing.NewMemoryStore(), Logger: log})
	require.NoError(t, err)
	_, err = dir.Add(ctx, routing.Tenant{ID: tenantA, Name: "Contoso Clinics", Backend: "sample"})
	require.NoError(t, err)
	e.dir = dir
	e.activity = NewActivity(0, auth.SlogAuditor{Logger: log})
	e.auth, err = auth.New(ctx, auth.Config{
		Issuer: e.ts.URL, Audience: e.ts.URL, SealKey: bytes.Repeat([]byte{9}, 32), Insecure: !useTLS,
		TenantValidator: dir.Check, Auditor: e.activity, Logger: log, TrustedProxies: []string{"127.0.0.1/32"},
	}, auth.NewMemoryStore())
	require.NoError(t, err)
	cfg := Config{
		Auth: e.auth, Tenants: dir, Providers: []string{"sample", "upstream-b"}, Activity: e.activity,
		Credential: testCredential, Announce: e.announce, Logger: log, Now: e.clock.Now,
	}
	if mutate != nil {
		mutate(&cfg)
	}
	e.portal, err = New(cfg)
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/", e.auth.Handler())
	mux.Handle(e.portal.BasePath()+"/", e.portal)
	var h http.Handler = mux
	handler.Store(&h)
	return e
}

// url returns the absolute URL of a portal path.
func (e *env) url(p string) string { return e.ts.URL + DefaultBasePath + p }

// browser is a Go HTTP client with its own cookies: one browser session.
type browser struct {
	e    *env
	c    *http.Client
	addr string // the X-Forwarded-For address it comes from
}

func (e *env) browser() *browser {
	jar, err := cookiejar.New(nil)
	require.NoError(e.t, err)
	tr := e.ts.Client().Transport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: e.ts.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs}
	return &browser{e: e, c: &http.Client{Jar: jar, Transport: tr}, addr: "198.51.100.1"}
}

// response is a read response.
type response struct {
	status int
	body   string
	header http.Header
	url    string // after redirects
}

func (b *browser) do(method, path string, form url.Values) response {
	b.e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.e.url(path), body)
	require.NoError(b.e.t, err)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("X-Forwarded-For", b.addr)
	res, err := b.c.Do(req)
	require.NoError(b.e.t, err)
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	require.NoError(b.e.t, err)
	return response{status: res.StatusCode, body: string(raw), header: res.Header, url: res.Request.URL.Path}
}

func (b *browser) get(path string) response { return b.do(http.MethodGet, path, nil) }

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf returns the CSRF token of the forms on a page.
func csrf(t testing.TB, body string) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(body)
	require.NotNil(t, m, "no CSRF token in the page")
	return m[1]
}

// post submits a form from the page at from, with that page's CSRF token.
func (b *browser) post(from, path string, form url.Values) response {
	b.e.t.Helper()
	page := b.get(from)
	require.Equal(b.e.t, http.StatusOK, page.status, "page %s", from)
	form.Set("csrf", csrf(b.e.t, page.body))
	return b.do(http.MethodPost, path, form)
}

// signIn signs the browser in as the operator.
func (b *browser) signIn() {
	b.e.t.Helper()
	res := b.post("/signin", "/signin", url.Values{"credential": {testCredential}})
	require.Equal(b.e.t, http.StatusOK, res.status, "sign-in: %s", res.body)
	require.Equal(b.e.t, DefaultBasePath+"/clients", res.url)
}

var secretValueRE = regexp.MustCompile(`id="new-secret">([^<]+)<`)

// secretOn returns the secret a page shows, or "".
func secretOn(body string) string {
	if m := secretValueRE.FindStringSubmatch(body); m != nil {
		return m[1]
	}
	return ""
}

// token asks the token endpoint for a token with the OAuth2 client
// credentials flow, as the Patients app does.
func (e *env) token(clientID, secret, tenant string) (*oauth2.Token, error) {
	cc := clientcredentials.Config{ClientID: clientID, ClientSecret: secret, TokenURL: e.auth.Endpoints().Token,
		Scopes: []string{tenant}, AuthStyle: oauth2.AuthStyleInParams}
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, e.ts.Client())
	return cc.Token(ctx)
}

// assertTokenRefused checks that the token endpoint refuses the request
// with the given OAuth2 error code.
func (e *env) assertTokenRefused(clientID, secret, tenant, code string) {
	e.t.Helper()
	_, err := e.token(clientID, secret, tenant)
	var re *oauth2.RetrieveError
	if assert.ErrorAs(e.t, err, &re, "the token request must be refused") {
		assert.Equal(e.t, code, re.ErrorCode)
	}
}
