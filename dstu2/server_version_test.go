package dstu2_test

import (
	"fmt"
	"testing"

	"github.com/patientsfhir/patientsfhir/dstu2"
)

// The server tests that differ by version in more than names live here.
// Everything else is in stu3/server*_test.go, which internal/versiongen
// translates into dstu2/server*_gen_test.go.

// MissingDisplays names this version's elements.
func TestMissingDisplays(t *testing.T) {
	f := newFake(t)
	p := *f.patients[0]
	p.CareProvider = []dstu2.Reference{{Reference: "Practitioner/prac-doe", Display: "Dr. Jane Doe"}, {Reference: "Practitioner/x"}}
	if got := dstu2.MissingDisplays(&p); fmt.Sprint(got) != "[Patient.careProvider[1]]" {
		t.Errorf("Patient: %v", got)
	}
	m := dstu2.MedicationOrder{Prescriber: &dstu2.Reference{Reference: "Practitioner/x"}}
	if got := dstu2.MissingDisplays(&m); fmt.Sprint(got) != "[MedicationOrder.prescriber]" {
		t.Errorf("MedicationOrder: %v", got)
	}
	e := dstu2.Encounter{Location: []dstu2.EncounterLocation{{Location: &dstu2.Reference{Reference: "Location/l", Display: "ENT"}}, {Location: &dstu2.Reference{Reference: "Location/l"}}}}
	if got := dstu2.MissingDisplays(&e); fmt.Sprint(got) != "[Encounter.location[1].location]" {
		t.Errorf("Encounter: %v", got)
	}
	for _, r := range f.encounters {
		if got := dstu2.MissingDisplays(r); len(got) != 0 {
			t.Errorf("fixture %s: %v", r.ID, got)
		}
	}
}
