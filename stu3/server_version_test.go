package stu3_test

import (
	"fmt"
	"testing"

	"github.com/patientsfhir/patientsfhir/stu3"
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
	p.GeneralPractitioner = []stu3.Reference{{Reference: "Practitioner/prac-doe", Display: "Dr. Jane Doe"}, {Reference: "Practitioner/x"}}
	if got := stu3.MissingDisplays(&p); fmt.Sprint(got) != "[Patient.generalPractitioner[1]]" {
		t.Errorf("Patient: %v", got)
	}
	m := stu3.MedicationRequest{Requester: &stu3.MedicationRequestRequester{Agent: &stu3.Reference{Reference: "Practitioner/x"}}}
	if got := stu3.MissingDisplays(&m); fmt.Sprint(got) != "[MedicationRequest.requester.agent]" {
		t.Errorf("MedicationRequest: %v", got)
	}
}
