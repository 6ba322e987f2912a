package stu3mem_test

import (
	"context"
	"fmt"
	"log"
	"net/http/httptest"

	"github.com/patientsfhir/patientsfhir/fhir"
	"github.com/patientsfhir/patientsfhir/stu3"
	"github.com/patientsfhir/patientsfhir/stu3/stu3mem"
)

func Example() {
	b, err := stu3mem.NewWithFixtures()
	if err != nil {
		fmt.Println(err)
		return
	}
	// The server parses the request; here we do it by hand.
	p, _ := fhir.NewParser(fhir.STU3, stu3.EncounterParams, nil)
	pairs, _ := fhir.ParsePairs("patient=pat-1&_sort:desc=date&_count=1")
	q, _ := p.Parse(pairs, true)
	page, err := b.SearchEncounters(context.Background(), stu3.EncounterQuery{Patient: "pat-1",
		Search: fhir.Search{Count: q.Count, Sort: q.Sort, Query: q}})
	if err != nil {
		fmt.Println(err)
		return
	}
	e := page.Resources[0]
	fmt.Println(page.Total, e.ID, e.Period.Start, e.Location[0].Location.Display)
	// Output:
	// 6 enc-1-6 2025-02-18T11:00:00-05:00 Clinic - ENT
}

// A server over the in-memory backend: the fixtures, the official HL7
// examples and a resource of your own, loaded before the handler is built.
func ExampleBackend_Load() {
	myResourceJSON := []byte(`{"resourceType":"Patient","id":"pat-9","gender":"female","birthDate":"1990-02-03",
		"name":[{"family":"Okonkwo","given":["Ada"]}]}`)

	b, err := stu3mem.NewWithFixtures() // pat-1 … pat-5, see fixtures.md
	if err != nil {
		log.Fatal(err)
	}
	n, err := b.LoadExamples() // + official HL7 examples (optionally: of some types)
	if err != nil {
		log.Fatal(err)
	}
	if err := b.Load(myResourceJSON); err != nil { // strict decode + Validate, replaces same type/id
		log.Fatal(err)
	}
	h, err := stu3.NewHandler(stu3.Config{Backend: b, Profile: stu3.PatientsApp()})
	if err != nil {
		log.Fatal(err)
	}

	fmt.Println(n, "official examples")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/Patient?family=konk", nil)) // the app's contains reading
	var bundle stu3.Bundle
	_ = stu3.Unmarshal(rec.Body.Bytes(), &bundle)
	fmt.Println(rec.Code, *bundle.Total, bundle.Entry[0].Resource.GetID())
	for _, target := range []string{"/Patient/example", "/Patient/pat-1"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
		fmt.Println(target, rec.Code)
	}
	// Output:
	// 634 official examples
	// 200 1 pat-9
	// /Patient/example 200
	// /Patient/pat-1 200
}
