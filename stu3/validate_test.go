package stu3

import (
	"testing"

	"github.com/patientsfhir/patientsfhir/internal/fhirexamples/examplestest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestValidateReportsPaths(t *testing.T) {
	in := `{"resourceType":"Observation","status":"finished","code":{"coding":[{"system":"http://loinc.org"}]},` +
		`"extension":[{"valueString":"no url"}],"valueQuantity":{"value":1,"comparator":"~"},` +
		`"contained":[{"resourceType":"Patient","gender":"f","link":[{"type":"seealso"}]}]}`
	r, err := UnmarshalResource([]byte(in))
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{
		"Observation.contained[0].gender",
		"Observation.contained[0].link[0].other",
		"Observation.extension[0].url",
		"Observation.status",
		"Observation.valueQuantity.comparator",
	}, examplestest.IssuePaths(t, r))
}

func TestValidateAcceptsValidAndMissingChoice(t *testing.T) {
	o := &Observation{Status: ObservationStatusFinal, Code: &CodeableConcept{Text: "x"}}
	assert.Empty(t, examplestest.IssuePaths(t, o), "a valid observation")
	// A required primitive given only as an extension counts as present.
	o.Status = ""
	o.StatusExt = &Element{Extension: []Extension{{URL: "http://example.org/absent", ValueCode: "unknown"}}}
	assert.Empty(t, examplestest.IssuePaths(t, o), "status given as an extension")
	// A required choice element is reported with its [x] name.
	mr := &MedicationRequest{Intent: MedicationRequestIntentOrder, Subject: &Reference{Reference: "Patient/1"}}
	assert.Equal(t, []string{"MedicationRequest.medication[x]"}, examplestest.IssuePaths(t, mr))
	mr.MedicationCodeableConcept = &CodeableConcept{Text: "aspirin"}
	assert.Empty(t, examplestest.IssuePaths(t, mr), "with a medication")
	assert.Equal(t, []string{"Patient.gender"}, examplestest.IssuePaths(t, &Patient{Gender: "nope"}))
}

func TestValidateChecksLexicalForms(t *testing.T) {
	neg := -1
	p := &Patient{
		ID:        "has space",
		BirthDate: "12/31/2020",
		Contact:   []PatientContact{{Period: &Period{Start: "2020-01-01T10:00"}}},
	}
	sched := &Schedule{Actor: []Reference{{Reference: "Practitioner/1"}}, PlanningHorizon: &Period{End: "2020-01-02"}}
	timing := &Timing{Repeat: &TimingRepeat{Offset: &neg, TimeOfDay: []string{"10:00:00", "25:00:00"}}}
	cases := []struct {
		v    interface{ Validate() error }
		want []string
	}{
		{p, []string{"Patient.birthDate", "Patient.contact[0].period.start", "Patient.id"}},
		{sched, nil},
		{timing, []string{"Timing.repeat.offset", "Timing.repeat.timeOfDay[1]"}},
	}
	for _, c := range cases {
		assert.ElementsMatch(t, c.want, examplestest.IssuePaths(t, c.v), "%T", c.v)
	}
}

func TestValidateRejectsTwoTypesOfOneChoice(t *testing.T) {
	yes := true
	o := &Observation{Status: ObservationStatusFinal, Code: &CodeableConcept{Text: "t"}, ValueString: "a", ValueBoolean: &yes}
	assert.Equal(t, []string{"Observation.value[x]"}, examplestest.IssuePaths(t, o))
	o.ValueBoolean = nil
	assert.Empty(t, examplestest.IssuePaths(t, o), "one type set")
}
