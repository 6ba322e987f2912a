package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patientsfhir/patientsfhir/internal/testsupport"
)

// started is one run of the command, in-process.
type started struct {
	out    *testsupport.Buffer
	log    slog.Handler // JSON lines into logs
	logs   *testsupport.Buffer
	cancel context.CancelFunc
	done   chan error
}

// startRun runs the command on a free port and waits for the credentials
// file (written once the server listens).
func startRun(t *testing.T, o options) *started {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var opsLn net.Listener
	if o.opsAddr != "" {
		opsLn, err = net.Listen("tcp", o.opsAddr)
		require.NoError(t, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &started{out: &testsupport.Buffer{}, logs: &testsupport.Buffer{}, cancel: cancel, done: make(chan error, 1)}
	s.log = slog.NewJSONHandler(s.logs, nil)
	_ = os.Remove(o.credentials)
	go func() { s.done <- run(ctx, o, ln, opsLn, slog.New(s.log), s.out) }()
	require.Eventually(t, func() bool {
		_, err := os.Stat(o.credentials)
		return err == nil
	}, 2*time.Minute, 20*time.Millisecond, "the credentials file is written once the server listens")
	return s
}

// stop shuts the server down as SIGTERM would and returns run's error.
func (s *started) stop(t *testing.T) error {
	t.Helper()
	s.cancel()
	select {
	case err := <-s.done:
		return err
	case <-time.After(30 * time.Second):
		require.FailNow(t, "run did not return after its context ended")
		return nil
	}
}

// credentialsFile is the documented format of -credentials.
type credentialsFile struct {
	TokenURL string `json:"token_url"`
	Bases    struct {
		STU3  string `json:"stu3"`
		DSTU2 string `json:"dstu2"`
	} `json:"bases"`
	Tenants []struct {
		Tenant       string `json:"tenant"`
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
		Patient      struct {
			ID        string `json:"id"`
			Family    string `json:"family"`
			Given     string `json:"given"`
			BirthDate string `json:"birth_date"`
			Gender    string `json:"gender"`
			MRN       string `json:"mrn"`
		} `json:"patient"`
	} `json:"tenants"`
}

func readCredentials(t *testing.T, path string) credentialsFile {
	t.Helper()
	info, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var c credentialsFile
	require.NoError(t, json.Unmarshal(b, &c))
	return c
}

// The first start prints the credentials and the operator token once and
// writes the credentials file; the service answers; a second start on the
// same data directory prints no secret, keeps the secrets and the data,
// and both shut down cleanly.
func TestFirstStartThenRestart(t *testing.T) {
	dir := t.TempDir()
	o := options{data: filepath.Join(dir, "data"), patients: 40, tenants: 2, credentials: filepath.Join(dir, "creds.json")}
	s := startRun(t, o)
	c := readCredentials(t, o.credentials)
	require.Len(t, c.Tenants, 2)
	out := s.out.String()
	assert.Contains(t, out, "patientsfhir sample EHR: 2 tenants, 40 patients each")
	assert.Contains(t, out, "operator token: fhop_")
	for _, tc := range c.Tenants {
		assert.Contains(t, out, "client_secret: "+tc.ClientSecret+"   (shown once;")
		assert.Contains(t, out, "tenant "+tc.Tenant)
		assert.Equal(t, "pat-1", tc.Patient.ID)
		assert.Regexp(t, `^\d{4}-\d{2}-\d{2}$`, tc.Patient.BirthDate)
	}
	assert.Contains(t, out, "SECRET="+c.Tenants[0].ClientSecret)
	assert.True(t, strings.HasPrefix(c.Bases.STU3, "http://127.0.0.1:"))
	origin := strings.TrimSuffix(c.TokenURL, "/token")
	assert.Contains(t, out, "  portal:      "+origin+"/portal   operator credential (shown once):\n")
	m := regexp.MustCompile(`(?m)^ {19}(\S{43})$`).FindStringSubmatch(out)
	require.NotNil(t, m, "the portal's credential, once, in the banner: %s", out)
	portalCredential := m[1]
	assert.NotContains(t, out, "put TLS in front", "127.0.0.1 needs no TLS")

	res, err := http.Get(c.Bases.DSTU2 + "/metadata")
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusOK, res.StatusCode)
	require.NoError(t, s.stop(t))

	s = startRun(t, o)
	again := readCredentials(t, o.credentials)
	out = s.out.String()
	for i, tc := range again.Tenants {
		assert.Equal(t, c.Tenants[i].ClientSecret, tc.ClientSecret, "the kept secret is handed to scripts")
		assert.NotContains(t, out, tc.ClientSecret, "but not printed again")
	}
	assert.Contains(t, out, "client_secret: (shown at first start; kept in "+filepath.Join(o.data, "clients.json")+")")
	assert.Contains(t, out, "SECRET=$(jq -r '.clients[0].client_secret' "+filepath.Join(o.data, "clients.json")+")")
	assert.NotContains(t, out, "operator token: fhop_")
	assert.NotContains(t, out, portalCredential, "the portal's credential is not printed again")
	assert.Contains(t, out, "  portal:      "+strings.TrimSuffix(again.TokenURL, "/token")+"/portal   (operator credential shown at first start; delete "+
		filepath.Join(o.data, "portal-operator.sha256")+" for a new one)")
	require.NoError(t, s.stop(t))
}

// -portal=false leaves the portal out; a credential from the environment
// is named in the banner, never printed, and one too short stops the
// start.
func TestPortalFlags(t *testing.T) {
	dir := t.TempDir()
	o := options{data: filepath.Join(dir, "data"), patients: 5, tenants: 1, credentials: filepath.Join(dir, "creds.json"), noPortal: true}
	s := startRun(t, o)
	assert.NotContains(t, s.out.String(), "portal")
	require.NoError(t, s.stop(t))

	o.noPortal, o.portalCred = false, "an operator credential from the environment"
	s = startRun(t, o)
	out := s.out.String()
	assert.Contains(t, out, "/portal   (operator credential from PATIENTSFHIR_PORTAL_CREDENTIAL)\n")
	assert.NotContains(t, out, o.portalCred)
	require.NoError(t, s.stop(t))

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	o.portalCred = "short"
	err = run(context.Background(), o, ln, nil, slog.New(slog.DiscardHandler), &testsupport.Buffer{})
	assert.EqualError(t, err, "PATIENTSFHIR_PORTAL_CREDENTIAL must be 16 to 1024 characters")
}

// Over plain http, browsers keep the portal's Secure cookies only for
// localhost and loopback addresses: elsewhere the banner asks for TLS.
func TestLoopback(t *testing.T) {
	for host, want := range map[string]bool{"127.0.0.1": true, "localhost": true, "::1": true, "app.localhost": true,
		"0.0.0.0": false, "::": false, "192.168.1.20": false, "fhir.example.com": false} {
		assert.Equal(t, want, loopback(host), host)
	}
}

// A bad seal key from the environment stops the start with its name.
func TestBadSealKey(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	err = run(context.Background(), options{data: t.TempDir(), patients: 1, tenants: 1, sealKey: "c2hvcnQ="}, ln, nil,
		slog.New(slog.DiscardHandler), &testsupport.Buffer{})
	assert.EqualError(t, err, "PATIENTSFHIR_SEAL_KEY must be 32 bytes in standard base64")
}

// -patients 0 is refused; an interrupt while seeding stops the start
// cleanly, and the next start seeds.
func TestBadFlagsAndInterruptedSeeding(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	err = run(context.Background(), options{data: t.TempDir(), patients: 0, tenants: 2}, ln, nil, slog.New(slog.DiscardHandler), &testsupport.Buffer{})
	assert.EqualError(t, err, "-patients and -tenants must be at least 1")

	ln, err = net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	out := &testsupport.Buffer{}
	dir := t.TempDir()
	assert.NoError(t, run(ctx, options{data: dir, patients: 50, tenants: 1}, ln, nil, slog.New(slog.DiscardHandler), out))
	assert.Empty(t, out.String(), "no banner: it never served")
	o := options{data: dir, patients: 50, tenants: 1, credentials: filepath.Join(t.TempDir(), "creds.json")}
	s := startRun(t, o)
	assert.Len(t, readCredentials(t, o.credentials).Tenants, 1)
	require.NoError(t, s.stop(t))
}

// -ops-addr serves the metrics and probes on the operator's address (not
// the public one), the banner names it, -access-log writes a line per
// request, and a stop is logged and graceful.
func TestOpsAddressAndAccessLog(t *testing.T) {
	dir := t.TempDir()
	o := options{data: filepath.Join(dir, "data"), patients: 5, tenants: 1, credentials: filepath.Join(dir, "creds.json"),
		opsAddr: "127.0.0.1:0", accessLog: true}
	s := startRun(t, o)
	c := readCredentials(t, o.credentials)
	m := regexp.MustCompile(`(?m)^  operations:  (http://127\.0\.0\.1:\d+)/metrics   /healthz   /readyz$`).FindStringSubmatch(s.out.String())
	require.NotNil(t, m, "the banner names the operator's address: %s", s.out.String())
	ops := m[1]

	get := func(url string) (int, string) {
		res, err := http.Get(url)
		require.NoError(t, err)
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		return res.StatusCode, string(b)
	}
	code, _ := get(c.Bases.STU3 + "/metadata")
	assert.Equal(t, http.StatusOK, code)
	// The request is counted once its handler returns, which can be just
	// after the client has read the response.
	assert.Eventually(t, func() bool {
		res, err := http.Get(ops + "/metrics")
		if err != nil {
			return false
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		return err == nil && res.StatusCode == http.StatusOK && strings.Contains(string(b), "patientsfhir_http_requests_total")
	}, 10*time.Second, 20*time.Millisecond, "the request is counted")
	code, body := get(ops + "/metrics")
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, "go_goroutines", "the Go runtime's collectors")
	assert.NotContains(t, body, c.Tenants[0].Tenant, "no tenant in a label")
	for _, p := range []string{"/healthz", "/readyz"} {
		code, _ = get(ops + p)
		assert.Equal(t, http.StatusOK, code, p)
	}
	code, _ = get(strings.TrimSuffix(c.TokenURL, "/token") + "/metrics")
	assert.Equal(t, http.StatusNotFound, code, "never on the public address")
	require.NoError(t, s.stop(t))

	logs := s.logs.String()
	assert.Contains(t, logs, `"route":"/stu3/metadata","status":200`, "the access log")
	assert.Contains(t, logs, `"msg":"patientsfhir: shutting down"`)
	assert.Contains(t, logs, `"msg":"patientsfhir: stopped"`)
	assert.NotContains(t, logs, c.Tenants[0].ClientSecret)
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{1: "1", 999: "999", 1000: "1,000", 100000: "100,000", 1234567: "1,234,567"} {
		assert.Equal(t, want, thousands(n))
	}
}

// With PATIENTSFHIR_DATABASE_URL the data and the auth store are in
// PostgreSQL: the banner says so (never the connection string), the
// directory holds no database file, and the service answers.
func TestPostgresData(t *testing.T) {
	dsn := testsupport.PostgresSchema(t)
	u, err := url.Parse(dsn)
	require.NoError(t, err)
	u.User = url.UserPassword(u.User.Username(), "pw-never-printed") // the test server trusts local connections
	dir := t.TempDir()
	o := options{data: filepath.Join(dir, "data"), patients: 5, tenants: 1, credentials: filepath.Join(dir, "creds.json"),
		postgres: u.String()}
	s := startRun(t, o)
	c := readCredentials(t, o.credentials)
	require.Len(t, c.Tenants, 1)
	assert.Contains(t, s.out.String(), "data in PostgreSQL (PATIENTSFHIR_DATABASE_URL) and "+o.data)
	for _, f := range []string{"ehr.db", "auth.db"} {
		assert.NoFileExists(t, filepath.Join(o.data, f))
	}
	tc := c.Tenants[0]
	res, err := http.PostForm(c.TokenURL, url.Values{"grant_type": {"client_credentials"}, "client_id": {tc.ClientID},
		"client_secret": {tc.ClientSecret}, "scope": {tc.Tenant}})
	require.NoError(t, err)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	require.NoError(t, json.NewDecoder(res.Body).Decode(&tok))
	res.Body.Close()
	req, err := http.NewRequest(http.MethodGet, c.Bases.STU3+"/Observation?patient=pat-1&category=vital-signs&_count=2", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	res, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, res.StatusCode, "%s", body)
	assert.Contains(t, string(body), `"resourceType":"Bundle"`)
	require.NoError(t, s.stop(t))
	for _, out := range []string{s.out.String(), s.logs.String()} {
		assert.NotContains(t, out, "pw-never-printed")
		assert.NotContains(t, out, u.Host, "nor where the database is")
	}
}
