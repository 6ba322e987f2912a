package stu3

import (
	"errors"
	"reflect"
	"testing"

	"github.com/patientsfhir/patientsfhir/fhirjson"
)

func TestValidateReportsPaths(t *testing.T) {
	in := `{"resourceType":"Observation","status":"finished","code":{"coding":[{"system":"http://loinc.org"}]},` +
		`"extension":[{"valueString":"no url"}],"valueQuantity":{"value":1,"comparator":"~"},` +
		`"contained":[{"resourceType":"Patient","gender":"f","link":[{"type":"seealso"}]}]}`
	r, err := UnmarshalResource([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	err = r.Validate()
	var ve fhirjson.ValidationErrors
	if !errors.As(err, &ve) {
		t.Fatalf("Validate() = %v", err)
	}
	var got []string
	for _, is := range ve {
		got = append(got, is.Path)
	}
	want := []string{
		"Observation.contained[0].gender",
		"Observation.contained[0].link[0].other",
		"Observation.extension[0].url",
		"Observation.status",
		"Observation.valueQuantity.comparator",
	}
	if !reflect.DeepEqual(sorted(got), want) {
		t.Fatalf("issues at %q, want %q\n%v", got, want, err)
	}
}

func sorted(s []string) []string {
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s
}

func TestValidateAcceptsValidAndMissingChoice(t *testing.T) {
	o := &Observation{Status: ObservationStatusFinal, Code: &CodeableConcept{Text: "x"}}
	if err := o.Validate(); err != nil {
		t.Fatalf("valid observation: %v", err)
	}
	// A required primitive given only as an extension counts as present.
	o.Status = ""
	o.StatusExt = &Element{Extension: []Extension{{URL: "http://example.org/absent", ValueCode: "unknown"}}}
	if err := o.Validate(); err != nil {
		t.Fatalf("status given as extension: %v", err)
	}
	// A required choice element is reported with its [x] name.
	mr := &MedicationRequest{Intent: MedicationRequestIntentOrder, Subject: &Reference{Reference: "Patient/1"}}
	var ve fhirjson.ValidationErrors
	if err := mr.Validate(); !errors.As(err, &ve) || len(ve) != 1 || ve[0].Path != "MedicationRequest.medication[x]" {
		t.Fatalf("missing medication[x]: %v", err)
	}
	mr.MedicationCodeableConcept = &CodeableConcept{Text: "aspirin"}
	if err := mr.Validate(); err != nil {
		t.Fatalf("with medication: %v", err)
	}
	bad := &Patient{Gender: "nope"}
	if err := bad.Validate(); !errors.As(err, &ve) || len(ve) != 1 || ve[0].Path != "Patient.gender" {
		t.Fatalf("bad gender: %v", err)
	}
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
		var got []string
		var ve fhirjson.ValidationErrors
		if err := c.v.Validate(); errors.As(err, &ve) {
			for _, is := range ve {
				got = append(got, is.Path)
			}
		} else if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(sorted(got), c.want) {
			t.Errorf("%T: issues at %q, want %q", c.v, got, c.want)
		}
	}
}

func TestValidateRejectsTwoTypesOfOneChoice(t *testing.T) {
	yes := true
	o := &Observation{Status: ObservationStatusFinal, Code: &CodeableConcept{Text: "t"}, ValueString: "a", ValueBoolean: &yes}
	var ve fhirjson.ValidationErrors
	if err := o.Validate(); !errors.As(err, &ve) || len(ve) != 1 || ve[0].Path != "Observation.value[x]" {
		t.Fatalf("Validate() = %v", err)
	}
	o.ValueBoolean = nil
	if err := o.Validate(); err != nil {
		t.Fatalf("one type set: %v", err)
	}
}
