package dstu2_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http/httptest"
	"slices"

	"github.com/patientsfhir/patientsfhir/auth"
	"github.com/patientsfhir/patientsfhir/dstu2"
	"github.com/patientsfhir/patientsfhir/fhir"
	"github.com/patientsfhir/patientsfhir/routing"
)

// wardEHR is a partner backend over its own records, keyed by id.
type wardEHR map[string]*dstu2.Patient

func (w wardEHR) ReadPatient(ctx context.Context, id string) (*dstu2.Patient, error) {
	if p, ok := w[id]; ok {
		return p, nil
	}
	return nil, fhir.ErrNotFound
}

// SearchPatients finds patients by MRN (identifier, with or without its
// system) and family name; DSTU2 HumanName.family is a list.
func (w wardEHR) SearchPatients(ctx context.Context, q dstu2.PatientQuery) (fhir.Page[*dstu2.Patient], error) {
	page := fhir.Page[*dstu2.Patient]{TotalKnown: true}
	for _, id := range slices.Sorted(maps.Keys(w)) {
		p := w[id]
		var mrns []fhir.TokenCode
		for _, i := range p.Identifier {
			mrns = append(mrns, fhir.TokenCode{System: i.System, Code: i.Value})
		}
		var family []string
		for _, n := range p.Name {
			family = append(family, n.Family...)
		}
		if q.IDs.Match(id) && q.Identifier.Match(mrns...) && q.Family.Match(family...) {
			page.Total++
			if len(page.Resources) < q.Count {
				page.Resources = append(page.Resources, p)
			}
		}
	}
	return page, nil
}

// A Router gives each tenant its own backend: the tenant of the caller's
// access token (auth.Verifier puts the principal in the request context;
// here it is put by hand). A tenant the router does not know gets 403.
func ExampleNewHandler() {
	const tenant = "11111111-1111-4111-8111-111111111111"
	ward := wardEHR{"p1": {ID: "p1", Name: []dstu2.HumanName{{Family: []string{"Chau"}}},
		Identifier: []dstu2.Identifier{{System: "http://hospital.example.org/mrn", Value: "1234567"}}}}
	h, err := dstu2.NewHandler(dstu2.Config{
		Router:   routing.Static[dstu2.Backend]{tenant: ward},
		Serve:    []string{"Patient"}, // what every tenant's backend serves
		BasePath: "/dstu2",
		Profile:  dstu2.PatientsApp(),
	})
	if err != nil {
		panic(err)
	}
	for _, tenantID := range []string{tenant, "22222222-2222-4222-8222-222222222222"} {
		r := httptest.NewRequest("GET", "/dstu2/Patient?identifier=1234567", nil)
		r = r.WithContext(auth.ContextWithPrincipal(r.Context(), &auth.Principal{ClientID: "app", TenantID: tenantID}))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		var body struct {
			ResourceType string
			Total        int
		}
		_ = json.Unmarshal(w.Body.Bytes(), &body)
		fmt.Println(w.Code, w.Header().Get("Content-Type"), body.ResourceType, body.Total)
	}
	// Output:
	// 200 application/json+fhir; charset=utf-8 Bundle 1
	// 403 application/json+fhir; charset=utf-8 OperationOutcome 0
}
