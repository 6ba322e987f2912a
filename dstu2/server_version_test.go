package dstu2_test

import (
	"fmt"
	"testing"

	"github.com/patientsfhir/patientsfhir/dstu2"
)

// The server tests that differ by version in more than names live here.
// Everything else is in stu3/server*_test.go, which internal/versiongen
// translates into dstu2/server*_gen_test.go.

// missingDisplaysOfVersion checks the references TestMissingDisplays finds
// in this version's own elements (the Patient's practitioners, the
// prescriber).
func missingDisplaysOfVersion(t *testing.T, f *fakeEHR) {
	t.Helper()
	p := *f.patients[0]
	p.CareProvider = []dstu2.Reference{{Reference: "Practitioner/prac-doe", Display: "Dr. Jane Doe"}, {Reference: "Practitioner/x"}}
	if got := dstu2.MissingDisplays(&p); fmt.Sprint(got) != "[Patient.careProvider[1]]" {
		t.Errorf("Patient: %v", got)
	}
	m := dstu2.MedicationOrder{Prescriber: &dstu2.Reference{Reference: "Practitioner/x"}}
	if got := dstu2.MissingDisplays(&m); fmt.Sprint(got) != "[MedicationOrder.prescriber]" {
		t.Errorf("MedicationOrder: %v", got)
	}
}
