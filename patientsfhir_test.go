package patientsfhir_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/patientsfhir/patientsfhir"
	"github.com/patientsfhir/patientsfhir/auth"
	"github.com/patientsfhir/patientsfhir/capability"
	"github.com/patientsfhir/patientsfhir/dstu2"
	"github.com/patientsfhir/patientsfhir/dstu2/dstu2mem"
	"github.com/patientsfhir/patientsfhir/internal/testsupport"
	"github.com/patientsfhir/patientsfhir/stu3"
	"github.com/patientsfhir/patientsfhir/stu3/stu3mem"
)

const tenant = "11111111-2222-4333-8444-555555555555"

var operatorToken = strings.Repeat("o", 40)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// backends returns both in-memory EHRs with the fixtures (pat-1 is Hugh Chau).
func backends(t *testing.T) (*stu3mem.Backend, *dstu2mem.Backend) {
	t.Helper()
	b3, err := stu3mem.NewWithFixtures()
	require.NoError(t, err, "STU3 fixtures")
	b2, err := dstu2mem.NewWithFixtures()
	require.NoError(t, err, "DSTU2 fixtures")
	return b3, b2
}

// serve starts an httptest server whose PublicURL is its own URL; mutate
// adjusts the Config first.
func serve(t *testing.T, mutate func(*patientsfhir.Config)) (*httptest.Server, *patientsfhir.Server) {
	t.Helper()
	b3, b2 := backends(t)
	ts := httptest.NewUnstartedServer(nil)
	ts.Start()
	t.Cleanup(ts.Close)
	cfg := patientsfhir.Config{
		PublicURL: ts.URL,
		Auth:      auth.Config{SealKey: bytes.Repeat([]byte{7}, 32), Insecure: true},
		Store:     auth.NewMemoryStore(),
		STU3:      &stu3.Config{Backend: b3, Profile: stu3.PatientsApp()},
		DSTU2:     &dstu2.Config{Backend: b2, Profile: dstu2.PatientsApp()},
		Logger:    quiet(),
	}
	if mutate != nil {
		mutate(&cfg)
	}
	srv, err := patientsfhir.New(context.Background(), cfg)
	require.NoError(t, err, "New")
	ts.Config.Handler = srv
	return ts, srv
}

func do(t *testing.T, c *http.Client, method, url, ctype, body string, hdr ...string) (int, map[string]any, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err, "%s %s", method, url)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := c.Do(req)
	require.NoError(t, err, "%s %s", method, url)
	defer res.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(res.Body).Decode(&m)
	return res.StatusCode, m, res.Header
}

// tokenClient registers a client for tenant and returns an HTTP client
// that gets its tokens from the server's token endpoint, the secret and a
// token it obtained.
func tokenClient(t *testing.T, ts *httptest.Server, srv *patientsfhir.Server) (*http.Client, string, string) {
	t.Helper()
	_, secret, err := srv.Auth().Registry().CreateClient(context.Background(), auth.NewClient{ID: "patients-app", Tenants: []string{tenant}}, "test")
	require.NoError(t, err, "CreateClient")
	cc := clientcredentials.Config{ClientID: "patients-app", ClientSecret: secret, TokenURL: ts.URL + "/token", Scopes: []string{tenant}}
	tok, err := cc.Token(context.Background())
	require.NoError(t, err, "token from %s", cc.TokenURL)
	return cc.Client(context.Background()), secret, tok.AccessToken
}

// The Patients app's flow on both versions: metadata without a token
// (advertising the token URL), no data without one, then a token from the
// one token endpoint, a POST _search and a batch.
func TestFlowBothVersions(t *testing.T) {
	var logs testsupport.Buffer
	ts, srv := serve(t, func(c *patientsfhir.Config) { c.Logger = slog.New(slog.NewTextHandler(&logs, nil)) })
	require.Equal(t, ts.URL+"/token", srv.Auth().Endpoints().Token, "token URL")
	client, secret, token := tokenClient(t, ts, srv)
	anon := ts.Client()
	defer func() {
		// no secret, token or patient data in the logs (DESIGN rule 7)
		out := logs.String()
		for _, leak := range []string{secret, token, "chau", "Chau", "hugh", "Hugh"} {
			assert.NotContains(t, out, leak, "the log contains a secret, a token or patient data")
		}
		assert.Contains(t, out, "token.issued", "no audit event in the log")
	}()
	for _, v := range []struct{ base, capability, medication, mime string }{
		{"/stu3", "CapabilityStatement", "MedicationRequest", "application/fhir+json"},
		{"/dstu2", "Conformance", "MedicationOrder", "application/json+fhir"},
	} {
		base := ts.URL + v.base
		// a forged token: 401 invalid_token, as an OperationOutcome
		st, b, h := do(t, anon, "GET", base+"/Patient/pat-1", "", "", "Authorization", "Bearer eyJhbGciOiJub25lIn0.e30.")
		assert.Equal(t, 401, st, "%s forged token: %v", v.base, b)
		assert.Contains(t, h.Get("WWW-Authenticate"), "invalid_token", "%s forged token: challenge", v.base)
		assert.Equal(t, "OperationOutcome", b["resourceType"], "%s forged token: body %v", v.base, b)
		st, md, _ := do(t, anon, "GET", base+"/metadata", "", "")
		require.Equal(t, 200, st, "%s metadata: %v", v.base, md)
		require.Equal(t, v.capability, md["resourceType"], "%s metadata", v.base)
		raw, err := json.Marshal(md)
		require.NoError(t, err)
		assert.Contains(t, string(raw), `"valueUri":"`+ts.URL+`/token"`, "%s metadata does not advertise the token URL", v.base)
		st, sc, _ := do(t, anon, "GET", base+"/.well-known/smart-configuration", "", "")
		assert.Equal(t, 200, st, "%s smart-configuration: %v", v.base, sc)
		assert.Equal(t, ts.URL+"/token", sc["token_endpoint"], "%s smart-configuration", v.base)
		for _, r := range []struct{ method, path, ctype, body string }{
			{"GET", "/Patient/pat-1", "", ""},
			{"GET", "/Patient?family=chau", "", ""},
			{"POST", "/Patient/_search", "application/x-www-form-urlencoded", "family=chau"},
			{"POST", "", "application/fhir+json", `{"resourceType":"Bundle","type":"batch"}`},
		} {
			st, b, h := do(t, anon, r.method, base+r.path, r.ctype, r.body)
			assert.Equal(t, 401, st, "%s %s%s without token", r.method, v.base, r.path)
			assert.True(t, strings.HasPrefix(h.Get("WWW-Authenticate"), "Bearer"), "%s %s%s without token: challenge %q, want Bearer", r.method, v.base, r.path, h.Get("WWW-Authenticate"))
			assert.Equal(t, "OperationOutcome", b["resourceType"], "%s %s%s without token: %v", r.method, v.base, r.path, b)
			assert.True(t, strings.HasPrefix(h.Get("Content-Type"), v.mime), "%s %s%s without token: Content-Type %q, want %s", r.method, v.base, r.path, h.Get("Content-Type"), v.mime)
		}
		st, b, _ = do(t, client, "POST", base+"/Patient/_search", "application/x-www-form-urlencoded", "family=chau&given=hugh")
		assert.Equal(t, 200, st, "%s Patient search: %v", v.base, b)
		assert.Equal(t, float64(1), b["total"], "%s Patient search total", v.base)
		st, b, _ = do(t, client, "GET", base+"/Patient/pat-1", "", "")
		assert.Equal(t, 200, st, "%s read: %v", v.base, b)
		assert.Equal(t, "pat-1", b["id"], "%s read", v.base)
		batch := `{"resourceType":"Bundle","type":"batch","entry":[
			{"request":{"method":"GET","url":"Encounter?patient=pat-1&_sort=-date&_count=1"}},
			{"request":{"method":"GET","url":"` + v.medication + `?patient=pat-1"}}]}`
		st, b, _ = do(t, client, "POST", base, "application/fhir+json", batch)
		require.Equal(t, 200, st, "%s batch: %v", v.base, b)
		require.Equal(t, "batch-response", b["type"], "%s batch: %v", v.base, b)
		entries, _ := b["entry"].([]any)
		require.Len(t, entries, 2, "%s batch: %v", v.base, b)
		for i, e := range entries {
			res, _ := e.(map[string]any)["response"].(map[string]any)
			s, _ := res["status"].(string)
			assert.True(t, strings.HasPrefix(s, "200"), "%s batch entry %d: status %q, want 200: %v", v.base, i, s, e)
		}
		// an unknown type is the version's 404 OperationOutcome
		st, b, _ = do(t, client, "GET", base+"/Nonsense/1", "", "")
		assert.Equal(t, 404, st, "%s unknown type: %v", v.base, b)
		assert.Equal(t, "OperationOutcome", b["resourceType"], "%s unknown type", v.base)
	}
	// the discovery documents of the authorization server
	st, md, _ := do(t, anon, "GET", ts.URL+"/.well-known/oauth-authorization-server", "", "")
	assert.Equal(t, 200, st, "RFC 8414 metadata: %v", md)
	assert.Equal(t, ts.URL, md["issuer"], "RFC 8414 metadata issuer")
	assert.Equal(t, ts.URL+"/token", md["token_endpoint"], "RFC 8414 metadata token_endpoint")
	st, jwks, _ := do(t, anon, "GET", ts.URL+"/.well-known/jwks.json", "", "")
	assert.Equal(t, 200, st, "JWKS: %v", jwks)
	keys, _ := jwks["keys"].([]any)
	assert.NotEmpty(t, keys, "JWKS without keys: %v", jwks)
	// unknown paths
	for _, p := range []string{"/", "/nothing", "/stu4/metadata", "/admin/clients"} {
		st, _, _ := do(t, anon, "GET", ts.URL+p, "", "")
		assert.Equal(t, 404, st, "GET %s", p)
	}
}

// A token is refused when it was issued by another server (other issuer,
// other keys): the verifier is this server's.
func TestForeignTokenRefused(t *testing.T) {
	ts1, srv1 := serve(t, nil)
	ts2, _ := serve(t, nil)
	client, _, _ := tokenClient(t, ts1, srv1)
	st, b, _ := do(t, client, "GET", ts1.URL+"/stu3/Patient/pat-1", "", "")
	require.Equal(t, 200, st, "token on its own server: %v", b)
	st, b, _ = do(t, client, "GET", ts2.URL+"/stu3/Patient/pat-1", "", "")
	assert.Equal(t, 401, st, "token of another server: %v", b)
}

// The admin API is mounted only with an OperatorToken, and then only
// answers the operator.
func TestAdmin(t *testing.T) {
	ts, _ := serve(t, func(c *patientsfhir.Config) { c.Auth.OperatorToken = operatorToken })
	anon := ts.Client()
	body := `{"client_id":"app2","tenants":["` + tenant + `"]}`
	st, b, _ := do(t, anon, "POST", ts.URL+"/admin/clients", "application/json", body)
	assert.Equal(t, 401, st, "admin without operator token: %v", b)
	st, created, _ := do(t, anon, "POST", ts.URL+"/admin/clients", "application/json", body, "Authorization", "Bearer "+operatorToken)
	require.Contains(t, []int{200, 201}, st, "create client: %v", created)
	secret, _ := created["client_secret"].(string)
	cc := clientcredentials.Config{ClientID: "app2", ClientSecret: secret, TokenURL: ts.URL + "/token", Scopes: []string{tenant}}
	st, b, _ = do(t, cc.Client(context.Background()), "GET", ts.URL+"/dstu2/Patient/pat-1", "", "")
	assert.Equal(t, 200, st, "client created through /admin: %v", b)
	assert.Equal(t, "pat-1", b["id"], "client created through /admin")
}

// Open serves data without a token, advertises no OAuth and mounts no
// token endpoint; it says so loudly in the log.
func TestOpen(t *testing.T) {
	var logs bytes.Buffer
	ts, srv := serve(t, func(c *patientsfhir.Config) {
		c.Open, c.Store, c.Auth = true, nil, auth.Config{}
		c.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})
	assert.Nil(t, srv.Auth(), "Open server has an authorization server")
	assert.Contains(t, logs.String(), "level=WARN", "no loud warning")
	assert.Contains(t, logs.String(), "WITHOUT AUTHENTICATION", "no loud warning")
	anon := ts.Client()
	for _, base := range []string{"/stu3", "/dstu2"} {
		st, b, _ := do(t, anon, "GET", ts.URL+base+"/Patient/pat-1", "", "")
		assert.Equal(t, 200, st, "%s open read: %v", base, b)
		assert.Equal(t, "pat-1", b["id"], "%s open read", base)
		_, md, _ := do(t, anon, "GET", ts.URL+base+"/metadata", "", "")
		raw, err := json.Marshal(md)
		require.NoError(t, err)
		assert.NotContains(t, string(raw), "oauth-uris", "%s open server advertises OAuth", base)
	}
	st, b, _ := do(t, anon, "POST", ts.URL+"/token", "application/x-www-form-urlencoded", "grant_type=client_credentials")
	assert.Equal(t, 404, st, "open server token endpoint: %v", b)
}

// One version alone, at a custom base path; the other is not mounted.
func TestOneVersionCustomBase(t *testing.T) {
	ts, srv := serve(t, func(c *patientsfhir.Config) {
		c.DSTU2 = nil
		c.STU3.BasePath = "/fhir/r3"
		c.STU3.Security = &capability.Security{Description: "ours"}
	})
	client, _, _ := tokenClient(t, ts, srv)
	st, b, _ := do(t, client, "GET", ts.URL+"/fhir/r3/Patient/pat-1", "", "")
	assert.Equal(t, 200, st, "custom base read: %v", b)
	assert.Equal(t, "pat-1", b["id"], "custom base read")
	_, md, _ := do(t, ts.Client(), "GET", ts.URL+"/fhir/r3/metadata", "", "")
	raw, err := json.Marshal(md)
	require.NoError(t, err)
	assert.Contains(t, string(raw), ts.URL+"/token", "custom base metadata lacks the token URL")
	assert.Contains(t, string(raw), "ours", "custom base metadata lacks the description")
	st, b, _ = do(t, client, "GET", ts.URL+"/dstu2/Patient/pat-1", "", "")
	assert.Equal(t, 404, st, "unmounted DSTU2: %v", b)
}

func TestConfigErrors(t *testing.T) {
	b3, b2 := backends(t)
	good := func() patientsfhir.Config {
		return patientsfhir.Config{
			PublicURL: "https://fhir.example.com",
			Auth:      auth.Config{SealKey: bytes.Repeat([]byte{7}, 32)},
			Store:     auth.NewMemoryStore(),
			STU3:      &stu3.Config{Backend: b3},
			DSTU2:     &dstu2.Config{Backend: b2},
			Logger:    quiet(),
		}
	}
	_, err := patientsfhir.New(context.Background(), good())
	require.NoError(t, err, "good config")
	for name, tc := range map[string]struct {
		mutate func(*patientsfhir.Config)
		field  string
	}{
		"no public URL":         {func(c *patientsfhir.Config) { c.PublicURL = "" }, "Config.PublicURL"},
		"relative URL":          {func(c *patientsfhir.Config) { c.PublicURL = "fhir.example.com" }, "Config.PublicURL"},
		"URL with a path":       {func(c *patientsfhir.Config) { c.PublicURL = "https://fhir.example.com/fhir" }, "Config.PublicURL"},
		"http without Insecure": {func(c *patientsfhir.Config) { c.PublicURL = "http://fhir.example.com" }, "Config.PublicURL"},
		"no store":              {func(c *patientsfhir.Config) { c.Store = nil }, "Config.Store"},
		"no version":            {func(c *patientsfhir.Config) { c.STU3, c.DSTU2 = nil, nil }, "Config.STU3"},
		"no seal key":           {func(c *patientsfhir.Config) { c.Auth.SealKey = nil }, "Config.Auth.SealKey"},
		"short operator token":  {func(c *patientsfhir.Config) { c.Auth.OperatorToken = "short" }, "Config.Auth.OperatorToken"},
		"other audience":        {func(c *patientsfhir.Config) { c.Auth.Audience = "https://other.example.com" }, "Config.Auth.Audience"},
		"other issuer":          {func(c *patientsfhir.Config) { c.Auth.Issuer = "https://other.example.com" }, "Config.Auth.Issuer"},
		"other token URL": {func(c *patientsfhir.Config) {
			c.STU3.Security = &capability.Security{TokenURL: "https://elsewhere.example.com/token"}
		}, "Config.STU3.Security.TokenURL"},
		"same base twice":   {func(c *patientsfhir.Config) { c.DSTU2.BasePath = "/stu3" }, "Config.DSTU2.BasePath"},
		"base with slash":   {func(c *patientsfhir.Config) { c.STU3.BasePath = "/stu3/" }, "Config.STU3.BasePath"},
		"base under admin":  {func(c *patientsfhir.Config) { c.STU3.BasePath = "/admin" }, "Config.STU3.BasePath"},
		"no backend":        {func(c *patientsfhir.Config) { c.DSTU2.Backend = nil }, "Config.DSTU2.Backend"},
		"open with a store": {func(c *patientsfhir.Config) { c.Open, c.Auth = true, auth.Config{} }, "Config.Store"},
		"open with auth":    {func(c *patientsfhir.Config) { c.Open, c.Store, c.Auth.Insecure = true, nil, true }, "Config.Auth.Insecure, Config.Auth.SealKey: must be zero when Open"},
		"open with insecure": {func(c *patientsfhir.Config) {
			c.Open, c.Store, c.Auth = true, nil, auth.Config{Insecure: true}
		}, "Config.Auth.Insecure"},
	} {
		t.Run(name, func(t *testing.T) {
			cfg := good()
			cfg.STU3 = &stu3.Config{Backend: b3}
			cfg.DSTU2 = &dstu2.Config{Backend: b2}
			tc.mutate(&cfg)
			srv, err := patientsfhir.New(context.Background(), cfg)
			require.Error(t, err, "New succeeded")
			require.Nil(t, srv, "New returned a server with its error")
			assert.ErrorIs(t, err, patientsfhir.ErrInvalidConfig)
			assert.ErrorContains(t, err, tc.field, "the error does not name the field")
			if tc.field == "Config.Auth.SealKey" {
				assert.ErrorIs(t, err, auth.ErrInvalidConfig, "auth's error is not in the chain")
			}
			if testing.Verbose() {
				t.Log(err)
			}
		})
	}
}

// New does not modify the partner's version configs.
func TestConfigNotMutated(t *testing.T) {
	b3, _ := backends(t)
	c3 := &stu3.Config{Backend: b3}
	_, err := patientsfhir.New(context.Background(), patientsfhir.Config{
		PublicURL: "https://fhir.example.com", Auth: auth.Config{SealKey: make([]byte, 32)},
		Store: auth.NewMemoryStore(), STU3: c3, Logger: quiet(),
	})
	require.NoError(t, err, "New")
	assert.Equal(t, stu3.Config{Backend: b3}, *c3, "New changed the caller's STU3 config")
}

// A page cursor is bound to the tenant of the token that obtained it: the
// next link replayed with a token of another tenant is a 400
// OperationOutcome, with a token of the same tenant the next page.
func TestCursorBoundToTenant(t *testing.T) {
	ts, srv := serve(t, nil)
	const tenantB = "22222222-3333-4444-8555-666666666666"
	clients := map[string]*http.Client{}
	for id, tn := range map[string]string{"app-a": tenant, "app-b": tenantB} {
		_, secret, err := srv.Auth().Registry().CreateClient(context.Background(), auth.NewClient{ID: id, Tenants: []string{tn}}, "test")
		require.NoError(t, err, "CreateClient %s", id)
		cc := clientcredentials.Config{ClientID: id, ClientSecret: secret, TokenURL: ts.URL + "/token", Scopes: []string{tn}}
		clients[id] = cc.Client(context.Background())
	}
	for _, base := range []string{"/stu3", "/dstu2"} {
		st, b, _ := do(t, clients["app-a"], "GET", ts.URL+base+"/Observation?patient=pat-1&_count=1", "", "")
		require.Equal(t, 200, st, "%s first page: %v", base, b)
		next := ""
		links, _ := b["link"].([]any)
		for _, l := range links {
			if m, _ := l.(map[string]any); m["relation"] == "next" {
				next, _ = m["url"].(string)
			}
		}
		require.Contains(t, next, "_cursor=", "%s: no next link with a cursor in %v", base, links)
		st, b, _ = do(t, clients["app-b"], "GET", next, "", "")
		assert.Equal(t, 400, st, "%s next link with tenant B's token: %v", base, b)
		assert.Equal(t, "OperationOutcome", b["resourceType"], "%s next link with tenant B's token", base)
		st, b, _ = do(t, clients["app-a"], "GET", next, "", "")
		assert.Equal(t, 200, st, "%s next link with tenant A's token: %v", base, b)
		assert.Equal(t, "Bundle", b["resourceType"], "%s next link with tenant A's token", base)
		entries, _ := b["entry"].([]any)
		assert.Len(t, entries, 1, "%s next link with tenant A's token", base)
	}
}
