package stu3test_test

import (
	"io"
	"log/slog"
	"net/http"
	"sync"
	"testing"

	"github.com/patientsfhir/patientsfhir/capability"
	"github.com/patientsfhir/patientsfhir/internal/fhirschema"
	"github.com/patientsfhir/patientsfhir/internal/fixtures"
	"github.com/patientsfhir/patientsfhir/stu3"
	"github.com/patientsfhir/patientsfhir/stu3/stu3mem"
	"github.com/patientsfhir/patientsfhir/stu3/stu3test"
)

// data names the fixture patient Hugh Chau (docs/fixtures.md).
var data = stu3test.TestData{
	PatientID: fixtures.PatientChau, Family: "Chau", Given: "Hugh", BirthDate: "1957-06-05", Gender: "male",
	MRN: "1234567", MRNSystem: "http://hospital.example.org/mrn",
}

func newHandler(t testing.TB, b stu3.Backend) http.Handler {
	t.Helper()
	h, err := stu3.NewHandler(stu3.Config{
		Backend: b, BasePath: "/stu3", Profile: stu3.PatientsApp(),
		Security: &capability.Security{TokenURL: "https://fhir.example.org/token"},
		Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func options() stu3test.Options {
	return stu3test.Options{
		Base:          "/stu3",
		Authorize:     func(r *http.Request) { r.Header.Set("Authorization", "Bearer test") },
		Schema:        func(b []byte) error { return fhirschema.ValidateStrict(fhirschema.STU3, b) },
	}
}

// The in-memory backend, loaded with the fixtures and the official HL7
// examples that fit, passes the whole kit, with every response valid
// against the official schema and every displayed reference carrying its
// display.
func TestKitInMemory(t *testing.T) {
	b, err := stu3mem.NewWithFixtures()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.LoadExamples(); err != nil {
		t.Fatal(err)
	}
	// Count what the kit sends: it must really drive the catalogue.
	h := newHandler(t, b)
	var mu sync.Mutex
	seen := map[string]int{}
	counting := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.Method+" "+r.URL.Path]++
		mu.Unlock()
		h.ServeHTTP(w, r)
	})
	stu3test.Run(t, counting, data, options())
	n := 0
	for _, c := range seen {
		n += c
	}
	if n < 60 {
		t.Errorf("the kit sent only %d requests", n)
	}
	for _, want := range []string{"GET /stu3/metadata", "GET /stu3/Patient/pat-1", "POST /stu3/Patient/_search", "POST /stu3", "GET /stu3/Coverage", "POST /stu3/MedicationRequest/_search"} {
		if seen[want] == 0 {
			t.Errorf("the kit sent no %s", want)
		}
	}
}

// A server mounted at the root works too (batch goes to POST /).
func TestKitAtRoot(t *testing.T) {
	b, err := stu3mem.NewWithFixtures()
	if err != nil {
		t.Fatal(err)
	}
	h, err := stu3.NewHandler(stu3.Config{Backend: b, Profile: stu3.PatientsApp(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	stu3test.Run(t, h, data, stu3test.Options{Only: []string{L + "1", L + "5", L + "9", "paging"}})
}
