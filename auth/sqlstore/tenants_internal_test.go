package sqlstore

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patientsfhir/patientsfhir/auth"
	"github.com/patientsfhir/patientsfhir/routing"
)

// A database of the release before the tenant registry (schema version 2) is upgraded in place:
// its clients are kept and the tenant tables start empty at revision 0.
func TestSQLiteUpgradeFromVersion2AddsTenants(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "auth.db")
	w, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_txlock=immediate")
	require.NoError(t, err)
	w.SetMaxOpenConns(1)
	old := &Store{d: sqliteDialect, w: w, r: w}
	require.NoError(t, old.migrateWith(ctx, migrations[:2]))
	require.NoError(t, old.CreateClient(ctx, &auth.Client{ID: "before-tenants", GrantTypes: []string{"client_credentials"}}))
	require.NoError(t, w.Close())

	s, err := OpenSQLite(ctx, path)
	require.NoError(t, err)
	defer s.Close()
	v, err := s.AppliedVersions(ctx)
	require.NoError(t, err)
	assert.Equal(t, []int{1, 2, 3}, v)
	c, err := s.GetClient(ctx, "before-tenants")
	require.NoError(t, err)
	assert.Equal(t, "before-tenants", c.ID)

	ch, err := s.TenantChanges(ctx, 0)
	require.NoError(t, err)
	assert.Equal(t, routing.TenantChanges{Full: true}, ch)
	tn, err := s.CreateTenant(ctx, routing.Tenant{ID: "6a1c4f0e-0000-4000-8000-000000000001", Backend: "ehr", State: routing.StateActive})
	require.NoError(t, err)
	assert.Equal(t, uint64(1), tn.Revision)
}
