package ehr_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/patientsfhir/patientsfhir/examples/sampleehr/ehr"
	"github.com/patientsfhir/patientsfhir/examples/sampleehr/population"
	"github.com/patientsfhir/patientsfhir/fhir"
	"github.com/patientsfhir/patientsfhir/stu3"
)

func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "ehr-example-")
	defer os.RemoveAll(dir)
	db, err := ehr.Open(ctx, filepath.Join(dir, "ehr.db"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()
	const tenant = "7f2c1d9e-0b4a-4c55-9a21-3e8d6f1b2a01"
	p, _ := population.New(population.Options{Tenant: tenant, Patients: 100})
	if _, err := db.Seed(ctx, p); err != nil {
		fmt.Println(err)
		return
	}
	// The backend of one tenant, for stu3.NewHandler.
	b := db.STU3(tenant)
	page, err := b.SearchObservations(ctx, stu3.ObservationQuery{
		Search:   fhir.Search{Count: 3, Sort: []fhir.SortKey{{Name: "date", Descending: true}}},
		Patient:  p.Designated().ID,
		Category: fhir.TokenParam{{{Code: "vital-signs"}}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(page.Resources), page.Total > 60, page.Next != "")
	fmt.Println(page.Resources[0].EffectiveDateTime >= page.Resources[2].EffectiveDateTime)
	// Output:
	// 3 true true
	// true
}
