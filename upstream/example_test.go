package upstream_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/patientsfhir/patientsfhir/auth"
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
