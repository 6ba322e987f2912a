package ehr

import (
	"context"
	"flag"
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
// survives closing and reopening the database.
func TestSeed(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		db, addr := freshDB(t, dialect)
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
		_, err := db.Seed(cctx, p)
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
		var resources int
		for _, table := range []string{"patient", "observation", "encounter", "condition", "allergy", "medication_request",
			"medication_statement", "coverage", "location", "practitioner"} {
			var n int
			require.NoError(t, db.r.QueryRow(`SELECT COUNT(*) FROM `+table).Scan(&n))
			resources += n
		}
		assert.Equal(t, want, resources, "the interrupted seeding's rows were cleared")

		_, err = db.Seed(ctx, p)
		assert.ErrorIs(t, err, ErrSeeded)
		require.NoError(t, db.Close())

		db, err = open(ctx, dialect, addr)
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

		// A database of another schema version is refused, not misread.
		setVersion := `PRAGMA user_version = 99`
		if dialect == postgres {
			setVersion = `UPDATE ehr_schema_version SET version = 99`
		}
		_, err = db.w.Exec(setVersion)
		require.NoError(t, err)
		_, err = open(ctx, dialect, addr)
		assert.ErrorIs(t, err, ErrSchema)
	})
}

// Open takes a plain file path only; OpenPostgres never quotes its DSN (it
// may hold a password) in an error.
func TestOpenRefusesBadAddresses(t *testing.T) {
	ctx := context.Background()
	for _, bad := range []string{"", ":memory:", "file:x.db"} {
		_, err := Open(ctx, bad)
		assert.ErrorIs(t, err, ErrPath, bad)
	}
	for _, dsn := range []string{"postgres://u:hunter2@127.0.0.1:notaport/db", "host=127.0.0.1 port=1 password=hunter2 connect_timeout=1"} {
		_, err := OpenPostgres(ctx, dsn)
		require.Error(t, err)
		assert.NotContains(t, err.Error(), "hunter2")
	}
}

var seedPatients = flag.Int("seed-patients", 1000, "the population BenchmarkSeed writes")

// BenchmarkSeed seeds a population (-seed-patients) into a fresh database
// of each dialect; its metrics are Seed's own rates.
func BenchmarkSeed(b *testing.B) {
	eachDialect(b, func(b *testing.B, dialect string) {
		p := newPop(b, tenantA, *seedPatients)
		var st SeedStats
		for range b.N {
			b.StopTimer()
			db, _ := freshDB(b, dialect)
			b.StartTimer()
			var err error
			st, err = db.Seed(context.Background(), p)
			require.NoError(b, err)
		}
		b.ReportMetric(st.PatientsPerSecond(), "patients/s")
		b.ReportMetric(st.ResourcesPerSecond(), "resources/s")
		b.ReportMetric(float64(st.Rows)/st.Duration.Seconds(), "rows/s")
	})
}
