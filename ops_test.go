package patientsfhir_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/patientsfhir/patientsfhir"
	"github.com/patientsfhir/patientsfhir/auth"
	"github.com/patientsfhir/patientsfhir/fhir"
	"github.com/patientsfhir/patientsfhir/internal/testsupport"
	"github.com/patientsfhir/patientsfhir/observe"
	"github.com/patientsfhir/patientsfhir/stu3"
	"github.com/patientsfhir/patientsfhir/stu3/stu3mem"
)

// Sentinels: what must never reach a log line, a metric or a span.
const (
	sentinelFamily = "Quixotesentinel"
	sentinelGiven  = "Zebulonius"
	sentinelBirth  = "1931-07-19"
)

// faultyEHR is an in-memory EHR whose reads of some ids misbehave: an
// error, a panic, a call that ignores its context until release is closed,
// and a resource Validate refuses.
type faultyEHR struct {
	*stu3mem.Backend
	release     chan struct{}
	releaseOnce sync.Once
	started     chan string // each slow read says so
	// badInSearch adds a Patient that Validate refuses to every searchset.
	badInSearch bool
}

// unblock lets the slow reads return.
func (e *faultyEHR) unblock() { e.releaseOnce.Do(func() { close(e.release) }) }

func (e *faultyEHR) SearchPatients(ctx context.Context, q stu3.PatientQuery) (fhir.Page[*stu3.Patient], error) {
	p, err := e.Backend.SearchPatients(ctx, q)
	if err == nil && e.badInSearch {
		p.Resources = append(p.Resources, &stu3.Patient{ID: "lee-bad", Gender: "bogus", Name: []stu3.HumanName{{Family: sentinelFamily}}})
		p.Total++
	}
	return p, err
}

func newFaultyEHR(t testing.TB) *faultyEHR {
	t.Helper()
	e := &faultyEHR{Backend: stu3mem.New(), release: make(chan struct{}), started: make(chan string, 16)}
	require.NoError(t, e.Load([]byte(`{"resourceType":"Patient","id":"pat-s","name":[{"family":"`+sentinelFamily+
		`","given":["`+sentinelGiven+`"]}],"gender":"female","birthDate":"`+sentinelBirth+`"}`)))
	for i := range 5 {
		require.NoError(t, e.Load(fmt.Appendf(nil, `{"resourceType":"Patient","id":"lee-%d","name":[{"family":"Lee"}],"gender":"male"}`, i)))
	}
	t.Cleanup(e.unblock)
	return e
}

func (e *faultyEHR) ReadPatient(ctx context.Context, id string) (*stu3.Patient, error) {
	switch id {
	case "err-1":
		return nil, errors.New("ehr-db-7: connection refused")
	case "unavailable-1":
		return nil, fhir.Safe(fmt.Errorf("pool: %w: %w", fhir.ErrUnavailable, errors.New("dial 10.0.0.7: refused")), "The EHR is down for maintenance.")
	case "panic-1":
		panic("ehr driver exploded")
	case "nilmap-1":
		var m map[string]int
		m[id]++
	case "slow-1":
		e.started <- id
		<-e.release // ignores ctx
		return nil, errors.New("too late")
	case "bad-1":
		return &stu3.Patient{ID: "bad-1", Gender: "bogus", Name: []stu3.HumanName{{Family: sentinelFamily}}, BirthDate: sentinelBirth}, nil
	case "gone-1":
		return nil, fhir.ErrNotFound
	}
	return e.Backend.ReadPatient(ctx, id)
}

// opsFixture is a server with every observation on: JSON logs at Debug,
// metrics on a registry of its own, spans recorded, failures collected.
type opsFixture struct {
	ts       *httptest.Server
	srv      *patientsfhir.Server
	ehr      *faultyEHR
	logs     *testsupport.Buffer
	reg      *prometheus.Registry
	metrics  *observe.Metrics
	spans    *tracetest.SpanRecorder
	mu       sync.Mutex
	failures []observe.Failure
	secret   string
	token    string
}

func newOpsFixture(t *testing.T, mutate func(*patientsfhir.Config)) *opsFixture {
	t.Helper()
	f := &opsFixture{ehr: newFaultyEHR(t), logs: &testsupport.Buffer{}, reg: prometheus.NewRegistry(), spans: tracetest.NewSpanRecorder()}
	var err error
	f.metrics, err = observe.NewMetrics(f.reg)
	require.NoError(t, err)
	f.ts = httptest.NewUnstartedServer(nil)
	f.ts.Start()
	t.Cleanup(f.ts.Close)
	cfg := patientsfhir.Config{
		PublicURL: f.ts.URL,
		Auth:      auth.Config{SealKey: bytes.Repeat([]byte{5}, 32), Insecure: true},
		Store:     auth.NewMemoryStore(),
		STU3:      &stu3.Config{Backend: f.ehr, Profile: stu3.PatientsApp(), Serve: []string{"Patient"}, Timeout: 250 * time.Millisecond},
		Logger:    slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Ops: patientsfhir.Ops{AccessLog: true, Observer: &observe.Observer{
			Metrics:        f.metrics,
			TracerProvider: sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(f.spans)),
			OnFailure: func(_ context.Context, fl observe.Failure) {
				f.mu.Lock()
				f.failures = append(f.failures, fl)
				f.mu.Unlock()
			},
		}},
	}
	if mutate != nil {
		mutate(&cfg)
	}
	f.srv, err = patientsfhir.New(context.Background(), cfg)
	require.NoError(t, err)
	f.ts.Config.Handler = f.srv
	_, f.secret, err = f.srv.Auth().Registry().CreateClient(context.Background(), auth.NewClient{ID: "patients-app", Tenants: []string{tenant}}, "test")
	require.NoError(t, err)
	f.token = f.getToken(t, "patients-app", f.secret)
	require.NotEmpty(t, f.token)
	return f
}

// getToken asks the token endpoint; "" when refused.
func (f *opsFixture) getToken(t *testing.T, id, secret string) string {
	t.Helper()
	_, tok := postToken(t, f.ts.URL, id, secret)
	return tok
}

// postToken asks the token endpoint under base for a token of tenant; it
// returns the status and the token ("" when refused).
func postToken(t *testing.T, base, id, secret string) (int, string) {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}, "scope": {tenant}}
	res, err := http.PostForm(base+"/token", form)
	require.NoError(t, err)
	defer res.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
	}
	require.NoError(t, json.NewDecoder(res.Body).Decode(&body))
	return res.StatusCode, body.AccessToken
}

// do sends a request with the fixture's token (none when token is "") and
// a request id; it returns the status, body and headers.
func (f *opsFixture) do(t *testing.T, method, target, reqID, token, ctype, body string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, f.ts.URL+target, strings.NewReader(body))
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if reqID != "" {
		req.Header.Set("X-Request-Id", reqID)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res.StatusCode, string(b), res.Header
}

// lines returns the JSON log lines for which keep is true.
func (f *opsFixture) lines(t *testing.T, keep func(map[string]any) bool) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(f.logs.String()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &m), sc.Text())
		if keep(m) {
			out = append(out, m)
		}
	}
	return out
}

// failureLines are the failure log lines of one request.
func (f *opsFixture) failureLines(t *testing.T, reqID string) []map[string]any {
	return f.lines(t, func(m map[string]any) bool {
		msg, _ := m["msg"].(string)
		return m["request_id"] == reqID && strings.HasPrefix(msg, "stu3: backend")
	})
}

// An error, a panic, a timeout and an invalid resource each give exactly one
// log line with the request id, route, tenant, client, type, id and
// reason, reach the failure hook and move the failure counter; a 404 the
// backend chose is no failure.
func TestFailuresLoggedOnce(t *testing.T) {
	f := newOpsFixture(t, nil)
	cases := []struct {
		id, kind, msg, reason string
		status                int
		check                 func(t *testing.T, line map[string]any, fl observe.Failure)
	}{
		{"err-1", "error", "stu3: backend failed", "the backend returned an error", 500, func(t *testing.T, line map[string]any, fl observe.Failure) {
			assert.Equal(t, "*errors.errorString", line["error_type"])
			assert.NotContains(t, line, "error", "a backend's text may hold a password: not logged by default")
			assert.EqualError(t, fl.Err, "ehr-db-7: connection refused", "the hook gets it")
		}},
		{"unavailable-1", "error", "stu3: backend failed", "the backend returned an error", 503, func(t *testing.T, line map[string]any, fl observe.Failure) {
			assert.Equal(t, "*fhir.Error > *fmt.wrapErrors > *errors.errorString", line["error_type"])
			assert.Equal(t, "The EHR is down for maintenance.", line["error"], "a message shown to the client is logged")
		}},
		{"panic-1", "panic", "stu3: backend panicked", "the backend panicked", 500, func(t *testing.T, line map[string]any, fl observe.Failure) {
			assert.Equal(t, "string", line["panic_type"])
			assert.NotContains(t, line, "panic", "a panic value may hold data: its type only")
			assert.Contains(t, line["stack"], "faultyEHR).ReadPatient")
			assert.Equal(t, "ehr driver exploded", fl.Panic)
		}},
		{"nilmap-1", "panic", "stu3: backend panicked", "the backend panicked", 500, func(t *testing.T, line map[string]any, fl observe.Failure) {
			assert.Equal(t, "assignment to entry in nil map", line["panic"], "a runtime error's text is the runtime's")
			assert.Equal(t, "runtime.plainError", line["panic_type"])
		}},
		{"slow-1", "timeout", "stu3: backend did not answer in time", "no answer within 250ms", 504, func(t *testing.T, line map[string]any, fl observe.Failure) {
			assert.GreaterOrEqual(t, fl.Duration, 250*time.Millisecond)
		}},
		{"bad-1", "refused", "stu3: backend output refused", "not valid (Validate failed)", 500, func(t *testing.T, line map[string]any, fl observe.Failure) {
			assert.Equal(t, []any{"Patient.gender"}, line["paths"])
			assert.Equal(t, []string{"Patient.gender"}, fl.Paths)
		}},
	}
	for _, c := range cases {
		t.Run(c.id, func(t *testing.T) {
			reqID := "req-" + c.id
			status, body, hdr := f.do(t, "GET", "/stu3/Patient/"+c.id, reqID, f.token, "", "")
			assert.Equal(t, c.status, status, body)
			assert.Equal(t, reqID, hdr.Get("X-Request-Id"))
			assert.NotContains(t, body, "ehr-db-7", "the backend's text stays in the log")
			lines := f.failureLines(t, reqID)
			require.Len(t, lines, 1, f.logs.String())
			line := lines[0]
			assert.Equal(t, c.msg, line["msg"])
			assert.Equal(t, c.kind, line["failure"])
			assert.Equal(t, "/stu3/Patient/{id}", line["route"])
			assert.Equal(t, "read", line["interaction"])
			assert.Equal(t, "Patient", line["type"])
			assert.Equal(t, c.id, line["id"])
			assert.Equal(t, tenant, line["tenant"])
			assert.Equal(t, "patients-app", line["client"])
			assert.Equal(t, c.reason, line["reason"])
			assert.Equal(t, float64(c.status), line["status"])

			f.mu.Lock()
			var got []observe.Failure
			for _, fl := range f.failures {
				if fl.RequestID == reqID {
					got = append(got, fl)
				}
			}
			f.mu.Unlock()
			require.Len(t, got, 1)
			assert.Equal(t, observe.FailureKind(c.kind), got[0].Kind)
			assert.Equal(t, "Patient", got[0].Type)
			assert.Equal(t, c.id, got[0].ID)
			assert.Equal(t, tenant, got[0].Tenant)
			c.check(t, line, got[0])
		})
	}
	for kind, n := range map[string]float64{"error": 2, "panic": 2, "timeout": 1, "refused": 1} {
		assert.Equal(t, n, testutil.ToFloat64(f.metrics.BackendFailures.WithLabelValues("stu3", "read", "Patient", kind)), kind)
	}
	t.Run("error text on request", func(t *testing.T) {
		g := newOpsFixture(t, func(c *patientsfhir.Config) { c.Ops.Observer.LogErrorText = true })
		status, _, _ := g.do(t, "GET", "/stu3/Patient/err-1", "req-text", g.token, "", "")
		require.Equal(t, http.StatusInternalServerError, status)
		status, _, _ = g.do(t, "GET", "/stu3/Patient/panic-1", "req-text-panic", g.token, "", "")
		require.Equal(t, http.StatusInternalServerError, status)
		lines := g.failureLines(t, "req-text")
		require.Len(t, lines, 1)
		assert.Equal(t, "ehr-db-7: connection refused", lines[0]["error"])
		lines = g.failureLines(t, "req-text-panic")
		require.Len(t, lines, 1)
		assert.Equal(t, "ehr driver exploded", lines[0]["panic"])
	})
	t.Run("not a failure", func(t *testing.T) {
		status, _, _ := f.do(t, "GET", "/stu3/Patient/gone-1", "req-gone", f.token, "", "")
		assert.Equal(t, http.StatusNotFound, status)
		assert.Empty(t, f.failureLines(t, "req-gone"))
	})
	t.Run("dropped from a searchset", func(t *testing.T) {
		// The same check in a search, dropping: one line per dropped resource.
		g := newOpsFixture(t, func(c *patientsfhir.Config) { c.STU3.OnInvalid = stu3.CheckDrop })
		g.ehr.badInSearch = true
		status, body, _ := g.do(t, "GET", "/stu3/Patient?family=lee", "req-drop", g.token, "", "")
		require.Equal(t, http.StatusOK, status, body)
		lines := g.failureLines(t, "req-drop")
		require.Len(t, lines, 1, g.logs.String())
		assert.Equal(t, "lee-bad", lines[0]["id"])
		assert.Equal(t, "/stu3/Patient", lines[0]["route"])
		assert.Equal(t, []any{"Patient.gender"}, lines[0]["paths"])
		assert.Equal(t, "not valid (Validate failed) (dropped from the searchset)", lines[0]["reason"])
		assert.Contains(t, body, `"total":5`)
		assert.NotContains(t, g.logs.String(), sentinelFamily)
	})
}

// gathered renders every metric of reg in the text format.
func gathered(t *testing.T, reg *prometheus.Registry) string {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	var b bytes.Buffer
	enc := expfmt.NewEncoder(&b, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		require.NoError(t, enc.Encode(mf))
	}
	return b.String()
}

// sampleCount returns the sum of a histogram's sample counts, or of a
// counter's values, over the series with the labels given.
func sampleCount(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	sum := 0.0
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metrics:
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if want, ok := labels[lp.GetName()]; ok && want != lp.GetValue() {
					continue metrics
				}
			}
			switch mf.GetType() {
			case dto.MetricType_HISTOGRAM:
				sum += float64(m.GetHistogram().GetSampleCount())
			case dto.MetricType_COUNTER:
				sum += m.GetCounter().GetValue()
			}
		}
	}
	return sum
}

// Requests, tokens, bearer refusals, backend calls, batch sizes and the
// caches are counted; every label is bounded: no id, no tenant, no name.
func TestMetricsMove(t *testing.T) {
	f := newOpsFixture(t, nil)
	m := f.metrics
	assert.Empty(t, f.getToken(t, "nobody", "fhcs_x_y"), "unknown client")
	f.getToken(t, "patients-app", f.secret) // a second token: a client-cache hit
	status, _, _ := f.do(t, "GET", "/stu3/Patient?family="+sentinelFamily, "", f.token, "", "")
	require.Equal(t, http.StatusOK, status)
	status, _, _ = f.do(t, "POST", "/stu3/Patient/_search", "", f.token, "application/x-www-form-urlencoded", "given="+sentinelGiven+"&birthdate="+sentinelBirth)
	require.Equal(t, http.StatusOK, status)
	status, _, _ = f.do(t, "GET", "/stu3/Patient/pat-s", "", f.token, "", "")
	require.Equal(t, http.StatusOK, status)
	status, _, _ = f.do(t, "GET", "/stu3/Patient/nope", "", f.token, "", "")
	require.Equal(t, http.StatusNotFound, status)
	status, _, _ = f.do(t, "GET", "/stu3/Patient/pat-s", "", "", "", "")
	require.Equal(t, http.StatusUnauthorized, status)
	status, _, _ = f.do(t, "POST", "/stu3", "", f.token, "application/fhir+json", `{"resourceType":"Bundle","type":"batch","entry":[
		{"request":{"method":"GET","url":"Patient/pat-s"}},{"request":{"method":"GET","url":"Patient?family=lee"}},{"request":{"method":"GET","url":"Patient/lee-1"}}]}`)
	require.Equal(t, http.StatusOK, status)

	assert.Equal(t, 2.0, testutil.ToFloat64(m.Requests.WithLabelValues("stu3", "search-type", "Patient", "200")))
	assert.Equal(t, 1.0, testutil.ToFloat64(m.Requests.WithLabelValues("stu3", "read", "Patient", "200")))
	assert.Equal(t, 1.0, testutil.ToFloat64(m.Requests.WithLabelValues("stu3", "read", "Patient", "404")))
	assert.Equal(t, 1.0, testutil.ToFloat64(m.Requests.WithLabelValues("stu3", "other", "", "401")), "refused before the engine: counted under its version")
	assert.Equal(t, 1.0, testutil.ToFloat64(m.Requests.WithLabelValues("stu3", "batch", "", "200")))
	assert.Equal(t, 2.0, testutil.ToFloat64(m.Requests.WithLabelValues("", "token", "", "200")))
	assert.Equal(t, 1.0, testutil.ToFloat64(m.Requests.WithLabelValues("", "token", "", "401")))
	assert.Equal(t, 2.0, testutil.ToFloat64(m.Tokens.WithLabelValues("issued", "")))
	assert.Equal(t, 1.0, testutil.ToFloat64(m.Tokens.WithLabelValues("denied", "unknown_client")))
	assert.Equal(t, 1.0, testutil.ToFloat64(m.BearerRejected.WithLabelValues("no_credentials")))
	assert.Equal(t, 4.0, sampleCount(t, f.reg, "patientsfhir_backend_call_duration_seconds", map[string]string{"interaction": "read"}),
		"pat-s, nope and the batch's two reads")
	assert.Equal(t, 3.0, sampleCount(t, f.reg, "patientsfhir_backend_call_duration_seconds", map[string]string{"interaction": "search-type"}))
	assert.Equal(t, 1.0, sampleCount(t, f.reg, "patientsfhir_batch_entries", map[string]string{"version": "stu3"}))
	assert.Equal(t, 9.0, sampleCount(t, f.reg, "patientsfhir_http_request_duration_seconds", nil), "three token requests and six FHIR requests")
	assert.Positive(t, sampleCount(t, f.reg, "patientsfhir_cache_lookups_total", map[string]string{"cache": "verifier", "result": "hit"}))
	assert.Positive(t, sampleCount(t, f.reg, "patientsfhir_cache_lookups_total", map[string]string{"cache": "client", "result": "hit"}))
	assert.Positive(t, sampleCount(t, f.reg, "patientsfhir_cache_lookups_total", map[string]string{"cache": "client", "result": "miss"}))

	text := gathered(t, f.reg)
	for _, never := range []string{sentinelFamily, sentinelGiven, sentinelBirth, f.secret, f.token, tenant, "pat-s", "lee-1", "patients-app", "nobody"} {
		assert.NotContains(t, text, never)
	}
	// The ops handler serves them; the public one does not.
	rec := httptest.NewRecorder()
	f.srv.OpsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Contains(t, rec.Body.String(), `patientsfhir_http_requests_total{code="200",interaction="search-type",type="Patient",version="stu3"} 2`)
	status, _, _ = f.do(t, "GET", "/metrics", "", "", "", "")
	assert.Equal(t, http.StatusNotFound, status)
}

// A sentinel patient's name and birth date, the client's secret and its
// token never reach a log line, a metric label or a span, whatever the
// request (token, read, search by GET and POST, batch, failures).
func TestSentinelsNeverObserved(t *testing.T) {
	f := newOpsFixture(t, nil)
	search := "family=" + sentinelFamily + "&given=" + sentinelGiven + "&birthdate=" + sentinelBirth
	for _, r := range []struct{ method, target, ctype, body string }{
		{"GET", "/stu3/Patient?" + search, "", ""},
		{"POST", "/stu3/Patient/_search", "application/x-www-form-urlencoded", search},
		{"GET", "/stu3/Patient/pat-s", "", ""},
		{"GET", "/stu3/Patient/bad-1", "", ""},
		{"GET", "/stu3/Patient/err-1?name=" + sentinelFamily, "", ""},
		{"POST", "/stu3", "application/fhir+json", `{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","url":"Patient?` + search + `"}}]}`},
		{"GET", "/stu3/Patient?" + search + "&access_token=" + f.token, "", ""},
	} {
		status, body, _ := f.do(t, r.method, r.target, "", f.token, r.ctype, r.body)
		assert.NotZero(t, status, body)
	}
	// A request id made of a token is replaced.
	_, _, hdr := f.do(t, "GET", "/stu3/Patient/pat-s", f.token, f.token, "", "")
	assert.NotEqual(t, f.token, hdr.Get("X-Request-Id"))
	assert.Empty(t, f.getToken(t, "patients-app", f.secret+"x"), "a wrong secret")
	assert.Empty(t, f.getToken(t, f.secret, f.secret), "a secret given as the client id")

	logs := f.logs.String()
	require.Contains(t, logs, `"msg":"http request"`)
	require.Contains(t, logs, `"failure":"refused"`)
	var spanText strings.Builder
	for _, s := range f.spans.Ended() {
		spanText.WriteString(s.Name())
		for _, a := range s.Attributes() {
			spanText.WriteString(" " + string(a.Key) + "=" + a.Value.Emit())
		}
		spanText.WriteString("\n")
	}
	require.Contains(t, spanText.String(), "backend")
	metrics := gathered(t, f.reg)
	for _, never := range []string{sentinelFamily, sentinelGiven, sentinelBirth, f.secret, f.token} {
		assert.NotContains(t, logs, never)
		assert.NotContains(t, metrics, never)
		assert.NotContains(t, spanText.String(), never)
	}
}

// The token request, the bearer check, the backend call and the encoding
// are spans of the request's trace.
func TestSpans(t *testing.T) {
	f := newOpsFixture(t, nil)
	status, _, _ := f.do(t, "GET", "/stu3/Patient?family=lee", "", f.token, "", "")
	require.Equal(t, http.StatusOK, status)
	byName := map[string]sdktrace.ReadOnlySpan{}
	for _, s := range f.spans.Ended() {
		byName[s.Name()] = s
	}
	for _, name := range []string{"POST /token", "token request", "GET /stu3/Patient", "bearer check", "stu3 Patient search-type backend", "stu3 Patient search-type encode"} {
		assert.Contains(t, byName, name)
	}
	server := byName["GET /stu3/Patient"]
	require.NotNil(t, server)
	for _, name := range []string{"bearer check", "stu3 Patient search-type backend", "stu3 Patient search-type encode"} {
		if s := byName[name]; assert.NotNil(t, s, name) {
			assert.Equal(t, server.SpanContext().TraceID(), s.SpanContext().TraceID(), name)
			assert.Equal(t, server.SpanContext().SpanID(), s.Parent().SpanID(), "%s is a child of the request's span", name)
		}
	}
	assert.Equal(t, byName["POST /token"].SpanContext().SpanID(), byName["token request"].Parent().SpanID())
}

// A backend that ignores its context is bounded: with MaxAbandoned calls
// still running, its requests fail fast with 503 until they return.
func TestAbandonedCallsBounded(t *testing.T) {
	f := newOpsFixture(t, func(c *patientsfhir.Config) { c.STU3.MaxAbandoned = 2 })
	gauge := f.metrics.BackendAbandoned.WithLabelValues("stu3")
	for i := range 2 {
		status, _, _ := f.do(t, "GET", "/stu3/Patient/slow-1", fmt.Sprint("slow-", i), f.token, "", "")
		assert.Equal(t, http.StatusGatewayTimeout, status)
		<-f.ehr.started
	}
	assert.Equal(t, 2.0, testutil.ToFloat64(gauge))
	start := time.Now()
	status, body, _ := f.do(t, "GET", "/stu3/Patient/pat-s", "req-fast", f.token, "", "")
	assert.Equal(t, http.StatusServiceUnavailable, status, body)
	assert.Less(t, time.Since(start), 100*time.Millisecond, "fails fast, without calling the backend")
	lines := f.failureLines(t, "req-fast")
	require.Len(t, lines, 1)
	assert.Equal(t, "overloaded", lines[0]["failure"])
	f.ehr.unblock()
	require.Eventually(t, func() bool { return testutil.ToFloat64(gauge) == 0 }, 5*time.Second, 10*time.Millisecond)
	status, _, _ = f.do(t, "GET", "/stu3/Patient/pat-s", "", f.token, "", "")
	assert.Equal(t, http.StatusOK, status)
}
