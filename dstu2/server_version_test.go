package dstu2_test

import (
	"testing"

	"github.com/patientsfhir/patientsfhir/internal/restserver/servertest"
)

// The server tests that differ by version live here; the others are in
// package servertest, run by TestServer.

// TestMissingDisplaysOfVersion checks the references MissingDisplays finds
// in elements only DSTU2 has: the Patient's care providers and the
// MedicationOrder's prescriber.
func TestMissingDisplaysOfVersion(t *testing.T) {
	servertest.MissingDisplays(t, version, map[string]string{
		`{"resourceType":"Patient","careProvider":[{"reference":"Practitioner/prac-doe","display":"Dr. Jane Doe"},{"reference":"Practitioner/x"}]}`: "Patient.careProvider[1]",
		`{"resourceType":"MedicationOrder","prescriber":{"reference":"Practitioner/x"}}`:                                                            "MedicationOrder.prescriber",
	})
}
