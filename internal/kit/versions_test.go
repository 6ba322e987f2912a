package kit_test

import (
	"io"
	"log/slog"
	"net/http"
	"testing"

	"github.com/patientsfhir/patientsfhir/capability"
	"github.com/patientsfhir/patientsfhir/dstu2"
	"github.com/patientsfhir/patientsfhir/dstu2/dstu2mem"
	"github.com/patientsfhir/patientsfhir/internal/fhirschema"
	"github.com/patientsfhir/patientsfhir/internal/fixtures"
	"github.com/patientsfhir/patientsfhir/internal/kit"
	"github.com/patientsfhir/patientsfhir/stu3"
	"github.com/patientsfhir/patientsfhir/stu3/stu3mem"
	"github.com/stretchr/testify/require"
)

// fixtureData names the fixture patient Hugh Chau (docs/fixtures.md), the
// same in both versions.
var fixtureData = kit.TestData{
	PatientID: fixtures.PatientChau, Family: "Chau", Given: "Hugh", BirthDate: "1957-06-05", Gender: "male",
	MRN: "1234567", MRNSystem: "http://hospital.example.org/mrn",
}

// smallData names the fixture patient Ruthanne Okafor, who has fewer
// resources than Hugh Chau (17 vital signs, 3 encounters, one of each
// other type): enough for every mutation to show, at a third of the work.
var smallData = kit.TestData{
	PatientID: fixtures.PatientOkafor, Family: "Okafor", Given: "Ruthanne", BirthDate: "2019-03-14", Gender: "unknown",
	MRN: "5678901", MRNSystem: "http://hospital.example.org/mrn",
}

// version is one FHIR version under test: its contract, where it is
// served, a server on a correct in-memory backend, and its schema.
type version struct {
	name    string
	v       *kit.Version
	base    string
	schema  func([]byte) error
	backend func(t testing.TB, examples bool) any // the in-memory backend with the fixtures (and the HL7 examples)
	// handler serves backend with the Patients-app profile; maxCount,
	// when not 0, is the largest page size.
	handler func(t testing.TB, backend any, maxCount int) http.Handler
}

func versions() []version {
	return []version{
		{name: "STU3", v: kit.STU3(validateSTU3), base: "/stu3",
			schema:  func(b []byte) error { return fhirschema.ValidateStrict(fhirschema.STU3, b) },
			backend: func(t testing.TB, examples bool) any { return memBackend(t, stu3mem.NewWithFixtures, examples) },
			handler: newSTU3Handler},
		{name: "DSTU2", v: kit.DSTU2(validateDSTU2), base: "/dstu2",
			schema:  func(b []byte) error { return fhirschema.ValidateStrict(fhirschema.DSTU2, b) },
			backend: func(t testing.TB, examples bool) any { return memBackend(t, dstu2mem.NewWithFixtures, examples) },
			handler: newDSTU2Handler},
	}
}

// memBackend is an in-memory backend with the fixtures, and with the
// official HL7 examples that fit when examples is set.
func memBackend[B interface{ LoadExamples(...string) (int, error) }](t testing.TB, fixtures func(...string) (B, error), examples bool) B {
	t.Helper()
	b, err := fixtures()
	require.NoError(t, err)
	if examples {
		_, err = b.LoadExamples()
		require.NoError(t, err)
	}
	return b
}

// newSTU3Handler is the one place the kit's tests build an STU3 server:
// the Patients-app profile at /stu3, with a token URL in the statement.
func newSTU3Handler(t testing.TB, backend any, maxCount int) http.Handler {
	t.Helper()
	p := stu3.PatientsApp()
	if maxCount > 0 {
		p.DefaultCount, p.MaxCount = maxCount, maxCount
		for i := range p.Resources {
			p.Resources[i].DefaultCount = min(p.Resources[i].DefaultCount, maxCount)
		}
	}
	h, err := stu3.NewHandler(stu3.Config{Backend: backend.(stu3.Backend), BasePath: "/stu3", Profile: p,
		Security: &capability.Security{TokenURL: "https://fhir.example.org/token"},
		Logger:   slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	return h
}

// newDSTU2Handler is the one place the kit's tests build a DSTU2 server.
func newDSTU2Handler(t testing.TB, backend any, maxCount int) http.Handler {
	t.Helper()
	p := dstu2.PatientsApp()
	if maxCount > 0 {
		p.DefaultCount, p.MaxCount = maxCount, maxCount
		for i := range p.Resources {
			p.Resources[i].DefaultCount = min(p.Resources[i].DefaultCount, maxCount)
		}
	}
	h, err := dstu2.NewHandler(dstu2.Config{Backend: backend.(dstu2.Backend), BasePath: "/dstu2", Profile: p,
		Security: &capability.Security{TokenURL: "https://fhir.example.org/token"},
		Logger:   slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	return h
}

func validateSTU3(b []byte) error {
	r, err := stu3.UnmarshalResource(b)
	if err != nil {
		return err
	}
	return r.Validate()
}

func validateDSTU2(b []byte) error {
	r, err := dstu2.UnmarshalResource(b)
	if err != nil {
		return err
	}
	return r.Validate()
}

func options(ver version) kit.Options {
	return kit.Options{
		Base:      ver.base,
		Authorize: func(r *http.Request) { r.Header.Set("Authorization", "Bearer test") },
	}
}
