package stu3_test

import (
	"errors"
	"fmt"

	"github.com/patientsfhir/patientsfhir/fhirjson"
	"github.com/patientsfhir/patientsfhir/stu3"
)

func ExampleUnmarshalResource() {
	data := []byte(`{"resourceType":"Observation","id":"bp","status":"final",
		"code":{"text":"weight"},"valueQuantity":{"value":72.50,"unit":"kg"}}`)
	r, err := stu3.UnmarshalResource(data)
	if err != nil {
		fmt.Println(err)
		return
	}
	obs := r.(*stu3.Observation)
	fmt.Println(r.ResourceType(), r.GetID(), obs.ValueType(), obs.ValueQuantity.Value)
	out, _ := r.MarshalJSON()
	fmt.Println(string(out))
	// Output:
	// Observation bp Quantity 72.50
	// {"resourceType":"Observation","id":"bp","status":"final","code":{"text":"weight"},"valueQuantity":{"value":72.50,"unit":"kg"}}
}

func ExampleUnmarshalResource_strict() {
	_, err := stu3.UnmarshalResource([]byte(`{"resourceType":"Patient","name":[{"given":["Ann",7]}]}`))
	var de *fhirjson.DecodeError
	if errors.As(err, &de) {
		fmt.Println(de.Path, errors.Is(err, fhirjson.ErrWrongType))
	}
	// Output:
	// Patient.name[0].given[1] true
}

func ExampleUnmarshalResource_lenient() {
	data := []byte(`{"resourceType":"Patient","id":"p","nickname":"Bob"}`)
	r, err := stu3.UnmarshalResource(data, fhirjson.Lenient())
	if err != nil {
		fmt.Println(err)
		return
	}
	out, _ := r.MarshalJSON()
	fmt.Println(string(out))
	// Output:
	// {"resourceType":"Patient","id":"p","nickname":"Bob"}
}

func ExamplePatient_Validate() {
	p := &stu3.Patient{Gender: "f", Link: []stu3.PatientLink{{Type: stu3.LinkTypeSeealso}}}
	var ve fhirjson.ValidationErrors
	if errors.As(p.Validate(), &ve) {
		for _, is := range ve {
			fmt.Println(is.Path, "-", is.Message)
		}
	}
	// Output:
	// Patient.gender - code is not in the required value set http://hl7.org/fhir/ValueSet/administrative-gender
	// Patient.link[0].other - required element is missing
}

func ExamplePatient_Deceased() {
	p := &stu3.Patient{DeceasedDateTime: "2020-03-01"}
	fmt.Println(p.DeceasedType(), p.Deceased())
	// Output:
	// dateTime 2020-03-01
}
