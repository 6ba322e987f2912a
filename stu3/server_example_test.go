package stu3_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"

	"github.com/patientsfhir/patientsfhir/fhir"
	"github.com/patientsfhir/patientsfhir/stu3"
)

// clinicEHR is a complete partner backend: Patient read and search over
// the partner's own records (a map here; a database in real life).
type clinicEHR struct{ patients []*stu3.Patient }

func (c clinicEHR) ReadPatient(ctx context.Context, id string) (*stu3.Patient, error) {
	for _, p := range c.patients {
		if p.ID == id {
			return p, nil
		}
	}
	return nil, fhir.ErrNotFound
}

func (c clinicEHR) SearchPatients(ctx context.Context, q stu3.PatientQuery) (fhir.Page[*stu3.Patient], error) {
	var out []*stu3.Patient
	for _, p := range c.patients {
		var family, given []string
		for _, n := range p.Name {
			family, given = append(family, n.Family), append(given, n.Given...)
		}
		if q.IDs.Match(p.ID) && q.Family.Match(family...) && q.Given.Match(given...) &&
			q.Birthdate.MatchString(p.BirthDate) && q.Gender.Match(fhir.TokenCode{Code: string(p.Gender)}) {
			out = append(out, p)
		}
	}
	total := len(out)
	return fhir.Page[*stu3.Patient]{Resources: out[:min(q.Count, total)], Total: total, TotalKnown: true}, nil
}

// A partner implements the interfaces it can serve and gets a STU3 server
// the Patients app can use: here Patient read and search, with the app's
// profile (family means "contains").
func ExampleNewHandler() {
	ehr := clinicEHR{patients: []*stu3.Patient{
		{ID: "p1", Name: []stu3.HumanName{{Family: "Chau", Given: []string{"Hugh"}}}, Gender: "male", BirthDate: "1957-06-05"},
		{ID: "p2", Name: []stu3.HumanName{{Family: "Black", Given: []string{"Ruth"}}}, Gender: "female", BirthDate: "1978-11"},
	}}
	h, err := stu3.NewHandler(stu3.Config{
		Backend:  ehr,
		BasePath: "/stu3",
		BaseURL:  "https://fhir.example.com/stu3",
		Profile:  stu3.PatientsApp(),
		Serve:    []string{"Patient"}, // what this EHR has; NewHandler holds every backend to it
	})
	if err != nil {
		panic(err)
	}
	// The Patients app searches with a form body; "hau" is found in "Chau".
	r := httptest.NewRequest("POST", "/stu3/Patient/_search", strings.NewReader("family=hau&gender=male"))
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
	r = httptest.NewRequest("GET", "/stu3/Observation?patient=p1", nil)
	w = httptest.NewRecorder()
	h.ServeHTTP(w, r)
	fmt.Println(w.Code)
	// Output:
	// 200 application/fhir+json; charset=utf-8
	// total 1 https://fhir.example.com/stu3/Patient/p1
	// 501
}

// NewHandler refuses a backend that lacks what it must serve, naming the
// Config field and each missing method with its signature. Under the
// Patients-app profile every type of the profile must be served unless
// Config.Serve says less.
func ExampleNewHandler_configError() {
	_, err := stu3.NewHandler(stu3.Config{Backend: clinicEHR{}, Profile: stu3.PatientsApp()})
	var ce *stu3.ConfigError
	if errors.As(err, &ce) {
		fmt.Println(ce.Field)
	}
	lines := strings.Split(err.Error(), "\n")
	fmt.Println(lines[0])
	fmt.Println(strings.TrimSpace(lines[1]))
	// Output:
	// Backend
	// stu3: Config.Backend: the backend does not implement what the server must serve (list what you serve in Config.Serve):
	// Config.Backend (stu3_test.clinicEHR) does not implement stu3.ObservationSearcher: missing method SearchObservations(ctx context.Context, q stu3.ObservationQuery) (fhir.Page[*stu3.Observation], error)
}
