package stu3test_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/patientsfhir/patientsfhir/fhir"
	"github.com/patientsfhir/patientsfhir/internal/kit"
	"github.com/patientsfhir/patientsfhir/stu3"
	"github.com/patientsfhir/patientsfhir/stu3/stu3mem"
	"github.com/patientsfhir/patientsfhir/stu3/stu3test"
)

// L is the prefix of the interface's request lines for this version.
const L = "S"

func fixtureBackend(t *testing.T) *stu3mem.Backend {
	t.Helper()
	b, err := stu3mem.NewWithFixtures()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// oldestFirst reverses the direction of every sort.
type oldestFirst struct{ *stu3mem.Backend }

func (b oldestFirst) SearchObservations(ctx context.Context, q stu3.ObservationQuery) (fhir.Page[*stu3.Observation], error) {
	for i := range q.Sort {
		q.Sort[i].Descending = !q.Sort[i].Descending
	}
	return b.Backend.SearchObservations(ctx, q)
}

func (b oldestFirst) SearchEncounters(ctx context.Context, q stu3.EncounterQuery) (fhir.Page[*stu3.Encounter], error) {
	for i := range q.Sort {
		q.Sort[i].Descending = !q.Sort[i].Descending
	}
	return b.Backend.SearchEncounters(ctx, q)
}

// ignoresCount returns every encounter whatever _count says.
type ignoresCount struct{ *stu3mem.Backend }

func (b ignoresCount) SearchEncounters(ctx context.Context, q stu3.EncounterQuery) (fhir.Page[*stu3.Encounter], error) {
	q.Count = 1000
	return b.Backend.SearchEncounters(ctx, q)
}

// noBirthDate drops a required element from every patient.
type noBirthDate struct{ *stu3mem.Backend }

func (b noBirthDate) ReadPatient(ctx context.Context, id string) (*stu3.Patient, error) {
	p, err := b.Backend.ReadPatient(ctx, id)
	if err != nil {
		return nil, err
	}
	c := *p
	c.BirthDate = ""
	return &c, nil
}

// ignoresPatient answers every allergy search with all allergies.
type ignoresPatient struct{ *stu3mem.Backend }

func (b ignoresPatient) SearchAllergyIntolerances(ctx context.Context, q stu3.AllergyIntoleranceQuery) (fhir.Page[*stu3.AllergyIntolerance], error) {
	var out fhir.Page[*stu3.AllergyIntolerance]
	for _, id := range []string{"alg-1-1", "alg-2-1"} {
		a, err := b.Backend.ReadAllergyIntolerance(ctx, id)
		if err != nil {
			return out, err
		}
		out.Resources = append(out.Resources, a)
	}
	out.Total, out.TotalKnown = 2, true
	return out, nil
}

// The kit fails, naming the request and the problem, on backends that
// break the contract.
func TestKitFailsBrokenServers(t *testing.T) {
	tests := []struct {
		name    string
		handler func(t *testing.T) http.Handler
		want    []string // substrings of some failure
		only    []string // request lines to run
	}{
		{"oldest first", func(t *testing.T) http.Handler { return newHandler(t, oldestFirst{fixtureBackend(t)}) },
			[]string{L + "3 Observation vitals, _sort=-date (GET): not newest first", L + "5 Encounter newest, _sort:desc=date&_count=1 (POST _search): Encounter/", "paging"}, []string{L + "3", L + "5", "paging"}},
		{"ignores _count", func(t *testing.T) http.Handler { return newHandler(t, ignoresCount{fixtureBackend(t)}) },
			[]string{L + "5 Encounter newest, _sort=-date&_count=1 (GET): status 500"}, []string{L + "5"}},
		{"omits total", func(t *testing.T) http.Handler { return kit.StripTotal(newHandler(t, fixtureBackend(t))) },
			[]string{L + "2 Patient id (GET): Bundle.total is missing", L + "8 Coverage by patient (custom parameter) (POST _search): Bundle.total is missing"}, []string{L + "2", L + "8"}},
		{"required element missing", func(t *testing.T) http.Handler { return newHandler(t, noBirthDate{fixtureBackend(t)}) },
			[]string{L + "1 read Patient: Patient/pat-1 lacks the required BirthDate"}, []string{L + "1"}},
		{"another patient's data", func(t *testing.T) http.Handler { return newHandler(t, ignoresPatient{fixtureBackend(t)}) },
			[]string{L + "6 AllergyIntolerance (GET): status 500", L + "9 batch of every clinical search for one patient: entry 5 (AllergyIntolerance?patient=pat-1): response.status"}, []string{L + "6", L + "9"}},
		{"metadata behind authentication", func(t *testing.T) http.Handler {
			h := newHandler(t, fixtureBackend(t))
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("Authorization") == "" {
					w.WriteHeader(http.StatusUnauthorized)
					return
				}
				h.ServeHTTP(w, r)
			})
		}, []string{L + "0 metadata without credentials: status 401"}, []string{L + "1"}},
		{"starts-with family (no Patients app profile)", func(t *testing.T) http.Handler {
			h, err := stu3.NewHandler(stu3.Config{Backend: fixtureBackend(t), BasePath: "/stu3"})
			if err != nil {
				t.Fatal(err)
			}
			return h
		}, []string{L + "2 Patient given substring (GET): Patient/pat-1 is not in the result"}, []string{L + "2"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := options()
			o.Authorize = nil // no OAuth check here: the statement of some variants has no security
			o.Schema = nil
			o.Only = tc.only
			errs, _ := stu3test.Check(tc.handler(t), data, o)
			if len(errs) == 0 {
				t.Fatal("the kit passed a broken server")
			}
			for _, w := range tc.want {
				if !slices.ContainsFunc(errs, func(e string) bool { return strings.Contains(e, w) }) {
					t.Errorf("no failure mentions %q; failures:\n%s", w, strings.Join(errs, "\n"))
				}
			}
		})
	}
}
