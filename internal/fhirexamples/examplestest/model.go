package examplestest

import (
	"slices"
	"testing"

	"github.com/patientsfhir/patientsfhir/fhirjson"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Model describes one model package (dstu2, stu3) to the shared tests of
// [RunModel]: its codec, its resource types, and what differs between the
// versions as data.
type Model[R Resource] struct {
	Codec[R]
	// New is the package's NewResource.
	New func(typ string) R
	// Types is the package's ResourceTypes().
	Types []string
	// TypeCount is how many concrete resource types the version defines.
	TypeCount int
	// OtherType is a resource type of the other version only.
	OtherType string
	// RoundTripExceptions and ValidateExceptions are the official examples
	// allowed to fail the round trip and Validate, with the reason.
	RoundTripExceptions, ValidateExceptions Exceptions
	// Fixtures are the version's own broken resources, besides
	// CommonFixtures.
	Fixtures []Fixture
	// FuzzSeeds are the version's own fuzz seeds, besides CommonFuzzSeeds.
	FuzzSeeds []string
}

// RunModel runs every shared model test for m, one sub-test each. A test
// added here runs for both versions.
func RunModel[R Resource](t *testing.T, m Model[R]) {
	for _, c := range []struct {
		name string
		run  func(*testing.T)
	}{
		// Every official example decodes strictly and re-encodes to
		// semantically identical JSON, one sub-test per file.
		{"RoundTripExamples", func(t *testing.T) { RoundTrip(t, m.Codec, m.RoundTripExceptions) }},
		// Lenient decoding keeps members the version does not define,
		// wherever they are; strict decoding rejects them with their path.
		{"LenientKeepsUnknownElements", func(t *testing.T) { LenientRoundTrips(t, m.Codec, CommonLenientCases) }},
		// Strict decoding rejects unknown elements, wrong JSON types and
		// bad resource types (the other version's too), naming the path.
		{"StrictDecodeErrors", func(t *testing.T) {
			StrictDecodeErrors(t, m.Codec, slices.Concat(CommonDecodeCases, []DecodeCase{{Name: "resourceType of the other version",
				Doc: `{"resourceType":"` + m.OtherType + `"}`, Path: "resourceType", Err: fhirjson.ErrResourceType}}))
		}},
		{"UnmarshalResourceTypeMismatch", m.unmarshalTypeMismatch},
		// Primitive extensions with nulls, decimal and date lexical forms
		// and narrative survive a strict round trip unchanged.
		{"HandMadeRoundTrips", func(t *testing.T) { HandMadeRoundTrips(t, m.Codec, CommonRoundTripCases) }},
		{"EveryResourceTypeIsRegistered", m.everyTypeRegistered},
		// Validate accepts every official example that decodes.
		{"ValidateExamples", func(t *testing.T) { ValidateAll(t, m.Codec, m.ValidateExceptions) }},
		// Hand-made broken resources: the problems are found at decode
		// time (wrong JSON type, malformed primitive) or by Validate
		// (missing required element, code outside a required binding),
		// each with its path.
		{"ValidateRejectsBrokenFixtures", func(t *testing.T) { BrokenFixtures(t, m.Codec, slices.Concat(CommonFixtures, m.Fixtures)) }},
		{"ValidateIssueMessages", func(t *testing.T) { IssueMessages(t, m.Codec) }},
		// Errors name paths, never patient data.
		{"NoValuesInErrors", func(t *testing.T) { NoValuesInErrors(t, m.Codec) }},
	} {
		t.Run(c.name, c.run)
	}
}

// unmarshalTypeMismatch decodes into a concrete type with its UnmarshalJSON
// (what json.Unmarshal calls): the document's resourceType must match it.
func (m Model[R]) unmarshalTypeMismatch(t *testing.T) {
	p := m.New("Patient")
	err := p.UnmarshalJSON([]byte(`{"resourceType":"Observation","id":"o"}`))
	assert.Equal(t, "Patient.resourceType", AsDecodeError(t, err, fhirjson.ErrResourceType).Path)
	require.NoError(t, p.UnmarshalJSON([]byte(`{"resourceType":"Patient","id":"p"}`)))
	assert.Equal(t, "p", p.GetID())
}

// everyTypeRegistered: every concrete type is made by New, encodes and
// decodes back by its resourceType.
func (m Model[R]) everyTypeRegistered(t *testing.T) {
	require.Len(t, m.Types, m.TypeCount)
	for _, rt := range m.Types {
		r := m.New(rt)
		require.NotNil(t, r, rt)
		assert.Equal(t, rt, r.ResourceType())
		r.SetID("x1")
		b, err := m.Encode(r)
		require.NoError(t, err, rt)
		assert.JSONEq(t, `{"resourceType":"`+rt+`","id":"x1"}`, string(b))
		back, err := m.Decode(b)
		require.NoError(t, err, rt)
		assert.Equal(t, rt, back.ResourceType())
		assert.Equal(t, "x1", back.GetID())
	}
	for _, abstract := range []string{"Resource", "DomainResource"} {
		assert.Nil(t, m.New(abstract), "%s is not a concrete resource", abstract)
	}
}

// CommonFuzzSeeds are edge cases of both versions for FuzzModel.
var CommonFuzzSeeds = []string{
	`{"resourceType":"Patient","name":[{"given":["a",null,"b"],"_given":[null,{"id":"x"},null]}]}`,
	`{"resourceType":"Observation","valueQuantity":{"value":1.50e-3},"effectiveDateTime":"2017"}`,
	`{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Parameters","parameter":[{"resource":{"resourceType":"Basic"}}]}}]}`,
	`{"resourceType":"Patient","text":{"div":"<div>&amp; \u00e9 \ud83d\ude00</div>"},"unknown":[{}]}`,
	`{"resourceType":"Patient","contained":[{"resourceType":"Patient","contained":[{"resourceType":"Patient"}]}]}`,
	// Unknown member names that need escaping (FuzzUnmarshalResource found "\b").
	`{"resourceType":"ClinicalImpression","\b":{},"k\":{},\"id\":\"evil\",\"z":1}`,
}

// FuzzModel feeds arbitrary bytes to m.Decode (see FuzzRoundTrip), seeded
// with the smallest official example of each resource type,
// CommonFuzzSeeds and m.FuzzSeeds.
func FuzzModel[R Resource](f *testing.F, m Model[R]) {
	FuzzSeeds(f, m.Version, slices.Concat(CommonFuzzSeeds, m.FuzzSeeds)...)
	f.Fuzz(func(t *testing.T, data []byte) { FuzzRoundTrip(t, m.Codec, data) })
}
