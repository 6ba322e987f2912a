package sqlstore_test

import (
	"path/filepath"
	"testing"

	"github.com/patientsfhir/patientsfhir/internal/testsupport"
	"github.com/patientsfhir/patientsfhir/routing"
	"github.com/patientsfhir/patientsfhir/routing/routingtest"
)

func TestSQLiteTenantStore(t *testing.T) {
	routingtest.RunTenantStoreTests(t, func(t *testing.T) routing.TenantStore {
		return openSQLite(t, filepath.Join(t.TempDir(), "auth.db"))
	})
}

func TestPostgresTenantStore(t *testing.T) {
	testsupport.PostgresSchema(t) // skip early without a server
	routingtest.RunTenantStoreTests(t, func(t *testing.T) routing.TenantStore { return openPG(t, testsupport.PostgresSchema(t)) })
}

// Two processes on one SQLite file: a follower on one handle misses none of the writes made
// through both.
func TestSQLiteTenantChangesTwoHandles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "auth.db")
	a, b := openSQLite(t, path), openSQLite(t, path)
	t.Cleanup(func() { a.Close(); b.Close() })
	routingtest.RaceChanges(t, a, b)
}

// Three nodes on one PostgreSQL database: the revision row makes writes commit in revision
// order, so a follower never skips a write that committed late.
func TestPostgresTenantChangesThreeNodes(t *testing.T) {
	dsn := testsupport.PostgresSchema(t)
	a, b, c := openPG(t, dsn), openPG(t, dsn), openPG(t, dsn)
	t.Cleanup(func() { a.Close(); b.Close(); c.Close() })
	routingtest.RaceChanges(t, a, b, c)
}
