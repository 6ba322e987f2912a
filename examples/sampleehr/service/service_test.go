package service_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patientsfhir/patientsfhir/dstu2/dstu2test"
	"github.com/patientsfhir/patientsfhir/examples/sampleehr/service"
	"github.com/patientsfhir/patientsfhir/internal/fhirschema"
	"github.com/patientsfhir/patientsfhir/internal/kit"
	"github.com/patientsfhir/patientsfhir/internal/testsupport"
	"github.com/patientsfhir/patientsfhir/stu3/stu3test"
)

// patients is the size of the tests' populations: the designated patient
// (the one the kits look at) is the same at any size below 250.
const patients = 80

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

// start opens the service in dir behind a real HTTP server whose URL is
// its public URL.
func start(t *testing.T, dir string) (*service.Service, *httptest.Server) {
	t.Helper()
	return startWith(t, service.Config{Dir: dir})
}

// startWith is start with more of the configuration: cfg.Dir and the
// rest of cfg, filled with the public URL, the population size and the
// logger.
func startWith(t *testing.T, cfg service.Config) (*service.Service, *httptest.Server) {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	ts.Start()
	t.Cleanup(ts.Close)
	cfg.PublicURL, cfg.Patients, cfg.Logger = ts.URL, patients, quiet()
	svc, err := service.Open(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { svc.Close() })
	ts.Config.Handler = svc
	return svc, ts
}

// token gets an access token from the service's token endpoint with the
// tenant's demo client.
func token(t *testing.T, c service.Credentials, i int) string {
	t.Helper()
	tc := c.Tenants[i]
	res, err := http.PostForm(c.TokenURL, url.Values{"grant_type": {"client_credentials"}, "client_id": {tc.ClientID},
		"client_secret": {tc.ClientSecret}, "scope": {tc.Tenant}})
	require.NoError(t, err)
	defer res.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
	}
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.NoError(t, json.NewDecoder(res.Body).Decode(&body))
	require.Equal(t, "Bearer", body.TokenType)
	return body.AccessToken
}

func get(t *testing.T, u, tok string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest("GET", u, nil)
	require.NoError(t, err)
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return res.StatusCode, m
}

// Every tenant passes both conformance kits through the real HTTP service
// with real tokens: the catalogue, the filters, totals, sort and paging,
// every body valid against the official schema, nothing relaxed.
func TestConformanceEveryTenant(t *testing.T) {
	svc, ts := start(t, t.TempDir())
	creds := svc.Credentials()
	require.Len(t, creds.Tenants, 2)
	remote := &kit.Remote{Origin: ts.URL}
	for i, tc := range creds.Tenants {
		tok := token(t, creds, i)
		bearer := func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
		p := tc.Patient
		data := stu3test.TestData{PatientID: p.ID, Family: p.Family, Given: p.Given, BirthDate: p.BirthDate, Gender: p.Gender,
			MRN: p.MRN, MRNSystem: p.MRNSystem}
		t.Run("STU3/"+tc.Tenant, func(t *testing.T) {
			stu3test.Run(t, remote, data, stu3test.Options{Base: "/stu3", Authorize: bearer,
				Schema: func(b []byte) error { return fhirschema.ValidateStrict(fhirschema.STU3, b) }})
		})
		t.Run("DSTU2/"+tc.Tenant, func(t *testing.T) {
			dstu2test.Run(t, remote, dstu2test.TestData(data), dstu2test.Options{Base: "/dstu2", Authorize: bearer,
				Schema: func(b []byte) error { return fhirschema.ValidateStrict(fhirschema.DSTU2, b) }})
		})
	}
	assert.Greater(t, remote.Requests(), int64(600), "four full kit runs")
}

// The first start creates the data directory (0700) with its secrets
// (0600), seeds every tenant, registers them and creates their clients;
// a restart, on another address, finds everything: the same clients and
// secrets, the same signing key, the same tenants, and seeds nothing.
// With PostgresDSN, the same holds with the data and the auth store in
// PostgreSQL (no database file in the directory).
func TestFirstStartAndRestart(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { firstStartAndRestart(t, "") })
	t.Run("postgres", func(t *testing.T) { firstStartAndRestart(t, testsupport.PostgresSchema(t)) })
}

func firstStartAndRestart(t *testing.T, dsn string) {
	dir := filepath.Join(t.TempDir(), "data")
	svc, ts := startWith(t, service.Config{Dir: dir, PostgresDSN: dsn})
	first := svc.Start()
	require.Len(t, first.Seeded, 2)
	assert.Equal(t, service.TenantID(0), first.Seeded[0].Tenant)
	assert.Equal(t, patients, first.Seeded[0].Stats.Patients)
	assert.Equal(t, []string{"patients-app-1", "patients-app-2"}, first.NewClients)
	assert.True(t, strings.HasPrefix(first.OperatorToken, service.OperatorTokenPrefix))
	assert.Equal(t, patients, first.Patients)

	info, err := os.Stat(dir)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), info.Mode().Perm())
	for _, f := range []string{service.SealKeyFile, service.OperatorTokenFile, service.ClientsFile} {
		info, err := os.Stat(filepath.Join(dir, f))
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), f)
	}
	creds := svc.Credentials()
	assert.Equal(t, ts.URL+"/token", creds.TokenURL)
	assert.Equal(t, service.Bases{STU3: ts.URL + "/stu3", DSTU2: ts.URL + "/dstu2"}, creds.Bases)
	require.Len(t, creds.Tenants, 2)
	for i, tc := range creds.Tenants {
		assert.Equal(t, service.TenantID(i), tc.Tenant)
		assert.Equal(t, service.ClientID(i), tc.ClientID)
		assert.True(t, strings.HasPrefix(tc.ClientSecret, "fhcs_"))
		assert.Equal(t, "pat-1", tc.Patient.ID)
		assert.NotEmpty(t, tc.Name)
	}
	assert.NotEqual(t, creds.Tenants[0].Patient.Family, creds.Tenants[1].Patient.Family, "each tenant its own population")
	keys, err := svc.Server().Auth().Keys().List(context.Background())
	require.NoError(t, err)
	tok := token(t, creds, 0)
	st, pt := get(t, creds.Bases.STU3+"/Patient/pat-1", tok)
	require.Equal(t, http.StatusOK, st)
	assert.Equal(t, creds.Tenants[0].Patient.Family, pt["name"].([]any)[0].(map[string]any)["family"])
	ts.Close()
	require.NoError(t, svc.Close())

	for _, f := range []string{service.EHRFile, service.AuthFile} {
		_, err := os.Stat(filepath.Join(dir, f))
		assert.Equal(t, dsn != "", errors.Is(err, fs.ErrNotExist), "%s in the directory only with SQLite", f)
	}

	svc2, ts2 := startWith(t, service.Config{Dir: dir, PostgresDSN: dsn})
	again := svc2.Start()
	assert.Empty(t, again.Seeded)
	assert.Empty(t, again.NewClients)
	assert.Empty(t, again.OperatorToken, "kept, not shown again")
	creds2 := svc2.Credentials()
	for i := range creds.Tenants {
		assert.Equal(t, creds.Tenants[i].ClientSecret, creds2.Tenants[i].ClientSecret)
		assert.Equal(t, creds.Tenants[i].Patient, creds2.Tenants[i].Patient)
	}
	assert.Equal(t, ts2.URL+"/token", creds2.TokenURL)
	keys2, err := svc2.Server().Auth().Keys().List(context.Background())
	require.NoError(t, err)
	assert.Equal(t, keys, keys2, "the sealed signing key is kept")
	st, _ = get(t, creds2.Bases.DSTU2+"/Patient/pat-1", token(t, creds2, 1))
	assert.Equal(t, http.StatusOK, st)
	tenants, err := svc2.Directory().List(context.Background())
	require.NoError(t, err)
	require.Len(t, tenants, 2)
	assert.Equal(t, service.Backend, tenants[0].Backend)
}

// A tenant's token never reaches the other tenant's data: the other
// tenant's designated patient is not found by its MRN, and the same id
// reads this tenant's own patient.
func TestTenantsAreIsolated(t *testing.T) {
	svc, _ := start(t, t.TempDir())
	creds := svc.Credentials()
	tokA := token(t, creds, 0)
	b := creds.Tenants[1].Patient
	st, bundle := get(t, creds.Bases.STU3+"/Patient?identifier="+url.QueryEscape(b.MRNSystem+"|"+b.MRN), tokA)
	require.Equal(t, http.StatusOK, st)
	assert.EqualValues(t, 0, bundle["total"])
	st, pt := get(t, creds.Bases.DSTU2+"/Patient/"+b.ID, tokA)
	require.Equal(t, http.StatusOK, st)
	assert.Equal(t, []any{creds.Tenants[0].Patient.Family}, pt["name"].([]any)[0].(map[string]any)["family"])

	st, _ = get(t, creds.Bases.STU3+"/Patient/pat-1", "")
	assert.Equal(t, http.StatusUnauthorized, st)
}

// A bad configuration names what is wrong.
func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		cfg  service.Config
		want string
	}{
		{service.Config{PublicURL: "http://x"}, "Dir is required"},
		{service.Config{Dir: t.TempDir()}, "PublicURL is required"},
		{service.Config{Dir: t.TempDir(), PublicURL: "http://x", Patients: -1}, "Patients must be at least 1"},
		{service.Config{Dir: t.TempDir(), PublicURL: "http://x", Tenants: 101}, "Tenants must be 1 to 100"},
		{service.Config{Dir: t.TempDir(), PublicURL: "http://x", SealKey: []byte("short")}, "the seal key must be 32 bytes"},
	} {
		_, err := service.Open(context.Background(), tc.cfg)
		assert.ErrorIs(t, err, service.ErrConfig)
		assert.ErrorContains(t, err, tc.want)
	}
}

// Tenant ids are GUIDs, fixed for the first two and derived for the rest,
// all different.
func TestTenantIDs(t *testing.T) {
	seen := map[string]bool{}
	for i := range service.MaxTenants {
		id := service.TenantID(i)
		assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, id)
		assert.False(t, seen[id], id)
		seen[id] = true
	}
	assert.Equal(t, "b713e65a-b28c-4de1-b539-eac477f9df03", service.TenantID(0))
}
