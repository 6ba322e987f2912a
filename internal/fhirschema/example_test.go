package fhirschema_test

import (
	"errors"
	"fmt"

	"github.com/patientsfhir/patientsfhir/internal/fhirschema"
)

func Example() {
	good := []byte(`{"resourceType":"Patient","id":"p1","gender":"female","birthDate":"1961-04"}`)
	fmt.Println(fhirschema.ValidateStrict(fhirschema.STU3, good))

	// A US-style date passes HL7's unanchored pattern but not the strict check.
	bad := []byte(`{"resourceType":"Patient","id":"p1","birthDate":"04/12/1961"}`)
	fmt.Println(fhirschema.Validate(fhirschema.STU3, bad))
	err := fhirschema.ValidateStrict(fhirschema.STU3, bad)
	fmt.Println(errors.Is(err, fhirschema.ErrInvalid))
	var ve *fhirschema.ValidationError
	if errors.As(err, &ve) {
		for _, p := range ve.Problems {
			fmt.Println(p)
		}
	}
	// Output:
	// <nil>
	// <nil>
	// true
	// /birthDate: is not a valid FHIR date
}
