package observe_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/patientsfhir/patientsfhir/observe"
)

// Middleware in front of any handler: one access-log line per request,
// counted in a registry of your own, with the request id returned.
func Example() {
	reg := prometheus.NewRegistry()
	metrics, err := observe.NewMetrics(reg)
	if err != nil {
		panic(err)
	}
	log := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		// Drop the time and duration so that the output is stable.
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey || a.Key == "duration" {
				return slog.Attr{}
			}
			return a
		},
	}))
	fhir := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A FHIR server fills the request's Info in (stu3 and dstu2 do).
		if info := observe.InfoFrom(r.Context()); info != nil {
			info.Version, info.Interaction, info.Type, info.Route = "stu3", observe.InteractionRead, "Patient", "/stu3/Patient/{id}"
		}
		w.WriteHeader(http.StatusNotFound)
	})
	h := observe.Middleware(log, &observe.Observer{Metrics: metrics})(fhir)

	req := httptest.NewRequest("GET", "/stu3/Patient/pat-1", nil)
	req.Header.Set("X-Request-Id", "req-42")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)

	fmt.Println(rec.Header().Get("X-Request-Id"))
	fmt.Println(testutil.ToFloat64(metrics.Requests.WithLabelValues("stu3", "read", "Patient", "404")))
	// Serve the metrics on the operator's address, not the public one:
	// go http.ListenAndServe("127.0.0.1:9090", metrics.Handler())

	// Output:
	// level=INFO msg="http request" request_id=req-42 method=GET route=/stu3/Patient/{id} status=404 bytes=0 tenant="" client=""
	// req-42
	// 1
}
