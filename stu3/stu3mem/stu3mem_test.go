package stu3mem_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/patientsfhir/patientsfhir/fhir"
	"github.com/patientsfhir/patientsfhir/stu3"
	"github.com/patientsfhir/patientsfhir/stu3/stu3mem"
)

func parse(t *testing.T, params []fhir.SearchParam, query string) fhir.Search {
	t.Helper()
	p, err := fhir.NewParser(fhir.STU3, params, nil)
	if err != nil {
		t.Fatal(err)
	}
	pairs, _ := fhir.ParsePairs(query)
	q, err := p.Parse(pairs, true)
	if err != nil {
		t.Fatal(err)
	}
	return fhir.Search{Count: q.Count, CountOnly: q.CountOnly(), Sort: q.Sort, Query: q}
}

func TestBackend(t *testing.T) {
	ctx := context.Background()
	b, err := stu3mem.NewWithFixtures()
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
	obs, err := b.SearchObservations(ctx, stu3.ObservationQuery{Patient: "pat-1",
		Search: parse(t, stu3.ObservationParams, "patient=pat-1&category=vital-signs&_sort=-date&_count=5")})
	if err != nil {
		t.Fatal(err)
	}
	if obs.Total != 48 || len(obs.Resources) != 5 || obs.Next == "" || !obs.TotalKnown {
		t.Errorf("vitals: total %d, %d resources, next %q", obs.Total, len(obs.Resources), obs.Next)
	}
	if got := obs.Resources[0].EffectiveDateTime; got < "2025" {
		t.Errorf("newest vital sign is from %s", got)
	}
	// Through the handler: the Patients-app profile reads plain family as
	// contains, FHIR's default is starts-with.
	for _, tc := range []struct {
		profile *stu3.Profile
		want    string
	}{{stu3.PatientsApp(), `"total":2`}, {nil, `"total":0`}} {
		h, err := stu3.NewHandler(stu3.Config{Backend: b, Profile: tc.profile})
		if err != nil {
			t.Fatal(err)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/Patient?family=hau", nil))
		if w.Code != 200 || !strings.Contains(w.Body.String(), tc.want) {
			t.Errorf("profile %v: %d %.120s", tc.profile != nil, w.Code, w.Body.String())
		}
	}
	cov, err := b.SearchCoverages(ctx, stu3.CoverageQuery{Patient: "pat-1", Search: parse(t, stu3.CoverageParams, "patient=pat-1")})
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
