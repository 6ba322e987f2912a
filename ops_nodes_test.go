package patientsfhir_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx", for the test schemas
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patientsfhir/patientsfhir"
	"github.com/patientsfhir/patientsfhir/auth"
	"github.com/patientsfhir/patientsfhir/auth/sqlstore"
	"github.com/patientsfhir/patientsfhir/internal/testsupport"
	"github.com/patientsfhir/patientsfhir/stu3"
	"github.com/patientsfhir/patientsfhir/stu3/stu3mem"
)

// pingStore is a store whose Ping fails while down is set.
type pingStore struct {
	auth.Store
	down atomic.Bool
}

func (s *pingStore) Ping(context.Context) error {
	if s.down.Load() {
		return errors.New("store unreachable")
	}
	return nil
}

func readyz(t *testing.T, srv *patientsfhir.Server) (int, map[string]any) {
	t.Helper()
	rec := httptest.NewRecorder()
	srv.OpsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	var body map[string]any
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body), rec.Body.String())
	return rec.Code, body
}

// /readyz follows the store: unready while its Ping fails, ready again
// when it answers; /healthz answers throughout; with PublicHealth both are
// on the public handler too.
func TestReadyzFollowsStore(t *testing.T) {
	store := &pingStore{Store: auth.NewMemoryStore()}
	logs := &testsupport.Buffer{}
	_, srv := serve(t, func(c *patientsfhir.Config) {
		c.Store, c.Ops.PublicHealth = store, true
		c.Logger = jsonLogger(logs)
	})
	srv.Health().MinInterval = time.Nanosecond // no reuse of a probe's result

	code, body := readyz(t, srv)
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, map[string]any{"status": "ready"}, body)
	store.down.Store(true)
	code, body = readyz(t, srv)
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Equal(t, map[string]any{"status": "unready", "failing": []any{"store"}}, body)
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
	assert.Equal(t, http.StatusOK, rec.Code, "the process is up")
	rec = httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	assert.Equal(t, http.StatusServiceUnavailable, rec.Code, "public probe")
	store.down.Store(false)
	code, _ = readyz(t, srv)
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, logs.String(), `"msg":"readiness: check failing","check":"store","error":"store unreachable"`)
	assert.Contains(t, logs.String(), `"msg":"readiness: check recovered","check":"store"`)
}

func jsonLogger(w io.Writer) *slog.Logger { return slog.New(slog.NewJSONHandler(w, nil)) }

// tcpProxy forwards TCP connections to target until it is taken down;
// brought up again, it listens on the same address.
type tcpProxy struct {
	target, addr string
	mu           sync.Mutex
	ln           net.Listener
	conns        map[net.Conn]bool
}

func newTCPProxy(t *testing.T, target string) *tcpProxy {
	t.Helper()
	p := &tcpProxy{target: target, conns: map[net.Conn]bool{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p.addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(p.down)
	return p
}

func (p *tcpProxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns[c], p.conns[u] = true, true
			p.mu.Unlock()
			go func() { _, _ = io.Copy(u, c); u.Close() }()
			go func() { _, _ = io.Copy(c, u); c.Close() }()
		}
	}()
}

// down closes the listener and every connection: the database is gone.
func (p *tcpProxy) down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

func (p *tcpProxy) up(t *testing.T) {
	ln, err := net.Listen("tcp", p.addr)
	require.NoError(t, err)
	p.serve(ln)
}

// pgSchemaDSN creates an empty schema for one test (dropped at cleanup)
// and returns a DSN selecting it; it skips without
// PATIENTSFHIR_TEST_POSTGRES_DSN (source .ci/postgres.sh).
func pgSchemaDSN(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv("PATIENTSFHIR_TEST_POSTGRES_DSN")
	if dsn == "" {
		t.Skip("PATIENTSFHIR_TEST_POSTGRES_DSN is not set; run `source .ci/postgres.sh` to start a throwaway server")
	}
	u, err := url.Parse(dsn)
	require.NoError(t, err, "PATIENTSFHIR_TEST_POSTGRES_DSN must be a postgres:// URL")
	db, err := sql.Open("pgx", dsn)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	var b [8]byte
	_, _ = rand.Read(b[:])
	schema := "pfops_" + hex.EncodeToString(b[:])
	_, err = db.Exec(`CREATE SCHEMA ` + schema)
	require.NoError(t, err)
	t.Cleanup(func() {
		_, err := db.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
		assert.NoError(t, err)
	})
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// The same with PostgreSQL: the connection to the database is cut (every
// connection closed, new ones refused), then restored.
func TestReadyzFollowsPostgres(t *testing.T) {
	dsn := pgSchemaDSN(t)
	u, err := url.Parse(dsn)
	require.NoError(t, err)
	proxy := newTCPProxy(t, u.Host)
	u.Host = proxy.addr
	q := u.Query()
	q.Set("connect_timeout", "2")
	u.RawQuery = q.Encode()
	store, err := sqlstore.OpenPostgres(context.Background(), u.String())
	require.NoError(t, err)
	t.Cleanup(func() { store.Close() })
	_, srv := serve(t, func(c *patientsfhir.Config) { c.Store = store })
	srv.Health().MinInterval = time.Nanosecond

	code, _ := readyz(t, srv)
	assert.Equal(t, http.StatusOK, code)
	proxy.down()
	code, body := readyz(t, srv)
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Equal(t, []any{"store"}, body["failing"])
	proxy.up(t)
	require.Eventually(t, func() bool { code, _ := readyz(t, srv); return code == http.StatusOK }, 10*time.Second, 50*time.Millisecond)
}

// blockingEHR's read of "slow" waits for release: a slow backend.
type blockingEHR struct {
	*stu3mem.Backend
	started chan struct{}
	release chan struct{}
}

func (e *blockingEHR) ReadPatient(ctx context.Context, id string) (*stu3.Patient, error) {
	if id != "slow" {
		return e.Backend.ReadPatient(ctx, id)
	}
	e.started <- struct{}{}
	<-e.release
	return &stu3.Patient{ID: "slow", Gender: "female"}, nil
}

// Shutdown (ctx cancelled, or SIGTERM) refuses new connections at once,
// turns /readyz unready, lets the request in flight finish, and Serve
// returns nil.
func TestShutdownFinishesInFlight(t *testing.T) {
	for _, how := range []string{"cancel", "SIGTERM"} {
		t.Run(how, func(t *testing.T) {
			b3, err := stu3mem.NewWithFixtures()
			require.NoError(t, err)
			ehr := &blockingEHR{Backend: b3, started: make(chan struct{}, 1), release: make(chan struct{})}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			base := "http://" + ln.Addr().String()
			srv, err := patientsfhir.New(context.Background(), patientsfhir.Config{
				PublicURL: base,
				Auth:      auth.Config{SealKey: bytes.Repeat([]byte{3}, 32), Insecure: true},
				Store:     auth.NewMemoryStore(),
				STU3:      &stu3.Config{Backend: ehr, Profile: stu3.PatientsApp(), Serve: []string{"Patient"}},
				Logger:    quiet(),
				Ops:       patientsfhir.Ops{GracePeriod: 20 * time.Second},
			})
			require.NoError(t, err)
			_, secret, err := srv.Auth().Registry().CreateClient(context.Background(), auth.NewClient{ID: "app", Tenants: []string{tenant}}, "test")
			require.NoError(t, err)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- srv.Serve(ctx, ln, nil) }()

			_, token := postToken(t, base, "app", secret)
			require.NotEmpty(t, token)

			type result struct {
				status int
				id     string
				err    error
			}
			inflight := make(chan result, 1)
			go func() {
				req, _ := http.NewRequest("GET", base+"/stu3/Patient/slow", nil)
				req.Header.Set("Authorization", "Bearer "+token)
				res, err := (&http.Client{Transport: &http.Transport{}}).Do(req)
				if err != nil {
					inflight <- result{err: err}
					return
				}
				defer res.Body.Close()
				var p struct{ ID string }
				_ = json.NewDecoder(res.Body).Decode(&p)
				inflight <- result{status: res.StatusCode, id: p.ID}
			}()
			<-ehr.started
			if how == "cancel" {
				cancel()
			} else {
				require.NoError(t, syscall.Kill(os.Getpid(), syscall.SIGTERM))
			}
			require.Eventually(t, func() bool {
				c, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second)
				if err == nil {
					c.Close()
				}
				return err != nil
			}, 10*time.Second, 10*time.Millisecond, "new connections are refused")
			assert.Equal(t, []string{"draining"}, srv.Health().Ready(context.Background()))
			select {
			case err := <-done:
				require.FailNow(t, "Serve returned with a request in flight", "Serve returned %v", err)
			default:
			}
			close(ehr.release)
			select {
			case r := <-inflight:
				require.NoError(t, r.err)
				assert.Equal(t, http.StatusOK, r.status)
				assert.Equal(t, "slow", r.id)
			case <-time.After(10 * time.Second):
				require.FailNow(t, "the request in flight did not finish within 10s")
			}
			select {
			case err := <-done:
				assert.NoError(t, err)
			case <-time.After(10 * time.Second):
				require.FailNow(t, "Serve did not return within 10s of the end of the request in flight")
			}
		})
	}
}

// Two nodes over one store behind a round-robin reverse proxy: a search
// pages through both (each next link sealed by one node opens on the
// other), with a token issued by either.
func TestTwoNodesPageAcrossBoth(t *testing.T) {
	t.Run("memory store", func(t *testing.T) {
		shared := auth.NewMemoryStore()
		runTwoNodes(t, func(*testing.T) auth.Store { return shared })
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := pgSchemaDSN(t)
		runTwoNodes(t, func(t *testing.T) auth.Store {
			st, err := sqlstore.OpenPostgres(context.Background(), dsn)
			require.NoError(t, err)
			t.Cleanup(func() { st.Close() })
			return st
		})
		// A node whose seal key differs cannot join: a start-up error,
		// not pages that fail later.
		st, err := sqlstore.OpenPostgres(context.Background(), dsn)
		require.NoError(t, err)
		defer st.Close()
		_, err = patientsfhir.New(context.Background(), patientsfhir.Config{PublicURL: "http://lb.example",
			Auth: auth.Config{SealKey: bytes.Repeat([]byte{8}, 32), Insecure: true}, Store: st,
			STU3: &stu3.Config{Backend: stu3mem.New()}, Logger: quiet()})
		require.ErrorIs(t, err, patientsfhir.ErrInvalidConfig)
		assert.ErrorContains(t, err, "Config.Auth.SealKey")
	})
}

func runTwoNodes(t *testing.T, store func(*testing.T) auth.Store) {
	lb := httptest.NewUnstartedServer(nil)
	lb.Start()
	t.Cleanup(lb.Close)
	var targets []*url.URL
	var secret string
	hits := make([]atomic.Int64, 2)
	for i := range 2 {
		ehr := stu3mem.New()
		for j := range 7 {
			require.NoError(t, ehr.Load(fmt.Appendf(nil, `{"resourceType":"Patient","id":"lee-%d","name":[{"family":"Lee"}]}`, j)))
		}
		srv, err := patientsfhir.New(context.Background(), patientsfhir.Config{
			PublicURL: lb.URL, // links name the load balancer
			Auth:      auth.Config{SealKey: bytes.Repeat([]byte{6}, 32), Insecure: true},
			Store:     store(t),
			STU3:      &stu3.Config{Backend: ehr, Profile: stu3.PatientsApp(), Serve: []string{"Patient"}},
			Logger:    quiet(),
		})
		require.NoError(t, err)
		if i == 0 {
			_, secret, err = srv.Auth().Registry().CreateClient(context.Background(), auth.NewClient{ID: "app", Tenants: []string{tenant}}, "test")
			require.NoError(t, err)
		}
		node := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hits[i].Add(1)
			srv.ServeHTTP(w, r)
		}))
		t.Cleanup(node.Close)
		u, err := url.Parse(node.URL)
		require.NoError(t, err)
		targets = append(targets, u)
	}
	var next atomic.Uint64
	lb.Config.Handler = &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		pr.SetURL(targets[(next.Add(1)-1)%2])
		pr.Out.Host = pr.In.Host
	}}

	// Tokens from the token endpoint through the balancer: one from each node.
	var tokens []string
	for range 2 {
		status, tok := postToken(t, lb.URL, "app", secret)
		require.Equal(t, http.StatusOK, status)
		tokens = append(tokens, tok)
	}
	for i := range hits {
		assert.Equal(t, int64(1), hits[i].Load(), "each node issued one token")
	}
	seen := map[string]bool{}
	link, pages := lb.URL+"/stu3/Patient?family=lee&_count=2", 0
	for link != "" {
		require.Less(t, pages, 10, "paging does not end")
		req, err := http.NewRequest("GET", link, nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+tokens[pages%2])
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		var bundle map[string]any
		require.NoError(t, json.NewDecoder(res.Body).Decode(&bundle))
		res.Body.Close()
		require.Equal(t, http.StatusOK, res.StatusCode, "page %d: %v", pages, bundle)
		assert.Equal(t, float64(7), bundle["total"])
		entries, _ := bundle["entry"].([]any)
		for _, e := range entries {
			seen[e.(map[string]any)["resource"].(map[string]any)["id"].(string)] = true
		}
		link = nextLink(bundle)
		if link != "" {
			require.True(t, strings.HasPrefix(link, lb.URL+"/stu3/"), link)
		}
		pages++
	}
	assert.Equal(t, 4, pages)
	assert.Len(t, seen, 7, "every patient once")
	for i := range hits {
		assert.Equal(t, int64(3), hits[i].Load(), "node %d: a token and two pages", i)
	}
}
