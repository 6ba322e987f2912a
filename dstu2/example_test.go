package dstu2_test

import (
	"fmt"

	"github.com/patientsfhir/patientsfhir/dstu2"
)

func ExampleUnmarshalResource() {
	data := []byte(`{"resourceType":"Patient","id":"example","gender":"female",
		"birthDate":"1974-12","_birthDate":{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/patient-birthTime","valueDateTime":"1974-12-25T14:35:45-05:00"}]}}`)
	r, err := dstu2.UnmarshalResource(data)
	if err != nil {
		fmt.Println(err)
		return
	}
	p := r.(*dstu2.Patient)
	fmt.Println(p.Gender == dstu2.AdministrativeGenderFemale, p.BirthDate, p.BirthDateExt.Extension[0].ValueDateTime)
	// Output:
	// true 1974-12 1974-12-25T14:35:45-05:00
}
