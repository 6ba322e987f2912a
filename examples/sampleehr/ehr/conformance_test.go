package ehr

import (
	"net/http"
	"testing"

	"github.com/patientsfhir/patientsfhir/dstu2/dstu2test"
	"github.com/patientsfhir/patientsfhir/examples/sampleehr/population"
	"github.com/patientsfhir/patientsfhir/internal/fhirschema"

	"github.com/patientsfhir/patientsfhir/stu3/stu3test"
)

func testData(p *population.Population) stu3test.TestData {
	d := p.Designated()
	return stu3test.TestData{PatientID: d.ID, Family: d.Family, Given: d.Given, BirthDate: d.BirthDate, Gender: d.Gender,
		MRN: d.MRN, MRNSystem: d.MRNSystem}
}

func bearer(r *http.Request) { r.Header.Set("Authorization", "Bearer test") }

// Both tenants' STU3 servers pass the whole conformance kit: every request
// the Patients app sends, each response valid against the official schema,
// every displayed reference with its display.
func TestConformanceSTU3(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		db, pops := seeded(t, dialect)
		for _, tenant := range []string{tenantA, tenantB} {
			t.Run(tenant, func(t *testing.T) {
				stu3test.Run(t, stu3Handler(t, db.STU3(tenant)), testData(pops[tenant]), stu3test.Options{
					Base: "/stu3", Authorize: bearer,
					Schema: func(b []byte) error { return fhirschema.ValidateStrict(fhirschema.STU3, b) },
				})
			})
		}
	})
}

// The same for DSTU2, from the same data.
func TestConformanceDSTU2(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		db, pops := seeded(t, dialect)
		for _, tenant := range []string{tenantA, tenantB} {
			t.Run(tenant, func(t *testing.T) {
				dstu2test.Run(t, dstu2Handler(t, db.DSTU2(tenant)), dstu2test.TestData(testData(pops[tenant])), dstu2test.Options{
					Base: "/dstu2", Authorize: bearer,
					Schema: func(b []byte) error { return fhirschema.ValidateStrict(fhirschema.DSTU2, b) },
				})
			})
		}
	})
}
