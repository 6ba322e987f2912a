package dstu2_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"

	"github.com/patientsfhir/patientsfhir/dstu2"
	"github.com/patientsfhir/patientsfhir/fhir"
)

// clinicEHR is a complete partner backend: Patient read and search over
// the partner's own records (a map here; a database in real life).
type clinicEHR struct{ patients []*dstu2.Patient }

func (c clinicEHR) ReadPatient(ctx context.Context, id string) (*dstu2.Patient, error) {
	for _, p := range c.patients {
		if p.ID == id {
			return p, nil
		}
	}
	return nil, fhir.ErrNotFound
}

func (c clinicEHR) SearchPatients(ctx context.Context, q dstu2.PatientQuery) (dstu2.Page[*dstu2.Patient], error) {
	var out []*dstu2.Patient
	for _, p := range c.patients {
		var family, given []string
		for _, n := range p.Name {
			family, given = append(family, n.Family...), append(given, n.Given...)
		}
		if q.IDs.Match(p.ID) && q.Family.Match(family...) && q.Given.Match(given...) &&
			q.Birthdate.MatchString(p.BirthDate) && q.Gender.Match(dstu2.TokenCode{Code: string(p.Gender)}) {
			out = append(out, p)
		}
	}
	total := len(out)
	return dstu2.Page[*dstu2.Patient]{Resources: out[:min(q.Count, total)], Total: total, TotalKnown: true}, nil
}

// A partner implements the interfaces it can serve and gets a DSTU2 server
// the Patients app can use: here Patient read and search, with the app's
// profile (family means "contains").
func ExampleNewHandler() {
	ehr := clinicEHR{patients: []*dstu2.Patient{
		{ID: "p1", Name: []dstu2.HumanName{{Family: []string{"Chau"}, Given: []string{"Hugh"}}}, Gender: "male", BirthDate: "1957-06-05"},
		{ID: "p2", Name: []dstu2.HumanName{{Family: []string{"Black"}, Given: []string{"Ruth"}}}, Gender: "female", BirthDate: "1978-11"},
	}}
	h, err := dstu2.NewHandler(dstu2.Config{
		Backend:  ehr,
		BasePath: "/dstu2",
		BaseURL:  "https://fhir.example.com/dstu2",
		Profile:  dstu2.PatientsApp(),
	})
	if err != nil {
		panic(err)
	}
	// The Patients app searches with a form body; "hau" is found in "Chau".
	r := httptest.NewRequest("POST", "/dstu2/Patient/_search", strings.NewReader("family=hau&gender=male"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)

	var bundle struct {
		Total int
		Entry []struct{ FullURL string }
	}
	_ = json.Unmarshal(w.Body.Bytes(), &bundle)
	fmt.Println(w.Code, w.Header().Get("Content-Type"))
	fmt.Println("total", bundle.Total, bundle.Entry[0].FullURL)

	// Observation is not implemented: not advertised, and refused.
	r = httptest.NewRequest("GET", "/dstu2/Observation?patient=p1", nil)
	w = httptest.NewRecorder()
	h.ServeHTTP(w, r)
	fmt.Println(w.Code)
	// Output:
	// 200 application/json+fhir; charset=utf-8
	// total 1 https://fhir.example.com/dstu2/Patient/p1
	// 501
}
