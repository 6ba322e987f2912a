package fhir_test

import (
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/patientsfhir/patientsfhir/fhir"
)

func ExampleParser() {
	p, err := fhir.NewParser(fhir.STU3, []fhir.SearchParam{
		fhir.ParamID,
		{Name: "family", Type: fhir.TypeString, Modifiers: []fhir.Modifier{fhir.ModContains}},
		{Name: "birthdate", Type: fhir.TypeDate},
		{Name: "identifier", Type: fhir.TypeToken},
	}, &fhir.ParserOptions{DefaultCount: 20, MaxCount: 100})
	if err != nil {
		fmt.Println(err)
		return
	}
	// The Patients app searches with POST and a form body.
	r := httptest.NewRequest("POST", "/stu3/Patient/_search?_count=500",
		strings.NewReader("family:contains=chau&birthdate=1957&identifier=1234567&unknown=x"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	q, err := p.ParseRequest(r)
	if err != nil {
		fmt.Println(err)
		return
	}
	bd := q.Dates("birthdate")[0][0]
	fmt.Println(q.Strings("family")[0][0].Value, q.Strings("family")[0][0].Modifier)
	fmt.Println(bd.Start.Format("2006-01-02"), "to", bd.End.Format("2006-01-02"))
	fmt.Println(q.Tokens("identifier")[0][0].Code, q.Count, q.CountClamped, q.Ignored)
	fmt.Println(q.Encode())

	// With Prefer: handling=strict the unknown parameter is refused.
	r = httptest.NewRequest("GET", "/stu3/Patient?unknown=x", nil)
	r.Header.Set("Prefer", "handling=strict")
	_, err = p.ParseRequest(r)
	fmt.Println(errors.Is(err, fhir.ErrInvalidSearch), fhir.StatusOf(err))
	// Output:
	// chau contains
	// 1957-01-01 to 1958-01-01
	// 1234567 100 true [unknown]
	// birthdate=1957&family%3Acontains=chau&identifier=1234567&_count=100
	// true 400
}

func ExampleSafe() {
	err := fhir.Safe(errors.New("connection refused: 10.1.2.3:5432"), "The EHR is offline for maintenance.")
	o := fhir.Classify(err)
	fmt.Println(o.Status, o.Code, o.Diagnostics)
	// Output:
	// 500 exception The EHR is offline for maintenance.
}

// A backend that filters in memory matches resource values with the
// parameter types' Match methods, which apply FHIR's semantics.
func ExampleDateParam_MatchString() {
	june := fhir.DateParam{{{Prefix: fhir.PrefixGe,
		Start: time.Date(2020, 6, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2020, 7, 1, 0, 0, 0, 0, time.UTC)}}}
	fmt.Println(june.MatchString("2020-06-15"), june.MatchString("2021"), june.MatchString("2019-12-31T23:00:00Z"))

	family := fhir.StringParam{{{Value: "hau", Modifier: fhir.ModContains}}}
	fmt.Println(family.Match("Chau"), family.Match("Black"))

	mrn := fhir.TokenParam{{{Code: "1234567"}}} // identifier=1234567, no system
	fmt.Println(mrn.Match(fhir.TokenCode{System: "http://hospital.example.org/mrn", Code: "1234567"}))
	// Output:
	// true true false
	// true false
	// true
}
