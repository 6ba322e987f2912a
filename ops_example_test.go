package patientsfhir_test

import (
	"context"
	"log"
	"log/slog"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"

	"github.com/patientsfhir/patientsfhir"
	"github.com/patientsfhir/patientsfhir/auth"
	"github.com/patientsfhir/patientsfhir/auth/sqlstore"
	"github.com/patientsfhir/patientsfhir/observe"
	"github.com/patientsfhir/patientsfhir/routing"
	"github.com/patientsfhir/patientsfhir/stu3"
)

// What docs/operations.md shows, compiled (not run: it serves until
// SIGTERM).
var (
	opsCtx      = context.Background()
	opsSealKey  = make([]byte, 32)
	opsStore    auth.Store
	opsRouter   routing.Router[stu3.Backend]
	opsTracer   trace.TracerProvider
	opsOnFailed func(context.Context, observe.Failure)
)

// A service with metrics on a registry of its own, the access log, spans
// and a failure hook, serving the public address and the operator's
// address (/metrics, /healthz, /readyz) until SIGTERM.
func ExampleServer_ListenAndServe() {
	ctx, sealKey, store, router, tp, forwardToErrorTracker := opsCtx, opsSealKey, opsStore, opsRouter, opsTracer, opsOnFailed
	reg := prometheus.NewRegistry() // yours: never the public FHIR mux
	metrics, err := observe.NewMetrics(reg)
	if err != nil {
		log.Fatal(err)
	}
	srv, err := patientsfhir.New(ctx, patientsfhir.Config{
		PublicURL: "https://fhir.example.com",
		Auth:      auth.Config{SealKey: sealKey}, // the one secret every node shares
		Store:     store,                         // sqlstore.OpenPostgres for several nodes
		STU3:      &stu3.Config{Router: router, Profile: stu3.PatientsApp()},
		Logger:    slog.New(slog.NewJSONHandler(os.Stderr, nil)),
		Ops: patientsfhir.Ops{
			AccessLog: true,
			Observer: &observe.Observer{
				Metrics:        metrics,
				TracerProvider: tp,                    // nil: tracing off (and free)
				OnFailure:      forwardToErrorTracker, // optional
			},
			GracePeriod: 25 * time.Second,
			DrainDelay:  5 * time.Second,
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	// Public address, and the operator's address (/metrics, /healthz, /readyz).
	// Returns on SIGTERM/SIGINT once in-flight requests are done.
	log.Fatal(srv.ListenAndServe(ctx, ":8080", "127.0.0.1:9090"))
}

// One node of several behind a load balancer: the same PublicURL, seal
// key and PostgreSQL database on every node.
func ExampleServer_ListenAndServe_nodes() {
	ctx, sealKeyFromSecretManager, registry, observer := opsCtx, opsSealKey, opsRouter, &observe.Observer{}
	store, err := sqlstore.OpenPostgres(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	srv, err := patientsfhir.New(ctx, patientsfhir.Config{
		PublicURL: "https://fhir.example.com", // the LB, on every node
		Auth:      auth.Config{SealKey: sealKeyFromSecretManager, TrustForwardedProto: true},
		Store:     store,
		STU3:      &stu3.Config{Router: registry, Profile: stu3.PatientsApp()},
		Ops:       patientsfhir.Ops{AccessLog: true, PublicHealth: true, Observer: observer, DrainDelay: 5 * time.Second},
	})
	if err != nil {
		log.Fatal(err)
	}
	err = srv.ListenAndServe(ctx, ":8080", ":9090")
	log.Print(err)
}
