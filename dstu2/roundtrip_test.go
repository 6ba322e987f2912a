package dstu2_test

import (
	"slices"
	"testing"

	"github.com/patientsfhir/patientsfhir/dstu2"
	"github.com/patientsfhir/patientsfhir/fhirjson"
	"github.com/patientsfhir/patientsfhir/internal/fhirexamples"
	"github.com/patientsfhir/patientsfhir/internal/fhirexamples/examplestest"
	"github.com/patientsfhir/patientsfhir/internal/jsoncmp"
)

// codec describes this package to the shared example tests.
var codec = examplestest.Codec[dstu2.Resource]{
	Version: fhirexamples.DSTU2,
	Decode:  dstu2.UnmarshalResource,
	Encode:  func(r dstu2.Resource) ([]byte, error) { return dstu2.Marshal(r) },
}

// roundTripExceptions lists the official examples that may fail the strict
// round trip, with the reason. It should stay (almost) empty.
var roundTripExceptions = examplestest.Exceptions{}

// TestRoundTripExamples decodes every official DSTU2 example strictly and
// re-encodes it to semantically identical JSON, one sub-test per file.
func TestRoundTripExamples(t *testing.T) {
	examplestest.RoundTrip(t, codec, roundTripExceptions)
}

// TestLenientKeepsUnknownElements: lenient decoding keeps members DSTU2 does
// not define, wherever they are, and re-encodes them; strict decoding
// rejects them with their path.
func TestLenientKeepsUnknownElements(t *testing.T) {
	examplestest.LenientRoundTrips(t, codec, examplestest.CommonLenientCases)
}

// TestStrictDecodeErrors: strict decoding rejects unknown elements, wrong
// JSON types and bad resource types, naming the path.
func TestStrictDecodeErrors(t *testing.T) {
	examplestest.StrictDecodeErrors(t, codec, slices.Concat(examplestest.CommonDecodeCases, []examplestest.DecodeCase{
		{Name: "STU3-only resourceType", Doc: `{"resourceType":"MedicationRequest"}`,
			Path: "resourceType", Err: fhirjson.ErrResourceType},
	}))
}

// TestUnmarshalResourceTypeMismatch decodes into a concrete type: the
// document's resourceType must match it.
func TestUnmarshalResourceTypeMismatch(t *testing.T) {
	var p dstu2.Patient
	err := dstu2.Unmarshal([]byte(`{"resourceType":"Observation","id":"o"}`), &p)
	de := examplestest.AsDecodeError(t, err, fhirjson.ErrResourceType)
	if de.Path != "Patient.resourceType" {
		t.Errorf("path %q, want Patient.resourceType", de.Path)
	}
	if err := dstu2.Unmarshal([]byte(`{"resourceType":"Patient","id":"p"}`), &p); err != nil || p.ID != "p" {
		t.Errorf("matching resourceType: %v, id %q", err, p.ID)
	}
}

// TestFHIRCommentsKept: DSTU2's JSON format defines fhir_comments on every
// object; strict decoding accepts and keeps them.
func TestFHIRCommentsKept(t *testing.T) {
	doc := `{"resourceType":"Patient","fhir_comments":["a"],"name":[{"fhir_comments":["b", "c"],"text":"x"}],"_birthDate":{"fhir_comments":["d"]},"birthDate":"2001"}`
	r, err := dstu2.UnmarshalResource([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	out, err := dstu2.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if diffs, err := jsoncmp.Diff([]byte(doc), out); err != nil || len(diffs) > 0 {
		t.Errorf("fhir_comments not kept: %v %s\n%s", err, jsoncmp.Format(diffs, 5), out)
	}
}

// TestHandMadeRoundTrips: primitive extensions with nulls, decimal and date
// lexical forms and narrative survive a strict round trip unchanged.
func TestHandMadeRoundTrips(t *testing.T) {
	examplestest.HandMadeRoundTrips(t, codec, examplestest.CommonRoundTripCases)
}
