package stu3_test

import (
	"slices"
	"testing"

	"github.com/patientsfhir/patientsfhir/fhirjson"
	"github.com/patientsfhir/patientsfhir/internal/fhirexamples"
	"github.com/patientsfhir/patientsfhir/internal/fhirexamples/examplestest"
	"github.com/patientsfhir/patientsfhir/stu3"
)

// codec describes this package to the shared example tests.
var codec = examplestest.Codec[stu3.Resource]{
	Version: fhirexamples.STU3,
	Decode:  stu3.UnmarshalResource,
	Encode:  func(r stu3.Resource) ([]byte, error) { return stu3.Marshal(r) },
}

// roundTripExceptions lists the official examples that may fail the strict
// round trip, with the reason. It should stay (almost) empty.
var roundTripExceptions = examplestest.Exceptions{}

// TestRoundTripExamples decodes every official STU3 example strictly and
// re-encodes it to semantically identical JSON, one sub-test per file.
func TestRoundTripExamples(t *testing.T) {
	examplestest.RoundTrip(t, codec, roundTripExceptions)
}

// TestLenientKeepsUnknownElements: lenient decoding keeps members STU3 does
// not define, wherever they are, and re-encodes them; strict decoding
// rejects them with their path.
func TestLenientKeepsUnknownElements(t *testing.T) {
	examplestest.LenientRoundTrips(t, codec, examplestest.CommonLenientCases)
}

// TestStrictDecodeErrors: strict decoding rejects unknown elements, wrong
// JSON types and bad resource types, naming the path.
func TestStrictDecodeErrors(t *testing.T) {
	examplestest.StrictDecodeErrors(t, codec, slices.Concat(examplestest.CommonDecodeCases, []examplestest.DecodeCase{
		{Name: "DSTU2-only resourceType", Doc: `{"resourceType":"MedicationOrder"}`,
			Path: "resourceType", Err: fhirjson.ErrResourceType},
	}))
}

// TestUnmarshalResourceTypeMismatch decodes into a concrete type: the
// document's resourceType must match it.
func TestUnmarshalResourceTypeMismatch(t *testing.T) {
	var p stu3.Patient
	err := stu3.Unmarshal([]byte(`{"resourceType":"Observation","id":"o"}`), &p)
	de := examplestest.AsDecodeError(t, err, fhirjson.ErrResourceType)
	if de.Path != "Patient.resourceType" {
		t.Errorf("path %q, want Patient.resourceType", de.Path)
	}
	if err := stu3.Unmarshal([]byte(`{"resourceType":"Patient","id":"p"}`), &p); err != nil || p.ID != "p" {
		t.Errorf("matching resourceType: %v, id %q", err, p.ID)
	}
}

// TestFHIRCommentsRejected: fhir_comments is DSTU2 only; STU3 strict decoding
// treats it as any unknown element.
func TestFHIRCommentsRejected(t *testing.T) {
	doc := `{"resourceType":"Patient","fhir_comments":["a"]}`
	if p := examplestest.DecodeErrorPath(t, codec, doc, fhirjson.ErrUnknownElement); p != "Patient.fhir_comments" {
		t.Errorf("path %q, want Patient.fhir_comments", p)
	}
}

// TestHandMadeRoundTrips: primitive extensions with nulls, decimal and date
// lexical forms and narrative survive a strict round trip unchanged.
func TestHandMadeRoundTrips(t *testing.T) {
	examplestest.HandMadeRoundTrips(t, codec, examplestest.CommonRoundTripCases)
}
