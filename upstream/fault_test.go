package upstream_test

import (
	"bufio"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patientsfhir/patientsfhir/upstream"
)

// faultTimeout is the upstream timeout of these tests, and faultBound the
// most a fault may add on a loaded machine.
const (
	faultTimeout = time.Second
	faultBound   = faultTimeout + 4*time.Second
)

// rawUpstream is a TCP listener that does to each connection what its
// handler says, below HTTP: it can cut an answer short, reset the
// connection or never answer at all.
type rawUpstream struct {
	ln    net.Listener
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns []net.Conn
}

func newRawUpstream(t *testing.T, handle func(c net.Conn, r *bufio.Reader)) *rawUpstream {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	u := &rawUpstream{ln: ln}
	u.wg.Add(1)
	go func() {
		defer u.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u.mu.Lock()
			u.conns = append(u.conns, c)
			u.mu.Unlock()
			u.wg.Add(1)
			go func() {
				defer u.wg.Done()
				handle(c, bufio.NewReader(c))
			}()
		}
	}()
	t.Cleanup(u.close)
	return u
}

// close stops listening and closes every connection (ending the handlers
// that wait on them).
func (u *rawUpstream) close() {
	u.ln.Close()
	u.mu.Lock()
	for _, c := range u.conns {
		c.Close()
	}
	u.mu.Unlock()
	u.wg.Wait()
}

func (u *rawUpstream) url() string { return "http://" + u.ln.Addr().String() + "/fhir" }

// readRequest reads one request's head (the proxy only sends GETs and
// form POSTs; a form body is small and read with the head or not at all).
func readRequest(r *bufio.Reader) bool {
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return false
		}
		if line == "\r\n" {
			return true
		}
	}
}

const truncatedBundle = `{"resourceType":"Bundle","type":"searchset","total":2,"entry":[{"resource":{"resourceType":"Observation","id":"o1","status":"final"`

func TestFaultUpstreamGoesAwayMidResponse(t *testing.T) {
	for _, f := range flavors {
		t.Run(f.name, func(t *testing.T) {
			up := newRawUpstream(t, func(c net.Conn, r *bufio.Reader) {
				if !readRequest(r) {
					return
				}
				// Promise 4 KB, send part of a Bundle, and disappear.
				_, _ = c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Type: " + f.mime + "\r\nContent-Length: 4096\r\n\r\n" + truncatedBundle))
				time.Sleep(20 * time.Millisecond)
				c.Close()
			})
			h := f.single(t, upstream.Config{BaseURL: up.url(), AllowHTTP: true, Timeout: faultTimeout, Logger: quiet})
			for _, target := range []string{"/Observation?patient=pat-1", "/Patient/pat-1"} {
				start := time.Now()
				res := get(t, h, f.base+target)
				assert.Less(t, time.Since(start), faultBound)
				assert.Equal(t, http.StatusBadGateway, res.status, string(res.body))
				assert.Equal(t, "OperationOutcome", res.json["resourceType"])
				assert.NotContains(t, string(res.body), "o1", "part of the upstream's answer reached the client")
				assert.NotContains(t, string(res.body), "127.0.0.1")
			}
		})
	}
}

func TestFaultUpstreamResetsTheConnection(t *testing.T) {
	for _, f := range flavors {
		t.Run(f.name, func(t *testing.T) {
			up := newRawUpstream(t, func(c net.Conn, r *bufio.Reader) {
				readRequest(r)
				if tc, ok := c.(*net.TCPConn); ok {
					_ = tc.SetLinger(0) // RST, not FIN
				}
				c.Close()
			})
			h := f.single(t, upstream.Config{BaseURL: up.url(), AllowHTTP: true, Timeout: faultTimeout, Logger: quiet})
			start := time.Now()
			res := get(t, h, f.base+"/Patient?family=chau")
			assert.Less(t, time.Since(start), faultBound)
			assert.Equal(t, http.StatusBadGateway, res.status, string(res.body))
			assert.Equal(t, "OperationOutcome", res.json["resourceType"])
		})
	}
}

// An upstream that accepts the connection and then never answers, and one
// that sends its headers and then trickles its body slower than the
// timeout: both end with a 504 at the timeout, and release nothing late.
func TestFaultUpstreamNeverAnswersOrTrickles(t *testing.T) {
	for _, f := range flavors {
		for _, mode := range []string{"silent", "trickle"} {
			t.Run(f.name+" "+mode, func(t *testing.T) {
				up := newRawUpstream(t, func(c net.Conn, r *bufio.Reader) {
					if !readRequest(r) {
						return
					}
					if mode == "silent" {
						_, _ = r.ReadByte() // until the proxy gives up and closes
						return
					}
					_, _ = c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Type: " + f.mime + "\r\nContent-Length: 100000\r\n\r\n"))
					for i := 0; i < 1000; i++ {
						time.Sleep(100 * time.Millisecond)
						if _, err := c.Write([]byte(" ")); err != nil {
							return
						}
					}
				})
				h := f.single(t, upstream.Config{BaseURL: up.url(), AllowHTTP: true, Timeout: faultTimeout, Logger: quiet})
				start := time.Now()
				res := get(t, h, f.base+"/Observation?patient=pat-1")
				took := time.Since(start)
				assert.GreaterOrEqual(t, took, faultTimeout)
				assert.Less(t, took, faultBound)
				assert.Equal(t, http.StatusGatewayTimeout, res.status, string(res.body))
				assert.Equal(t, "OperationOutcome", res.json["resourceType"])
			})
		}
	}
}

// An upstream that is down answers 502 at once; once it is back, the same
// proxy serves again, without a restart.
func TestFaultUpstreamDownThenBack(t *testing.T) {
	for _, f := range flavors {
		t.Run(f.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			addr := ln.Addr().String()
			require.NoError(t, ln.Close()) // nothing listens there now
			h := f.single(t, upstream.Config{BaseURL: "http://" + addr + f.base, AllowHTTP: true, Timeout: faultTimeout, Logger: quiet})
			start := time.Now()
			res := get(t, h, f.base+"/Patient/pat-1")
			assert.Less(t, time.Since(start), faultBound)
			assert.Equal(t, http.StatusBadGateway, res.status, string(res.body))
			assert.NotContains(t, string(res.body), strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))

			back, err := net.Listen("tcp", addr)
			if err != nil {
				t.Skipf("the port was taken meanwhile: %v", err)
			}
			srv := &http.Server{Handler: f.upstream(t), ReadHeaderTimeout: 5 * time.Second}
			done := make(chan struct{})
			go func() {
				defer close(done)
				_ = srv.Serve(back)
			}()
			t.Cleanup(func() {
				srv.Close()
				<-done
			})
			res = get(t, h, f.base+"/Patient/pat-1")
			assert.Equal(t, http.StatusOK, res.status, string(res.body))
			assert.True(t, strings.Contains(string(res.body), `"id":"pat-1"`), string(res.body))
		})
	}
}
