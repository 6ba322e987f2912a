package dstu2mem_test

import (
	"context"
	"errors"
	"testing"

	"github.com/patientsfhir/patientsfhir/dstu2"
	"github.com/patientsfhir/patientsfhir/dstu2/dstu2mem"
	"github.com/patientsfhir/patientsfhir/fhir"
)

func parse(t *testing.T, params []fhir.SearchParam, query string) dstu2.Search {
	t.Helper()
	p, err := fhir.NewParser(fhir.DSTU2, params, nil)
	if err != nil {
		t.Fatal(err)
	}
	pairs, _ := fhir.ParsePairs(query)
	q, err := p.Parse(pairs, true)
	if err != nil {
		t.Fatal(err)
	}
	return dstu2.Search{Count: q.Count, CountOnly: q.CountOnly(), Sort: q.Sort, Query: q}
}

func TestBackend(t *testing.T) {
	ctx := context.Background()
	b, err := dstu2mem.NewWithFixtures()
	if err != nil {
		t.Fatal(err)
	}
	p, err := b.ReadPatient(ctx, "pat-1")
	if err != nil || p.ID != "pat-1" {
		t.Fatalf("ReadPatient: %v %v", p, err)
	}
	if _, err := b.ReadPatient(ctx, "nope"); !errors.Is(err, fhir.ErrNotFound) {
		t.Errorf("unknown patient: %v", err)
	}
	obs, err := b.SearchObservations(ctx, dstu2.ObservationQuery{Patient: "pat-1",
		Search: parse(t, dstu2.ObservationParams, "patient=pat-1&category=vital-signs&_sort=-date&_count=5")})
	if err != nil {
		t.Fatal(err)
	}
	if obs.Total != 48 || len(obs.Resources) != 5 || obs.Next == "" || !obs.TotalKnown {
		t.Errorf("vitals: total %d, %d resources, next %q", obs.Total, len(obs.Resources), obs.Next)
	}
	if got := obs.Resources[0].EffectiveDateTime; got < "2025" {
		t.Errorf("newest vital sign is from %s", got)
	}
	// The typed string values (here :contains, as the Patients app profile
	// sets them) override the query's plain values.
	s := parse(t, dstu2.PatientParams, "family=hau")
	none, err := b.SearchPatients(ctx, dstu2.PatientQuery{Search: s})
	if err != nil || none.Total != 0 {
		t.Errorf("starts-with family=hau: %d, %v", none.Total, err)
	}
	pq := dstu2.PatientQuery{Search: s, Family: dstu2.StringParam{{{Value: "hau", Modifier: fhir.ModContains}}}}
	pats, err := b.SearchPatients(ctx, pq)
	if err != nil || pats.Total != 2 {
		t.Errorf("contains family=hau: %d, %v", pats.Total, err)
	}
	cov, err := b.SearchCoverages(ctx, dstu2.CoverageQuery{Patient: "pat-1", Search: parse(t, dstu2.CoverageParams, "patient=pat-1")})
	if err != nil || cov.Total != 2 {
		t.Errorf("coverage: %d, %v", cov.Total, err)
	}
	n, err := b.LoadExamples("Patient", "Organization")
	if err != nil || n == 0 {
		t.Fatalf("LoadExamples: %d, %v", n, err)
	}
	var generic bool
	for _, gt := range b.GenericTypes() {
		if gt.Type == "Organization" {
			generic = true
		}
		if gt.Type == "Patient" {
			t.Error("Patient declared generic")
		}
	}
	if !generic {
		t.Error("Organization not declared generic")
	}
	if _, err := b.ReadGeneric(ctx, "Organization", "org-hospital"); err != nil {
		t.Errorf("ReadGeneric: %v", err)
	}
	if err := b.Load([]byte(`{"resourceType":"Patient","id":"bad","gender":"f"}`)); err == nil {
		t.Error("an invalid resource was loaded")
	}
}
