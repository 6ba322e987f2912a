package dstu2_test

import (
	"testing"

	"github.com/patientsfhir/patientsfhir/dstu2"
	"github.com/patientsfhir/patientsfhir/internal/fhirexamples"
	"github.com/patientsfhir/patientsfhir/internal/fhirexamples/examplestest"
	"github.com/stretchr/testify/require"
)

// model describes package dstu2 to the model tests shared with stu3. The
// fhir-spec README names three DSTU2 SearchParameter examples whose ids
// exceed 64 characters; Validate checks cardinality and required bindings,
// not id syntax, so they pass and need no exception.
var model = examplestest.Model[dstu2.Resource]{
	Codec: examplestest.Codec[dstu2.Resource]{Version: fhirexamples.DSTU2, Decode: dstu2.UnmarshalResource,
		Encode: func(r dstu2.Resource) ([]byte, error) { return dstu2.Marshal(r) }},
	New: dstu2.NewResource, Types: dstu2.ResourceTypes(), TypeCount: 94, OtherType: "MedicationRequest",
	Fixtures: []examplestest.Fixture{{Name: "required choice missing, bad code",
		Doc: `{"resourceType":"MedicationOrder","status":"bogus"}`, Paths: []string{"MedicationOrder.medication[x]", "MedicationOrder.status"}}},
	FuzzSeeds: []string{`{"resourceType":"Patient","fhir_comments":["a"],"_birthDate":{"fhir_comments":["b"]}}`},
}

// TestModel runs the model tests shared with stu3 (examplestest.RunModel):
// every official example, hand-made documents, the resource type registry.
func TestModel(t *testing.T) { examplestest.RunModel(t, model) }

// FuzzUnmarshalResource: see examplestest.FuzzModel and
// docs/models-testing.md.
func FuzzUnmarshalResource(f *testing.F) { examplestest.FuzzModel(f, model) }

// TestFHIRCommentsKept: DSTU2's JSON format defines fhir_comments on every
// object; strict decoding accepts and keeps them.
func TestFHIRCommentsKept(t *testing.T) {
	doc := `{"resourceType":"Patient","fhir_comments":["a"],"name":[{"fhir_comments":["b", "c"],"text":"x"}],"_birthDate":{"fhir_comments":["d"]},"birthDate":"2001"}`
	r, err := dstu2.UnmarshalResource([]byte(doc))
	require.NoError(t, err)
	out, err := dstu2.Marshal(r)
	require.NoError(t, err)
	examplestest.SameJSON(t, doc, out, "fhir_comments not kept")
}
