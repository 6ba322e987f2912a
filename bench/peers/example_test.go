package peers_test

import (
	"fmt"

	"github.com/patientsfhir/patientsfhir/bench/load"
	"github.com/patientsfhir/patientsfhir/bench/peers"
	"github.com/patientsfhir/patientsfhir/examples/sampleehr/population"
)

// The searches of the comparison for the first of the patients they cycle
// through.
func ExampleSearches() {
	pop, _ := population.New(population.Options{Tenant: load.Tenant, Patients: 100})
	s := peers.Subjects(pop, 10)[0]
	for _, q := range peers.Searches[3:6] {
		fmt.Println(q.Name+":", q.Path(s))
	}
	// Output:
	// Observation vital signs: Observation?patient=pat-1&_sort:desc=date&category=vital-signs
	// Condition _count=10: Condition?patient=pat-1&_count=10
	// Encounter latest: Encounter?patient=pat-1&_sort:desc=date&_count=1
}
