package portal_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"

	"github.com/patientsfhir/patientsfhir/auth"
	"github.com/patientsfhir/patientsfhir/portal"
	"github.com/patientsfhir/patientsfhir/routing"
)

// The portal next to the token endpoint it manages, without
// patientsfhir.New: the Activity is the auth server's Auditor (and passes
// every event on to the log), the directory is its tenant truth.
func Example() {
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	dir, err := routing.NewDirectory(ctx, routing.DirectoryConfig{Store: routing.NewMemoryStore(), Logger: log})
	if err != nil {
		panic(err)
	}
	activity := portal.NewActivity(0, auth.SlogAuditor{Logger: log})
	seal := make([]byte, 32)
	_, _ = rand.Read(seal)
	srv, err := auth.New(ctx, auth.Config{
		Issuer: "https://fhir.example.com", Audience: "https://fhir.example.com", SealKey: seal,
		TenantValidator: dir.Check, Auditor: activity, Logger: log,
	}, auth.NewMemoryStore())
	if err != nil {
		panic(err)
	}
	p, err := portal.New(portal.Config{
		Auth: srv, Tenants: dir, Providers: []string{"sample"}, Activity: activity,
		Credential: "an operator credential from the environment", Logger: log,
	})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/", srv.Handler()) // the token endpoint and the JWKS
	mux.Handle(p.BasePath()+"/", p)

	// Signed out, every page leads to the sign-in form.
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "https://fhir.example.com/portal/clients", nil))
	fmt.Println(rec.Code, rec.Header().Get("Location"))
	// Output: 303 /portal/signin
}
