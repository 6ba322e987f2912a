package fhirjson_test

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/patientsfhir/patientsfhir/fhirjson"
)

func ExampleDecimal() {
	var q struct{ Value fhirjson.Decimal }
	_ = json.Unmarshal([]byte(`{"Value":1.50}`), &q)
	fmt.Println(q.Value, q.Value.Float64())
	out, _ := json.Marshal(q)
	fmt.Println(string(out))
	fmt.Println(fhirjson.MustDecimal("1e2"), fhirjson.DecimalFromInt(7), fhirjson.DecimalFromFloat(0.25))
	// Output:
	// 1.50 1.5
	// {"Value":1.50}
	// 1e2 7 0.25
}

func ExampleValidationErrors() {
	var errs fhirjson.ValidationErrors
	errs.Missing("Observation.status")
	errs.BadCode("Patient.gender", "http://hl7.org/fhir/ValueSet/administrative-gender")
	var err error = errs.Err()

	var ve fhirjson.ValidationErrors
	if errors.As(err, &ve) {
		for _, is := range ve {
			fmt.Printf("%s: %s\n", is.Path, is.Message)
		}
	}
	// Output:
	// Observation.status: required element is missing
	// Patient.gender: code is not in the required value set http://hl7.org/fhir/ValueSet/administrative-gender
}

func ExampleEncoder() {
	var e fhirjson.Encoder
	e.BeginObject()
	e.StringField("div", `<div xmlns="http://www.w3.org/1999/xhtml">a &amp; b</div>`)
	e.DecimalField("value", fhirjson.MustDecimal("1.50"))
	e.EndObject()
	fmt.Println(string(e.Bytes()))
	// Output:
	// {"div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">a &amp; b</div>","value":1.50}
}
