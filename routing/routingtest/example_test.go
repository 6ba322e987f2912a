package routingtest_test

import (
	"testing"

	"github.com/patientsfhir/patientsfhir/routing"
	"github.com/patientsfhir/patientsfhir/routing/routingtest"
)

// A store's tests run the whole suite with one call; each subtest gets a fresh, empty store.
func ExampleRunTenantStoreTests() {
	// In a _test.go file of the store's package:
	_ = func(t *testing.T) {
		routingtest.RunTenantStoreTests(t, func(*testing.T) routing.TenantStore { return routing.NewMemoryStore() })
	}
}
