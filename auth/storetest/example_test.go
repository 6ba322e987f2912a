package storetest_test

import (
	"testing"

	"github.com/patientsfhir/patientsfhir/auth"
	"github.com/patientsfhir/patientsfhir/auth/storetest"
)

// A store's tests run the whole suite with one call; each subtest gets a fresh, empty store.
func ExampleRun() {
	// In a _test.go file of the store's package:
	_ = func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) auth.Store { return auth.NewMemoryStore() })
	}
}
