package stu3_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/patientsfhir/patientsfhir/fhir"
	"github.com/patientsfhir/patientsfhir/internal/fixtures"
	"github.com/patientsfhir/patientsfhir/stu3"
)

// fakeEHR is a small backend over the fixture population, with switches
// that make it misbehave the ways the server must survive.
type fakeEHR struct {
	patients   []*stu3.Patient
	obs        []*stu3.Observation
	conditions []*stu3.Condition
	encounters []*stu3.Encounter
	allergies  []*stu3.AllergyIntolerance
	orders     []*stu3.MedicationRequest
	coverages  []*stu3.Coverage

	// mode: "", "panic", "error", "block", "late", "other-patient", "invalid", "no-id", "wrong-id", "too-many".
	// Atomic: a blocked call outlives its request.
	mode atomic.Value
	// block is closed at the end of the test; "block" waits on it and
	// ignores the context.
	block chan struct{}
}

func load[T any, P interface {
	*T
	stu3.Resource
}](t testing.TB, typ string) []P {
	t.Helper()
	rs, err := fixtures.OfType(fixtures.STU3, typ)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]P, 0, len(rs))
	for _, r := range rs {
		var x P = new(T)
		if err := stu3.Unmarshal(r.JSON, x); err != nil {
			t.Fatalf("%s/%s: %v", typ, r.ID, err)
		}
		out = append(out, x)
	}
	return out
}

func newFake(t testing.TB) *fakeEHR {
	f := &fakeEHR{
		patients:   load[stu3.Patient](t, "Patient"),
		obs:        load[stu3.Observation](t, "Observation"),
		conditions: load[stu3.Condition](t, "Condition"),
		encounters: load[stu3.Encounter](t, "Encounter"),
		allergies:  load[stu3.AllergyIntolerance](t, "AllergyIntolerance"),
		orders:     load[stu3.MedicationRequest](t, "MedicationRequest"),
		coverages:  load[stu3.Coverage](t, "Coverage"),
		block:      make(chan struct{}),
	}
	t.Cleanup(func() { close(f.block) })
	return f
}

var errSecret = errors.New("db: connection to 10.0.0.7 refused for user admin password=hunter2")

func (f *fakeEHR) trouble() error {
	switch f.misbehave() {
	case "panic":
		panic("backend bug")
	case "error":
		return errSecret
	case "block":
		<-f.block
		return errors.New("unblocked")
	case "late":
		time.Sleep(150 * time.Millisecond) // ignores the context, then answers
	}
	return nil
}

func refID(r *stu3.Reference) string {
	if r == nil {
		return ""
	}
	return strings.TrimPrefix(r.Reference, "Patient/")
}

// search filters, sorts (by date, newest first when asked) and pages.
func search[P stu3.Resource](f *fakeEHR, all []P, s fhir.Search, keep func(P) bool, date func(P) string) (fhir.Page[P], error) {
	if err := f.trouble(); err != nil {
		return fhir.Page[P]{}, err
	}
	var out []P
	for _, r := range all {
		if s.IDs.Match(r.GetID()) && keep(r) {
			out = append(out, r)
		}
	}
	if ok, desc := s.SortedBy("date"); ok && date != nil {
		slices.SortStableFunc(out, func(a, b P) int {
			c := strings.Compare(date(a), date(b))
			if desc {
				return -c
			}
			return c
		})
	}
	total := len(out)
	if len(out) > s.Count {
		out = out[:s.Count]
	}
	if f.misbehave() == "too-many" {
		out = all
	}
	return fhir.Page[P]{Resources: out, Total: total, TotalKnown: true}, nil
}

func (f *fakeEHR) ReadPatient(ctx context.Context, id string) (*stu3.Patient, error) {
	if err := f.trouble(); err != nil {
		return nil, err
	}
	for _, p := range f.patients {
		if p.ID == id {
			c := *p
			switch f.misbehave() {
			case "no-id":
				c.ID = ""
			case "wrong-id":
				c.ID = "pat-2"
			case "invalid":
				c.Gender = "robot"
			}
			return &c, nil
		}
	}
	return nil, fhir.ErrNotFound
}

func (f *fakeEHR) SearchPatients(ctx context.Context, q stu3.PatientQuery) (fhir.Page[*stu3.Patient], error) {
	return search(f, f.patients, q.Search, func(p *stu3.Patient) bool {
		var family, given, all []string
		for _, n := range p.Name {
			family = append(family, n.Family)
			given = append(given, n.Given...)
			all = append(all, n.Text)
		}
		all = append(append(all, family...), given...)
		var ids []fhir.TokenCode
		for _, id := range p.Identifier {
			ids = append(ids, fhir.TokenCode{System: id.System, Code: id.Value})
		}
		return q.Family.Match(family...) && q.Given.Match(given...) &&
			q.Birthdate.MatchString(p.BirthDate) && q.Gender.Match(fhir.TokenCode{Code: string(p.Gender)}) &&
			q.Identifier.Match(ids...)
	}, nil)
}

func categories(cs []stu3.CodeableConcept) []fhir.TokenCode {
	var out []fhir.TokenCode
	for i := range cs {
		out = append(out, codes(&cs[i])...)
	}
	return out
}

func codes(cc *stu3.CodeableConcept) []fhir.TokenCode {
	if cc == nil {
		return nil
	}
	var out []fhir.TokenCode
	for _, c := range cc.Coding {
		out = append(out, fhir.TokenCode{System: c.System, Code: c.Code, Text: c.Display})
	}
	return out
}

func (f *fakeEHR) SearchObservations(ctx context.Context, q stu3.ObservationQuery) (fhir.Page[*stu3.Observation], error) {
	p, err := search(f, f.obs, q.Search, func(o *stu3.Observation) bool {
		return refID(o.Subject) == q.Patient && q.Category.Match(categories(o.Category)...) && q.Code.Match(codes(o.Code)...) &&
			q.Status.Match(fhir.TokenCode{Code: string(o.Status)})
	}, func(o *stu3.Observation) string { return o.EffectiveDateTime })
	if err == nil && len(p.Resources) > 0 {
		switch f.misbehave() {
		case "other-patient":
			for _, o := range f.obs {
				if refID(o.Subject) != q.Patient {
					p.Resources[0] = o
					break
				}
			}
		case "invalid":
			c := *p.Resources[0]
			c.Code = nil
			p.Resources[0] = &c
		}
	}
	return p, err
}

func (f *fakeEHR) SearchConditions(ctx context.Context, q stu3.ConditionQuery) (fhir.Page[*stu3.Condition], error) {
	return search(f, f.conditions, q.Search, func(c *stu3.Condition) bool { return refID(c.Subject) == q.Patient }, nil)
}

func (f *fakeEHR) SearchEncounters(ctx context.Context, q stu3.EncounterQuery) (fhir.Page[*stu3.Encounter], error) {
	return search(f, f.encounters, q.Search, func(e *stu3.Encounter) bool { return refID(e.Subject) == q.Patient },
		func(e *stu3.Encounter) string {
			if e.Period == nil {
				return ""
			}
			return e.Period.Start
		})
}

func (f *fakeEHR) SearchAllergyIntolerances(ctx context.Context, q stu3.AllergyIntoleranceQuery) (fhir.Page[*stu3.AllergyIntolerance], error) {
	return search(f, f.allergies, q.Search, func(a *stu3.AllergyIntolerance) bool { return refID(a.Patient) == q.Patient }, nil)
}

func (f *fakeEHR) SearchMedicationRequests(ctx context.Context, q stu3.MedicationRequestQuery) (fhir.Page[*stu3.MedicationRequest], error) {
	return search(f, f.orders, q.Search, func(m *stu3.MedicationRequest) bool { return refID(m.Subject) == q.Patient }, nil)
}

func (f *fakeEHR) SearchCoverages(ctx context.Context, q stu3.CoverageQuery) (fhir.Page[*stu3.Coverage], error) {
	return search(f, f.coverages, q.Search, func(c *stu3.Coverage) bool { return refID(c.Beneficiary) == q.Patient }, nil)
}

func (f *fakeEHR) misbehave() string {
	s, _ := f.mode.Load().(string)
	return s
}

func (f *fakeEHR) set(mode string) { f.mode.Store(mode) }
