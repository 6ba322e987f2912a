package upstream_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http/httptest"

	"github.com/patientsfhir/patientsfhir/auth"
	"github.com/patientsfhir/patientsfhir/routing"
	"github.com/patientsfhir/patientsfhir/stu3"
	"github.com/patientsfhir/patientsfhir/stu3/stu3mem"
	"github.com/patientsfhir/patientsfhir/stu3/stu3proxy"
	"github.com/patientsfhir/patientsfhir/upstream"
)

// Two tenants, each served by its provider's own FHIR server. Here the
// upstreams are the module's in-memory server with different patients;
// in production they are the hospitals' servers, with credentials.
func ExampleSet_Static() {
	hospitalA := inMemoryUpstream("pat-1", "pat-2")
	defer hospitalA.Close()
	hospitalB := inMemoryUpstream("pat-3", "pat-4", "pat-5")
	defer hospitalB.Close()

	set, err := stu3proxy.NewSet(map[string]upstream.Config{
		"hospital-a": {BaseURL: hospitalA.URL + "/stu3"},
		"hospital-b": {BaseURL: hospitalB.URL + "/stu3" /* Auth: upstream.ClientCredentials{...} */},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer set.Close()
	router, err := set.Static(map[string]string{
		"11111111-2222-4333-8444-555555555555": "hospital-a",
		"66666666-7777-4888-9999-000000000000": "hospital-b",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	h, err := stu3.NewHandler(stu3.Config{Router: router, BasePath: "/stu3", Profile: stu3.PatientsApp(), Logger: quiet})
	if err != nil {
		fmt.Println(err)
		return
	}
	// The tenant comes from the verified access token (patientsfhir.New
	// wires the verifier); here it is set by hand.
	for _, tenant := range []string{"11111111-2222-4333-8444-555555555555", "66666666-7777-4888-9999-000000000000"} {
		req := httptest.NewRequest("GET", "/stu3/Patient?family=chau", nil)
		req = req.WithContext(auth.ContextWithPrincipal(context.Background(), &auth.Principal{TenantID: tenant}))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		fmt.Println(tenant[:8], rec.Code, patientIDs(rec.Body.Bytes()))
	}
	// Output:
	// 11111111 200 [pat-1]
	// 66666666 200 [pat-4]
}

// tenantTable stands for a partner's own table of tenants: tenant GUID →
// upstream name.
type tenantTable map[string]string

// UpstreamOf returns the upstream of a tenant, "" for an unknown tenant.
func (t tenantTable) UpstreamOf(_ context.Context, tenant string) (string, error) {
	return t[tenant], nil
}

// The three ways to route tenants to the upstreams of a Set: a fixed map,
// your own tenant table, the tenant registry. Each sends a tenant's
// requests to its own hospital, and only there.
func ExampleSet() {
	hospitalA := inMemoryUpstream("pat-1", "pat-2")
	defer hospitalA.Close()
	hospitalB := inMemoryUpstream("pat-3", "pat-4", "pat-5")
	defer hospitalB.Close()
	key := make([]byte, 32)
	_, _ = rand.Read(key) // the same on every node: from your secret manager
	ctx := context.Background()
	const tenantA, tenantB = "6a1c4f0e-0000-4000-8000-000000000001", "6a1c4f0e-0000-4000-8000-000000000002"
	myTable := tenantTable{tenantA: "hospital-a", tenantB: "hospital-b"}

	set, err := stu3proxy.NewSet(map[string]upstream.Config{
		"hospital-a": {BaseURL: hospitalA.URL + "/stu3", CursorKey: key /* , Auth: upstream.ClientCredentials{...} */},
		"hospital-b": {BaseURL: hospitalB.URL + "/stu3", CursorKey: key /* , Auth: upstream.Bearer{...} */},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer set.Close()

	// a fixed map: tenant GUID → upstream name
	static, err := set.Static(map[string]string{
		"6a1c4f0e-0000-4000-8000-000000000001": "hospital-a",
		"6a1c4f0e-0000-4000-8000-000000000002": "hospital-b",
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	// or your own tenant table
	own := routing.Func[stu3.Backend](func(ctx context.Context, tenant string) (stu3.Backend, error) {
		name, err := myTable.UpstreamOf(ctx, tenant) // "" for an unknown tenant
		if err != nil {
			return nil, err
		}
		b, ok := set.Backend(name)
		if !ok {
			return nil, routing.ErrUnknownTenant
		}
		return b, nil
	})

	// or the tenant registry: a tenant record's Backend names its upstream
	dir, err := routing.NewDirectory(ctx, routing.DirectoryConfig{Store: routing.NewMemoryStore()})
	if err != nil {
		fmt.Println(err)
		return
	}
	_, _ = dir.Add(ctx, routing.Tenant{ID: tenantA, Backend: "hospital-a"})
	_, _ = dir.Add(ctx, routing.Tenant{ID: tenantB, Backend: "hospital-b"})
	registry, err := routing.NewRegistry(dir, set.Providers())
	if err != nil {
		fmt.Println(err)
		return
	}

	for _, r := range []struct {
		name   string
		router routing.Router[stu3.Backend]
	}{{"static", static}, {"own", own}, {"registry", registry}} {
		h, err := stu3.NewHandler(stu3.Config{Router: r.router, BasePath: "/stu3", Profile: stu3.PatientsApp(), Logger: quiet})
		if err != nil {
			fmt.Println(err)
			return
		}
		for _, tenant := range []string{tenantA, tenantB, "6a1c4f0e-0000-4000-8000-000000000009"} {
			req := httptest.NewRequest("GET", "/stu3/Patient?family=chau", nil)
			req = req.WithContext(auth.ContextWithPrincipal(context.Background(), &auth.Principal{TenantID: tenant}))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			fmt.Println(r.name, tenant[len(tenant)-1:], rec.Code, patientIDs(rec.Body.Bytes()))
		}
	}
	// Output:
	// static 1 200 [pat-1]
	// static 2 200 [pat-4]
	// static 9 403 []
	// own 1 200 [pat-1]
	// own 2 200 [pat-4]
	// own 9 403 []
	// registry 1 200 [pat-1]
	// registry 2 200 [pat-4]
	// registry 9 403 []
}

// inMemoryUpstream starts the module's own STU3 server with the fixture
// patients given, without authentication.
func inMemoryUpstream(patients ...string) *httptest.Server {
	b, err := stu3mem.NewWithFixtures(patients...)
	if err != nil {
		panic(err)
	}
	h, err := stu3.NewHandler(stu3.Config{Backend: b, BasePath: "/stu3", Profile: stu3.PatientsApp(), Logger: quiet})
	if err != nil {
		panic(err)
	}
	return httptest.NewServer(h)
}

// patientIDs lists the ids of a searchset's resources.
func patientIDs(body []byte) []string {
	var bundle stu3.Bundle
	if err := stu3.Unmarshal(body, &bundle); err != nil {
		return nil
	}
	var out []string
	for _, e := range bundle.Entry {
		out = append(out, e.Resource.GetID())
	}
	return out
}
