package stu3_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/patientsfhir/patientsfhir/fhirjson"
	"github.com/patientsfhir/patientsfhir/internal/fhirexamples/examplestest"
	"github.com/patientsfhir/patientsfhir/stu3"
)

// validateExceptions lists the official examples that Validate may reject,
// with the reason. The fhir-spec README names STU3 CodeSystem-v2-0550 (blank
// code) as defective, but that file is part of the definitional bundles,
// which are not among the examples.
var validateExceptions = examplestest.Exceptions{
	"Questionnaire-qs1.json": "defect in the official example: 33 nested items lack linkId, which STU3 requires (Questionnaire.item.linkId 1..1)",
}

// TestValidateExamples requires Validate to accept every official example.
func TestValidateExamples(t *testing.T) {
	examplestest.ValidateAll(t, codec, validateExceptions)
}

// TestValidateRejectsBrokenFixtures checks hand-made broken resources: the
// problems are found at decode time (wrong JSON type, malformed primitive)
// or by Validate (missing required element, code outside a required
// binding), each with its path.
func TestValidateRejectsBrokenFixtures(t *testing.T) {
	for _, tc := range []struct {
		name string
		doc  string
		// decodeErr is the sentinel of a strict decode failure at path
		// paths[0]; nil means decoding succeeds and Validate must report
		// exactly paths.
		decodeErr error
		paths     []string
	}{
		{"missing required elements",
			`{"resourceType":"Observation","id":"o1"}`,
			nil, []string{"Observation.status", "Observation.code"}},
		{"missing required element in backbone",
			`{"resourceType":"Patient","communication":[{"preferred":true}],"link":[{"type":"seealso"}]}`,
			nil, []string{"Patient.communication[0].language", "Patient.link[0].other"}},
		{"bad required code",
			`{"resourceType":"Patient","gender":"woman"}`,
			nil, []string{"Patient.gender"}},
		{"bad required code in datatype",
			`{"resourceType":"Patient","name":[{"family":"x"},{"use":"nick","family":"y"}]}`,
			nil, []string{"Patient.name[1].use"}},
		{"problems inside contained and bundled resources",
			`{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Observation","status":"done","code":{"text":"t"},"contained":[{"resourceType":"Patient","gender":"F"}]}}]}`,
			nil, []string{"Bundle.entry[0].resource.contained[0].gender", "Bundle.entry[0].resource.status"}},
		{"wrong type: number for date",
			`{"resourceType":"Patient","birthDate":19741225}`,
			fhirjson.ErrWrongType, []string{"Patient.birthDate"}},
		{"wrong type: object for code",
			`{"resourceType":"Observation","status":{"code":"final"},"code":{"text":"t"}}`,
			fhirjson.ErrWrongType, []string{"Observation.status"}},
		{"malformed date",
			`{"resourceType":"Patient","birthDate":"25-12-1974"}`,
			fhirjson.ErrInvalidValue, []string{"Patient.birthDate"}},
		{"empty string",
			`{"resourceType":"Patient","gender":""}`,
			fhirjson.ErrInvalidValue, []string{"Patient.gender"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.decodeErr != nil {
				_, err := stu3.UnmarshalResource([]byte(tc.doc))
				de := examplestest.AsDecodeError(t, err, tc.decodeErr)
				if de.Path != tc.paths[0] {
					t.Errorf("decode error path %q, want %q", de.Path, tc.paths[0])
				}
				return
			}
			r, err := stu3.UnmarshalResource([]byte(tc.doc))
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			got := examplestest.IssuePaths(t, r)
			slices.Sort(got)
			want := slices.Sorted(slices.Values(tc.paths))
			if !slices.Equal(got, want) {
				t.Errorf("issue paths %q, want %q", got, want)
			}
		})
	}
}

func TestValidateIssueMessages(t *testing.T) {
	r, err := stu3.UnmarshalResource([]byte(`{"resourceType":"Observation","status":"done"}`))
	if err != nil {
		t.Fatal(err)
	}
	var ve fhirjson.ValidationErrors
	if err := r.Validate(); !errors.As(err, &ve) || len(ve) != 2 {
		t.Fatalf("Validate = %v", err)
	}
	for _, is := range ve {
		switch is.Path {
		case "Observation.status":
			if !strings.Contains(is.Message, "observation-status") {
				t.Errorf("status message %q does not name the value set", is.Message)
			}
		case "Observation.code":
			if !strings.Contains(is.Message, "missing") {
				t.Errorf("code message %q does not say it is missing", is.Message)
			}
		default:
			t.Errorf("unexpected issue %v", is)
		}
	}
	ok := &stu3.Observation{Status: stu3.ObservationStatusFinal, Code: &stu3.CodeableConcept{Text: "t"}}
	if err := ok.Validate(); err != nil {
		t.Errorf("valid Observation: %v", err)
	}
}
