package ehr

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patientsfhir/patientsfhir/examples/sampleehr/population"
	"github.com/patientsfhir/patientsfhir/fhir"
	"github.com/patientsfhir/patientsfhir/stu3"
)

func newPop(t testing.TB, tenant string, n int) *population.Population {
	t.Helper()
	p, err := population.New(population.Options{Tenant: tenant, Patients: n})
	require.NoError(t, err)
	return p
}

// Seeding writes every resource of the population, once: a second seeding
// of the tenant is refused, an interrupted one is redone, and the data
// survives closing and reopening the file.
func TestSeed(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ehr.db")
	db, err := Open(ctx, path)
	require.NoError(t, err)
	p := newPop(t, tenantA, 60)
	want := 0
	require.NoError(t, p.Each(ctx, func(r *population.Record) error {
		want += len(r.STU3())
		return nil
	}))
	want += len(p.Locations()) + len(p.Practitioners())

	// Interrupted after some rows are written: nothing becomes visible.
	cctx, cancel := context.WithCancel(ctx)
	db.afterBatch = cancel
	_, err = db.Seed(cctx, p)
	db.afterBatch = nil
	require.ErrorIs(t, err, context.Canceled)
	var rows int
	require.NoError(t, db.r.QueryRow(`SELECT COUNT(*) FROM location`).Scan(&rows))
	require.Positive(t, rows, "the first batch was written")
	_, err = db.STU3(tenantA).ReadLocation(ctx, "loc-er")
	require.ErrorIs(t, err, fhir.ErrNotFound)
	tenants, err := db.Tenants(ctx)
	require.NoError(t, err)
	assert.Empty(t, tenants)

	st, err := db.Seed(ctx, p)
	require.NoError(t, err)
	assert.Equal(t, 60, st.Patients)
	assert.Equal(t, want, st.Resources)
	assert.Greater(t, st.Rows, st.Resources, "index rows too")
	assert.Positive(t, st.ResourcesPerSecond())
	assert.Positive(t, st.PatientsPerSecond())

	_, err = db.Seed(ctx, p)
	assert.ErrorIs(t, err, ErrSeeded)
	require.NoError(t, db.Close())

	db, err = Open(ctx, path)
	require.NoError(t, err)
	defer db.Close()
	tenants, err = db.Tenants(ctx)
	require.NoError(t, err)
	assert.Equal(t, []Tenant{{GUID: tenantA, Patients: 60}}, tenants)
	pt, err := db.STU3(tenantA).ReadPatient(ctx, "pat-60")
	require.NoError(t, err)
	assert.Equal(t, p.Patient(59).Patient.Family, pt.Name[0].Family)
	page, err := db.STU3(tenantA).SearchPatients(ctx, stu3.PatientQuery{Search: fhir.Search{CountOnly: true}})
	require.NoError(t, err)
	assert.Equal(t, 60, page.Total)

	for _, bad := range []string{"", ":memory:", "file:x.db"} {
		_, err := Open(ctx, bad)
		assert.ErrorIs(t, err, ErrPath, bad)
	}

	// A file of another schema version is refused, not misread.
	_, err = db.w.Exec(`PRAGMA user_version = 99`)
	require.NoError(t, err)
	_, err = Open(ctx, path)
	assert.ErrorIs(t, err, ErrSchema)
}
