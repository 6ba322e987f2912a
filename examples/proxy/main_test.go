package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2/clientcredentials"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// listen returns a loopback listener on a free port.
func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	return ln
}

// start runs a server until the test ends and returns what it gives
// once it accepts requests.
func start[T any](t *testing.T, run func(ctx context.Context, ln net.Listener, ready func(T)) error) T {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready, done := make(chan T, 1), make(chan error, 1)
	ln := listen(t)
	go func() { done <- run(ctx, ln, func(v T) { ready <- v }) }()
	t.Cleanup(func() { cancel(); assert.NoError(t, <-done) })
	var zero T
	select {
	case v := <-ready:
		return v
	case err := <-done:
		done <- err // for the cleanup, which waits for run's result
		require.FailNow(t, "run returned before the server was ready", "run: %v", err)
	case <-time.After(30 * time.Second):
		require.FailNow(t, "the server did not start within 30s")
	}
	return zero
}

// startUpstream runs a demo upstream and returns its URL.
func startUpstream(t *testing.T, o upstreamOptions) string {
	return start(t, func(ctx context.Context, ln net.Listener, ready func(string)) error {
		return runUpstream(ctx, o, ln, quiet, ready)
	})
}

// startProxy runs the proxy and returns its credentials.
func startProxy(t *testing.T, o options) credentials {
	return start(t, func(ctx context.Context, ln net.Listener, ready func(credentials)) error {
		return runProxy(ctx, o, ln, quiet, ready)
	})
}

func getJSON(t *testing.T, c *http.Client, target string) (int, map[string]any, string) {
	t.Helper()
	resp, err := c.Get(target)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var m map[string]any
	_ = json.Unmarshal(body, &m)
	return resp.StatusCode, m, string(body)
}

func ids(bundle map[string]any) []string {
	var out []string
	entries, _ := bundle["entry"].([]any)
	for _, e := range entries {
		out = append(out, e.(map[string]any)["resource"].(map[string]any)["id"].(string))
	}
	return out
}

// The whole service: two demo upstreams (the second behind a bearer
// token), the proxy in front, a client with a token per tenant. Each
// tenant reaches its own upstream's patients, in both versions, and the
// answers carry the proxy's URLs only.
func TestTwoTenantsTwoUpstreams(t *testing.T) {
	a := startUpstream(t, upstreamOptions{patients: []string{"pat-1", "pat-2"}})
	b := startUpstream(t, upstreamOptions{patients: []string{"pat-3", "pat-4", "pat-5"}, token: "b-secret"})
	c := startProxy(t, options{upstreamA: a, upstreamB: b, tokenB: "b-secret", tenant: DefaultTenant, tenant2: DefaultTenant2, clientID: "app"})
	client := func(tenant string) *http.Client {
		cc := clientcredentials.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret, TokenURL: c.TokenURL, Scopes: []string{tenant}}
		return cc.Client(context.Background())
	}
	first, second := client(DefaultTenant), client(DefaultTenant2)

	for _, v := range []string{"/stu3", "/dstu2"} {
		base := c.BaseURL + v
		st, _, _ := getJSON(t, http.DefaultClient, base+"/Patient/pat-1")
		assert.Equal(t, 401, st, "no token, no data")

		st, _, _ = getJSON(t, first, base+"/Patient/pat-1")
		assert.Equal(t, 200, st)
		st, _, _ = getJSON(t, second, base+"/Patient/pat-1")
		assert.Equal(t, 404, st, "pat-1 is on the other upstream")
		st, _, _ = getJSON(t, second, base+"/Patient/pat-3")
		assert.Equal(t, 200, st, "the proxy authenticates to upstream B")

		st, bundle, body := getJSON(t, first, base+"/Patient?family=chau")
		require.Equal(t, 200, st)
		assert.Equal(t, []string{"pat-1"}, ids(bundle))
		st, bundle, _ = getJSON(t, second, base+"/Patient?family=chau")
		require.Equal(t, 200, st)
		assert.Equal(t, []string{"pat-4"}, ids(bundle))

		st, bundle, body = getJSON(t, first, base+"/Observation?patient=pat-1&category=vital-signs&_sort=-date&_count=10")
		require.Equal(t, 200, st)
		assert.Len(t, ids(bundle), 10)
		for _, u := range []string{a, b} {
			assert.NotContains(t, body, strings.TrimPrefix(u, "http://"), "no upstream address reaches the client")
		}
		next := ""
		for _, l := range bundle["link"].([]any) {
			if l.(map[string]any)["relation"] == "next" {
				next = l.(map[string]any)["url"].(string)
			}
		}
		require.True(t, strings.HasPrefix(next, base+"/Observation?"), next)
		st, bundle, _ = getJSON(t, first, next)
		require.Equal(t, 200, st)
		assert.Len(t, ids(bundle), 10)
		st, _, _ = getJSON(t, second, next)
		assert.Equal(t, 400, st, "a cursor works for its own tenant only")
	}
}

// A demo upstream with a token refuses requests without it.
func TestUpstreamToken(t *testing.T) {
	b := startUpstream(t, upstreamOptions{patients: []string{"pat-3"}, token: "b-secret"})
	st, _, _ := getJSON(t, http.DefaultClient, b+"/stu3/Patient/pat-3")
	assert.Equal(t, 401, st)
	req, _ := http.NewRequest("GET", b+"/stu3/Patient/pat-3", nil)
	req.Header.Set("Authorization", "Bearer b-secret")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
}

// Bad tenants are start-up errors.
func TestBadTenants(t *testing.T) {
	err := runProxy(context.Background(), options{upstreamA: "http://127.0.0.1:1", upstreamB: "http://127.0.0.1:2", tenant: DefaultTenant, tenant2: DefaultTenant},
		listen(t), quiet, func(credentials) {})
	assert.EqualError(t, err, "-tenant and -tenant2 must be two different GUIDs")
	err = runProxy(context.Background(), options{upstreamA: "ftp://x", upstreamB: "http://127.0.0.1:2", tenant: DefaultTenant, tenant2: DefaultTenant2},
		listen(t), quiet, func(credentials) {})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"upstream-a": Config.BaseURL`)
}
