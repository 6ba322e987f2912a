package dstu2_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/patientsfhir/patientsfhir/dstu2"
	"github.com/patientsfhir/patientsfhir/fhir"
	"github.com/patientsfhir/patientsfhir/internal/fixtures"
)

// fakeEHR is a small backend over the fixture population, with switches
// that make it misbehave the ways the server must survive.
type fakeEHR struct {
	patients   []*dstu2.Patient
	obs        []*dstu2.Observation
	conditions []*dstu2.Condition
	encounters []*dstu2.Encounter
	allergies  []*dstu2.AllergyIntolerance
	orders     []*dstu2.MedicationOrder
	coverages  []*dstu2.Coverage

	// mode: "", "panic", "error", "block", "late", "other-patient", "invalid", "no-id", "wrong-id", "too-many".
	// Atomic: a blocked call outlives its request.
	mode atomic.Value
	// block is closed at the end of the test; "block" waits on it and
	// ignores the context.
	block chan struct{}
}

func load[T any, P interface {
	*T
	dstu2.Resource
}](t testing.TB, typ string) []P {
	t.Helper()
	rs, err := fixtures.OfType(fixtures.DSTU2, typ)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]P, 0, len(rs))
	for _, r := range rs {
		var x P = new(T)
		if err := dstu2.Unmarshal(r.JSON, x); err != nil {
			t.Fatalf("%s/%s: %v", typ, r.ID, err)
		}
		out = append(out, x)
	}
	return out
}

func newFake(t testing.TB) *fakeEHR {
	f := &fakeEHR{
		patients:   load[dstu2.Patient](t, "Patient"),
		obs:        load[dstu2.Observation](t, "Observation"),
		conditions: load[dstu2.Condition](t, "Condition"),
		encounters: load[dstu2.Encounter](t, "Encounter"),
		allergies:  load[dstu2.AllergyIntolerance](t, "AllergyIntolerance"),
		orders:     load[dstu2.MedicationOrder](t, "MedicationOrder"),
		coverages:  load[dstu2.Coverage](t, "Coverage"),
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

func refID(r *dstu2.Reference) string {
	if r == nil {
		return ""
	}
	return strings.TrimPrefix(r.Reference, "Patient/")
}

// search filters, sorts (by date, newest first when asked) and pages.
func search[P dstu2.Resource](f *fakeEHR, all []P, s dstu2.Search, keep func(P) bool, date func(P) string) (dstu2.Page[P], error) {
	if err := f.trouble(); err != nil {
		return dstu2.Page[P]{}, err
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
	return dstu2.Page[P]{Resources: out, Total: total, TotalKnown: true}, nil
}

func (f *fakeEHR) ReadPatient(ctx context.Context, id string) (*dstu2.Patient, error) {
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

func (f *fakeEHR) SearchPatients(ctx context.Context, q dstu2.PatientQuery) (dstu2.Page[*dstu2.Patient], error) {
	return search(f, f.patients, q.Search, func(p *dstu2.Patient) bool {
		var family, given, all []string
		for _, n := range p.Name {
			family = append(family, n.Family...)
			given = append(given, n.Given...)
			all = append(all, n.Text)
		}
		all = append(append(all, family...), given...)
		var ids []dstu2.TokenCode
		for _, id := range p.Identifier {
			ids = append(ids, dstu2.TokenCode{System: id.System, Code: id.Value})
		}
		return q.Family.Match(family...) && q.Given.Match(given...) && q.Name.Match(all...) &&
			q.Birthdate.MatchString(p.BirthDate) && q.Gender.Match(dstu2.TokenCode{Code: string(p.Gender)}) &&
			q.Identifier.Match(ids...)
	}, nil)
}

func codes(cc *dstu2.CodeableConcept) []dstu2.TokenCode {
	if cc == nil {
		return nil
	}
	var out []dstu2.TokenCode
	for _, c := range cc.Coding {
		out = append(out, dstu2.TokenCode{System: c.System, Code: c.Code, Text: c.Display})
	}
	return out
}

func (f *fakeEHR) SearchObservations(ctx context.Context, q dstu2.ObservationQuery) (dstu2.Page[*dstu2.Observation], error) {
	p, err := search(f, f.obs, q.Search, func(o *dstu2.Observation) bool {
		return refID(o.Subject) == q.Patient && q.Category.Match(codes(o.Category)...) && q.Code.Match(codes(o.Code)...) &&
			q.Status.Match(dstu2.TokenCode{Code: string(o.Status)})
	}, func(o *dstu2.Observation) string { return o.EffectiveDateTime })
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

func (f *fakeEHR) SearchConditions(ctx context.Context, q dstu2.ConditionQuery) (dstu2.Page[*dstu2.Condition], error) {
	return search(f, f.conditions, q.Search, func(c *dstu2.Condition) bool { return refID(c.Patient) == q.Patient }, nil)
}

func (f *fakeEHR) SearchEncounters(ctx context.Context, q dstu2.EncounterQuery) (dstu2.Page[*dstu2.Encounter], error) {
	return search(f, f.encounters, q.Search, func(e *dstu2.Encounter) bool { return refID(e.Patient) == q.Patient },
		func(e *dstu2.Encounter) string {
			if e.Period == nil {
				return ""
			}
			return e.Period.Start
		})
}

func (f *fakeEHR) SearchAllergyIntolerances(ctx context.Context, q dstu2.AllergyIntoleranceQuery) (dstu2.Page[*dstu2.AllergyIntolerance], error) {
	return search(f, f.allergies, q.Search, func(a *dstu2.AllergyIntolerance) bool { return refID(a.Patient) == q.Patient }, nil)
}

func (f *fakeEHR) SearchMedicationOrders(ctx context.Context, q dstu2.MedicationOrderQuery) (dstu2.Page[*dstu2.MedicationOrder], error) {
	return search(f, f.orders, q.Search, func(m *dstu2.MedicationOrder) bool { return refID(m.Patient) == q.Patient }, nil)
}

func (f *fakeEHR) SearchCoverages(ctx context.Context, q dstu2.CoverageQuery) (dstu2.Page[*dstu2.Coverage], error) {
	return search(f, f.coverages, q.Search, func(c *dstu2.Coverage) bool { return refID(c.Subscriber) == q.Patient }, nil)
}

func (f *fakeEHR) misbehave() string {
	s, _ := f.mode.Load().(string)
	return s
}

func (f *fakeEHR) set(mode string) { f.mode.Store(mode) }
