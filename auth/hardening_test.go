package auth

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// liveServer serves the token endpoint and the admin API over real
// loopback HTTP and counts the requests that reached the handlers.
type liveServer struct {
	*httptest.Server
	entered atomic.Int64
}

func newLiveServer(t *testing.T, e *env) *liveServer {
	mux := http.NewServeMux()
	mux.Handle("/", e.srv.Handler())
	mux.Handle("/admin/", http.StripPrefix("/admin", e.srv.Admin()))
	ls := &liveServer{}
	ls.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ls.entered.Add(1)
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(ls.Close)
	return ls
}

// hang opens n connections that each send a request's headers and part of
// its body, then stop; it waits until every one is in a handler.
func (ls *liveServer) hang(t *testing.T, n int, head string) []net.Conn {
	t.Helper()
	start := ls.entered.Load()
	conns := make([]net.Conn, 0, n)
	for range n {
		c, err := net.Dial("tcp", ls.Listener.Addr().String())
		require.NoError(t, err)
		t.Cleanup(func() { c.Close() })
		_, err = c.Write([]byte(head))
		require.NoError(t, err)
		conns = append(conns, c)
	}
	require.Eventually(t, func() bool { return ls.entered.Load()-start >= int64(n) }, 20*time.Second, 5*time.Millisecond,
		"the hanging requests did not all reach a handler")
	return conns
}

// expectStatus reads one response from c and checks its status line.
func expectStatus(t *testing.T, c net.Conn, status int, within time.Duration) {
	t.Helper()
	require.NoError(t, c.SetReadDeadline(time.Now().Add(within)))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, status, resp.StatusCode)
}

const partialTokenRequest = "POST /token HTTP/1.1\r\nHost: auth\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 200\r\n\r\ngrant_type=client_cred"

// TestSlowBodiesCannotStarveTheTokenEndpoint is issue 15's first "done
// when": 300 connections (more than MaxInFlight) that send headers and a
// partial body and stop do not keep a correct token request, nor the
// operator, from being answered at once.
func TestSlowBodiesCannotStarveTheTokenEndpoint(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.BodyReadTimeout = 2 * time.Second })
	require.Less(t, e.srv.Config().MaxInFlight, 300)
	ls := newLiveServer(t, e)
	client := ls.Client()

	tokenReq, err := http.NewRequest(http.MethodPost, ls.URL+"/token", strings.NewReader(e.goodForm().Encode()))
	require.NoError(t, err)
	tokenReq.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	adminReq, err := http.NewRequest(http.MethodGet, ls.URL+"/admin/clients", nil)
	require.NoError(t, err)
	adminReq.Header.Set("Authorization", operatorAuthz)
	for _, c := range []struct {
		name, hangingHead string
		req               *http.Request
	}{
		{"token", partialTokenRequest, tokenReq},
		{"admin", "POST /admin/clients HTTP/1.1\r\nHost: auth\r\nAuthorization: " + operatorAuthz +
			"\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"client_id\":", adminReq},
	} {
		t.Run(c.name, func(t *testing.T) {
			hung := ls.hang(t, 300, c.hangingHead)
			start := time.Now()
			resp, err := client.Do(c.req)
			elapsed := time.Since(start)
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, http.StatusOK, resp.StatusCode)
			assert.Less(t, elapsed, 100*time.Millisecond, "a correct request waited behind the hanging ones")
			// The hanging requests end with 408 once their body deadline passes.
			for _, c := range hung {
				expectStatus(t, c, http.StatusRequestTimeout, 10*time.Second)
				c.Close()
			}
		})
	}
}

func TestOversizedContentLengthRefusedAtOnce(t *testing.T) {
	e := newEnv(t, nil)
	ls := newLiveServer(t, e)
	for _, path := range []string{"/token", "/admin/clients"} {
		c, err := net.Dial("tcp", ls.Listener.Addr().String())
		require.NoError(t, err)
		// 10 GB announced, nothing sent: the answer must not wait for it.
		_, err = fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: auth\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 10000000000\r\n\r\n", path)
		require.NoError(t, err)
		expectStatus(t, c, http.StatusRequestEntityTooLarge, 2*time.Second)
		c.Close()
	}
}

// TestBodyDeadlineDoesNotOutliveTheRequest checks that the body read
// deadline set on the connection does not close a kept-alive connection
// that idles longer than it between two requests.
func TestBodyDeadlineDoesNotOutliveTheRequest(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.BodyReadTimeout = 200 * time.Millisecond })
	ls := newLiveServer(t, e)
	c, err := net.Dial("tcp", ls.Listener.Addr().String())
	require.NoError(t, err)
	defer c.Close()
	body := e.goodForm().Encode()
	br := bufio.NewReader(c)
	for range 2 {
		_, err = fmt.Fprintf(c, "POST /token HTTP/1.1\r\nHost: auth\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
		require.NoError(t, err)
		require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
		resp, err := http.ReadResponse(br, nil)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		time.Sleep(500 * time.Millisecond)
	}
}

// TestFailedAttemptsNeverLockOutTheRightSecret is issue 15's second "done
// when": 1,000 failed requests from one address, directly and through a
// configured proxy; then the right secret is accepted at once from the
// same address while the attacker's wrong attempts stay slowed.
func TestFailedAttemptsNeverLockOutTheRightSecret(t *testing.T) {
	wrong := func(e *env) string {
		f := e.goodForm()
		f.Set("client_secret", SecretPrefix+"AAAAAAAAAA_"+strings.Repeat("A", secretBodyLen))
		return f.Encode()
	}
	from := func(peer string, xff ...string) func(*http.Request) {
		return func(r *http.Request) {
			r.RemoteAddr = peer + ":4000"
			for _, v := range xff {
				r.Header.Add("X-Forwarded-For", v)
			}
		}
	}
	const attacker, app, proxy = "198.51.100.66", "203.0.113.9", "192.0.2.1"
	cases := []struct {
		name                 string
		proxies              []string
		attackerReq, appReq  func(*http.Request)
		otherAddressSameID   func(*http.Request)
		otherAddressOtherIDs func(*http.Request)
	}{
		{"direct", nil, from(attacker), from(attacker), from(app), from(app)},
		{"through a configured proxy", []string{"192.0.2.0/24"},
			from(proxy, attacker+", "+"192.0.2.3"), from(proxy, app), from(proxy, app), from(proxy, "203.0.113.10")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := &recordingAuditor{next: SlogAuditor{}}
			e := newEnv(t, func(cfg *Config) { cfg.TrustedProxies = c.proxies; cfg.Auditor = rec })
			limited := 0
			for range 1000 {
				w := e.post(wrong(e), c.attackerReq)
				switch w.Code {
				case http.StatusTooManyRequests:
					limited++
					assert.NotEmpty(t, w.Header().Get("Retry-After"))
				case http.StatusUnauthorized:
				default:
					require.Failf(t, "unexpected status", "%d %s", w.Code, w.Body)
				}
			}
			assert.GreaterOrEqual(t, limited, 1000-e.srv.Config().FailedAuthBurst, "the attacker was not slowed")
			// The right secret from the attacker's own address (shared with
			// the app, e.g. behind one NAT) is accepted at once...
			w := e.post(e.goodForm().Encode(), c.attackerReq)
			assert.Equal(t, http.StatusOK, w.Code, "right secret refused: %s", w.Body)
			// ...and from the app's address.
			assert.Equal(t, http.StatusOK, e.post(e.goodForm().Encode(), c.appReq).Code)
			// The attacker stays slowed: right after, and while it keeps going,
			// only the refill rate (10 a minute) gets past 429.
			w = e.post(wrong(e), c.attackerReq)
			assertOAuthError(t, w, http.StatusTooManyRequests, ErrCodeTemporarilyUnavailable)
			assert.NotEmpty(t, w.Header().Get("Retry-After"))
			answered := 0
			for range 120 {
				e.clock.Advance(time.Second / 2)
				if e.post(wrong(e), c.attackerReq).Code == http.StatusUnauthorized {
					answered++
				}
			}
			assert.LessOrEqual(t, answered, 11, "the attacker got more than the refill rate through in a minute")
			assert.Equal(t, http.StatusOK, e.post(e.goodForm().Encode(), c.attackerReq).Code, "right secret refused")
			// The budget of the client id was spent too, so wrong secrets for it
			// are slowed from anywhere; other client ids are not.
			assertOAuthError(t, e.post(wrong(e), c.otherAddressSameID), http.StatusTooManyRequests, ErrCodeTemporarilyUnavailable)
			f := url.Values{"grant_type": {"client_credentials"}, "client_id": {"someone-else"}, "client_secret": {"nope"}, "scope": {tenantA}}
			assertOAuthError(t, e.post(f.Encode(), c.otherAddressOtherIDs), http.StatusUnauthorized, ErrCodeInvalidClient)
			// Both budgets running dry were audited once each, for alerting.
			n := map[string]int{}
			for _, ev := range rec.events {
				if ev.Type == EventFailuresExceeded {
					n[ev.Reason]++
					assert.Equal(t, e.clientID, ev.ClientID)
				}
			}
			assert.Equal(t, map[string]int{"address_client": 1, "client": 1}, n)
		})
	}
}

// TestForwardedHeadersFromStrangersAreIgnored: without a configured proxy,
// or from a peer that is not one, X-Forwarded-For cannot move a request's
// failures onto another address (or out of its own budget).
func TestForwardedHeadersFromStrangersAreIgnored(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.TrustedProxies = []string{"192.0.2.0/24"}; c.ClientFailedAuthBurst = 1 << 20 })
	f := e.goodForm()
	f.Set("client_secret", "wrong")
	var last int
	for i := range 30 {
		last = e.post(f.Encode(), func(r *http.Request) {
			r.RemoteAddr = "198.51.100.66:1"
			r.Header.Set("X-Forwarded-For", fmt.Sprintf("203.0.113.%d", i))
		}).Code
	}
	assert.Equal(t, http.StatusTooManyRequests, last, "a spoofed X-Forwarded-For escaped the budget")
}
