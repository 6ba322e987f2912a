package observe_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/patientsfhir/patientsfhir/observe"
)

// BenchmarkMiddleware is the cost of the middleware alone around a handler
// that does nothing but fill the Info: an access-log line as JSON, the
// request metrics, both, or none of them (request id and Info only).
func BenchmarkMiddleware(b *testing.B) {
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if info := observe.InfoFrom(r.Context()); info != nil {
			info.Version, info.Interaction, info.Type, info.Route = "stu3", observe.InteractionSearch, "Patient", "/stu3/Patient"
			info.Tenant, info.Client = "a0000000-0000-4000-8000-000000000000", "patients-app"
		}
		w.WriteHeader(http.StatusOK)
	})
	m, err := observe.NewMetrics(prometheus.NewRegistry())
	if err != nil {
		b.Fatal(err)
	}
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	for _, c := range []struct {
		name string
		h    http.Handler
	}{
		{"bare", inner},
		{"ids", observe.Middleware(nil, nil)(inner)},
		{"log", observe.Middleware(log, nil)(inner)},
		{"metrics", observe.Middleware(nil, &observe.Observer{Metrics: m})(inner)},
		{"log+metrics", observe.Middleware(log, &observe.Observer{Metrics: m})(inner)},
	} {
		b.Run(c.name, func(b *testing.B) {
			req := httptest.NewRequest("GET", "/stu3/Patient?family=lee", nil)
			w := httptest.NewRecorder()
			b.ReportAllocs()
			for b.Loop() {
				c.h.ServeHTTP(w, req)
			}
		})
	}
}
