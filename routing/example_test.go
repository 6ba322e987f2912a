package routing_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/patientsfhir/patientsfhir/auth"
	"github.com/patientsfhir/patientsfhir/routing"
)

// EHR stands for a FHIR version's backend interface (stu3.Backend, dstu2.Backend).
type EHR interface{ Describe() string }

// hospital is one provider's EHR.
type hospital struct{ name, tenant string }

func (h hospital) Describe() string {
	if h.tenant == "" {
		return h.name
	}
	return h.name + " for tenant …" + h.tenant[len(h.tenant)-4:]
}

// The persisted tenant registry: a Directory over a store (auth/sqlstore.Store in
// production), and a Registry that routes each tenant to the backend its record names.
func Example() {
	ctx := context.Background()
	dir, err := routing.NewDirectory(ctx, routing.DirectoryConfig{Store: routing.NewMemoryStore()})
	if err != nil {
		panic(err)
	}
	router, err := routing.NewRegistry(dir, map[string]routing.Provider[EHR]{
		// One backend per tenant, built from its record (and rebuilt when the record changes).
		"contoso-ehr": func(_ context.Context, t routing.Tenant) (EHR, error) {
			return hospital{name: "Contoso EHR", tenant: t.ID}, nil
		},
		// One backend shared by every tenant that names it.
		"fabrikam-ehr": routing.Fixed[EHR](hospital{name: "Fabrikam EHR"}),
	})
	if err != nil {
		panic(err)
	}
	const a, b = "6a1c4f0e-0000-4000-8000-00000000000a", "6a1c4f0e-0000-4000-8000-00000000000b"
	if _, err := dir.Add(ctx, routing.Tenant{ID: a, Name: "Contoso Clinic", Backend: "contoso-ehr"}); err != nil {
		panic(err)
	}
	if _, err := dir.Add(ctx, routing.Tenant{ID: strings.ToUpper(b), Backend: "fabrikam-ehr"}); err != nil {
		panic(err)
	}

	for _, tenant := range []string{a, b, "6a1c4f0e-0000-4000-8000-00000000000c"} {
		ehr, err := router.Route(ctx, tenant)
		fmt.Println(describe(ehr, err))
	}
	_ = dir.Disable(ctx, a) // at once on this node, within MaxStale on the others
	ehr, err := router.Route(ctx, a)
	fmt.Println(describe(ehr, err))
	fmt.Println("other nodes follow within", dir.MaxStale())
	// Output:
	// Contoso EHR for tenant …000a
	// Fabrikam EHR
	// refused: This tenant is not served by this server.
	// refused: This tenant is disabled on this server.
	// other nodes follow within 5s
}

func describe(ehr EHR, err error) string {
	switch {
	case errors.Is(err, routing.ErrUnknownTenant):
		return "refused: " + routing.ErrUnknownTenant.Message
	case errors.Is(err, routing.ErrTenantDisabled):
		return "refused: " + routing.ErrTenantDisabled.Message
	case err != nil:
		return "error: " + err.Error()
	}
	return ehr.Describe()
}

// Directory.Check is the auth server's TenantValidator: the token endpoint refuses unknown and
// disabled tenants, and tokens already issued for a tenant stop working when it is disabled.
func ExampleDirectory_Check() {
	ctx := context.Background()
	st := auth.NewMemoryStore() // auth/sqlstore.Store serves both in production
	dir, _ := routing.NewDirectory(ctx, routing.DirectoryConfig{Store: routing.NewMemoryStore()})
	srv, err := auth.New(ctx, auth.Config{
		Issuer: "https://fhir.example.com", Audience: "https://fhir.example.com/stu3",
		SealKey: []byte("example-seal-key-of-32-bytes!!!!"), Logger: slog.New(slog.DiscardHandler),
		TenantValidator: dir.Check,
	}, st)
	if err != nil {
		panic(err)
	}
	const tenant = "6a1c4f0e-0000-4000-8000-000000000001"
	_, _ = dir.Add(ctx, routing.Tenant{ID: tenant, Backend: "ehr"})
	_, secret, _ := srv.Registry().CreateClient(ctx, auth.NewClient{ID: "patients-app", Tenants: []string{tenant}}, "operator")

	tokenStatus := func() (int, string) {
		form := url.Values{"grant_type": {"client_credentials"}, "client_id": {"patients-app"}, "client_secret": {secret}, "scope": {tenant}}
		r := httptest.NewRequest(http.MethodPost, "https://fhir.example.com/token", strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		srv.Handler().ServeHTTP(w, r)
		var tok struct {
			AccessToken string `json:"access_token"`
		}
		_ = json.Unmarshal(w.Body.Bytes(), &tok)
		return w.Code, tok.AccessToken
	}
	code, tok := tokenStatus()
	_, verr := srv.Verifier().Verify(ctx, tok)
	fmt.Println("active:  ", code, verr == nil)

	_ = dir.Disable(ctx, tenant)
	code, _ = tokenStatus()
	_, verr = srv.Verifier().Verify(ctx, tok)
	fmt.Println("disabled:", code, errors.Is(verr, auth.ErrInvalidToken))
	// Output:
	// active:   200 true
	// disabled: 400 true
}

// Static serves a fixed set of tenants from a map built at start-up.
func ExampleStatic() {
	r := routing.Static[EHR]{
		"6a1c4f0e-0000-4000-8000-000000000001": hospital{name: "Contoso EHR", tenant: "6a1c4f0e-0000-4000-8000-000000000001"},
	}
	ehr, err := r.Route(context.Background(), "6a1c4f0e-0000-4000-8000-000000000001")
	fmt.Println(describe(ehr, err))
	ehr, err = r.Route(context.Background(), "6a1c4f0e-0000-4000-8000-000000000002")
	fmt.Println(describe(ehr, err))
	// Output:
	// Contoso EHR for tenant …0001
	// refused: This tenant is not served by this server.
}

// Func adapts a function, for a mapping kept elsewhere (a configuration service, a cache).
func ExampleFunc() {
	r := routing.Func[EHR](func(_ context.Context, tenant string) (EHR, error) {
		if strings.HasSuffix(tenant, "0001") {
			return hospital{name: "Contoso EHR", tenant: tenant}, nil
		}
		return nil, routing.ErrUnknownTenant
	})
	ehr, err := r.Route(context.Background(), "6a1c4f0e-0000-4000-8000-000000000001")
	fmt.Println(describe(ehr, err))
	// Output: Contoso EHR for tenant …0001
}

// Single serves every tenant from one backend (which reads the tenant from the request context
// itself, auth.PrincipalFrom); only tenants a client was registered for get tokens at all.
func ExampleSingle() {
	r := routing.Single[EHR](hospital{name: "One EHR"})
	ehr, err := r.Route(context.Background(), "6a1c4f0e-0000-4000-8000-000000000009")
	fmt.Println(describe(ehr, err))
	// Output: One EHR
}
