package stu3_test

import (
	"testing"

	"github.com/patientsfhir/patientsfhir/internal/restserver/servertest"
)

// The server tests that differ by version live here; the others are in
// package servertest, run by TestServer.

// TestMissingDisplaysOfVersion checks the references MissingDisplays finds
// in elements only STU3 has: the Patient's general practitioners and the
// MedicationRequest's requester.
func TestMissingDisplaysOfVersion(t *testing.T) {
	servertest.MissingDisplays(t, version, map[string]string{
		`{"resourceType":"Patient","generalPractitioner":[{"reference":"Practitioner/prac-doe","display":"Dr. Jane Doe"},{"reference":"Practitioner/x"}]}`: "Patient.generalPractitioner[1]",
		`{"resourceType":"MedicationRequest","requester":{"agent":{"reference":"Practitioner/x"}}}`:                                                        "MedicationRequest.requester.agent",
	})
}
