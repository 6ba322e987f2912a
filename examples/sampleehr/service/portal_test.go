package service_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patientsfhir/patientsfhir/examples/sampleehr/service"
	"github.com/patientsfhir/patientsfhir/internal/testsupport"
	"github.com/patientsfhir/patientsfhir/routing"
)

// openWith opens the service with cfg (Dir, PublicURL and Patients filled
// in when empty) behind a real HTTP server on 127.0.0.1, whose Secure
// cookies browsers and cookiejar accept over plain http.
func openWith(t *testing.T, cfg service.Config) (*service.Service, *httptest.Server) {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	ts.Start()
	t.Cleanup(ts.Close)
	if cfg.Dir == "" {
		cfg.Dir = t.TempDir()
	}
	cfg.PublicURL, cfg.Patients, cfg.Tenants = ts.URL, 10, 1
	if cfg.Logger == nil {
		cfg.Logger = quiet()
	}
	svc, err := service.Open(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { svc.Close() })
	ts.Config.Handler = svc
	return svc, ts
}

// announced is the credential line of the portal's announcement.
var announced = regexp.MustCompile(`(?m)^    (\S+)$`)

// generatedCredential returns the credential the start announced.
func generatedCredential(t *testing.T, st service.Start) string {
	t.Helper()
	m := announced.FindStringSubmatch(st.PortalAnnouncement)
	require.NotNil(t, m, "the announcement holds the credential: %q", st.PortalAnnouncement)
	return m[1]
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// signIn posts the sign-in form with the page's CSRF token, as a browser
// does, and returns the status and the path it ends on.
func signIn(t *testing.T, base, credential string) (int, string) {
	t.Helper()
	return signInFrom(t, base, credential, "")
}

// signInFrom is signIn through a reverse proxy that says the browser's
// address is forwardedFor (X-Forwarded-For), when not "".
func signInFrom(t *testing.T, base, credential, forwardedFor string) (int, string) {
	t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	c := &http.Client{Jar: jar, Transport: forwarding(forwardedFor)}
	res, err := c.Get(base + "/portal/signin")
	require.NoError(t, err)
	page, err := io.ReadAll(res.Body)
	res.Body.Close()
	require.NoError(t, err)
	m := csrfField.FindSubmatch(page)
	require.NotNil(t, m, "a CSRF token on the sign-in form")
	res, err = c.PostForm(base+"/portal/signin", url.Values{"csrf": {string(m[1])}, "credential": {credential}})
	require.NoError(t, err)
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, res.Body)
	return res.StatusCode, res.Request.URL.Path
}

// forwarding is a transport that adds X-Forwarded-For, as a reverse proxy
// does.
type forwarding string

func (f forwarding) RoundTrip(r *http.Request) (*http.Response, error) {
	if f != "" {
		r = r.Clone(r.Context())
		r.Header.Set("X-Forwarded-For", string(f))
	}
	return http.DefaultTransport.RoundTrip(r)
}

// Behind a trusted proxy each browser's address has its own sign-in
// budget; behind an untrusted one X-Forwarded-For is ignored and every
// browser shares the proxy's.
func TestTrustedProxies(t *testing.T) {
	for _, trusted := range []bool{true, false} {
		cfg := service.Config{PortalCredential: "the operator credential of this test"}
		if trusted {
			cfg.TrustedProxies = []string{"127.0.0.1/32", "::1"}
		}
		_, ts := openWith(t, cfg)
		for range 5 { // the default SignInBurst
			code, _ := signInFrom(t, ts.URL, "a wrong credential", "192.0.2.1")
			require.Equal(t, http.StatusUnauthorized, code)
		}
		code, _ := signInFrom(t, ts.URL, "a wrong credential", "192.0.2.1")
		assert.Equal(t, http.StatusTooManyRequests, code, "trusted %v: the attacker's address waits", trusted)
		code, path := signInFrom(t, ts.URL, "the operator credential of this test", "198.51.100.7")
		if trusted {
			assert.Equal(t, http.StatusOK, code, "another browser behind the proxy signs in at once")
			assert.NotEqual(t, "/portal/signin", path)
		} else {
			assert.Equal(t, http.StatusTooManyRequests, code, "untrusted: every browser is the proxy's address")
		}
	}
	_, err := service.Open(context.Background(), service.Config{Dir: t.TempDir(), PublicURL: "http://127.0.0.1:1",
		TrustedProxies: []string{"not an address"}, Logger: quiet()})
	assert.ErrorContains(t, err, "TrustedProxies")
}

// The service serves the operator portal: its sign-in form with the
// security headers, a sign-in with the credential generated at first
// start (which never reaches the log), and the service's tenants on the
// tenant pages. A restart on the same data directory announces nothing
// and keeps the credential.
func TestPortal(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	logs := &testsupport.Buffer{}
	svc, ts := openWith(t, service.Config{Dir: dir, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	st := svc.Start()
	assert.Equal(t, ts.URL+"/portal", st.Portal)
	cred := generatedCredential(t, st)
	assert.Contains(t, st.PortalAnnouncement, ts.URL+"/portal/signin")
	info, err := os.Stat(filepath.Join(dir, service.PortalCredentialFile))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())

	res, err := http.Get(ts.URL + "/portal/signin")
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusOK, res.StatusCode)
	assert.Contains(t, res.Header.Get("Content-Security-Policy"), "default-src 'none'")

	status, path := signIn(t, ts.URL, "not the operator credential")
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.Equal(t, "/portal/signin", path)
	status, path = signIn(t, ts.URL, cred)
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, "/portal/clients", path, "signed in")

	assert.Contains(t, logs.String(), "operator portal mounted")
	assert.NotContains(t, logs.String(), cred, "the credential never reaches the log")
	ts.Close()
	require.NoError(t, svc.Close())

	svc, ts = openWith(t, service.Config{Dir: dir, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	assert.Empty(t, svc.Start().PortalAnnouncement, "no new credential")
	status, path = signIn(t, ts.URL, cred)
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, "/portal/clients", path, "the first start's credential still signs in")
	assert.NotContains(t, logs.String(), cred)
}

// A given credential is used as it is: nothing is generated or kept.
// NoPortal leaves the portal out.
func TestPortalCredentialAndNoPortal(t *testing.T) {
	const cred = "the operator's own credential"
	dir := t.TempDir()
	svc, ts := openWith(t, service.Config{Dir: dir, PortalCredential: cred})
	assert.Empty(t, svc.Start().PortalAnnouncement)
	assert.NoFileExists(t, filepath.Join(dir, service.PortalCredentialFile))
	_, path := signIn(t, ts.URL, cred)
	assert.Equal(t, "/portal/clients", path)

	svc, ts = openWith(t, service.Config{NoPortal: true})
	assert.Empty(t, svc.Start().Portal)
	res, err := http.Get(ts.URL + "/portal/signin")
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusNotFound, res.StatusCode)

	_, err = service.Open(context.Background(), service.Config{Dir: t.TempDir(), PublicURL: "http://x", PortalCredential: "short"})
	assert.ErrorIs(t, err, service.ErrConfig)
	assert.ErrorContains(t, err, "PortalCredential must be 16 to 1024 characters")
}

// The directory the portal's tenant pages manage is the token endpoint's
// tenant truth: a disabled tenant gets no token.
func TestDisabledTenantGetsNoToken(t *testing.T) {
	svc, _ := openWith(t, service.Config{NoPortal: true})
	creds := svc.Credentials()
	tc := creds.Tenants[0]
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {tc.ClientID}, "client_secret": {tc.ClientSecret}, "scope": {tc.Tenant}}
	ctx := context.Background()
	_, err := svc.Directory().Update(ctx, tc.Tenant, func(t *routing.Tenant) error {
		t.State = routing.StateDisabled
		return nil
	})
	require.NoError(t, err)
	res, err := http.PostForm(creds.TokenURL, form)
	require.NoError(t, err)
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	assert.Equal(t, http.StatusBadRequest, res.StatusCode)
	assert.Contains(t, string(body), "invalid_scope")
}

// A start that fails after generating the credential, so that nobody sees
// it, leaves no digest behind: the next start generates a new one.
func TestFailedStartKeepsNoCredential(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, service.ClientsFile), []byte("not JSON"), 0o600))
	_, err := service.Open(context.Background(), service.Config{Dir: dir, PublicURL: "http://127.0.0.1:1", Patients: 5, Tenants: 1,
		Logger: quiet()})
	require.ErrorContains(t, err, service.ClientsFile)
	assert.NoFileExists(t, filepath.Join(dir, service.PortalCredentialFile))
}
