package memehr_test

import (
	"context"
	"fmt"

	"github.com/patientsfhir/patientsfhir/fhir"
	"github.com/patientsfhir/patientsfhir/internal/memehr"
)

func Example() {
	s := memehr.New()
	for _, doc := range []string{
		`{"resourceType":"Encounter","id":"e1","status":"finished","subject":{"reference":"Patient/p1"},"period":{"start":"2019-06-11T10:15:00Z"}}`,
		`{"resourceType":"Encounter","id":"e2","status":"finished","subject":{"reference":"Patient/p1"},"period":{"start":"2016-02-01T09:00:00Z"}}`,
		`{"resourceType":"Encounter","id":"e3","status":"in-progress","subject":{"reference":"Patient/p1"},"period":{"start":"2025-02-18T08:00:00Z"}}`,
		`{"resourceType":"Encounter","id":"e4","status":"finished","subject":{"reference":"Patient/p2"},"period":{"start":"2024-01-01"}}`,
	} {
		if _, err := s.Put([]byte(doc), nil); err != nil {
			fmt.Println(err)
			return
		}
	}
	params := []fhir.SearchParam{
		{Name: "patient", Type: fhir.TypeReference, Path: "Encounter.patient | Encounter.subject"},
		{Name: "date", Type: fhir.TypeDate, Path: "Encounter.period"},
	}
	p, _ := fhir.NewParser(fhir.STU3, params, nil)
	pairs, _ := fhir.ParsePairs("patient=p1&_sort:desc=date&_count=2")
	q, _ := p.Parse(pairs, true)
	res, err := s.Search(context.Background(), memehr.Request{Type: "Encounter", Params: params, Query: q})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, it := range res.Items {
		fmt.Println(it.ID)
	}
	fmt.Println("total", res.Total, "more", res.Next != "")
	// Output:
	// e3
	// e1
	// total 3 more true
}
