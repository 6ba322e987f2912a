package ehr

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patientsfhir/patientsfhir/dstu2"
	"github.com/patientsfhir/patientsfhir/examples/sampleehr/population"
	"github.com/patientsfhir/patientsfhir/fhir"
	"github.com/patientsfhir/patientsfhir/stu3"
)

// renderings maps "Type/id" to the STU3 JSON the population renders for a
// tenant.
func renderings(t *testing.T, p *population.Population) map[string]string {
	t.Helper()
	out := map[string]string{}
	require.NoError(t, p.Each(context.Background(), func(r *population.Record) error {
		for _, res := range r.STU3() {
			b, err := stu3.Marshal(res)
			require.NoError(t, err)
			out[res.ResourceType()+"/"+res.GetID()] = string(b)
		}
		return nil
	}))
	return out
}

// erase makes a page's resources stu3.Resource values.
func erase[T stu3.Resource](p fhir.Page[T], err error) ([]stu3.Resource, error) {
	out := make([]stu3.Resource, len(p.Resources))
	for i, r := range p.Resources {
		out[i] = r
	}
	return out, err
}

func jsonOf(t *testing.T, r stu3.Resource) string {
	t.Helper()
	b, err := stu3.Marshal(r)
	require.NoError(t, err)
	return string(b)
}

// Both tenants have the ids pat-1 ... pat-N, obs-1-1-bp, ...; a backend
// bound to one tenant returns that tenant's resource for every id and
// every search, never the other's, and a tenant that was never seeded has
// nothing.
func TestTenantIsolation(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		db, pops := seeded(t, dialect)
		ctx := context.Background()
		own := map[string]map[string]string{tenantA: renderings(t, pops[tenantA]), tenantB: renderings(t, pops[tenantB])}
		differ := 0
		for _, tenant := range []string{tenantA, tenantB} {
			b := db.STU3(tenant)
			mine := own[tenant]
			check := func(what string, r stu3.Resource) {
				t.Helper()
				key := r.ResourceType() + "/" + r.GetID()
				want, ok := mine[key]
				require.True(t, ok, "%s: %s is not of tenant %s", what, key, tenant)
				assert.JSONEq(t, want, jsonOf(t, r), "%s: %s", what, key)
			}
			for _, id := range []string{"pat-1", "pat-2", "pat-17", "pat-300"} {
				p, err := b.ReadPatient(ctx, id)
				require.NoError(t, err)
				check("read", p)
				other := own[map[string]string{tenantA: tenantB, tenantB: tenantA}[tenant]]["Patient/"+id]
				if other != jsonOf(t, p) {
					differ++
				}
				q := fhir.Search{Count: 500}
				var found []stu3.Resource
				collect := func(rs []stu3.Resource, err error) {
					t.Helper()
					require.NoError(t, err)
					found = append(found, rs...)
				}
				collect(erase(b.SearchObservations(ctx, stu3.ObservationQuery{Search: q, Patient: id})))
				collect(erase(b.SearchEncounters(ctx, stu3.EncounterQuery{Search: q, Patient: id})))
				collect(erase(b.SearchConditions(ctx, stu3.ConditionQuery{Search: q, Patient: id})))
				collect(erase(b.SearchAllergyIntolerances(ctx, stu3.AllergyIntoleranceQuery{Search: q, Patient: id})))
				collect(erase(b.SearchMedicationRequests(ctx, stu3.MedicationRequestQuery{Search: q, Patient: id})))
				collect(erase(b.SearchMedicationStatements(ctx, stu3.MedicationStatementQuery{Search: q, Patient: id})))
				collect(erase(b.SearchCoverages(ctx, stu3.CoverageQuery{Search: q, Patient: id})))
				require.Greater(t, len(found), 5)
				for _, r := range found {
					check("search", r)
				}
			}
			o, err := b.ReadObservation(ctx, "obs-1-1-bp")
			require.NoError(t, err)
			check("read", o)
		}
		assert.Equal(t, 8, differ, "the same ids hold different patients in the two tenants")

		// Searching one tenant for the other's designated patient finds at
		// most the tenant's own patients (the designated names may collide:
		// each tenant picks one of a few), never the other's.
		for tenant, other := range map[string]string{tenantA: tenantB, tenantB: tenantA} {
			d := pops[other].Designated()
			theirs := own[other]["Patient/"+d.ID]
			for _, q := range []stu3.PatientQuery{
				{Search: fhir.Search{Count: 10}, Family: fhir.StringParam{{{Value: d.Family, Modifier: fhir.ModContains}}}},
				{Search: fhir.Search{Count: 10}, Given: fhir.StringParam{{{Value: d.Given, Modifier: fhir.ModContains}}}},
				{Search: fhir.Search{Count: 10}, Identifier: fhir.TokenParam{{{System: d.MRNSystem, HasSystem: true, Code: d.MRN}}}},
				{Search: fhir.Search{Count: 10}, Identifier: fhir.TokenParam{{{Code: d.MRN}}}},
			} {
				page, err := db.STU3(tenant).SearchPatients(ctx, q)
				require.NoError(t, err)
				assert.Equal(t, len(page.Resources), page.Total)
				for _, p := range page.Resources {
					assert.JSONEq(t, own[tenant]["Patient/"+p.ID], jsonOf(t, p))
					assert.NotEqual(t, theirs, jsonOf(t, p), "tenant %s sees tenant %s's designated patient", tenant, other)
				}
			}
			page, err := db.DSTU2(tenant).SearchPatients(ctx, dstu2.PatientQuery{Search: fhir.Search{Count: 10},
				Identifier: fhir.TokenParam{{{Code: d.MRN}}}})
			require.NoError(t, err)
			assert.Zero(t, page.Total, "an MRN of tenant %s found in tenant %s", other, tenant)
		}

		// A tenant that was never seeded has nothing.
		none := db.STU3("00000000-0000-4000-8000-000000000000")
		_, err := none.ReadPatient(ctx, "pat-1")
		assert.ErrorIs(t, err, fhir.ErrNotFound)
		page, err := none.SearchObservations(ctx, stu3.ObservationQuery{Search: fhir.Search{Count: 10}, Patient: "pat-1"})
		require.NoError(t, err)
		assert.Equal(t, fhir.Page[*stu3.Observation]{TotalKnown: true}, page)
		_, err = db.DSTU2("").ReadPatient(ctx, "pat-1")
		assert.ErrorIs(t, err, fhir.ErrNotFound)
	})
}
