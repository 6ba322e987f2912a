package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"golang.org/x/oauth2/clientcredentials"
)

// start runs the server on a random port until the test ends and returns
// its credentials.
func start(t *testing.T, o options) credentials {
	t.Helper()
	c, _ := startStop(t, o)
	return c
}

// startStop runs the server on a random port and returns its credentials
// and a stop function that shuts it down gracefully and waits (also run,
// if not called before, when the test ends).
func startStop(t *testing.T, o options) (credentials, func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan credentials, 1)
	done := make(chan error, 1)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	go func() { done <- run(ctx, o, ln, log, func(c credentials) { ready <- c }) }()
	stop := sync.OnceFunc(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("shutdown: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("no graceful shutdown")
		}
	})
	t.Cleanup(stop)
	select {
	case c := <-ready:
		return c, stop
	case err := <-done:
		t.Fatalf("run: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("server did not start")
	}
	return credentials{}, stop
}

func getJSON(t *testing.T, c *http.Client, method, url, ctype string, body []byte) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, url, bytes.NewReader(body))
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(res.Body).Decode(&m)
	return res.StatusCode, m
}

// The real flow: client credentials through golang.org/x/oauth2, then a
// search and a batch on both versions; no token, no data.
func TestClientCredentialsFlow(t *testing.T) {
	c := start(t, options{tenant: DefaultTenant, clientID: "patients-app"})
	if c.ClientSecret == "" || !strings.HasSuffix(c.TokenURL, "/token") {
		t.Fatalf("credentials %+v", c)
	}
	cc := clientcredentials.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret, TokenURL: c.TokenURL, Scopes: []string{c.Tenant}}
	client := cc.Client(context.Background())
	anon := http.DefaultClient

	for _, v := range []struct{ base, capability, medication string }{
		{"/stu3", "CapabilityStatement", "MedicationRequest"},
		{"/dstu2", "Conformance", "MedicationOrder"},
	} {
		base := c.BaseURL + v.base
		// metadata without a token, with the token URL the app will use
		st, md := getJSON(t, anon, "GET", base+"/metadata", "", nil)
		if st != 200 || md["resourceType"] != v.capability || !strings.Contains(mustJSON(md), c.TokenURL) {
			t.Errorf("%s metadata: %d %v", v.base, st, md["resourceType"])
		}
		// data without a token: 401
		if st, _ := getJSON(t, anon, "GET", base+"/Patient/pat-1", "", nil); st != 401 {
			t.Errorf("%s read without token: %d", v.base, st)
		}
		// search with the token (POST _search with a form body, as the app does)
		st, b := getJSON(t, client, "POST", base+"/Patient/_search", "application/x-www-form-urlencoded", []byte("family=chau&given=hugh"))
		if st != 200 || b["total"] != float64(1) {
			t.Errorf("%s Patient search: %d total %v", v.base, st, b["total"])
		}
		// a batch of clinical searches for pat-1
		batch := `{"resourceType":"Bundle","type":"batch","entry":[
			{"request":{"method":"GET","url":"Observation?patient=pat-1&_sort:desc=date&category=vital-signs&_count=3"}},
			{"request":{"method":"GET","url":"Encounter?patient=pat-1&_sort=-date&_count=1"}},
			{"request":{"method":"GET","url":"` + v.medication + `?patient=pat-1&_count=10"}}]}`
		st, b = getJSON(t, client, "POST", base, "application/fhir+json", []byte(batch))
		if st != 200 || b["type"] != "batch-response" {
			t.Fatalf("%s batch: %d %v", v.base, st, b)
		}
		entries, _ := b["entry"].([]any)
		if len(entries) != 3 {
			t.Fatalf("%s batch: %d entries", v.base, len(entries))
		}
		enc := entries[1].(map[string]any)["resource"].(map[string]any)
		first := enc["entry"].([]any)[0].(map[string]any)["resource"].(map[string]any)
		if first["id"] != "enc-1-6" {
			t.Errorf("%s newest encounter %v, want enc-1-6", v.base, first["id"])
		}
	}
}

// Each tenant's token reaches its own patients and no other: the second
// tenant does not see pat-1, in a read, a search or a batch, and the first
// does not see pat-3.
func TestTwoTenants(t *testing.T) {
	c := start(t, options{tenant: DefaultTenant, clientID: "patients-app"})
	require.NotEmpty(t, c.ClientSecret)
	client := func(tenant string) *http.Client {
		cc := clientcredentials.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret, TokenURL: c.TokenURL, Scopes: []string{tenant}}
		return cc.Client(context.Background())
	}
	first, second := client(DefaultTenant), client(DefaultTenant2)
	for _, base := range []string{c.BaseURL + "/stu3", c.BaseURL + "/dstu2"} {
		st, _ := getJSON(t, first, "GET", base+"/Patient/pat-1", "", nil)
		assert.Equal(t, 200, st, "first tenant reads its pat-1")
		st, _ = getJSON(t, second, "GET", base+"/Patient/pat-1", "", nil)
		assert.Equal(t, 404, st, "second tenant reads pat-1")
		st, _ = getJSON(t, first, "GET", base+"/Patient/pat-3", "", nil)
		assert.Equal(t, 404, st, "first tenant reads pat-3")
		st, b := getJSON(t, second, "POST", base+"/Patient/_search", "application/x-www-form-urlencoded", []byte("family=chau"))
		require.Equal(t, 200, st)
		assert.Equal(t, float64(1), b["total"], "second tenant's chau search finds its Chauvin only")
		assert.Contains(t, mustJSON(b), `"pat-4"`)
		assert.NotContains(t, mustJSON(b), `"pat-1"`)
		st, b = getJSON(t, second, "GET", base+"/Observation?patient=pat-1", "", nil)
		require.Equal(t, 200, st)
		assert.Equal(t, float64(0), b["total"], "no vitals of the other tenant's pat-1")
	}
	// A tenant the client is not registered for gets no token at all.
	cc := clientcredentials.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret, TokenURL: c.TokenURL,
		Scopes: []string{"99999999-9999-4999-8999-999999999999"}}
	_, err := cc.Token(context.Background())
	assert.ErrorContains(t, err, "invalid_scope")
}

// -open serves without a token and does not publish a token URL.
func TestOpen(t *testing.T) {
	c := start(t, options{open: true, tenant: DefaultTenant, clientID: "x"})
	if c.ClientSecret != "" {
		t.Error("open mode created a client")
	}
	st, b := getJSON(t, http.DefaultClient, "GET", c.BaseURL+"/stu3/Patient/pat-1", "", nil)
	if st != 200 || b["id"] != "pat-1" {
		t.Errorf("open read: %d %v", st, b["id"])
	}
	_, md := getJSON(t, http.DefaultClient, "GET", c.BaseURL+"/stu3/metadata", "", nil)
	if strings.Contains(mustJSON(md), "oauth-uris") {
		t.Error("open server advertises OAuth")
	}
	var buf bytes.Buffer
	printBanner(&buf, options{open: true}, c)
	if !strings.Contains(buf.String(), "NO AUTHENTICATION") {
		t.Error("open mode is not said loudly")
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// kid returns the key id in a JWT's header.
func kid(t *testing.T, jwt string) string {
	t.Helper()
	h, err := base64.RawURLEncoding.DecodeString(strings.Split(jwt, ".")[0])
	if err != nil {
		t.Fatalf("token header: %v", err)
	}
	var v struct{ Kid string }
	if err := json.Unmarshal(h, &v); err != nil || v.Kid == "" {
		t.Fatalf("token header %s: %v", h, err)
	}
	return v.Kid
}

// With -db the demo client, its secret and the signing key survive a
// restart; the secret is printed only when the client is created.
func TestDBSurvivesRestart(t *testing.T) {
	db := filepath.Join(t.TempDir(), "auth.db")
	o := options{tenant: DefaultTenant, clientID: "patients-app", db: db}

	// first run: the client is created and its secret printed
	c1, stop := startStop(t, o)
	if c1.Existing || c1.ClientSecret == "" {
		t.Fatalf("first start: %+v", c1)
	}
	var buf bytes.Buffer
	printBanner(&buf, o, c1)
	if !strings.Contains(buf.String(), c1.ClientSecret) || !strings.Contains(buf.String(), "printed only now") {
		t.Errorf("first banner:\n%s", buf.String())
	}
	cc := clientcredentials.Config{ClientID: c1.ClientID, ClientSecret: c1.ClientSecret, TokenURL: c1.TokenURL, Scopes: []string{DefaultTenant}}
	tok, err := cc.Token(context.Background())
	if err != nil {
		t.Fatalf("first token: %v", err)
	}
	kid1 := kid(t, tok.AccessToken)
	if fi, err := os.Stat(db + ".sealkey"); err != nil || fi.Mode().Perm() != 0o600 || fi.Size() != 32 {
		t.Fatalf("seal key file: %v %v", fi, err)
	}
	stop()

	// second run on the same db: no new secret, the old one still works
	c2 := start(t, o)
	if !c2.Existing || c2.ClientSecret != "" {
		t.Fatalf("second start: %+v", c2)
	}
	buf.Reset()
	printBanner(&buf, o, c2)
	if !strings.Contains(buf.String(), "already exists") || !strings.Contains(buf.String(), db) {
		t.Errorf("second banner:\n%s", buf.String())
	}
	cc.TokenURL = c2.TokenURL
	tok, err = cc.Token(context.Background())
	if err != nil {
		t.Fatalf("token after restart: %v", err)
	}
	if k := kid(t, tok.AccessToken); k != kid1 {
		t.Errorf("signing key changed across restart: %s then %s", kid1, k)
	}
	req, _ := http.NewRequest("GET", c2.BaseURL+"/stu3/Patient/pat-1", nil)
	tok.SetAuthHeader(req)
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("read after restart: %v %v", res, err)
	}
	res.Body.Close()
}

// A bad PATIENTSFHIR_SEAL_KEY or a truncated key file stops the start.
func TestSealKeyErrors(t *testing.T) {
	db := filepath.Join(t.TempDir(), "x.db")
	if _, err := sealKey("not base64!", db); err == nil {
		t.Error("bad base64 accepted")
	}
	if _, err := sealKey(base64.StdEncoding.EncodeToString(make([]byte, 16)), db); err == nil {
		t.Error("16-byte key accepted")
	}
	k, err := sealKey(base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32)), db)
	if err != nil || len(k) != 32 || k[0] != 7 {
		t.Errorf("env key: %v %v", k, err)
	}
	if err := os.WriteFile(db+".sealkey", []byte("short"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := sealKey("", db); err == nil {
		t.Error("5-byte key file accepted")
	}
}
