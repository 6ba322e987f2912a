package patientsfhir_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/patientsfhir/patientsfhir"
	"github.com/patientsfhir/patientsfhir/auth"
	"github.com/patientsfhir/patientsfhir/observe"
	"github.com/patientsfhir/patientsfhir/routing"
	"github.com/patientsfhir/patientsfhir/stu3"
	"github.com/patientsfhir/patientsfhir/stu3/stu3mem"
)

// tenantsForBench is how many tenants the routed variants serve.
const tenantsForBench = 100

// BenchmarkChain measures the whole authenticated chain of one Patients-app
// search (verify the bearer token, route the tenant, search, encode a
// 10-entry searchset) in process, with one backend for every tenant
// (single) and with a map of 100 tenants (static): the difference is what
// routing costs. Compare with benchstat or the ns/op ratio. observed is
// single with Config.Ops on (an access-log line as JSON, every metric;
// tracing off): the difference with single is what observing costs;
// traced adds spans recorded by the OpenTelemetry SDK (no exporter).
func BenchmarkChain(b *testing.B) {
	for _, mode := range []string{"single", "static", "observed", "traced"} {
		b.Run(mode, func(b *testing.B) {
			ehr := stu3mem.New()
			for i := range 10 {
				require.NoError(b, ehr.Load(fmt.Appendf(nil,
					`{"resourceType":"Patient","id":"p-%d","name":[{"family":"Lee","given":["Sam"]}],"gender":"female","birthDate":"1980-01-01"}`, i)))
			}
			tenant := "a0000000-0000-4000-8000-000000000000"
			cfg := &stu3.Config{Profile: stu3.PatientsApp(), Serve: []string{"Patient"}}
			var ops patientsfhir.Ops
			if mode != "static" {
				cfg.Backend = ehr
			} else {
				m := routing.Static[stu3.Backend]{}
				for i := range tenantsForBench {
					m[fmt.Sprintf("a0000000-0000-4000-8000-%012d", i)] = ehr
				}
				cfg.Router = m
			}
			if mode == "observed" || mode == "traced" {
				metrics, err := observe.NewMetrics(prometheus.NewRegistry())
				require.NoError(b, err)
				ops = patientsfhir.Ops{AccessLog: true, Observer: &observe.Observer{Metrics: metrics}}
				if mode == "traced" {
					ops.Observer.TracerProvider = sdktrace.NewTracerProvider()
				}
			}
			log := quiet()
			if ops.AccessLog {
				log = slog.New(slog.NewJSONHandler(io.Discard, nil)) // what production logs are made of
			}
			srv, err := patientsfhir.New(context.Background(), patientsfhir.Config{
				PublicURL: "http://fhir.example", Auth: auth.Config{SealKey: bytes.Repeat([]byte{1}, 32), Insecure: true},
				Store: auth.NewMemoryStore(), STU3: cfg, Logger: log, Ops: ops,
			})
			require.NoError(b, err)
			_, secret, err := srv.Auth().Registry().CreateClient(context.Background(), auth.NewClient{ID: "app", Tenants: []string{tenant}}, "bench")
			require.NoError(b, err)
			tr := httptest.NewRequest("POST", "/token", strings.NewReader("grant_type=client_credentials&client_id=app&client_secret="+secret+"&scope="+tenant))
			tr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			tw := httptest.NewRecorder()
			srv.ServeHTTP(tw, tr)
			require.Equal(b, 200, tw.Code, tw.Body.String())
			tok := tw.Body.String()
			tok = tok[strings.Index(tok, `"access_token":"`)+len(`"access_token":"`):]
			tok = tok[:strings.IndexByte(tok, '"')]
			req := httptest.NewRequest("GET", "/stu3/Patient?family=lee&_count=10", nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			w := httptest.NewRecorder()
			srv.ServeHTTP(w, req)
			require.Equal(b, http.StatusOK, w.Code, w.Body.String())
			require.Contains(b, w.Body.String(), `"total":10`)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				w := httptest.NewRecorder()
				srv.ServeHTTP(w, req)
			}
		})
	}
}
