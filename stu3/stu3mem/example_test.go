package stu3mem_test

import (
	"context"
	"fmt"

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
