package ehr

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patientsfhir/patientsfhir/dstu2"
	"github.com/patientsfhir/patientsfhir/fhir"
	"github.com/patientsfhir/patientsfhir/stu3"
)

func contains(v string) fhir.StringParam {
	return fhir.StringParam{{{Value: v, Modifier: fhir.ModContains}}}
}

func ids[T interface{ GetID() string }](rs []T) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.GetID()
	}
	return out
}

// Patient searches: family and given contains (any case, inner
// substrings), identifier with and without a system, birth date, gender,
// _count with a total of every match.
func TestPatientSearch(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		db, pops := seeded(t, dialect)
		ctx := context.Background()
		p := pops[tenantA]
		d := p.Designated()
		b := db.STU3(tenantA)
		find := func(q stu3.PatientQuery) fhir.Page[*stu3.Patient] {
			t.Helper()
			if q.Count == 0 && !q.CountOnly {
				q.Count = 20
			}
			page, err := b.SearchPatients(ctx, q)
			require.NoError(t, err)
			require.True(t, page.TotalKnown)
			return page
		}
		for _, q := range []stu3.PatientQuery{
			{Family: contains(strings.ToUpper(d.Family[2:6]))},
			{Family: contains(d.Family), Given: contains(strings.ToLower(d.Given[1:]))},
			{Identifier: fhir.TokenParam{{{Code: d.MRN}}}},
			{Identifier: fhir.TokenParam{{{System: d.MRNSystem, HasSystem: true, Code: d.MRN}}}},
			{Family: contains(d.Family), Birthdate: fhir.DateParam{{dateValue(t, d.BirthDate)}}, Gender: fhir.TokenParam{{{Code: d.Gender}}}},
			{Search: fhir.Search{IDs: fhir.IDParam{{d.ID}}}},
		} {
			page := find(q)
			assert.Equal(t, []string{d.ID}, ids(page.Resources), "%+v", q)
			assert.Equal(t, 1, page.Total)
		}
		assert.Zero(t, find(stu3.PatientQuery{Identifier: fhir.TokenParam{{{System: "http://other.example.org", HasSystem: true, Code: d.MRN}}}}).Total)
		assert.Zero(t, find(stu3.PatientQuery{Family: contains(d.Family), Gender: fhir.TokenParam{{{Code: "unknown"}}}}).Total)

		// A common family name: the total counts every match, pages hold _count.
		fam := p.Patient(5).Patient.Family
		want := 0
		for i := range p.Size() {
			if strings.Contains(strings.ToLower(p.Patient(i).Patient.Family), strings.ToLower(fam)) {
				want++
			}
		}
		page := find(stu3.PatientQuery{Search: fhir.Search{Count: 1}, Family: contains(fam)})
		assert.Equal(t, want, page.Total)
		assert.Len(t, page.Resources, 1)
		assert.Equal(t, want > 1, page.Next != "")
		assert.Equal(t, want, find(stu3.PatientQuery{Search: fhir.Search{CountOnly: true}, Family: contains(fam)}).Total)

		// DSTU2's name matches any part, its family is a list.
		d2, err := db.DSTU2(tenantA).SearchPatients(ctx, dstu2.PatientQuery{Search: fhir.Search{Count: 5}, Name: contains(d.Given)})
		require.NoError(t, err)
		require.Equal(t, []string{d.ID}, ids(d2.Resources))
		assert.Equal(t, []string{d.Family}, d2.Resources[0].Name[0].Family)
	})
}

func dateValue(t *testing.T, s string) fhir.DateValue {
	t.Helper()
	lo, hi, ok := fhir.DateRange(s)
	require.True(t, ok)
	return fhir.DateValue{Prefix: fhir.PrefixEq, Start: lo, End: hi, Precision: fhir.PrecisionDay}
}

// effective returns an observation's time.
func effective(t *testing.T, o *stu3.Observation) time.Time {
	t.Helper()
	at, err := time.Parse(time.RFC3339, o.EffectiveDateTime)
	require.NoError(t, err)
	return at
}

// Vitals: newest first without a sort and with -date, oldest first with
// date; keyset pages through the cursors give the whole list once, in
// order, each page with the total; a date prefix filters.
func TestObservationSearch(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		db, pops := seeded(t, dialect)
		ctx := context.Background()
		p := pops[tenantB]
		d := p.Designated()
		rec := p.Patient(0)
		b := db.STU3(tenantB)
		vitals := fhir.TokenParam{{{Code: "vital-signs"}}}
		all := func(sort []fhir.SortKey, count int, date fhir.DateParam) ([]*stu3.Observation, int) {
			t.Helper()
			var out []*stu3.Observation
			cursor, total := "", -1
			for {
				page, err := b.SearchObservations(ctx, stu3.ObservationQuery{Search: fhir.Search{Count: count, Sort: sort, Cursor: cursor},
					Patient: d.ID, Category: vitals, Date: date})
				require.NoError(t, err)
				if total >= 0 {
					require.Equal(t, total, page.Total)
				}
				total = page.Total
				out = append(out, page.Resources...)
				if cursor = page.Next; cursor == "" {
					return out, total
				}
				require.Len(t, page.Resources, count)
			}
		}
		newest, total := all(nil, 500, nil)
		require.Len(t, newest, len(rec.Vitals))
		assert.Equal(t, len(rec.Vitals), total)
		assert.True(t, slices.IsSortedFunc(newest, func(a, b *stu3.Observation) int { return effective(t, b).Compare(effective(t, a)) }))
		desc, _ := all([]fhir.SortKey{{Name: "date", Descending: true}}, 7, nil)
		assert.Equal(t, ids(newest), ids(desc), "paged by 7 through cursors")
		asc, _ := all([]fhir.SortKey{{Name: "date"}}, 5, nil)
		assert.True(t, slices.IsSortedFunc(asc, func(a, b *stu3.Observation) int { return effective(t, a).Compare(effective(t, b)) }))
		assert.ElementsMatch(t, ids(newest), ids(asc))

		since := time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC)
		recent, _ := all(nil, 10, fhir.DateParam{{{Prefix: fhir.PrefixGe, Start: since, End: since.AddDate(1, 0, 0)}}})
		require.NotEmpty(t, recent)
		for _, o := range recent {
			assert.False(t, effective(t, o).Before(since), o.ID)
		}
		assert.Less(t, len(recent), len(newest))

		// The newest encounter, as the app asks for the last known location.
		enc, err := b.SearchEncounters(ctx, stu3.EncounterQuery{Search: fhir.Search{Count: 1, Sort: []fhir.SortKey{{Name: "date", Descending: true}}}, Patient: d.ID})
		require.NoError(t, err)
		require.Len(t, enc.Resources, 1)
		assert.Equal(t, rec.Encounters[len(rec.Encounters)-1].ID, enc.Resources[0].ID)
		assert.Equal(t, len(rec.Encounters), enc.Total)

		// A bad cursor is the client's error; an unknown sort is not supported.
		_, err = b.SearchObservations(ctx, stu3.ObservationQuery{Search: fhir.Search{Count: 5, Cursor: "nope"}, Patient: d.ID})
		assert.Equal(t, 400, fhir.StatusOf(err))
		_, err = b.SearchObservations(ctx, stu3.ObservationQuery{Search: fhir.Search{Count: 5, Sort: []fhir.SortKey{{Name: "code"}}}, Patient: d.ID})
		assert.Equal(t, 501, fhir.StatusOf(err))
	})
}

// The other clinical searches return the patient's records, newest first,
// within _count; reads of unknown ids are not found.
func TestClinicalSearches(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		db, pops := seeded(t, dialect)
		ctx := context.Background()
		p := pops[tenantA]
		rec := p.Patient(0)
		id := rec.Patient.ID
		s3, d2 := db.STU3(tenantA), db.DSTU2(tenantA)
		q := fhir.Search{Count: 2}

		cond, err := s3.SearchConditions(ctx, stu3.ConditionQuery{Search: q, Patient: id})
		require.NoError(t, err)
		assert.Equal(t, len(rec.Conditions), cond.Total)
		assert.Len(t, cond.Resources, 2)
		assert.GreaterOrEqual(t, cond.Resources[0].AssertedDate, cond.Resources[1].AssertedDate)
		active, err := s3.SearchConditions(ctx, stu3.ConditionQuery{Search: fhir.Search{Count: 50}, Patient: id,
			ClinicalStatus: fhir.TokenParam{{{Code: "resolved"}}}})
		require.NoError(t, err)
		for _, c := range active.Resources {
			assert.Equal(t, stu3.ConditionClinical("resolved"), c.ClinicalStatus)
		}
		assert.Positive(t, active.Total)

		mo, err := d2.SearchMedicationOrders(ctx, dstu2.MedicationOrderQuery{Search: q, Patient: id})
		require.NoError(t, err)
		assert.Equal(t, len(rec.Orders), mo.Total)
		assert.GreaterOrEqual(t, mo.Resources[0].DateWritten[:10], mo.Resources[1].DateWritten[:10])
		mr, err := s3.SearchMedicationRequests(ctx, stu3.MedicationRequestQuery{Search: q, Patient: id})
		require.NoError(t, err)
		assert.Equal(t, ids(mo.Resources), ids(mr.Resources), "the same prescriptions in both versions")

		ms, err := s3.SearchMedicationStatements(ctx, stu3.MedicationStatementQuery{Search: fhir.Search{Count: 50}, Patient: id})
		require.NoError(t, err)
		assert.Equal(t, len(rec.Statements), ms.Total)
		al, err := d2.SearchAllergyIntolerances(ctx, dstu2.AllergyIntoleranceQuery{Search: fhir.Search{Count: 50}, Patient: id})
		require.NoError(t, err)
		assert.Equal(t, len(rec.Allergies), al.Total)
		cov, err := d2.SearchCoverages(ctx, dstu2.CoverageQuery{Search: fhir.Search{Count: 50}, Patient: id})
		require.NoError(t, err)
		require.Equal(t, len(rec.Coverages), cov.Total)
		assert.Empty(t, cov.Resources[0].Period.End, "the current coverage first")

		loc, err := s3.ReadLocation(ctx, rec.Encounters[0].Location.ID)
		require.NoError(t, err)
		assert.Equal(t, rec.Encounters[0].Location.Name, loc.Name)
		pr, err := d2.ReadPractitioner(ctx, rec.Patient.GP.ID)
		require.NoError(t, err)
		assert.Equal(t, []string{rec.Patient.GP.Family}, pr.Name.Family)
		_, err = s3.ReadCondition(ctx, "cond-0-0")
		assert.ErrorIs(t, err, fhir.ErrNotFound)

		// A cancelled request stops with its context's error.
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err = s3.SearchConditions(cctx, stu3.ConditionQuery{Search: q, Patient: id})
		assert.ErrorIs(t, err, context.Canceled)
	})
}
