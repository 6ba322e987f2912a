package restserver_test

import (
	"fmt"
	"time"

	"github.com/patientsfhir/patientsfhir/fhir"
	"github.com/patientsfhir/patientsfhir/internal/restserver"
)

// A backend that filters in memory matches resource values with the
// parameter types' Match methods, which apply FHIR's semantics.
func ExampleDateParam_MatchString() {
	june := restserver.DateParam{{{Prefix: fhir.PrefixGe,
		Start: time.Date(2020, 6, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2020, 7, 1, 0, 0, 0, 0, time.UTC)}}}
	fmt.Println(june.MatchString("2020-06-15"), june.MatchString("2021"), june.MatchString("2019-12-31T23:00:00Z"))

	family := restserver.StringParam{{{Value: "hau", Modifier: fhir.ModContains}}}
	fmt.Println(family.Match("Chau"), family.Match("Black"))

	mrn := restserver.TokenParam{{{Code: "1234567"}}} // identifier=1234567, no system
	fmt.Println(mrn.Match(restserver.Code{System: "http://hospital.example.org/mrn", Code: "1234567"}))
	// Output:
	// true true false
	// true false
	// true
}
