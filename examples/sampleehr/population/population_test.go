package population_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patientsfhir/patientsfhir/dstu2"
	"github.com/patientsfhir/patientsfhir/examples/sampleehr/population"
	"github.com/patientsfhir/patientsfhir/internal/fhirschema"
	"github.com/patientsfhir/patientsfhir/stu3"
)

const (
	tenantA = "7f2c1d9e-0b4a-4c55-9a21-3e8d6f1b2a01"
	tenantB = "c41e8a77-5d36-4f0e-b2c9-98a0f4e61d22"
)

func newPop(t testing.TB, tenant string, n int) *population.Population {
	t.Helper()
	p, err := population.New(population.Options{Tenant: tenant, Patients: n})
	require.NoError(t, err)
	return p
}

// The same tenant gives the same population, record for record; another
// tenant gives another one.
func TestDeterministic(t *testing.T) {
	a1, a2, b := newPop(t, tenantA, 500), newPop(t, tenantA, 500), newPop(t, tenantB, 500)
	for _, i := range []int{0, 1, 17, 499} {
		assert.Equal(t, a1.Patient(i), a2.Patient(i), "patient %d", i)
	}
	assert.Equal(t, a1.Practitioners(), a2.Practitioners())
	assert.NotEqual(t, a1.Designated(), b.Designated())
	assert.Equal(t, a1.Designated().ID, b.Designated().ID, "the same ids in every tenant")
	// The size does not change who the first patients are.
	assert.Equal(t, a1.Patient(3).Patient.MRN, newPop(t, tenantA, 100_000).Patient(3).Patient.MRN)
}

func TestOptions(t *testing.T) {
	for _, o := range []population.Options{{Patients: 1}, {Tenant: "x"}, {Tenant: "x", Patients: -1}} {
		_, err := population.New(o)
		assert.ErrorIs(t, err, population.ErrOptions)
	}
}

// The designated patient has every kind of record the Patients app shows,
// enough of each for the conformance kits' checks.
func TestDesignatedHasEverything(t *testing.T) {
	for _, tenant := range []string{tenantA, tenantB} {
		p := newPop(t, tenant, 10)
		rec := p.Patient(0)
		require.True(t, rec.Patient.Designated)
		kinds := map[string]int{}
		years := map[int]bool{}
		for _, v := range rec.Vitals {
			kinds[v.Kind.Key]++
			years[v.Time.Year()] = true
		}
		for _, k := range population.VitalKinds {
			assert.GreaterOrEqual(t, kinds[k.Key], 2, "vital %s", k.Key)
		}
		assert.GreaterOrEqual(t, len(years), 5, "vitals over years")
		assert.GreaterOrEqual(t, len(rec.Encounters), 2)
		assert.NotEmpty(t, rec.Conditions)
		assert.NotEmpty(t, rec.Allergies)
		assert.GreaterOrEqual(t, len(rec.Orders), 2)
		assert.NotEmpty(t, rec.Statements)
		assert.NotEmpty(t, rec.Coverages)
		d := p.Designated()
		assert.Equal(t, population.Summary{ID: "pat-1", Family: rec.Patient.Family, Given: rec.Patient.Given[0],
			BirthDate: rec.Patient.BirthDateString(), Gender: rec.Patient.Gender, MRN: rec.Patient.MRN,
			MRNSystem: p.Hospital().MRNSystem}, d)
		assert.Len(t, d.BirthDate, len("2006-01-02"))
	}
}

// No other patient's name contains the designated patient's inner family
// or given name (what the conformance kits search for with contains
// semantics), so the designated patient is found on the first page at any
// population size.
func TestDesignatedNamesAreUnique(t *testing.T) {
	p := newPop(t, tenantA, 3000)
	d := p.Designated()
	inner := func(s string) string { return strings.ToLower(s[1:]) }
	for i := 1; i < p.Size(); i++ {
		pt := p.Patient(i).Patient
		names := append([]string{pt.Family}, pt.Given...)
		for _, n := range names {
			n = strings.ToLower(n)
			require.NotContains(t, n, inner(d.Family), "patient %d", i)
			require.NotContains(t, n, inner(d.Given), "patient %d", i)
		}
	}
}

// Ids and MRNs are unique within a tenant.
func TestUniqueIDs(t *testing.T) {
	p := newPop(t, tenantA, 2000)
	ids := map[string]bool{}
	mrns := map[string]bool{}
	for i := range p.Size() {
		rec := p.Patient(i)
		require.False(t, mrns[rec.Patient.MRN], "MRN %s", rec.Patient.MRN)
		mrns[rec.Patient.MRN] = true
		for _, r := range rec.STU3() {
			key := r.ResourceType() + "/" + r.GetID()
			require.False(t, ids[key], key)
			ids[key] = true
		}
	}
}

// Every resource of a sample of patients, in both versions, passes its
// model's Validate and the official JSON schema; every date lies before
// AsOf.
func TestResourcesAreValid(t *testing.T) {
	p := newPop(t, tenantB, 400)
	asOf := p.AsOf()
	n := 0
	check := func(version string, r interface {
		Validate() error
		MarshalJSON() ([]byte, error)
		ResourceType() string
		GetID() string
	}, schema bool) {
		t.Helper()
		n++
		require.NoError(t, r.Validate(), "%s %s/%s", version, r.ResourceType(), r.GetID())
		if !schema {
			return
		}
		b, err := r.MarshalJSON()
		require.NoError(t, err)
		require.NoError(t, fhirschema.ValidateStrict(version, b), "%s %s/%s", version, r.ResourceType(), r.GetID())
	}
	for i := range p.Size() {
		rec := p.Patient(i)
		schema := i < 40 // the schema is slow; the models' checks run on all
		for _, r := range rec.STU3() {
			check(fhirschema.STU3, r, schema)
		}
		for _, r := range rec.DSTU2() {
			check(fhirschema.DSTU2, r, schema)
		}
		for _, v := range rec.Vitals {
			require.True(t, v.Time.Before(asOf), v.ID)
		}
		for _, e := range rec.Encounters {
			require.True(t, e.End.Before(asOf) && e.Start.Before(e.End), e.ID)
		}
	}
	for _, pr := range p.Practitioners() {
		check(fhirschema.STU3, pr.STU3(), true)
		check(fhirschema.DSTU2, pr.DSTU2(p.Hospital()), true)
	}
	for _, l := range p.Locations() {
		check(fhirschema.STU3, l.STU3(p.Hospital()), true)
		check(fhirschema.DSTU2, l.DSTU2(p.Hospital()), true)
	}
	assert.Greater(t, n, 10000)
}

// The renderings keep what the Patients app reads, in each version's
// elements.
func TestRenderingsOfTheDesignatedPatient(t *testing.T) {
	p := newPop(t, tenantA, 1)
	rec := p.Patient(0)
	s3, d2 := rec.STU3Patient(), rec.DSTU2Patient()
	assert.Equal(t, rec.Patient.Family, s3.Name[0].Family)
	assert.Equal(t, []string{rec.Patient.Family}, d2.Name[0].Family)
	assert.Equal(t, "MR", s3.Identifier[0].Type.Coding[0].Code)
	assert.Equal(t, rec.Patient.GP.Display(), s3.GeneralPractitioner[0].Display)
	assert.Equal(t, rec.Patient.GP.Display(), d2.CareProvider[0].Display)

	var bp *population.Vital
	for _, v := range rec.Vitals {
		if v.Kind.Key == "bp" {
			bp = v
			break
		}
	}
	require.NotNil(t, bp)
	o := rec.STU3Observation(bp)
	require.Len(t, o.Component, 2)
	assert.Equal(t, "8480-6", o.Component[0].Code.Coding[0].Code)
	assert.Equal(t, "mm[Hg]", o.Component[1].ValueQuantity.Code)
	assert.Equal(t, "vital-signs", o.Category[0].Coding[0].Code)
	assert.Equal(t, "vital-signs", rec.DSTU2Observation(bp).Category.Coding[0].Code)

	e := rec.STU3Encounter(rec.Encounters[0])
	assert.NotEmpty(t, e.Location[0].Location.Display)
	assert.NotEmpty(t, e.Type[0].Coding[0].Display)
	coded := 0
	for _, o := range rec.Orders {
		mr := rec.STU3MedicationRequest(o)
		assert.NotEmpty(t, mr.Requester.Agent.Display)
		assert.NotEmpty(t, mr.MedicationCodeableConcept.Text, "Medication.Text")
		assert.NotEmpty(t, rec.DSTU2MedicationOrder(o).Prescriber.Display)
		if o.Medication.Code.Code == "" {
			assert.Empty(t, mr.MedicationCodeableConcept.Coding)
			continue
		}
		coded++
		assert.Equal(t, population.RxNorm, mr.MedicationCodeableConcept.Coding[0].System)
		assert.Equal(t, o.Medication.Code.Code, mr.MedicationCodeableConcept.Coding[0].Code)
	}
	assert.Positive(t, coded)
	cov := rec.STU3Coverage(rec.Coverages[0])
	assert.NotEmpty(t, cov.Grouping.GroupDisplay)
	assert.NotEmpty(t, cov.Grouping.PlanDisplay)
	assert.Equal(t, "Patient/pat-1", rec.DSTU2Coverage(rec.Coverages[0]).Subscriber.Reference)
}

// Each streams the population in order and stops on an error or a done
// context.
func TestEach(t *testing.T) {
	p := newPop(t, tenantA, 600)
	var ids []string
	require.NoError(t, p.Each(context.Background(), func(r *population.Record) error {
		ids = append(ids, r.Patient.ID)
		return nil
	}))
	assert.Len(t, ids, 600)
	assert.Equal(t, "pat-600", ids[599])
	assert.True(t, slices.Contains(ids, "pat-1"))

	stop := errors.New("stop")
	n := 0
	err := p.Each(context.Background(), func(*population.Record) error {
		if n++; n == 3 {
			return stop
		}
		return nil
	})
	assert.ErrorIs(t, err, stop)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.ErrorIs(t, p.Each(ctx, func(*population.Record) error { return nil }), context.Canceled)
}

// A population of 100,000 holds on average between 15 and 40 resources a
// patient; generating and rendering one patient in both versions takes
// well under a millisecond (measured by the benchmark below).
func TestVolume(t *testing.T) {
	p := newPop(t, tenantB, 100_000)
	total := 0
	const sample = 400
	for i := 0; i < sample; i++ {
		rec := p.Patient(i * 250)
		total += len(rec.STU3())
	}
	avg := float64(total) / sample
	assert.Greater(t, avg, 15.0)
	assert.Less(t, avg, 40.0)
	t.Logf("%.1f STU3 resources per patient", avg)
}

func BenchmarkPatient(b *testing.B) {
	p := newPop(b, tenantA, 100_000)
	b.ReportAllocs()
	n := 0
	for i := 0; b.Loop(); i++ {
		rec := p.Patient(i % 100_000)
		for _, r := range rec.STU3() {
			_, _ = stu3.Marshal(r)
			n++
		}
		for _, r := range rec.DSTU2() {
			_, _ = dstu2.Marshal(r)
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "resources/s")
	_ = time.Now
}
