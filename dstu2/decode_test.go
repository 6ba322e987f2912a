package dstu2

import (
	"testing"

	"github.com/patientsfhir/patientsfhir/fhirjson"
	"github.com/patientsfhir/patientsfhir/internal/fhirexamples/examplestest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConditionOnsetAgeRoundTrip(t *testing.T) {
	// DSTU2 names the Age choice "onsetQuantity"; its Go type is Age.
	in := `{"resourceType":"Condition","patient":{"reference":"Patient/1"},"code":{"text":"x"},"verificationStatus":"confirmed",` +
		`"onsetQuantity":{"value":52.0,"unit":"a","system":"http://unitsofmeasure.org","code":"a"}}`
	r, err := UnmarshalResource([]byte(in))
	require.NoError(t, err)
	c := r.(*Condition)
	require.IsType(t, &Age{}, c.Onset())
	assert.Equal(t, "52.0", c.Onset().(*Age).Value.String())
	assert.Equal(t, "Quantity", c.OnsetType())
	assert.NoError(t, c.Validate())
	out, err := c.MarshalJSON()
	require.NoError(t, err)
	assert.Equal(t, in, string(out))
}

func TestFHIRCommentsAreKept(t *testing.T) {
	in := `{"resourceType":"Patient","fhir_comments":["top"],"id":"p","_id":{"fhir_comments":["on id"]}}`
	r, err := UnmarshalResource([]byte(in))
	require.NoError(t, err)
	out, err := r.MarshalJSON()
	require.NoError(t, err)
	assert.Equal(t, `{"resourceType":"Patient","id":"p","_id":{"fhir_comments":["on id"]},"fhir_comments":["top"]}`, string(out))
	var p Patient
	assert.NoError(t, p.UnmarshalJSON([]byte(in)))
}

func TestMedicationOrderStrictAndValidate(t *testing.T) {
	in := `{"resourceType":"MedicationOrder","status":"active","medicationCodeableConcept":{"text":"aspirin"},` +
		`"dosageInstruction":[{"doseQuantity":{"value":1.50,"unit":"tab"},"timing":{"repeat":{"frequency":2,"period":1,"periodUnits":"d"}}}]}`
	r, err := UnmarshalResource([]byte(in))
	require.NoError(t, err)
	mo := r.(*MedicationOrder)
	assert.Equal(t, MedicationOrderStatusActive, mo.Status)
	assert.Equal(t, "CodeableConcept", mo.MedicationType())
	require.IsType(t, &SimpleQuantity{}, mo.DosageInstruction[0].Dose())
	assert.Equal(t, "1.50", mo.DosageInstruction[0].Dose().(*SimpleQuantity).Value.String())
	require.NoError(t, mo.Validate())
	mo.Status = "bogus"
	mo.DosageInstruction[0].Timing.Repeat.PeriodUnits = "fortnight"
	assert.Equal(t, []string{"MedicationOrder.status", "MedicationOrder.dosageInstruction[0].timing.repeat.periodUnits"}, examplestest.IssuePaths(t, mo))
	_, err = UnmarshalResource([]byte(`{"resourceType":"MedicationOrder","dosageInstruction":[{"timing":{"repeat":{"frequency":"2"}}}]}`))
	var de *fhirjson.DecodeError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, "MedicationOrder.dosageInstruction[0].timing.repeat.frequency", de.Path)
	// A valid order built in Go passes.
	ok := &MedicationOrder{Status: MedicationOrderStatusActive, MedicationCodeableConcept: &CodeableConcept{Text: "aspirin"}}
	assert.NoError(t, ok.Validate())
}
