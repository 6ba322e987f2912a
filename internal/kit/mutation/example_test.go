package mutation_test

import (
	"fmt"

	"github.com/patientsfhir/patientsfhir/internal/kit"
	"github.com/patientsfhir/patientsfhir/internal/kit/mutation"
)

// Each mutation names the rule it breaks; Wrap puts it around any
// http.Handler.
func ExampleCatalogue() {
	for _, m := range mutation.Catalogue(kit.STU3(nil)) {
		if m.Rule == "total.exact" || m.Rule == "search.count" {
			fmt.Printf("%s: %s\n", m.Rule, m.Name)
		}
	}
	// Output:
	// total.exact: says a total one too low
	// total.exact: says the page size as the total
	// search.count: ignores _count
}
