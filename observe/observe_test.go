package observe_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/patientsfhir/patientsfhir/auth"
	"github.com/patientsfhir/patientsfhir/observe"
)

// logLine decodes the one JSON line in b.
func logLine(t *testing.T, b *bytes.Buffer) map[string]any {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	require.Len(t, lines, 1, b.String())
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &m))
	return m
}

func TestMiddlewareLogsCountsAndTraces(t *testing.T) {
	var logs bytes.Buffer
	reg := prometheus.NewRegistry()
	m, err := observe.NewMetrics(reg)
	require.NoError(t, err)
	spans := tracetest.NewSpanRecorder()
	o := &observe.Observer{Metrics: m, TracerProvider: sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))}
	h := observe.Middleware(slog.New(slog.NewJSONHandler(&logs, nil)), o)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info := observe.InfoFrom(r.Context())
		require.NotNil(t, info)
		info.Version, info.Interaction, info.Type, info.Route = "stu3", observe.InteractionSearch, "Patient", "/stu3/Patient"
		info.Tenant, info.Client = "t-1", "app"
		w.WriteHeader(http.StatusTeapot)
		_, _ = w.Write([]byte("hello"))
	}))
	req := httptest.NewRequest("GET", "/stu3/Patient?family=Sentinelname&birthdate=1931-07-19", nil)
	req.Header.Set("X-Request-Id", "abc-123")
	req.Header.Set("Authorization", "Bearer secret-token")
	req.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)

	assert.Equal(t, "abc-123", rec.Header().Get("X-Request-Id"))
	line := logLine(t, &logs)
	assert.Equal(t, "http request", line["msg"])
	assert.Equal(t, "abc-123", line["request_id"])
	assert.Equal(t, "GET", line["method"])
	assert.Equal(t, "/stu3/Patient", line["route"])
	assert.Equal(t, float64(418), line["status"])
	assert.Equal(t, float64(5), line["bytes"])
	assert.NotContains(t, line, "version", "the route says it")
	assert.Equal(t, "t-1", line["tenant"])
	assert.Equal(t, "app", line["client"])
	assert.Contains(t, line, "duration")
	for _, never := range []string{"Sentinelname", "1931-07-19", "secret-token", "family"} {
		assert.NotContains(t, logs.String(), never)
	}
	assert.Equal(t, 1.0, testutil.ToFloat64(m.Requests.WithLabelValues("stu3", "search-type", "Patient", "418")))
	ended := spans.Ended()
	require.Len(t, ended, 1)
	assert.Equal(t, "GET /stu3/Patient", ended[0].Name())
	assert.Equal(t, "4bf92f3577b34da6a3ce929d0e0e4736", ended[0].SpanContext().TraceID().String(), "continues the caller's trace")
}

func TestRequestIDs(t *testing.T) {
	var got []string
	h := observe.Middleware(nil, nil)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, observe.RequestID(r.Context()))
	}))
	for _, in := range []string{"", "ok-1", strings.Repeat("a", 65), "bad id", "a\"b", "ü"} {
		req := httptest.NewRequest("GET", "/", nil)
		if in != "" {
			req.Header.Set("X-Request-Id", in)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		id := rec.Header().Get("X-Request-Id")
		assert.Equal(t, got[len(got)-1], id)
		assert.True(t, observe.ValidRequestID(id), id)
		if in == "ok-1" {
			assert.Equal(t, "ok-1", id)
		} else {
			assert.NotEqual(t, in, id, "replaced")
		}
	}
	assert.NotEqual(t, got[0], got[2], "fresh ids differ")
	assert.Empty(t, observe.RequestID(context.Background()))
}

func TestAuditorCountsAndNames(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := observe.NewMetrics(reg)
	require.NoError(t, err)
	var next []auth.EventType
	a := observe.Auditor(auditFunc(func(_ context.Context, e auth.Event) { next = append(next, e.Type) }), m)
	info := &observe.Info{}
	ctx := observe.ContextWithInfo(context.Background(), info)
	a.Record(ctx, auth.Event{Type: auth.EventTokenIssued, ClientID: "app", Tenant: "t-1"})
	a.Record(ctx, auth.Event{Type: auth.EventTokenDenied, ClientID: "app", Reason: "bad_secret"})
	a.Record(ctx, auth.Event{Type: auth.EventTokenDenied, Reason: "Weird Reason!"})
	a.Record(ctx, auth.Event{Type: auth.EventBearerRejected, Reason: "invalid_token"})
	a.Record(context.Background(), auth.Event{Type: auth.EventKeyRotated})
	assert.Equal(t, 1.0, testutil.ToFloat64(m.Tokens.WithLabelValues("issued", "")))
	assert.Equal(t, 1.0, testutil.ToFloat64(m.Tokens.WithLabelValues("denied", "bad_secret")))
	assert.Equal(t, 1.0, testutil.ToFloat64(m.Tokens.WithLabelValues("denied", "other")), "an unexpected reason is bounded")
	assert.Equal(t, 1.0, testutil.ToFloat64(m.BearerRejected.WithLabelValues("invalid_token")))
	assert.Equal(t, []auth.EventType{auth.EventTokenIssued, auth.EventTokenDenied, auth.EventTokenDenied, auth.EventBearerRejected, auth.EventKeyRotated}, next)
	assert.Equal(t, observe.InteractionToken, info.Interaction)
	assert.Equal(t, "", info.Client, "the last token event's client")
}

type auditFunc func(context.Context, auth.Event)

func (f auditFunc) Record(ctx context.Context, e auth.Event) { f(ctx, e) }

func TestMetricsCachesAndHandler(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := observe.NewMetrics(reg)
	require.NoError(t, err)
	_, err = observe.NewMetrics(reg)
	assert.Error(t, err, "registered twice")
	_, err = observe.NewMetrics(nil)
	assert.Error(t, err)
	m.WatchCache("verifier", func() (uint64, uint64) { return 3, 1 })
	m.WatchCache("verifier", func() (uint64, uint64) { return 2, 0 })
	m.WatchCache("client", func() (uint64, uint64) { return 0, 4 })
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	body := rec.Body.String()
	assert.Contains(t, body, `patientsfhir_cache_lookups_total{cache="verifier",result="hit"} 5`)
	assert.Contains(t, body, `patientsfhir_cache_lookups_total{cache="verifier",result="miss"} 1`)
	assert.Contains(t, body, `patientsfhir_cache_lookups_total{cache="client",result="miss"} 4`)
	assert.Equal(t, "404", observe.StatusLabel(404))
	assert.Equal(t, "other", observe.StatusLabel(99))
	assert.Equal(t, "other", observe.StatusLabel(1000))
}

func TestHealth(t *testing.T) {
	var down atomic.Bool
	var logs bytes.Buffer
	h := &observe.Health{MinInterval: time.Nanosecond, Logger: slog.New(slog.NewJSONHandler(&logs, nil)), Checks: []observe.Check{
		{Name: "store", Pinger: observe.PingFunc(func(context.Context) error {
			if down.Load() {
				return errors.New("dial tcp: refused")
			}
			return nil
		})},
		{Name: "slow", Pinger: observe.PingFunc(func(ctx context.Context) error { return nil })},
	}}
	probe := func(path string) (int, string) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		return rec.Code, rec.Body.String()
	}
	code, body := probe("/readyz")
	assert.Equal(t, http.StatusOK, code)
	assert.JSONEq(t, `{"status":"ready"}`, body)
	down.Store(true)
	code, body = probe("/readyz")
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.JSONEq(t, `{"status":"unready","failing":["store"]}`, body)
	assert.NotContains(t, body, "refused", "errors are logged, not sent")
	code, _ = probe("/readyz")
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Equal(t, 1, strings.Count(logs.String(), "check failing"), "logged once per change")
	code, _ = probe("/healthz")
	assert.Equal(t, http.StatusOK, code)
	down.Store(false)
	code, _ = probe("/readyz")
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, logs.String(), "check recovered")
	h.Drain()
	code, body = probe("/readyz")
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.JSONEq(t, `{"status":"unready","failing":["draining"]}`, body)
	code, _ = probe("/other")
	assert.Equal(t, http.StatusNotFound, code)
}

func TestHealthReusesResults(t *testing.T) {
	var pings atomic.Int32
	h := &observe.Health{MinInterval: time.Hour, Checks: []observe.Check{{Name: "db", Pinger: observe.PingFunc(func(context.Context) error {
		pings.Add(1)
		return nil
	})}}}
	for range 5 {
		assert.Empty(t, h.Ready(context.Background()))
	}
	assert.Equal(t, int32(1), pings.Load(), "a flood of probes is not a flood of pings")
}

func TestHealthTimeout(t *testing.T) {
	h := &observe.Health{Timeout: 20 * time.Millisecond, Logger: slog.New(slog.DiscardHandler), Checks: []observe.Check{{Name: "hung", Pinger: observe.PingFunc(func(ctx context.Context) error {
		<-ctx.Done()
		return ctx.Err()
	})}}}
	start := time.Now()
	assert.Equal(t, []string{"hung"}, h.Ready(context.Background()))
	assert.Less(t, time.Since(start), 2*time.Second)
}
