package proxy

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/patientsfhir/patientsfhir/fhir"
	"github.com/patientsfhir/patientsfhir/internal/testsupport"
	"github.com/patientsfhir/patientsfhir/upstream"
)

const bundleJSON = `{"resourceType":"Bundle","type":"searchset","total":0}`

// fhirJSON answers body as STU3 FHIR JSON.
func fhirJSON(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/fhir+json; charset=utf-8")
		_, _ = io.WriteString(w, body)
	}
}

// logBuffer is a logger writing JSON lines into a buffer.
func logBuffer() (*slog.Logger, *testsupport.Buffer) {
	var b testsupport.Buffer
	return slog.New(slog.NewJSONHandler(&b, nil)), &b
}

// chauSearch is a Patient search that carries patient data.
func chauSearch(c *Client) *Query {
	q := c.NewQuery("Patient", fhir.Search{Count: 10})
	q.Strings("family", fhir.StringParam{{{Value: "Chau", Modifier: fhir.ModContains}}})
	return q
}

// assertHidden checks that a client-facing error says nothing of the
// upstream: neither its address nor what it answered.
func assertHidden(t *testing.T, err error, upstreamURL string, secrets ...string) {
	t.Helper()
	out, _ := fhir.NewOutcome(err)
	b, merr := json.Marshal(out)
	require.NoError(t, merr)
	assert.NotContains(t, string(b), strings.TrimPrefix(upstreamURL, "http://"))
	assert.NotContains(t, string(b), "127.0.0.1")
	for _, s := range secrets {
		assert.NotContains(t, string(b), s)
	}
}

func TestUpstreamStatusesBecomeOperationOutcomes(t *testing.T) {
	tests := []struct {
		status     int
		search     bool
		wantStatus int
		kind       error
	}{
		{404, false, 404, fhir.ErrNotFound},
		{410, false, 410, fhir.ErrGone},
		{404, true, 502, fhir.ErrBadGateway},
		{400, true, 400, fhir.ErrInvalidSearch},
		{422, true, 400, fhir.ErrInvalidSearch},
		{400, false, 502, fhir.ErrBadGateway},
		{401, true, 502, fhir.ErrBadGateway},
		{403, false, 403, fhir.ErrForbidden},
		{429, true, 429, fhir.ErrThrottled},
		{500, true, 502, fhir.ErrBadGateway},
		{502, false, 502, fhir.ErrBadGateway},
		{503, true, 503, fhir.ErrUnavailable},
		{504, true, 504, fhir.ErrTimeout},
		{302, false, 502, fhir.ErrBadGateway},
		{201, true, 502, fhir.ErrBadGateway},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/fhir+json")
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, `{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"exception","diagnostics":"java.lang.NullPointerException at db01.internal"}]}`)
			}))
			defer srv.Close()
			log, logs := logBuffer()
			c := newTestClient(t, fhir.STU3, upstream.Config{BaseURL: srv.URL + "/fhir", Logger: log})
			var err error
			if tt.search {
				_, err = c.Search(context.Background(), chauSearch(c))
			} else {
				_, err = c.Read(context.Background(), "Patient", "p1")
			}
			require.Error(t, err)
			assert.ErrorIs(t, err, tt.kind)
			assert.Equal(t, tt.wantStatus, fhir.StatusOf(err))
			assertHidden(t, err, srv.URL, "NullPointer", "db01")
			assert.NotContains(t, logs.String(), "Chau", "no patient data in logs")
			assert.NotContains(t, logs.String(), "NullPointer", "no upstream body in logs")
		})
	}
}

func TestUpstreamStackTraceNeverShows(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(500)
		_, _ = io.WriteString(w, "panic: runtime error: index out of range\n\ngoroutine 1 [running]:\nmain.main()\n\t/srv/ehr/main.go:42 +0x1d\n")
	}))
	defer srv.Close()
	c := newTestClient(t, fhir.STU3, upstream.Config{BaseURL: srv.URL})
	_, err := c.Search(context.Background(), chauSearch(c))
	require.ErrorIs(t, err, fhir.ErrBadGateway)
	assertHidden(t, err, srv.URL, "goroutine", "panic", "main.go")
	assert.NotContains(t, err.Error(), "goroutine", "not even in the error's log text")
}

func TestResponseSizeCap(t *testing.T) {
	const fifty = 50 << 20
	var written atomic.Int64
	done := make(chan struct{}, 2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() { done <- struct{}{} }()
		w.Header().Set("Content-Type", "application/fhir+json")
		if r.URL.Query().Get("length") == "declared" {
			w.Header().Set("Content-Length", "52428800")
		}
		chunk := bytes.Repeat([]byte(" "), 64<<10)
		for written.Load() < fifty {
			n, err := w.Write(chunk)
			written.Add(int64(n))
			if err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	for _, how := range []string{"declared", "chunked"} {
		t.Run(how, func(t *testing.T) {
			written.Store(0)
			c := newTestClient(t, fhir.STU3, upstream.Config{BaseURL: srv.URL, MaxResponseBytes: 1 << 20})
			start := time.Now()
			_, err := c.do(context.Background(), opSearch, "Patient", http.MethodGet, srv.URL+"/Patient?length="+how, nil)
			require.ErrorIs(t, err, fhir.ErrBadGateway)
			assert.Equal(t, errTooLarge, err)
			assert.Less(t, time.Since(start), 5*time.Second)
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				require.FailNow(t, "the upstream was not cut off within 10s")
			}
			assert.Less(t, written.Load(), int64(fifty), "the body was not read to its end")
		})
	}
}

func TestNotFHIRJSONIsRefused(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = io.WriteString(w, "<html>login</html>")
	}))
	defer srv.Close()
	c := newTestClient(t, fhir.STU3, upstream.Config{BaseURL: srv.URL})
	_, err := c.Read(context.Background(), "Patient", "p1")
	assert.Equal(t, errUnreadable, err)
}

func TestSlowUpstreamTimesOut(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	c := newTestClient(t, fhir.STU3, upstream.Config{BaseURL: srv.URL, Timeout: 100 * time.Millisecond})
	start := time.Now()
	_, err := c.Search(context.Background(), chauSearch(c))
	assert.Equal(t, errTimeout, err)
	assert.Equal(t, 504, fhir.StatusOf(err))
	assert.Less(t, time.Since(start), 2*time.Second)

	// The caller's own cancellation is not the upstream's fault.
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	_, err = c.Search(ctx, chauSearch(c))
	assert.ErrorIs(t, err, context.Canceled)
}

func TestConnectionPoolIsBounded(t *testing.T) {
	var cur, peak atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := cur.Add(1)
		defer cur.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(50 * time.Millisecond)
		fhirJSON(bundleJSON)(w, r)
	}))
	defer srv.Close()
	c := newTestClient(t, fhir.STU3, upstream.Config{BaseURL: srv.URL, MaxConns: 2})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			_, err := c.Search(context.Background(), chauSearch(c))
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	assert.LessOrEqual(t, peak.Load(), int32(2))
	assert.Equal(t, int32(2), peak.Load(), "the pool was used")
}

func TestRedirects(t *testing.T) {
	var otherHits atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		otherHits.Add(1)
		fhirJSON(`{"resourceType":"Patient","id":"p1"}`)(w, r)
	}))
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/fhir/Patient/moved":
			http.Redirect(w, r, "/fhir/Patient/p1", http.StatusFound)
		case "/fhir/Patient/away":
			http.Redirect(w, r, other.URL+"/fhir/Patient/p1", http.StatusFound)
		case "/fhir/Patient/p1":
			assert.Equal(t, "Bearer s3cret", r.Header.Get("Authorization"))
			fhirJSON(`{"resourceType":"Patient","id":"p1"}`)(w, r)
		}
	}))
	defer srv.Close()
	c := newTestClient(t, fhir.STU3, upstream.Config{BaseURL: srv.URL + "/fhir", Auth: upstream.Bearer{Token: "s3cret"}})
	body, err := c.Read(context.Background(), "Patient", "moved")
	require.NoError(t, err)
	assert.JSONEq(t, `{"resourceType":"Patient","id":"p1"}`, string(body))

	_, err = c.Read(context.Background(), "Patient", "away")
	assert.Equal(t, errFailed, err)
	assert.Zero(t, otherHits.Load(), "the other host never got the request nor the token")
}

func TestRequestHeadersAreOnlyOurs(t *testing.T) {
	var got http.Header
	var method, body string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		method = r.Method + " " + r.URL.Path
		b, _ := io.ReadAll(r.Body)
		body = string(b)
		fhirJSON(bundleJSON)(w, r)
	}))
	defer srv.Close()
	c := newTestClient(t, fhir.STU3, upstream.Config{BaseURL: srv.URL + "/fhir", Auth: upstream.Bearer{Token: "up-token"},
		Header: http.Header{"Epic-Client-Id": {"abc"}}})

	// The client's request context carries its own headers nowhere: the
	// backend builds the upstream request from the typed query alone.
	_, err := c.Search(context.Background(), chauSearch(c))
	require.NoError(t, err)
	assert.Equal(t, "GET /fhir/Patient", method)
	assert.ElementsMatch(t, []string{"Accept", "Accept-Encoding", "Authorization", "Epic-Client-Id", "Prefer", "User-Agent"}, keys(got))
	assert.Equal(t, "Bearer up-token", got.Get("Authorization"))
	assert.Equal(t, "handling=strict", got.Get("Prefer"))
	assert.Equal(t, "application/fhir+json, application/json;q=0.9", got.Get("Accept"))

	_, err = c.Read(context.Background(), "Patient", "p1")
	require.NoError(t, err)
	assert.NotContains(t, keys(got), "Prefer", "reads ask for nothing to be strict about")

	post := newTestClient(t, fhir.DSTU2, upstream.Config{BaseURL: srv.URL + "/fhir", SearchByPost: true})
	_, err = post.Search(context.Background(), chauSearch(post))
	require.NoError(t, err, "a DSTU2 client reads application/fhir+json as an alternative spelling")
	assert.Equal(t, "POST /fhir/Patient/_search", method)
	assert.Equal(t, "_count=10&family:contains=Chau", body)
	assert.Equal(t, "application/x-www-form-urlencoded", got.Get("Content-Type"))
	assert.Equal(t, "application/json+fhir, application/json;q=0.9", got.Get("Accept"))
	assert.Empty(t, got.Get("Authorization"))
}

func keys(h http.Header) []string {
	var out []string
	for k := range h {
		out = append(out, k)
	}
	return out
}

// tokenServer is an OAuth2 token endpoint that counts its tokens.
func tokenServer(t *testing.T) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		require.NoError(t, r.ParseForm())
		id, secret, _ := r.BasicAuth()
		if r.Form.Get("grant_type") != "client_credentials" || id != "proxy" || secret != "shh" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		i := n.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "tok-" + string(rune('0'+i)), "token_type": "Bearer", "expires_in": 3600})
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestClientCredentialsTokensAreCachedAndRenewedOn401(t *testing.T) {
	tokens, issued := tokenServer(t)
	var seen []string
	var mu sync.Mutex
	var revoke atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Get("Authorization"))
		mu.Unlock()
		if revoke.Load() && r.Header.Get("Authorization") == "Bearer tok-1" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		fhirJSON(bundleJSON)(w, r)
	}))
	defer srv.Close()
	c := newTestClient(t, fhir.STU3, upstream.Config{BaseURL: srv.URL, Auth: upstream.ClientCredentials{
		TokenURL: tokens.URL, ClientID: "proxy", ClientSecret: "shh", AuthStyle: oauth2.AuthStyleInHeader}})
	for range 3 {
		_, err := c.Search(context.Background(), chauSearch(c))
		require.NoError(t, err)
	}
	assert.Equal(t, int32(1), issued.Load(), "one token for three requests")

	revoke.Store(true)
	_, err := c.Search(context.Background(), chauSearch(c))
	require.NoError(t, err, "a 401 gets one retry with a fresh token")
	assert.Equal(t, int32(2), issued.Load())
	assert.Equal(t, []string{"Bearer tok-1", "Bearer tok-1", "Bearer tok-1", "Bearer tok-1", "Bearer tok-2"}, seen)

	// A refused token after renewal is not retried again.
	revoke.Store(false)
	always := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(401) }))
	defer always.Close()
	c2 := newTestClient(t, fhir.STU3, upstream.Config{BaseURL: always.URL, Auth: upstream.ClientCredentials{
		TokenURL: tokens.URL, ClientID: "proxy", ClientSecret: "shh", AuthStyle: oauth2.AuthStyleInHeader}})
	_, err = c2.Search(context.Background(), chauSearch(c2))
	assert.Equal(t, errFailed, err)
	assert.Equal(t, int32(4), issued.Load(), "one token, one renewal, no more")
}

func TestTokenEndpointFailureIsABadGateway(t *testing.T) {
	tokens, _ := tokenServer(t)
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	log, logs := logBuffer()
	c := newTestClient(t, fhir.STU3, upstream.Config{BaseURL: srv.URL, Logger: log, Auth: upstream.ClientCredentials{
		TokenURL: tokens.URL, ClientID: "proxy", ClientSecret: "wrong-secret", AuthStyle: oauth2.AuthStyleInHeader}})
	_, err := c.Search(context.Background(), chauSearch(c))
	assert.ErrorIs(t, err, fhir.ErrBadGateway)
	assertHidden(t, err, tokens.URL, "wrong-secret")
	assert.Zero(t, hits.Load(), "no request without a token")
	assert.NotContains(t, logs.String(), "wrong-secret")
	assert.Contains(t, logs.String(), "token request failed")
}

func TestNextTokenRefusesOtherHosts(t *testing.T) {
	log, logs := logBuffer()
	c := newTestClient(t, fhir.STU3, upstream.Config{BaseURL: "http://127.0.0.1:1/fhir", Logger: log})
	q := chauSearch(c)
	tok, err := c.NextToken(q, "http://127.0.0.1:1/fhir/Patient?family=Chau&page=2")
	require.NoError(t, err)
	next := c.NewQuery("Patient", fhir.Search{Count: 10, Cursor: tok})
	rel, err := c.cursors.open(tok, "Patient")
	require.NoError(t, err)
	assert.Equal(t, "Patient?family=Chau&page=2", rel)
	assert.Equal(t, "Patient", next.Type())

	_, err = c.NextToken(q, "http://other.example.org/fhir/Patient?family=Chau&page=2")
	assert.Equal(t, errLink, err)
	assert.Equal(t, 502, fhir.StatusOf(err))
	assert.NotContains(t, logs.String(), "Chau")
	assert.NotContains(t, logs.String(), "other.example.org")
}

func TestNewRefusesBadConfig(t *testing.T) {
	_, err := New(upstream.Config{BaseURL: "ftp://x"}, fhir.STU3)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Config.BaseURL")
}
