package capability_test

import (
	"net/http/httptest"
	"testing"

	"github.com/patientsfhir/patientsfhir/capability"
	"github.com/patientsfhir/patientsfhir/dstu2"
	"github.com/patientsfhir/patientsfhir/fhir"
	"github.com/patientsfhir/patientsfhir/stu3"
)

// TestStatementDecodesWithGeneratedModels reads the served statement back with the
// generated models' strict decoder (an unknown element or a wrong JSON type fails) and
// checks it with their Validate, so the capability package's own structs cannot drift
// from the HL7 definitions.
func TestStatementDecodesWithGeneratedModels(t *testing.T) {
	for _, v := range []*fhir.Version{fhir.DSTU2, fhir.STU3} {
		t.Run(v.Name, func(t *testing.T) {
			h, err := capability.Build(config(v))
			if err != nil {
				t.Fatal(err)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/metadata", nil))
			if rec.Code != 200 {
				t.Fatalf("status %d", rec.Code)
			}
			body := rec.Body.Bytes()
			switch v {
			case fhir.DSTU2:
				res, err := dstu2.UnmarshalResource(body)
				if err != nil {
					t.Fatalf("strict DSTU2 decode: %v", err)
				}
				c, ok := res.(*dstu2.Conformance)
				if !ok {
					t.Fatalf("decoded %T, want *dstu2.Conformance", res)
				}
				if err := c.Validate(); err != nil {
					t.Fatalf("Validate: %v", err)
				}
				if c.FhirVersion != "1.0.2" || len(c.Rest) != 1 || len(c.Rest[0].Resource) != len(config(v).Resources) {
					t.Fatalf("fhirVersion %q, %d rest, resources %+v", c.FhirVersion, len(c.Rest), c.Rest)
				}
			case fhir.STU3:
				res, err := stu3.UnmarshalResource(body)
				if err != nil {
					t.Fatalf("strict STU3 decode: %v", err)
				}
				c, ok := res.(*stu3.CapabilityStatement)
				if !ok {
					t.Fatalf("decoded %T, want *stu3.CapabilityStatement", res)
				}
				if err := c.Validate(); err != nil {
					t.Fatalf("Validate: %v", err)
				}
				if c.FhirVersion != "3.0.1" || len(c.Rest) != 1 || len(c.Rest[0].Resource) != len(config(v).Resources) {
					t.Fatalf("fhirVersion %q, %d rest, resources %+v", c.FhirVersion, len(c.Rest), c.Rest)
				}
			}
		})
	}
}
