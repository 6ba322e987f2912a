package storetest_test

import (
	"testing"

	"github.com/patientsfhir/patientsfhir/auth"
	"github.com/patientsfhir/patientsfhir/auth/storetest"
)

// The in-memory store passes the same suite as the SQL stores (their runs are in
// auth/sqlstore).
func TestMemoryStoreConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) auth.Store { return auth.NewMemoryStore() })
}
