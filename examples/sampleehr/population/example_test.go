package population_test

import (
	"fmt"

	"github.com/patientsfhir/patientsfhir/examples/sampleehr/population"
)

func Example() {
	p, err := population.New(population.Options{Tenant: "7f2c1d9e-0b4a-4c55-9a21-3e8d6f1b2a01", Patients: 1000})
	if err != nil {
		fmt.Println(err)
		return
	}
	d := p.Designated()
	rec := p.Patient(0)
	fmt.Println(d.ID, d.Family, d.Given, d.Gender)
	fmt.Println(len(rec.Vitals) > 60, len(rec.STU3()) > len(rec.DSTU2()))
	fmt.Println(rec.STU3Observation(rec.Vitals[0]).Code.Coding[0].Code)
	// Output:
	// pat-1 Thistlewood Philippa female
	// true true
	// 55284-4
}
