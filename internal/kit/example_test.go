package kit_test

import (
	"fmt"

	"github.com/patientsfhir/patientsfhir/internal/kit"
)

func ExampleCatalogue() {
	for _, r := range kit.Catalogue(kit.STU3(nil)) {
		if r.Line == "S5" {
			r = r.Expand(kit.TestData{PatientID: "pat-1"})
			fmt.Println(r.Method, r.Path, r.Query+r.Form)
		}
	}
	// Output:
	// GET Encounter patient=pat-1&_sort:desc=date&_count=1
	// POST Encounter/_search patient=pat-1&_sort:desc=date&_count=1
	// GET Encounter patient=pat-1&_sort=-date&_count=1
	// POST Encounter/_search patient=pat-1&_sort=-date&_count=1
	// GET Encounter patient=pat-1&_sort:desc=date
	// POST Encounter/_search patient=pat-1&_sort:desc=date
}
