package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patientsfhir/patientsfhir/examples/sampleehr/service"
	"github.com/patientsfhir/patientsfhir/internal/kit"
	"github.com/patientsfhir/patientsfhir/internal/kit/mutation"
)

// check passes the sample EHR: both versions, both tenants, every check,
// and says so in one line per check.
func TestCheckPassesSampleEHR(t *testing.T) {
	s := startSampleEHR(t)
	r := cli(t, nil, "check", "-credentials", s.creds)
	require.Equal(t, exitOK, r.code, r.stdout+r.stderr)
	creds := s.svc.Credentials()
	for _, base := range []string{creds.Bases.STU3, creds.Bases.DSTU2} {
		for _, tc := range creds.Tenants {
			assert.Regexp(t, `(?m)^`+regexp.QuoteMeta(base+"  tenant "+tc.Tenant+" ("+tc.Name+"), test patient pat-1")+`$`, r.stdout)
		}
	}
	assert.Contains(t, r.stdout, "✓ metadata without a token (CapabilityStatement, FHIR 3.0.1)\n")
	assert.Contains(t, r.stdout, "✓ metadata without a token (Conformance, FHIR 1.0.2)\n")
	assert.Contains(t, r.stdout, "✓ token URL from the oauth-uris extension ("+creds.TokenURL+")\n")
	assert.Contains(t, r.stdout, "✓ S3 vital signs, newest first (")
	assert.Contains(t, r.stdout, "✓ D7 medications: MedicationOrder (")
	assert.Contains(t, r.stdout, "✓ a batch with a failing entry answers 200, 404, 200 in order\n")
	assert.Contains(t, r.stdout, "✓ no other tenant's test patient is found (1 other tenant)\n")
	assert.NotContains(t, r.stdout, "✗")
	assert.True(t, strings.HasSuffix(r.stdout, "\n84 passed, 0 failed\n"), r.stdout)
	assert.NotContains(t, r.stdout, "\r", "no progress display when stdout is not a terminal")

	// One tenant, one base, the client and patient from flags and the
	// secret from the environment (and only request line 1 of the kit).
	tc := creds.Tenants[1]
	p := tc.Patient
	r = cli(t, map[string]string{"PATIENTSFHIR_CLIENT_SECRET": tc.ClientSecret}, "check", "-client-id", tc.ClientID, "-tenant", tc.Tenant,
		"-patient-id", p.ID, "-family", p.Family, "-given", p.Given, "-birth-date", p.BirthDate, "-gender", p.Gender, "-mrn", p.MRN,
		"-only", "D1", creds.Bases.DSTU2+"/")
	require.Equal(t, exitOK, r.code, r.stdout+r.stderr)
	assert.Contains(t, r.stdout, "✓ D1 read Patient")
	assert.NotContains(t, r.stdout, "D2 ")
	assert.True(t, strings.HasSuffix(r.stdout, "\n7 passed, 0 failed\n"), "no isolation check with one tenant: %s", r.stdout)
}

// findMutation returns the mutation of the catalogue that breaks rule
// the way name says.
func findMutation(t *testing.T, v *kit.Version, rule, name string) mutation.Mutation {
	t.Helper()
	for _, m := range mutation.Catalogue(v) {
		if m.Rule == rule && m.Name == name {
			return m
		}
	}
	require.FailNow(t, "no such mutation", "%s %q", rule, name)
	return mutation.Mutation{}
}

// onBase applies wrap to the requests of one FHIR base only (the token
// endpoint stays correct).
func onBase(base string, wrap func(http.Handler) http.Handler) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		broken := wrap(h)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == base || strings.HasPrefix(r.URL.Path, base+"/") {
				broken.ServeHTTP(w, r)
				return
			}
			h.ServeHTTP(w, r)
		})
	}
}

// rewriteBatch changes the answer of every batch: edit gets the decoded
// batch-response.
func rewriteBatch(base string, edit func(map[string]any)) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodPost || r.URL.Path != base {
				h.ServeHTTP(w, r)
				return
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			var doc map[string]any
			if json.Unmarshal(rec.Body.Bytes(), &doc) == nil {
				edit(doc)
			}
			b, _ := json.Marshal(doc)
			w.Header().Set("Content-Type", rec.Header().Get("Content-Type"))
			w.WriteHeader(rec.Code)
			_, _ = w.Write(b)
		})
	}
}

// check fails, with precise messages naming the rule and its section,
// against servers broken in the ways partners break them.
func TestCheckFailsBrokenServers(t *testing.T) {
	s := startSampleEHR(t)
	creds := s.svc.Credentials()
	a, b := creds.Tenants[0], creds.Tenants[1]
	p := a.Patient
	data := kit.TestData{PatientID: p.ID, Family: p.Family, Given: p.Given, BirthDate: p.BirthDate, Gender: p.Gender, MRN: p.MRN, MRNSystem: p.MRNSystem}
	mutate := func(v *kit.Version, base, rule, name string) func(http.Handler) http.Handler {
		m := findMutation(t, v, rule, name)
		return onBase(base, func(h http.Handler) http.Handler {
			return m.Wrap(h, mutation.Env{Base: base, Version: v, Data: data})
		})
	}
	stu3, dstu2 := kit.STU3(nil), kit.DSTU2(nil)

	// A server that answers tenant A's requests from tenant B's data:
	// tenant A's token is swapped for B's before routing.
	tokenB := func() string {
		res, err := http.PostForm(creds.TokenURL, url.Values{"grant_type": {"client_credentials"}, "client_id": {b.ClientID},
			"client_secret": {b.ClientSecret}, "scope": {b.Tenant}})
		require.NoError(t, err)
		defer res.Body.Close()
		var tok struct {
			AccessToken string `json:"access_token"`
		}
		require.NoError(t, json.NewDecoder(res.Body).Decode(&tok))
		return tok.AccessToken
	}()
	otherTenant := onBase("/stu3", func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "" {
				r.Header.Set("Authorization", "Bearer "+tokenB)
			}
			h.ServeHTTP(w, r)
		})
	})
	// A server that lets requests without a token in.
	open := onBase("/stu3", func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") == "" || !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer eyJhbGciOiJFUzI1NiIsImtpZCI") {
				r.Header.Set("Authorization", "Bearer "+tokenB)
			}
			h.ServeHTTP(w, r)
		})
	})

	for _, tc := range []struct {
		name   string
		base   string
		broken func(http.Handler) http.Handler
		only   string   // the kit's parts to run
		line   string   // the ✗ line
		want   []string // in the findings under it
		stops  bool     // the checks after it are not run
	}{
		{"no total", "/stu3", mutate(stu3, "/stu3", "total.present", "leaves out Bundle.total"), "S3",
			"✗ S3 vital signs, newest first", []string{"S3 Observation vitals, _sort:desc=date (GET): Bundle.total is missing: the app requires it [total.present §3.6, §9 item 4]"}, false},
		{"no total (DSTU2)", "/dstu2", mutate(dstu2, "/dstu2", "total.present", "leaves out Bundle.total"), "D4,totals",
			"✗ D4 conditions", []string{"[total.present §3.6, §9 item 4]"}, false},
		{"wrong media type", "/stu3", mutate(stu3, "/stu3", "http.json", "says text/plain"), "1",
			"✗ S1 read Patient", []string{`S1 read Patient: Content-Type "text/plain; charset=utf-8" is not FHIR JSON [http.json §9 item 8, A21]`}, false},
		{"metadata behind auth", "/stu3", mutate(stu3, "/stu3", "metadata.open", "asks a token for /metadata"), "",
			"✗ metadata without a token", []string{"status 401, want 200: the app reads the statement before it has a token [metadata.open §3.3, §5.1]"}, true},
		{"missing oauth-uris", "/stu3", mutate(stu3, "/stu3", "metadata.oauth", "publishes no token URL"), "",
			"✗ token URL from the oauth-uris extension", []string{"rest[0].security has no oauth-uris extension with a token URL: the app cannot get a token [metadata.oauth §3.3, §3.4]"}, true},
		{"vitals not newest first", "/stu3", mutate(stu3, "/stu3", "sort.newest", "sorts oldest first"), "S3,S5",
			"✗ S3 vital signs, newest first", []string{"[sort.newest §3.6, §5.3, §5.5]"}, false},
		{"another tenant's data", "/stu3", otherTenant, "2",
			"✗ no other tenant's test patient is found (1 other tenant)",
			[]string{"tenant " + a.Tenant + "'s token finds Patient/pat-1 (" + b.Patient.Family + ", MRN " + b.Patient.MRN + ") of tenant " + b.Tenant + ": another tenant's data [tenant.isolation §3.4, §9 item 2]"}, false},
		{"data without a token", "/stu3", open, "1",
			"✗ no data without a valid token: 401", []string{"GET Patient/{id} without a token: status 200, want 401 [auth.required §9 item 3]",
				"GET Patient/{id} with a token the server did not issue: status 200, want 401 [auth.required §9 item 3]"}, false},
		{"a failing entry fails the batch", "/stu3", rewriteBatch("/stu3", func(doc map[string]any) {
			if es, _ := doc["entry"].([]any); len(es) == 3 {
				es[1].(map[string]any)["response"] = map[string]any{"status": "200 OK"}
			}
		}), "1", "✗ a batch with a failing entry answers 200, 404, 200 in order",
			[]string{`entry 1 (Patient/no-such-patient-0): response.status "200 OK", want 404 [batch.partial §3.5]`}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s.breakWith(t, tc.broken)
			// Only the parts of the kit that matter, without the schema:
			// the run without -only is TestCheckPassesSampleEHR's.
			r := cli(t, nil, "check", "-credentials", s.creds, "-tenant", a.Tenant, "-only", tc.only, "-schema", "off", s.url+tc.base)
			assert.Equal(t, exitFailed, r.code)
			block := lineOf(r.stdout, tc.line)
			require.NotEmpty(t, block, "no line %q in:\n%s", tc.line, r.stdout)
			for _, w := range tc.want {
				assert.Contains(t, block, w)
			}
			assert.Equal(t, tc.stops, strings.Contains(r.stdout, "(the other checks need this one: not run)"), r.stdout)
			assert.Regexp(t, `\n\d+ passed, [1-9]\d* failed\n$`, r.stdout)
		})
	}
}

// A wrong secret, a server that is not there and a base URL without a
// FHIR server are failures that say what happened.
func TestCheckCannotConnect(t *testing.T) {
	s := startSampleEHR(t)
	a := s.svc.Credentials().Tenants[0]
	p := a.Patient
	flags := []string{"check", "-client-id", a.ClientID, "-tenant", a.Tenant, "-patient-id", p.ID, "-family", p.Family,
		"-given", p.Given, "-birth-date", p.BirthDate, "-mrn", p.MRN}

	r := cli(t, map[string]string{"PATIENTSFHIR_CLIENT_SECRET": "fhcs_wrong"}, append(flags, s.url+"/stu3")...)
	assert.Equal(t, exitFailed, r.code)
	assert.Contains(t, lineOf(r.stdout, "✗ token for the tenant"),
		"POST "+s.url+"/token with client_id patients-app-1 and scope "+a.Tenant+": status 401: invalid_client (client authentication failed) [token.response §3.4, §9 item 2]")
	assert.NotContains(t, r.stdout, "fhcs_wrong", "the secret is never printed")

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	gone := "http://" + ln.Addr().String()
	require.NoError(t, ln.Close())
	r = cli(t, map[string]string{"PATIENTSFHIR_CLIENT_SECRET": a.ClientSecret}, append(flags, gone+"/dstu2")...)
	assert.Equal(t, exitFailed, r.code)
	assert.Contains(t, lineOf(r.stdout, "✗ metadata without a token"), "connection refused [metadata.open §3.3, §4.1]")
	assert.True(t, strings.HasSuffix(r.stdout, "\n0 passed, 1 failed\n"), r.stdout)

	r = cli(t, map[string]string{"PATIENTSFHIR_CLIENT_SECRET": a.ClientSecret}, append(flags, s.url+"/r4")...)
	assert.Equal(t, exitFailed, r.code)
	assert.Contains(t, lineOf(r.stdout, "✗ metadata without a token"), "status 404, want 200")
}

// A wrong command line is exit status 2 with a message naming what is
// missing or wrong.
func TestCheckUsage(t *testing.T) {
	dir := t.TempDir()
	creds := filepath.Join(dir, "creds.json")
	require.NoError(t, service.WriteCredentials(creds, service.Credentials{Tenants: []service.TenantCredentials{{Tenant: service.TenantID(0)}}}))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "bad.json"), []byte("{"), 0o600))
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"check", "https://fhir.example.com/stu3"}, "missing -client-id, -client-secret (or PATIENTSFHIR_CLIENT_SECRET), -tenant, -patient-id, -family, -given, -birth-date, -mrn (or give -credentials FILE)"},
		{[]string{"check", "-credentials", creds, "-tenant", service.TenantID(1)}, "tenant " + service.TenantID(1) + " is not in " + creds},
		{[]string{"check", "-credentials", filepath.Join(dir, "bad.json")}, "not a credentials file"},
		{[]string{"check", "-credentials", filepath.Join(dir, "none.json")}, "no such file or directory"},
		{[]string{"check", "-credentials", creds, "fhir.example.com"}, `"fhir.example.com" is not an http(s) base URL`},
		{[]string{"check", "-credentials", creds, "-version", "r4"}, "-version must be auto, stu3 or dstu2"},
		{[]string{"check", "-credentials", creds, "-schema", "lax"}, "-schema must be strict, official or off"},
		{[]string{"check", "-nope"}, "flag provided but not defined: -nope"},
		{[]string{"check", "-credentials", creds, "-only", "S3,P7"}, `-only: "P7" is not a request line (1-9) nor advertised, filters, totals, sort or paging`},
	} {
		r := cli(t, nil, tc.args...)
		assert.Equal(t, exitUsage, r.code, tc.args)
		assert.Contains(t, r.stderr, tc.want)
	}
	r := cli(t, nil, "check", "-h")
	assert.Equal(t, exitOK, r.code)
	assert.Contains(t, r.stderr, "Probes a FHIR server the way the Microsoft Teams Patients app does")
	r = cli(t, nil)
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "patientsfhir check [flags] [<base-url>...]")
	r = cli(t, nil, "frobnicate")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, `unknown command "frobnicate"`)
}

// The kit's findings without -v are capped per check; -v prints them all
// with the kit's notes.
func TestCheckVerbose(t *testing.T) {
	s := startSampleEHR(t)
	a := s.svc.Credentials().Tenants[0]
	s.breakWith(t, onBase("/stu3", func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.Code)
			_, _ = io.Copy(w, bytes.NewReader(bytes.ReplaceAll(rec.Body.Bytes(), []byte(`"total":`), []byte(`"totals":`))))
		})
	}))
	r := cli(t, nil, "check", "-credentials", s.creds, "-tenant", a.Tenant, "-schema", "off", "-only", "filters", s.url+"/stu3")
	assert.Equal(t, exitFailed, r.code)
	assert.Contains(t, r.stdout, "(-v shows them)")
	assert.NotContains(t, r.stdout, "S3 ", "-only runs the parts named")
	r = cli(t, nil, "check", "-v", "-credentials", s.creds, "-tenant", a.Tenant, "-schema", "off", "-only", "filters", s.url+"/stu3")
	assert.NotContains(t, r.stdout, "(-v shows them)")
	assert.Contains(t, r.stdout, "    note: ")
}
