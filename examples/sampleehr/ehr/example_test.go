package ehr_test

import (
	"context"
	"errors"
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

// The same data on PostgreSQL, in a schema chosen by the DSN's search_path
// (it must exist). A second seeding of the tenant, as by a later run, is
// refused with ErrSeeded and the data already there is served. (Not run:
// it needs a server.)
func ExampleOpenPostgres() {
	ctx := context.Background()
	db, err := ehr.OpenPostgres(ctx, "postgres://ehr@127.0.0.1:5432/ehr?search_path=sampleehr_100")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()
	p, _ := population.New(population.Options{Tenant: "7f2c1d9e-0b4a-4c55-9a21-3e8d6f1b2a01", Patients: 100})
	st, err := db.Seed(ctx, p)
	switch {
	case errors.Is(err, ehr.ErrSeeded):
		fmt.Println("reusing the seeded population")
	case err != nil:
		fmt.Println(err)
		return
	default:
		fmt.Printf("seeded %d patients at %.0f patients/s\n", st.Patients, st.PatientsPerSecond())
	}
	// The tenant's backend, for stu3.NewHandler, as on SQLite.
	page, err := db.STU3(p.Tenant()).SearchPatients(ctx, stu3.PatientQuery{Search: fhir.Search{CountOnly: true}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(page.Total, "patients")
}
