package stu3_test

import (
	"testing"

	"github.com/patientsfhir/patientsfhir/fhirjson"
	"github.com/patientsfhir/patientsfhir/internal/fhirexamples"
	"github.com/patientsfhir/patientsfhir/internal/fhirexamples/examplestest"
	"github.com/patientsfhir/patientsfhir/stu3"
	"github.com/stretchr/testify/assert"
)

// model describes package stu3 to the model tests shared with dstu2.
var model = examplestest.Model[stu3.Resource]{
	Codec: examplestest.Codec[stu3.Resource]{Version: fhirexamples.STU3, Decode: stu3.UnmarshalResource,
		Encode: func(r stu3.Resource) ([]byte, error) { return stu3.Marshal(r) }},
	New: stu3.NewResource, Types: stu3.ResourceTypes(), TypeCount: 117, OtherType: "MedicationOrder",
	// The fhir-spec README names STU3 CodeSystem-v2-0550, with a blank
	// code, as defective; it belongs to the definitional bundles, which
	// are not among the examples.
	ValidateExceptions: examplestest.Exceptions{
		"Questionnaire-qs1.json": "defect in the official example: 33 nested items lack linkId, which STU3 requires (Questionnaire.item.linkId 1..1)",
	},
	Fixtures: []examplestest.Fixture{{Name: "required choice, codes and references missing",
		Doc:   `{"resourceType":"MedicationRequest","status":"bogus"}`,
		Paths: []string{"MedicationRequest.medication[x]", "MedicationRequest.status", "MedicationRequest.intent", "MedicationRequest.subject"}}},
}

// TestModel runs the model tests shared with dstu2
// (examplestest.RunModel): every official example, hand-made documents,
// the resource type registry.
func TestModel(t *testing.T) { examplestest.RunModel(t, model) }

// FuzzUnmarshalResource feeds arbitrary bytes to UnmarshalResource: nothing
// may panic, every error is a *fhirjson.DecodeError, and whatever decodes
// re-encodes to bytes that decode and re-encode to the same bytes. See
// docs/models-testing.md for a longer run.
func FuzzUnmarshalResource(f *testing.F) { examplestest.FuzzModel(f, model) }

// TestFHIRCommentsRejected: fhir_comments is DSTU2 only; STU3 strict
// decoding treats it as any unknown element.
func TestFHIRCommentsRejected(t *testing.T) {
	doc := `{"resourceType":"Patient","fhir_comments":["a"]}`
	assert.Equal(t, "Patient.fhir_comments", examplestest.DecodeErrorPath(t, model.Codec, doc, fhirjson.ErrUnknownElement))
}
