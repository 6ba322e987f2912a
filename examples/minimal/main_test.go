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
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan credentials, 1)
	done := make(chan error, 1)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	go func() { done <- run(ctx, o, ln, log, func(c credentials) { ready <- c }) }()
	stop := sync.OnceFunc(func() {
		cancel()
		select {
		case err := <-done:
			assert.NoError(t, err, "shutdown")
		case <-time.After(15 * time.Second):
			assert.Fail(t, "no graceful shutdown within 15s")
		}
	})
	t.Cleanup(stop)
	select {
	case c := <-ready:
		return c, stop
	case err := <-done:
		require.FailNow(t, "run returned before the server was ready", "run: %v", err)
	case <-time.After(60 * time.Second):
		require.FailNow(t, "the server did not start within 60s")
	}
	return credentials{}, stop
}

func getJSON(t *testing.T, c *http.Client, method, url, ctype string, body []byte) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	require.NoError(t, err, "%s %s", method, url)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	res, err := c.Do(req)
	require.NoError(t, err, "%s %s", method, url)
	defer res.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(res.Body).Decode(&m)
	return res.StatusCode, m
}

// The real flow: client credentials through golang.org/x/oauth2, then a
// search and a batch on both versions; no token, no data.
func TestClientCredentialsFlow(t *testing.T) {
	c := start(t, options{tenant: DefaultTenant, clientID: "patients-app"})
	require.NotEmpty(t, c.ClientSecret, "credentials %+v", c)
	require.True(t, strings.HasSuffix(c.TokenURL, "/token"), "token URL %q, want one ending in /token", c.TokenURL)
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
		assert.Equal(t, 200, st, "%s metadata: %v", v.base, md)
		assert.Equal(t, v.capability, md["resourceType"], "%s metadata", v.base)
		assert.Contains(t, mustJSON(md), c.TokenURL, "%s metadata does not advertise the token URL", v.base)
		// data without a token: 401
		st, b := getJSON(t, anon, "GET", base+"/Patient/pat-1", "", nil)
		assert.Equal(t, 401, st, "%s read without token: %v", v.base, b)
		// search with the token (POST _search with a form body, as the app does)
		st, b = getJSON(t, client, "POST", base+"/Patient/_search", "application/x-www-form-urlencoded", []byte("family=chau&given=hugh"))
		assert.Equal(t, 200, st, "%s Patient search: %v", v.base, b)
		assert.Equal(t, float64(1), b["total"], "%s Patient search total", v.base)
		// a batch of clinical searches for pat-1
		batch := `{"resourceType":"Bundle","type":"batch","entry":[
			{"request":{"method":"GET","url":"Observation?patient=pat-1&_sort:desc=date&category=vital-signs&_count=3"}},
			{"request":{"method":"GET","url":"Encounter?patient=pat-1&_sort=-date&_count=1"}},
			{"request":{"method":"GET","url":"` + v.medication + `?patient=pat-1&_count=10"}}]}`
		st, b = getJSON(t, client, "POST", base, "application/fhir+json", []byte(batch))
		require.Equal(t, 200, st, "%s batch: %v", v.base, b)
		require.Equal(t, "batch-response", b["type"], "%s batch: %v", v.base, b)
		entries, _ := b["entry"].([]any)
		require.Len(t, entries, 3, "%s batch entries", v.base)
		enc := entries[1].(map[string]any)["resource"].(map[string]any)
		first := enc["entry"].([]any)[0].(map[string]any)["resource"].(map[string]any)
		assert.Equal(t, "enc-1-6", first["id"], "%s newest encounter", v.base)
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
	assert.Empty(t, c.ClientSecret, "open mode created a client")
	st, b := getJSON(t, http.DefaultClient, "GET", c.BaseURL+"/stu3/Patient/pat-1", "", nil)
	assert.Equal(t, 200, st, "open read: %v", b)
	assert.Equal(t, "pat-1", b["id"], "open read")
	_, md := getJSON(t, http.DefaultClient, "GET", c.BaseURL+"/stu3/metadata", "", nil)
	assert.NotContains(t, mustJSON(md), "oauth-uris", "open server advertises OAuth")
	var buf bytes.Buffer
	printBanner(&buf, options{open: true}, c)
	assert.Contains(t, buf.String(), "NO AUTHENTICATION", "open mode is not said loudly")
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// kid returns the key id in a JWT's header.
func kid(t *testing.T, jwt string) string {
	t.Helper()
	h, err := base64.RawURLEncoding.DecodeString(strings.Split(jwt, ".")[0])
	require.NoError(t, err, "token header")
	var v struct{ Kid string }
	require.NoError(t, json.Unmarshal(h, &v), "token header %s", h)
	require.NotEmpty(t, v.Kid, "token header %s has no kid", h)
	return v.Kid
}

// With -db the demo client, its secret and the signing key survive a
// restart; the secret is printed only when the client is created.
func TestDBSurvivesRestart(t *testing.T) {
	db := filepath.Join(t.TempDir(), "auth.db")
	o := options{tenant: DefaultTenant, clientID: "patients-app", db: db}

	// first run: the client is created and its secret printed
	c1, stop := startStop(t, o)
	require.False(t, c1.Existing, "first start: %+v", c1)
	require.NotEmpty(t, c1.ClientSecret, "first start: %+v", c1)
	var buf bytes.Buffer
	printBanner(&buf, o, c1)
	assert.Contains(t, buf.String(), c1.ClientSecret, "first banner")
	assert.Contains(t, buf.String(), "printed only now", "first banner")
	cc := clientcredentials.Config{ClientID: c1.ClientID, ClientSecret: c1.ClientSecret, TokenURL: c1.TokenURL, Scopes: []string{DefaultTenant}}
	tok, err := cc.Token(context.Background())
	require.NoError(t, err, "first token")
	kid1 := kid(t, tok.AccessToken)
	fi, err := os.Stat(db + ".sealkey")
	require.NoError(t, err, "seal key file")
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "seal key file mode")
	require.Equal(t, int64(32), fi.Size(), "seal key file size")
	stop()

	// second run on the same db: no new secret, the old one still works
	c2 := start(t, o)
	require.True(t, c2.Existing, "second start: %+v", c2)
	require.Empty(t, c2.ClientSecret, "second start printed a secret")
	buf.Reset()
	printBanner(&buf, o, c2)
	assert.Contains(t, buf.String(), "already exists", "second banner")
	assert.Contains(t, buf.String(), db, "second banner")
	cc.TokenURL = c2.TokenURL
	tok, err = cc.Token(context.Background())
	require.NoError(t, err, "token after restart")
	assert.Equal(t, kid1, kid(t, tok.AccessToken), "signing key changed across restart")
	req, err := http.NewRequest("GET", c2.BaseURL+"/stu3/Patient/pat-1", nil)
	require.NoError(t, err)
	tok.SetAuthHeader(req)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err, "read after restart")
	res.Body.Close()
	require.Equal(t, 200, res.StatusCode, "read after restart")
}

// A bad PATIENTSFHIR_SEAL_KEY or a truncated key file stops the start.
func TestSealKeyErrors(t *testing.T) {
	db := filepath.Join(t.TempDir(), "x.db")
	_, err := sealKey("not base64!", db)
	assert.Error(t, err, "bad base64 accepted")
	_, err = sealKey(base64.StdEncoding.EncodeToString(make([]byte, 16)), db)
	assert.Error(t, err, "16-byte key accepted")
	k, err := sealKey(base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32)), db)
	assert.NoError(t, err, "env key")
	assert.Equal(t, bytes.Repeat([]byte{7}, 32), k, "env key")
	require.NoError(t, os.WriteFile(db+".sealkey", []byte("short"), 0o600))
	_, err = sealKey("", db)
	assert.Error(t, err, "5-byte key file accepted")
}
