package routingtest_test

import (
	"testing"

	"github.com/patientsfhir/patientsfhir/routing"
	"github.com/patientsfhir/patientsfhir/routing/routingtest"
)

// The in-memory store passes the same suite as the SQL stores (their runs are in
// auth/sqlstore).
func TestMemoryStore(t *testing.T) {
	routingtest.RunTenantStoreTests(t, func(*testing.T) routing.TenantStore { return routing.NewMemoryStore() })
}
