package dstu2

import (
	"errors"
	"testing"

	"github.com/patientsfhir/patientsfhir/fhirjson"
)

func TestConditionOnsetAgeRoundTrip(t *testing.T) {
	// DSTU2 names the Age choice "onsetQuantity"; its Go type is Age.
	in := `{"resourceType":"Condition","patient":{"reference":"Patient/1"},"code":{"text":"x"},"verificationStatus":"confirmed",` +
		`"onsetQuantity":{"value":52.0,"unit":"a","system":"http://unitsofmeasure.org","code":"a"}}`
	r, err := UnmarshalResource([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	c := r.(*Condition)
	if age, ok := c.Onset().(*Age); !ok || age.Value.String() != "52.0" || c.OnsetType() != "Quantity" {
		t.Fatalf("Onset() = %#v (%q)", c.Onset(), c.OnsetType())
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	out, _ := c.MarshalJSON()
	if string(out) != in {
		t.Fatalf("got  %s\nwant %s", out, in)
	}
}

func TestFHIRCommentsAreKept(t *testing.T) {
	in := `{"resourceType":"Patient","fhir_comments":["top"],"id":"p","_id":{"fhir_comments":["on id"]}}`
	r, err := UnmarshalResource([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	out, _ := r.MarshalJSON()
	if want := `{"resourceType":"Patient","id":"p","_id":{"fhir_comments":["on id"]},"fhir_comments":["top"]}`; string(out) != want {
		t.Fatalf("got %s", out)
	}
	var p Patient
	if err := p.UnmarshalJSON([]byte(in)); err != nil {
		t.Fatalf("UnmarshalJSON: %v", err)
	}
}

func TestMedicationOrderStrictAndValidate(t *testing.T) {
	in := `{"resourceType":"MedicationOrder","status":"active","medicationCodeableConcept":{"text":"aspirin"},` +
		`"dosageInstruction":[{"doseQuantity":{"value":1.50,"unit":"tab"},"timing":{"repeat":{"frequency":2,"period":1,"periodUnits":"d"}}}]}`
	r, err := UnmarshalResource([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	mo := r.(*MedicationOrder)
	if mo.Status != MedicationOrderStatusActive || mo.MedicationType() != "CodeableConcept" {
		t.Fatalf("%+v", mo)
	}
	if q, ok := mo.DosageInstruction[0].Dose().(*SimpleQuantity); !ok || q.Value.String() != "1.50" {
		t.Fatalf("dose: %#v", mo.DosageInstruction[0].Dose())
	}
	if err := mo.Validate(); err != nil {
		t.Fatal(err)
	}
	mo.Status = "bogus"
	mo.DosageInstruction[0].Timing.Repeat.PeriodUnits = "fortnight"
	var ve fhirjson.ValidationErrors
	if err := mo.Validate(); !errors.As(err, &ve) || len(ve) != 2 ||
		ve[0].Path != "MedicationOrder.status" || ve[1].Path != "MedicationOrder.dosageInstruction[0].timing.repeat.periodUnits" {
		t.Fatalf("Validate() = %v", err)
	}
	_, err = UnmarshalResource([]byte(`{"resourceType":"MedicationOrder","dosageInstruction":[{"timing":{"repeat":{"frequency":"2"}}}]}`))
	var de *fhirjson.DecodeError
	if !errors.As(err, &de) || de.Path != "MedicationOrder.dosageInstruction[0].timing.repeat.frequency" {
		t.Fatalf("error %v", err)
	}
}

func TestEveryResourceTypeIsRegistered(t *testing.T) {
	if n := len(ResourceTypes()); n != 94 {
		t.Fatalf("%d resource types, want 94", n)
	}
	for _, rt := range ResourceTypes() {
		r := NewResource(rt)
		r.SetID("a")
		b, _ := Marshal(r)
		back, err := UnmarshalResource(b)
		if err != nil || back.ResourceType() != rt || back.GetID() != "a" || back.GetMeta() != nil {
			t.Fatalf("%s: %s: %v", rt, b, err)
		}
	}
}
