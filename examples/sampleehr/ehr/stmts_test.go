package ehr

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patientsfhir/patientsfhir/examples/sampleehr/population"
	"github.com/patientsfhir/patientsfhir/fhir"
	"github.com/patientsfhir/patientsfhir/stu3"
)

// The backends' searches and reads run through the statement cache: a
// search shape is prepared once, the same search again prepares nothing
// new and finds the same pages, and a seeding after the statements were
// prepared is seen by them.
func TestSearchesUseTheStatementCache(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		db, _ := freshDB(t, dialect)
		require.Zero(t, db.stmts.Len())
		b := db.STU3(tenantA)
		vitals := func() []fhir.Page[*stu3.Observation] {
			t.Helper()
			var out []fhir.Page[*stu3.Observation]
			q := stu3.ObservationQuery{Search: fhir.Search{Count: 5}, Patient: "pat-1",
				Category: fhir.TokenParam{{{Code: "vital-signs"}}}}
			for range 100 {
				page, err := b.SearchObservations(ctx, q)
				require.NoError(t, err)
				out = append(out, page)
				if q.Cursor = page.Next; q.Cursor == "" {
					break
				}
			}
			return out
		}
		before := vitals()
		require.Len(t, before, 1)
		assert.Zero(t, before[0].Total, "vital signs before the seeding")

		p, err := population.New(population.Options{Tenant: tenantA, Patients: 20})
		require.NoError(t, err)
		_, err = db.Seed(ctx, p)
		require.NoError(t, err)
		first := vitals()
		require.Greater(t, len(first), 2, "too few pages: the test proves little")
		assert.Equal(t, len(p.Patient(0).Vitals), first[0].Total)
		n := db.stmts.Len()
		// The first page, the next pages (a seek) and their COUNT.
		assert.Equal(t, 3, n)
		_, err = b.ReadPatient(ctx, "pat-1")
		require.NoError(t, err)
		assert.Equal(t, n+1, db.stmts.Len())

		assert.Equal(t, first, vitals())
		assert.Equal(t, n+1, db.stmts.Len(), "the same search prepared new statements")
	})
}
