package models

import (
	"github.com/patientsfhir/patientsfhir/dstu2"
	"github.com/patientsfhir/patientsfhir/stu3"
)

// oursSTU3 decodes strictly with package stu3 and encodes with its own
// encoder (stu3.Marshal; json.Marshal would add encoding/json's re-scan of
// the output).
func oursSTU3(data []byte) ([]byte, error) {
	r, err := stu3.UnmarshalResource(data)
	if err != nil {
		return nil, err
	}
	return stu3.Marshal(r)
}

// oursDSTU2 is oursSTU3 for package dstu2.
func oursDSTU2(data []byte) ([]byte, error) {
	r, err := dstu2.UnmarshalResource(data)
	if err != nil {
		return nil, err
	}
	return dstu2.Marshal(r)
}
