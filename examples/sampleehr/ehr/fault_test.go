package ehr

import (
	"context"
	"database/sql"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patientsfhir/patientsfhir/examples/sampleehr/population"
	"github.com/patientsfhir/patientsfhir/fhir"
	"github.com/patientsfhir/patientsfhir/stu3"
)

// faultDB opens a fresh SQLite database for a fault test.
func faultDB(t *testing.T) (*DB, string) {
	t.Helper()
	return freshDB(t, sqlite)
}

// The disk fills up while a tenant is seeded (simulated with SQLite's
// max_page_count on the writer): the seeding fails with an error, the
// tenant's partial data is never served, and once there is room again the
// same seeding completes, without reopening the database.
func TestFaultDiskFullWhileSeeding(t *testing.T) {
	ctx := context.Background()
	db, _ := faultDB(t)
	p, err := population.New(population.Options{Tenant: tenantA, Patients: 600})
	require.NoError(t, err)
	var pages int64
	require.NoError(t, db.w.QueryRowContext(ctx, `PRAGMA page_count`).Scan(&pages))
	// Room for the schema and a little data: not for 600 patients.
	require.NoError(t, db.w.QueryRowContext(ctx, `PRAGMA max_page_count = `+strconv.FormatInt(pages+200, 10)).Scan(new(int64)))

	_, err = db.Seed(ctx, p)
	require.Error(t, err, "a seeding that does not fit the disk succeeded")
	assert.Contains(t, err.Error(), "full")
	ts, err := db.Tenants(ctx)
	require.NoError(t, err)
	assert.Empty(t, ts, "a tenant whose seeding failed is listed")
	page, err := db.STU3(tenantA).SearchPatients(ctx, stu3.PatientQuery{Search: fhir.Search{Count: 10}})
	require.NoError(t, err)
	assert.Zero(t, page.Total, "the partial data of a failed seeding is served")

	require.NoError(t, db.w.QueryRowContext(ctx, `PRAGMA max_page_count = 1073741823`).Scan(new(int64)))
	st, err := db.Seed(ctx, p)
	require.NoError(t, err)
	assert.Equal(t, 600, st.Patients)
	page, err = db.STU3(tenantA).SearchPatients(ctx, stu3.PatientQuery{Search: fhir.Search{Count: 10}})
	require.NoError(t, err)
	assert.Equal(t, 600, page.Total)
	ts, err = db.Tenants(ctx)
	require.NoError(t, err)
	assert.Equal(t, []Tenant{{GUID: tenantA, Patients: 600}}, ts)
}

// Another process holds the database's write lock (an open write
// transaction, as a backup tool or the sqlite3 shell would): the backends
// keep serving (WAL readers do not wait for writers; a lock that blocks
// readers would need exclusive locking mode, which SQLite refuses while the
// service has the file open), a seeding fails at the busy timeout instead
// of hanging, none of its data is served, and once the lock is released
// the same seeding completes without reopening the database.
func TestFaultDatabaseLocked(t *testing.T) {
	ctx := context.Background()
	db, path := faultDB(t)
	p, err := population.New(population.Options{Tenant: tenantA, Patients: 20})
	require.NoError(t, err)
	_, err = db.Seed(ctx, p)
	require.NoError(t, err)
	h, err := stu3.NewHandler(stu3.Config{Backend: db.STU3(tenantA), BasePath: "/stu3", Profile: stu3.PatientsApp(), Logger: quiet,
		Timeout: 2 * time.Second})
	require.NoError(t, err)
	id := p.Designated().ID
	targets := []string{"/stu3/Patient/" + id, "/stu3/Observation?patient=" + id + "&_sort:desc=date&category=vital-signs"}

	other, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath())
	require.NoError(t, err)
	defer other.Close()
	tx, err := other.BeginTx(ctx, nil)
	require.NoError(t, err)
	_, err = tx.ExecContext(ctx, `UPDATE tenant SET patients = patients WHERE guid = ?`, tenantA)
	require.NoError(t, err)

	for _, target := range targets {
		w := httptest.NewRecorder()
		t0 := time.Now()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, target, nil))
		assert.Equal(t, http.StatusOK, w.Code, "a writer's lock stopped a read: %s", w.Body)
		assert.Less(t, time.Since(t0), time.Second)
	}
	// The seeding waits for the lock at most its busy timeout (10 s by
	// default; shortened here).
	_, err = db.w.ExecContext(ctx, `PRAGMA busy_timeout = 300`)
	require.NoError(t, err)
	pb, err := population.New(population.Options{Tenant: tenantB, Patients: 20})
	require.NoError(t, err)
	t0 := time.Now()
	_, err = db.Seed(ctx, pb)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "locked")
	assert.Less(t, time.Since(t0), 5*time.Second)
	page, err := db.STU3(tenantB).SearchPatients(ctx, stu3.PatientQuery{Search: fhir.Search{Count: 10}})
	require.NoError(t, err)
	assert.Zero(t, page.Total)

	require.NoError(t, tx.Rollback())
	st, err := db.Seed(ctx, pb)
	require.NoError(t, err)
	assert.Equal(t, 20, st.Patients)
	page, err = db.STU3(tenantB).SearchPatients(ctx, stu3.PatientQuery{Search: fhir.Search{Count: 10}})
	require.NoError(t, err)
	assert.Equal(t, 20, page.Total)
}
