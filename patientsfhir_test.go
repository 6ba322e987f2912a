package patientsfhir_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"golang.org/x/oauth2/clientcredentials"

	"github.com/patientsfhir/patientsfhir"
	"github.com/patientsfhir/patientsfhir/auth"
	"github.com/patientsfhir/patientsfhir/capability"
	"github.com/patientsfhir/patientsfhir/dstu2"
	"github.com/patientsfhir/patientsfhir/dstu2/dstu2mem"
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
	if err != nil {
		t.Fatal(err)
	}
	b2, err := dstu2mem.NewWithFixtures()
	if err != nil {
		t.Fatal(err)
	}
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
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = srv
	return ts, srv
}

func do(t *testing.T, c *http.Client, method, url, ctype, body string, hdr ...string) (int, map[string]any, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(res.Body).Decode(&m)
	return res.StatusCode, m, res.Header
}

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// tokenClient registers a client for tenant and returns an HTTP client
// that gets its tokens from the server's token endpoint, the secret and a
// token it obtained.
func tokenClient(t *testing.T, ts *httptest.Server, srv *patientsfhir.Server) (*http.Client, string, string) {
	t.Helper()
	_, secret, err := srv.Auth().Registry().CreateClient(context.Background(), auth.NewClient{ID: "patients-app", Tenants: []string{tenant}}, "test")
	if err != nil {
		t.Fatal(err)
	}
	cc := clientcredentials.Config{ClientID: "patients-app", ClientSecret: secret, TokenURL: ts.URL + "/token", Scopes: []string{tenant}}
	tok, err := cc.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return cc.Client(context.Background()), secret, tok.AccessToken
}

// The Patients app's flow on both versions: metadata without a token
// (advertising the token URL), no data without one, then a token from the
// one token endpoint, a POST _search and a batch.
func TestFlowBothVersions(t *testing.T) {
	var logs syncBuffer
	ts, srv := serve(t, func(c *patientsfhir.Config) { c.Logger = slog.New(slog.NewTextHandler(&logs, nil)) })
	if got, want := srv.Auth().Endpoints().Token, ts.URL+"/token"; got != want {
		t.Fatalf("token URL %s, want %s", got, want)
	}
	client, secret, token := tokenClient(t, ts, srv)
	anon := ts.Client()
	defer func() {
		// no secret, token or patient data in the logs (DESIGN rule 7)
		out := logs.String()
		for _, leak := range []string{secret, token, "chau", "Chau", "hugh", "Hugh"} {
			if strings.Contains(out, leak) {
				t.Errorf("the log contains %.12q...", leak)
			}
		}
		if !strings.Contains(out, "token.issued") {
			t.Errorf("no audit event in the log: %s", out)
		}
	}()
	for _, v := range []struct{ base, capability, medication, mime string }{
		{"/stu3", "CapabilityStatement", "MedicationRequest", "application/fhir+json"},
		{"/dstu2", "Conformance", "MedicationOrder", "application/json+fhir"},
	} {
		base := ts.URL + v.base
		// a forged token: 401 invalid_token, as an OperationOutcome
		st, b, h := do(t, anon, "GET", base+"/Patient/pat-1", "", "", "Authorization", "Bearer eyJhbGciOiJub25lIn0.e30.")
		if st != 401 || !strings.Contains(h.Get("WWW-Authenticate"), "invalid_token") || b["resourceType"] != "OperationOutcome" {
			t.Errorf("%s forged token: %d %q %v", v.base, st, h.Get("WWW-Authenticate"), b)
		}
		st, md, _ := do(t, anon, "GET", base+"/metadata", "", "")
		if st != 200 || md["resourceType"] != v.capability {
			t.Fatalf("%s metadata: %d %v", v.base, st, md["resourceType"])
		}
		if raw, _ := json.Marshal(md); !bytes.Contains(raw, []byte(`"valueUri":"`+ts.URL+`/token"`)) {
			t.Errorf("%s metadata does not advertise %s/token: %s", v.base, ts.URL, raw)
		}
		st, sc, _ := do(t, anon, "GET", base+"/.well-known/smart-configuration", "", "")
		if st != 200 || sc["token_endpoint"] != ts.URL+"/token" {
			t.Errorf("%s smart-configuration: %d %v", v.base, st, sc["token_endpoint"])
		}
		for _, r := range []struct{ method, path, ctype, body string }{
			{"GET", "/Patient/pat-1", "", ""},
			{"GET", "/Patient?family=chau", "", ""},
			{"POST", "/Patient/_search", "application/x-www-form-urlencoded", "family=chau"},
			{"POST", "", "application/fhir+json", `{"resourceType":"Bundle","type":"batch"}`},
		} {
			st, b, h := do(t, anon, r.method, base+r.path, r.ctype, r.body)
			if st != 401 || !strings.HasPrefix(h.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("%s %s%s without token: %d %q", r.method, v.base, r.path, st, h.Get("WWW-Authenticate"))
			}
			if b["resourceType"] != "OperationOutcome" || !strings.HasPrefix(h.Get("Content-Type"), v.mime) {
				t.Errorf("%s %s%s without token: %q %v, want an OperationOutcome", r.method, v.base, r.path, h.Get("Content-Type"), b)
			}
		}
		st, b, _ = do(t, client, "POST", base+"/Patient/_search", "application/x-www-form-urlencoded", "family=chau&given=hugh")
		if st != 200 || b["total"] != float64(1) {
			t.Errorf("%s Patient search: %d total %v", v.base, st, b["total"])
		}
		st, b, _ = do(t, client, "GET", base+"/Patient/pat-1", "", "")
		if st != 200 || b["id"] != "pat-1" {
			t.Errorf("%s read: %d %v", v.base, st, b["id"])
		}
		batch := `{"resourceType":"Bundle","type":"batch","entry":[
			{"request":{"method":"GET","url":"Encounter?patient=pat-1&_sort=-date&_count=1"}},
			{"request":{"method":"GET","url":"` + v.medication + `?patient=pat-1"}}]}`
		st, b, _ = do(t, client, "POST", base, "application/fhir+json", batch)
		entries, _ := b["entry"].([]any)
		if st != 200 || b["type"] != "batch-response" || len(entries) != 2 {
			t.Fatalf("%s batch: %d %v", v.base, st, b)
		}
		for i, e := range entries {
			if s := e.(map[string]any)["response"].(map[string]any)["status"]; !strings.HasPrefix(s.(string), "200") {
				t.Errorf("%s batch entry %d: %v", v.base, i, s)
			}
		}
		// an unknown type is the version's 404 OperationOutcome
		st, b, _ = do(t, client, "GET", base+"/Nonsense/1", "", "")
		if st != 404 || b["resourceType"] != "OperationOutcome" {
			t.Errorf("%s unknown type: %d %v", v.base, st, b["resourceType"])
		}
	}
	// the discovery documents of the authorization server
	st, md, _ := do(t, anon, "GET", ts.URL+"/.well-known/oauth-authorization-server", "", "")
	if st != 200 || md["issuer"] != ts.URL || md["token_endpoint"] != ts.URL+"/token" {
		t.Errorf("RFC 8414 metadata: %d %v", st, md)
	}
	if st, jwks, _ := do(t, anon, "GET", ts.URL+"/.well-known/jwks.json", "", ""); st != 200 || len(jwks["keys"].([]any)) == 0 {
		t.Errorf("JWKS: %d %v", st, jwks)
	}
	// unknown paths
	for _, p := range []string{"/", "/nothing", "/stu4/metadata", "/admin/clients"} {
		if st, _, _ := do(t, anon, "GET", ts.URL+p, "", ""); st != 404 {
			t.Errorf("GET %s: %d, want 404", p, st)
		}
	}
}

// A token is refused when it was issued by another server (other issuer,
// other keys): the verifier is this server's.
func TestForeignTokenRefused(t *testing.T) {
	ts1, srv1 := serve(t, nil)
	ts2, _ := serve(t, nil)
	client, _, _ := tokenClient(t, ts1, srv1)
	if st, _, _ := do(t, client, "GET", ts1.URL+"/stu3/Patient/pat-1", "", ""); st != 200 {
		t.Fatalf("token on its own server: %d", st)
	}
	if st, _, _ := do(t, client, "GET", ts2.URL+"/stu3/Patient/pat-1", "", ""); st != 401 {
		t.Errorf("token of another server: %d, want 401", st)
	}
}

// The admin API is mounted only with an OperatorToken, and then only
// answers the operator.
func TestAdmin(t *testing.T) {
	ts, _ := serve(t, func(c *patientsfhir.Config) { c.Auth.OperatorToken = operatorToken })
	anon := ts.Client()
	body := `{"client_id":"app2","tenants":["` + tenant + `"]}`
	if st, _, _ := do(t, anon, "POST", ts.URL+"/admin/clients", "application/json", body); st != 401 {
		t.Errorf("admin without operator token: %d, want 401", st)
	}
	st, created, _ := do(t, anon, "POST", ts.URL+"/admin/clients", "application/json", body, "Authorization", "Bearer "+operatorToken)
	if st != 201 && st != 200 {
		t.Fatalf("create client: %d %v", st, created)
	}
	secret, _ := created["client_secret"].(string)
	cc := clientcredentials.Config{ClientID: "app2", ClientSecret: secret, TokenURL: ts.URL + "/token", Scopes: []string{tenant}}
	if st, b, _ := do(t, cc.Client(context.Background()), "GET", ts.URL+"/dstu2/Patient/pat-1", "", ""); st != 200 || b["id"] != "pat-1" {
		t.Errorf("client created through /admin: %d %v", st, b["id"])
	}
}

// Open serves data without a token, advertises no OAuth and mounts no
// token endpoint; it says so loudly in the log.
func TestOpen(t *testing.T) {
	var logs bytes.Buffer
	ts, srv := serve(t, func(c *patientsfhir.Config) {
		c.Open, c.Store, c.Auth = true, nil, auth.Config{}
		c.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})
	if srv.Auth() != nil {
		t.Error("Open server has an authorization server")
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "WITHOUT AUTHENTICATION") {
		t.Errorf("no loud warning: %s", logs.String())
	}
	anon := ts.Client()
	for _, base := range []string{"/stu3", "/dstu2"} {
		if st, b, _ := do(t, anon, "GET", ts.URL+base+"/Patient/pat-1", "", ""); st != 200 || b["id"] != "pat-1" {
			t.Errorf("%s open read: %d %v", base, st, b["id"])
		}
		_, md, _ := do(t, anon, "GET", ts.URL+base+"/metadata", "", "")
		if raw, _ := json.Marshal(md); bytes.Contains(raw, []byte("oauth-uris")) {
			t.Errorf("%s open server advertises OAuth", base)
		}
	}
	if st, _, _ := do(t, anon, "POST", ts.URL+"/token", "application/x-www-form-urlencoded", "grant_type=client_credentials"); st != 404 {
		t.Errorf("open server token endpoint: %d, want 404", st)
	}
}

// One version alone, at a custom base path; the other is not mounted.
func TestOneVersionCustomBase(t *testing.T) {
	ts, srv := serve(t, func(c *patientsfhir.Config) {
		c.DSTU2 = nil
		c.STU3.BasePath = "/fhir/r3"
		c.STU3.Security = &capability.Security{Description: "ours"}
	})
	client, _, _ := tokenClient(t, ts, srv)
	if st, b, _ := do(t, client, "GET", ts.URL+"/fhir/r3/Patient/pat-1", "", ""); st != 200 || b["id"] != "pat-1" {
		t.Errorf("custom base read: %d %v", st, b)
	}
	_, md, _ := do(t, ts.Client(), "GET", ts.URL+"/fhir/r3/metadata", "", "")
	raw, _ := json.Marshal(md)
	if !bytes.Contains(raw, []byte(ts.URL+"/token")) || !bytes.Contains(raw, []byte("ours")) {
		t.Errorf("custom base metadata lacks the token URL or the description: %s", raw)
	}
	if st, _, _ := do(t, client, "GET", ts.URL+"/dstu2/Patient/pat-1", "", ""); st != 404 {
		t.Errorf("unmounted DSTU2: %d, want 404", st)
	}
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
	if _, err := patientsfhir.New(context.Background(), good()); err != nil {
		t.Fatalf("good config: %v", err)
	}
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
			if err == nil || srv != nil {
				t.Fatalf("New succeeded")
			}
			if !errors.Is(err, patientsfhir.ErrInvalidConfig) || !strings.Contains(err.Error(), tc.field) {
				t.Errorf("error %q does not name %s or wrap ErrInvalidConfig", err, tc.field)
			}
			if tc.field == "Config.Auth.SealKey" && !errors.Is(err, auth.ErrInvalidConfig) {
				t.Errorf("auth's error is not in the chain: %v", err)
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
	if err != nil {
		t.Fatal(err)
	}
	if c3.BasePath != "" || c3.Security != nil || c3.BaseURL != "" {
		t.Errorf("New changed the caller's STU3 config: %+v", *c3)
	}
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
		if err != nil {
			t.Fatal(err)
		}
		cc := clientcredentials.Config{ClientID: id, ClientSecret: secret, TokenURL: ts.URL + "/token", Scopes: []string{tn}}
		clients[id] = cc.Client(context.Background())
	}
	for _, base := range []string{"/stu3", "/dstu2"} {
		st, b, _ := do(t, clients["app-a"], "GET", ts.URL+base+"/Observation?patient=pat-1&_count=1", "", "")
		if st != 200 {
			t.Fatalf("%s first page: %d %v", base, st, b)
		}
		next := ""
		links, _ := b["link"].([]any)
		for _, l := range links {
			if m, _ := l.(map[string]any); m["relation"] == "next" {
				next, _ = m["url"].(string)
			}
		}
		if !strings.Contains(next, "_cursor=") {
			t.Fatalf("%s: no next link with a cursor in %v", base, links)
		}
		st, b, _ = do(t, clients["app-b"], "GET", next, "", "")
		if st != 400 || b["resourceType"] != "OperationOutcome" {
			t.Errorf("%s next link with tenant B's token: %d %v, want 400 OperationOutcome", base, st, b["resourceType"])
		}
		st, b, _ = do(t, clients["app-a"], "GET", next, "", "")
		if entries, _ := b["entry"].([]any); st != 200 || b["resourceType"] != "Bundle" || len(entries) != 1 {
			t.Errorf("%s next link with tenant A's token: %d %v", base, st, b["resourceType"])
		}
	}
}
