package dstu2_test

import (
	"testing"

	"github.com/patientsfhir/patientsfhir/internal/fhirexamples"
	"github.com/patientsfhir/patientsfhir/internal/fhirexamples/examplestest"
)

// FuzzUnmarshalResource feeds arbitrary bytes to UnmarshalResource: nothing
// may panic, every error is a *fhirjson.DecodeError, and whatever decodes
// re-encodes to bytes that decode and re-encode to the same bytes. The seeds
// are the smallest official example of each resource type plus edge cases.
// See docs/models-testing.md for a longer run.
func FuzzUnmarshalResource(f *testing.F) {
	examplestest.FuzzSeeds(f, fhirexamples.DSTU2,
		`{"resourceType":"Patient","name":[{"given":["a",null,"b"],"_given":[null,{"id":"x"},null]}]}`,
		`{"resourceType":"Observation","valueQuantity":{"value":1.50e-3},"effectiveDateTime":"2017"}`,
		`{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Parameters","parameter":[{"resource":{"resourceType":"Basic"}}]}}]}`,
		`{"resourceType":"Patient","text":{"div":"<div>&amp; \u00e9 \ud83d\ude00</div>"},"unknown":[{}]}`,
		`{"resourceType":"Patient","fhir_comments":["a"],"_birthDate":{"fhir_comments":["b"]}}`,
		`{"resourceType":"Patient","contained":[{"resourceType":"Patient","contained":[{"resourceType":"Patient"}]}]}`,
	)
	f.Fuzz(func(t *testing.T, data []byte) {
		examplestest.FuzzRoundTrip(t, codec, data)
	})
}
