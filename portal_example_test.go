package patientsfhir_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"

	"github.com/patientsfhir/patientsfhir"
	"github.com/patientsfhir/patientsfhir/auth"
	"github.com/patientsfhir/patientsfhir/portal"
	"github.com/patientsfhir/patientsfhir/routing"
	"github.com/patientsfhir/patientsfhir/stu3"
	"github.com/patientsfhir/patientsfhir/stu3/stu3mem"
)

// The operator portal mounted by New at /portal, next to the token
// endpoint whose clients it manages; the routing directory is the tenant
// truth of both the portal's tenant pages and the token endpoint.
func ExampleConfig_portal() {
	ctx := context.Background()
	sealKey := make([]byte, 32)
	_, _ = rand.Read(sealKey)
	store := auth.NewMemoryStore()
	dataDir, _ := os.MkdirTemp("", "portal-example")
	defer os.RemoveAll(dataDir)
	ehr, _ := stu3mem.NewWithFixtures()
	os.Setenv("PORTAL_CREDENTIAL", "an operator credential from a secret store")

	dir, _ := routing.NewDirectory(ctx, routing.DirectoryConfig{Store: routing.NewMemoryStore()}) // the tenant truth
	stu3Router, _ := routing.NewRegistry(dir, map[string]routing.Provider[stu3.Backend]{
		"sample": routing.Fixed[stu3.Backend](ehr),
	})
	srv, err := patientsfhir.New(ctx, patientsfhir.Config{
		PublicURL: "https://fhir.example.com",
		Auth:      auth.Config{SealKey: sealKey}, // tenants: the routers decide
		Store:     store,
		STU3:      &stu3.Config{Router: stu3Router, Profile: stu3.PatientsApp()},
		Portal: &portal.Config{
			Tenants:        dir,
			Providers:      []string{"sample"},             // the keys of the providers map above
			Credential:     os.Getenv("PORTAL_CREDENTIAL"), // or leave empty: see below
			CredentialFile: filepath.Join(dataDir, "portal-operator.sha256"),
		},
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	// Signed out, every page of the portal leads to its sign-in form.
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "https://fhir.example.com/portal/clients", nil))
	fmt.Println(rec.Code, rec.Header().Get("Location"))
	// Output: 303 /portal/signin
}
