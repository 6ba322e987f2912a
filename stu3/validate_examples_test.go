package stu3_test

import (
	"slices"
	"testing"

	"github.com/patientsfhir/patientsfhir/internal/fhirexamples/examplestest"
	"github.com/patientsfhir/patientsfhir/stu3"
)

// TestValidateExamples requires Validate to accept every official example,
// one sub-test per file.
func TestValidateExamples(t *testing.T) {
	examplestest.ValidateAll(t, codec, validateExceptions)
}

// TestValidateRejectsBrokenFixtures checks hand-made broken resources: the
// problems are found at decode time (wrong JSON type, malformed primitive)
// or by Validate (missing required element, code outside a required
// binding), each with its path.
func TestValidateRejectsBrokenFixtures(t *testing.T) {
	examplestest.BrokenFixtures(t, codec, slices.Concat(examplestest.CommonFixtures, brokenFixtures))
}

// TestValidateIssueMessages checks what the issues say, and that a valid
// resource built in Go passes.
func TestValidateIssueMessages(t *testing.T) {
	examplestest.IssueMessages(t, codec)
	ok := &stu3.Observation{Status: stu3.ObservationStatusFinal, Code: &stu3.CodeableConcept{Text: "t"}}
	if err := ok.Validate(); err != nil {
		t.Errorf("valid Observation: %v", err)
	}
}

// validateExceptions lists the official examples that Validate may reject,
// with the reason. (The fhir-spec README names STU3 CodeSystem-v2-0550, with
// a blank code, as defective; it belongs to the definitional bundles, which
// are not among the examples.)
var validateExceptions = examplestest.Exceptions{
	"Questionnaire-qs1.json": "defect in the official example: 33 nested items lack linkId, which STU3 requires (Questionnaire.item.linkId 1..1)",
}

// brokenFixtures are the STU3-specific broken resources.
var brokenFixtures = []examplestest.Fixture{
	{Name: "required choice, codes and references missing",
		Doc:   `{"resourceType":"MedicationRequest","status":"bogus"}`,
		Paths: []string{"MedicationRequest.medication[x]", "MedicationRequest.status", "MedicationRequest.intent", "MedicationRequest.subject"}},
}

// TestNoValuesInErrors: errors name paths, never patient data.
func TestNoValuesInErrors(t *testing.T) { examplestest.NoValuesInErrors(t, codec) }
