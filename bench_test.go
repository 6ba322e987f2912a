package patientsfhir_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

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

// processCPU is the user and system CPU time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// tenantsForBench is how many tenants the routed variants serve.
const tenantsForBench = 100

// BenchmarkChain measures the whole authenticated chain of one Patients-app
// search (verify the bearer token, route the tenant, search, encode a
// 10-entry searchset) in process, with one backend for every tenant
// (single), a map of 100 tenants (static) and the tenant registry of 100
// tenants (registry, which the verifier also asks on every request): the
// differences are what routing costs. Compare with benchstat. observed is
// single with Config.Ops on (an access-log line as JSON, every metric;
// tracing off); traced adds spans recorded by the OpenTelemetry SDK (no
// exporter). On a shared machine, compare them with BenchmarkChainOps.
func BenchmarkChain(b *testing.B) {
	for _, mode := range []string{"single", "static", "registry", "observed", "traced"} {
		b.Run(mode, func(b *testing.B) {
			srv, req := chainServer(b, mode)
			b.ReportAllocs()
			cpu0 := processCPU()
			b.ResetTimer()
			for b.Loop() {
				w := httptest.NewRecorder()
				srv.ServeHTTP(w, req)
			}
			b.StopTimer()
			// CPU time of this process per request: less sensitive than wall
			// time to the other work of a shared machine.
			b.ReportMetric(float64((processCPU()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
		})
	}
}

// BenchmarkChainOps is BenchmarkChain's single, observed and traced (and
// metrics: observed without the access-log line) run
// request by request in turn (the order rotating), so that the load of a
// shared machine falls on all three alike: in process (as BenchmarkChain)
// and over a loopback HTTP connection (what a deployment adds: the
// socket and HTTP/1.1 parsing). It reports the median time of each (a
// preempted request does not move a median) and the overhead of each over
// single in percent.
func BenchmarkChainOps(b *testing.B) {
	modes := []string{"single", "metrics", "observed", "traced"}
	for _, via := range []string{"inprocess", "loopback"} {
		b.Run(via, func(b *testing.B) {
			serve := make([]func(), len(modes))
			for i, m := range modes {
				srv, req := chainServer(b, m)
				if via == "inprocess" {
					serve[i] = func() { srv.ServeHTTP(httptest.NewRecorder(), req) }
					continue
				}
				ts := httptest.NewServer(srv)
				b.Cleanup(ts.Close)
				c := ts.Client()
				out, err := http.NewRequest("GET", ts.URL+req.URL.RequestURI(), nil)
				require.NoError(b, err)
				out.Header = req.Header
				serve[i] = func() {
					res, err := c.Do(out)
					require.NoError(b, err)
					_, _ = io.Copy(io.Discard, res.Body)
					res.Body.Close()
				}
			}
			spent := make([][]time.Duration, len(modes))
			n := 0
			for b.Loop() {
				for k := range modes {
					i := (n + k) % len(modes)
					start := time.Now()
					serve[i]()
					spent[i] = append(spent[i], time.Since(start))
				}
				n++
			}
			median := make([]float64, len(modes))
			for i, m := range modes {
				slices.Sort(spent[i])
				median[i] = float64(spent[i][len(spent[i])/2].Nanoseconds())
				b.ReportMetric(median[i], m+"-median-ns")
			}
			for i := 1; i < len(modes); i++ {
				b.ReportMetric(100*(median[i]/median[0]-1), modes[i]+"-overhead-%")
			}
		})
	}
}

// chainServer builds BenchmarkChain's server for mode and the search
// request with a valid token.
func chainServer(b *testing.B, mode string) (http.Handler, *http.Request) {
	b.Helper()
	ehr := stu3mem.New()
	for i := range 10 {
		require.NoError(b, ehr.Load(fmt.Appendf(nil,
			`{"resourceType":"Patient","id":"p-%d","name":[{"family":"Lee","given":["Sam"]}],"gender":"female","birthDate":"1980-01-01"}`, i)))
	}
	tenant := "a0000000-0000-4000-8000-000000000000"
	cfg := &stu3.Config{Profile: stu3.PatientsApp(), Serve: []string{"Patient"}}
	var ops patientsfhir.Ops
	switch mode {
	case "static":
		m := routing.Static[stu3.Backend]{}
		for i := range tenantsForBench {
			m[fmt.Sprintf("a0000000-0000-4000-8000-%012d", i)] = ehr
		}
		cfg.Router = m
	case "registry":
		dir, err := routing.NewDirectory(context.Background(), routing.DirectoryConfig{Store: routing.NewMemoryStore()})
		require.NoError(b, err)
		for i := range tenantsForBench {
			_, err := dir.Add(context.Background(), routing.Tenant{ID: fmt.Sprintf("a0000000-0000-4000-8000-%012d", i), Backend: "ehr", State: routing.StateActive})
			require.NoError(b, err)
		}
		cfg.Router, err = routing.NewRegistry(dir, map[string]routing.Provider[stu3.Backend]{"ehr": routing.Fixed[stu3.Backend](ehr)})
		require.NoError(b, err)
	default:
		cfg.Backend = ehr
	}
	if mode == "metrics" || mode == "observed" || mode == "traced" {
		metrics, err := observe.NewMetrics(prometheus.NewRegistry())
		require.NoError(b, err)
		ops = patientsfhir.Ops{AccessLog: mode != "metrics", Observer: &observe.Observer{Metrics: metrics}}
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
	return srv, req
}
