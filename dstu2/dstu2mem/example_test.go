package dstu2mem_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/patientsfhir/patientsfhir/dstu2/dstu2mem"
	"github.com/patientsfhir/patientsfhir/fhir"
)

// New returns an empty backend: load your own resources (or the fixtures,
// with NewWithFixtures); the typed methods read them back.
func Example() {
	b := dstu2mem.New()
	ctx := context.Background()
	doc := `{"resourceType":"Patient","id":"pat-9","name":[{"family":["Ng"],"given":["Mai"]}],"gender":"female","birthDate":"1990-04-01"}`
	fmt.Println(b.Load([]byte(doc)))
	p, err := b.ReadPatient(ctx, "pat-9")
	fmt.Println(p.Name[0].Family[0], p.BirthDate, err)
	fmt.Println(b.Delete("Patient", "pat-9"))
	_, err = b.ReadPatient(ctx, "pat-9")
	fmt.Println(errors.Is(err, fhir.ErrNotFound))
	// Output:
	// <nil>
	// Ng 1990-04-01 <nil>
	// true
	// true
}
