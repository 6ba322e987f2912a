package patientsfhir_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
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

	"github.com/patientsfhir/patientsfhir"
	"github.com/patientsfhir/patientsfhir/auth"
	"github.com/patientsfhir/patientsfhir/fhir"
	"github.com/patientsfhir/patientsfhir/stu3"
	"github.com/patientsfhir/patientsfhir/stu3/stu3mem"
)

// fault is what the faulty backend does to the next calls.
type fault struct {
	kind    string        // "", slow, hang, error, unavailable, panic, wrong-id, other-patient, invalid
	delay   time.Duration // slow
	release chan struct{} // hang: blocks until closed, whatever the context
	calls   atomic.Int32  // calls that met the fault
	ctxDone chan struct{} // slow: closed when the call saw its context end
	once    sync.Once
}

// faultyBackend is the fixtures' in-memory backend with faults injected
// into Patient reads and Observation searches.
type faultyBackend struct {
	*stu3mem.Backend
	now atomic.Pointer[fault]
}

// secretDetail is in every error and panic the backend makes: it must
// never reach a client.
const secretDetail = "dbhost=10.9.8.7 password=hunter2"

// inject runs the current fault; done reports that the call is answered by
// the fault (its error) rather than by the fixtures.
func (b *faultyBackend) inject(ctx context.Context) (err error, done bool) {
	f := b.now.Load()
	if f == nil || f.kind == "" {
		return nil, false
	}
	f.calls.Add(1)
	switch f.kind {
	case "slow":
		select {
		case <-time.After(f.delay):
			return nil, false
		case <-ctx.Done():
			f.once.Do(func() { close(f.ctxDone) })
			return ctx.Err(), true
		}
	case "hang":
		<-f.release // a backend that ignores its context
		return nil, false
	case "error":
		return errors.New("query failed: " + secretDetail), true
	case "unavailable":
		return fmt.Errorf("connection refused (%s): %w", secretDetail, fhir.ErrUnavailable), true
	case "panic":
		panic("backend bug: " + secretDetail)
	}
	return nil, false
}

func (b *faultyBackend) ReadPatient(ctx context.Context, id string) (*stu3.Patient, error) {
	if err, done := b.inject(ctx); done {
		return nil, err
	}
	p, err := b.Backend.ReadPatient(ctx, id)
	if f := b.now.Load(); err == nil && f != nil && f.kind == "wrong-id" {
		c := *p
		c.ID = "pat-2"
		return &c, nil
	}
	return p, err
}

func (b *faultyBackend) SearchObservations(ctx context.Context, q stu3.ObservationQuery) (fhir.Page[*stu3.Observation], error) {
	if err, done := b.inject(ctx); done {
		return fhir.Page[*stu3.Observation]{}, err
	}
	page, err := b.Backend.SearchObservations(ctx, q)
	f := b.now.Load()
	if err != nil || f == nil || len(page.Resources) == 0 {
		return page, err
	}
	switch f.kind {
	case "other-patient":
		o := *page.Resources[0]
		o.Subject = &stu3.Reference{Reference: "Patient/pat-2"}
		page.Resources[0] = &o
	case "invalid":
		o := *page.Resources[0]
		o.Status = "" // required in STU3
		page.Resources[0] = &o
	}
	return page, err
}

// faultEnv is the whole authenticated server over HTTP with the faulty
// backend, and a token.
type faultEnv struct {
	b     *faultyBackend
	ts    *httptest.Server
	token string
	logs  *bytes.Buffer
	logMu *sync.Mutex
}

// backendTimeout is the servers' Timeout in these tests.
const backendTimeout = 300 * time.Millisecond

func newFaultEnv(t *testing.T, mutate func(*stu3.Config)) *faultEnv {
	t.Helper()
	mem, err := stu3mem.NewWithFixtures()
	require.NoError(t, err)
	e := &faultEnv{b: &faultyBackend{Backend: mem}, logs: &bytes.Buffer{}, logMu: &sync.Mutex{}}
	log := slog.New(slog.NewTextHandler(lockedWriter{e.logMu, e.logs}, nil))
	e.ts = httptest.NewUnstartedServer(nil)
	e.ts.Start()
	t.Cleanup(e.ts.Close)
	cfg := &stu3.Config{Backend: e.b, Profile: stu3.PatientsApp(), Timeout: backendTimeout}
	if mutate != nil {
		mutate(cfg)
	}
	srv, err := patientsfhir.New(context.Background(), patientsfhir.Config{
		PublicURL: e.ts.URL,
		Auth:      auth.Config{SealKey: bytes.Repeat([]byte{5}, 32), Insecure: true},
		Store:     auth.NewMemoryStore(),
		STU3:      cfg,
		Logger:    log,
	})
	require.NoError(t, err)
	e.ts.Config.Handler = srv
	const tenant = "c0ffee00-1111-4222-8333-444455556666"
	_, secret, err := srv.Auth().Registry().CreateClient(context.Background(), auth.NewClient{ID: "app", Tenants: []string{tenant}}, "test")
	require.NoError(t, err)
	resp, err := http.PostForm(e.ts.URL+"/token", map[string][]string{"grant_type": {"client_credentials"}, "client_id": {"app"},
		"client_secret": {secret}, "scope": {tenant}})
	require.NoError(t, err)
	defer resp.Body.Close()
	var tr auth.TokenResponse
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&tr))
	e.token = tr.AccessToken
	t.Cleanup(func() {
		e.logMu.Lock()
		defer e.logMu.Unlock()
		assert.NotContains(t, e.logs.String(), e.token, "a token in the logs")
	})
	return e
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// answer is a response and how long it took.
type answer struct {
	status  int
	body    string
	outcome fhir.OperationOutcome
	took    time.Duration
}

func (e *faultEnv) do(t *testing.T, method, path, body string) answer {
	t.Helper()
	req, err := http.NewRequest(method, e.ts.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+e.token)
	if body != "" {
		req.Header.Set("Content-Type", "application/fhir+json")
	}
	t0 := time.Now()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	a := answer{status: resp.StatusCode, body: string(b), took: time.Since(t0)}
	if resp.StatusCode >= 400 {
		require.NoError(t, json.Unmarshal(b, &a.outcome), "an error that is not an OperationOutcome: %s", b)
		require.Equal(t, "OperationOutcome", a.outcome.ResourceType)
		require.NotEmpty(t, a.outcome.Issue)
		assert.Equal(t, "application/fhir+json", strings.Split(resp.Header.Get("Content-Type"), ";")[0])
	}
	assert.NotContains(t, a.body, "hunter2", "the backend's error text reached the client")
	assert.NotContains(t, a.body, "goroutine", "a stack reached the client")
	return a
}

const (
	readPath   = "/stu3/Patient/pat-1"
	vitalsPath = "/stu3/Observation?patient=pat-1&_sort:desc=date&category=vital-signs"
)

// recovers checks that the server answers normally once the fault is gone.
func (e *faultEnv) recovers(t *testing.T) {
	t.Helper()
	e.b.now.Store(nil)
	assert.Equal(t, http.StatusOK, e.do(t, http.MethodGet, readPath, "").status)
	assert.Equal(t, http.StatusOK, e.do(t, http.MethodGet, vitalsPath, "").status)
}

// bound is the latency a fault may add on a loaded machine: the backend
// timeout and generous scheduling slack.
const bound = backendTimeout + 3*time.Second

func TestFaultBackendSlowWithinTheTimeoutIsServed(t *testing.T) {
	e := newFaultEnv(t, nil)
	e.b.now.Store(&fault{kind: "slow", delay: backendTimeout / 3, ctxDone: make(chan struct{})})
	for _, p := range []string{readPath, vitalsPath} {
		a := e.do(t, http.MethodGet, p, "")
		assert.Equal(t, http.StatusOK, a.status, a.body)
		assert.GreaterOrEqual(t, a.took, backendTimeout/3)
	}
	e.recovers(t)
}

func TestFaultBackendSlowerThanTheTimeoutIs504AndCancelled(t *testing.T) {
	e := newFaultEnv(t, nil)
	f := &fault{kind: "slow", delay: time.Hour, ctxDone: make(chan struct{})}
	e.b.now.Store(f)
	a := e.do(t, http.MethodGet, vitalsPath, "")
	assert.Equal(t, http.StatusGatewayTimeout, a.status, a.body)
	assert.Equal(t, fhir.IssueTimeout, a.outcome.Issue[0].Code)
	assert.Less(t, a.took, bound)
	select {
	case <-f.ctxDone: // the deadline reached the backend
	case <-time.After(bound):
		require.FailNow(t, "the backend's context was not cancelled at the timeout")
	}
	e.recovers(t)
}

func TestFaultBackendThatHangsIgnoringItsContextIs504InBoundedTime(t *testing.T) {
	e := newFaultEnv(t, nil)
	f := &fault{kind: "hang", release: make(chan struct{})}
	e.b.now.Store(f)
	released := false
	release := func() {
		if !released {
			close(f.release)
			released = true
		}
	}
	t.Cleanup(release) // goleak (TestMain) then checks the stuck calls ended
	for _, p := range []string{readPath, vitalsPath} {
		a := e.do(t, http.MethodGet, p, "")
		assert.Equal(t, http.StatusGatewayTimeout, a.status, a.body)
		assert.Less(t, a.took, bound, "the server waited for a backend that ignores its context")
	}
	// Other requests are served meanwhile: the stuck calls hold nothing.
	e.b.now.Store(nil)
	assert.Equal(t, http.StatusOK, e.do(t, http.MethodGet, readPath, "").status)
	assert.Equal(t, int32(2), f.calls.Load())
	release()
	e.recovers(t)
}

func TestFaultBackendErrorsAreOutcomesWithoutTheirText(t *testing.T) {
	for _, tt := range []struct {
		kind   string
		status int
		code   fhir.IssueCode
	}{
		{"error", http.StatusInternalServerError, fhir.IssueException},
		{"unavailable", http.StatusServiceUnavailable, fhir.IssueTransient},
		{"panic", http.StatusInternalServerError, fhir.IssueException},
	} {
		t.Run(tt.kind, func(t *testing.T) {
			e := newFaultEnv(t, nil)
			e.b.now.Store(&fault{kind: tt.kind})
			for _, p := range []string{readPath, vitalsPath} {
				a := e.do(t, http.MethodGet, p, "")
				assert.Equal(t, tt.status, a.status, a.body)
				assert.Equal(t, tt.code, a.outcome.Issue[0].Code)
				assert.Less(t, a.took, bound)
			}
			e.recovers(t)
		})
	}
}

func TestFaultBackendReturnsDataItMustNotSend(t *testing.T) {
	for _, tt := range []struct {
		kind, path string
	}{
		{"wrong-id", readPath},        // a read answered with another patient
		{"other-patient", vitalsPath}, // a patient's search with another patient's vital sign
		{"invalid", vitalsPath},       // an Observation without its required status
	} {
		t.Run(tt.kind, func(t *testing.T) {
			e := newFaultEnv(t, nil)
			e.b.now.Store(&fault{kind: tt.kind})
			a := e.do(t, http.MethodGet, tt.path, "")
			assert.Equal(t, http.StatusInternalServerError, a.status, a.body)
			assert.Contains(t, a.outcome.Issue[0].Diagnostics, "cannot be sent")
			assert.NotContains(t, a.body, "pat-2", "the refused resource's data was sent")
			e.recovers(t)
		})
	}
	t.Run("dropped with CheckDrop", func(t *testing.T) {
		e := newFaultEnv(t, func(c *stu3.Config) { c.OnInvalid = stu3.CheckDrop })
		e.b.now.Store(&fault{kind: "other-patient"})
		a := e.do(t, http.MethodGet, vitalsPath, "")
		require.Equal(t, http.StatusOK, a.status, a.body)
		assert.NotContains(t, a.body, "Patient/pat-2", "another patient's vital sign was sent")
	})
}

func TestFaultInABatchStaysInItsEntry(t *testing.T) {
	e := newFaultEnv(t, nil)
	batch := `{"resourceType":"Bundle","type":"batch","entry":[` +
		`{"request":{"method":"GET","url":"Observation?patient=pat-1&_sort:desc=date&category=vital-signs"}},` +
		`{"request":{"method":"GET","url":"Condition?patient=pat-1&_count=10"}},` +
		`{"request":{"method":"GET","url":"Patient/pat-1"}}]}`
	for _, kind := range []string{"error", "panic", "hang"} {
		t.Run(kind, func(t *testing.T) {
			f := &fault{kind: kind, release: make(chan struct{})}
			e.b.now.Store(f)
			defer close(f.release)
			a := e.do(t, http.MethodPost, "/stu3", batch)
			require.Equal(t, http.StatusOK, a.status, a.body)
			assert.Less(t, a.took, bound)
			var resp struct {
				Type  string
				Entry []struct {
					Response struct{ Status string }
				}
			}
			require.NoError(t, json.Unmarshal([]byte(a.body), &resp))
			require.Len(t, resp.Entry, 3)
			assert.Equal(t, "batch-response", resp.Type)
			want := map[string]string{"error": "500", "panic": "500", "hang": "504"}[kind]
			assert.True(t, strings.HasPrefix(resp.Entry[0].Response.Status, want), resp.Entry[0].Response.Status)
			assert.True(t, strings.HasPrefix(resp.Entry[1].Response.Status, "200"), "a healthy entry failed with its neighbour: %s", resp.Entry[1].Response.Status)
			assert.True(t, strings.HasPrefix(resp.Entry[2].Response.Status, want), resp.Entry[2].Response.Status)
		})
	}
	e.recovers(t)
}

func TestFaultClientGoneCancelsTheBackend(t *testing.T) {
	e := newFaultEnv(t, func(c *stu3.Config) { c.Timeout = time.Hour })
	f := &fault{kind: "slow", delay: time.Hour, ctxDone: make(chan struct{})}
	e.b.now.Store(f)
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.ts.URL+vitalsPath, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+e.token)
	go func() {
		for f.calls.Load() == 0 {
			time.Sleep(5 * time.Millisecond)
		}
		cancel() // the client disconnects while the backend works
	}()
	_, err = http.DefaultClient.Do(req)
	require.ErrorIs(t, err, context.Canceled)
	select {
	case <-f.ctxDone:
	case <-time.After(bound):
		require.FailNow(t, "the client went away but the backend's context was not cancelled")
	}
	e.recovers(t)
}
