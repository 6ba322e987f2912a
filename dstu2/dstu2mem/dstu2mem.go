// Package dstu2mem is an in-memory DSTU2 EHR: a backend for the dstu2 server
// that really filters, sorts and pages (internal/memehr) by the parameters
// dstu2 declares. It serves tests, the conformance kit's own run and
// examples/minimal; load it with the fixtures, the official HL7 examples or
// your own resources.
package dstu2mem

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/patientsfhir/patientsfhir/dstu2"
	"github.com/patientsfhir/patientsfhir/fhir"
	"github.com/patientsfhir/patientsfhir/internal/fhirexamples"
	"github.com/patientsfhir/patientsfhir/internal/fixtures"
	"github.com/patientsfhir/patientsfhir/internal/memehr"
)

// Backend implements every typed backend interface of package dstu2 and
// GenericBackend for the other types it holds. It is safe for concurrent
// use.
type Backend struct {
	s *memehr.Store
}

var (
	_ dstu2.PatientReader              = (*Backend)(nil)
	_ dstu2.PatientSearcher            = (*Backend)(nil)
	_ dstu2.ObservationSearcher        = (*Backend)(nil)
	_ dstu2.ConditionSearcher          = (*Backend)(nil)
	_ dstu2.EncounterSearcher          = (*Backend)(nil)
	_ dstu2.AllergyIntoleranceSearcher = (*Backend)(nil)
	_ dstu2.MedicationOrderSearcher    = (*Backend)(nil)
	_ dstu2.CoverageSearcher           = (*Backend)(nil)
	_ dstu2.LocationSearcher           = (*Backend)(nil)
	_ dstu2.PractitionerSearcher       = (*Backend)(nil)
	_ dstu2.GenericBackend             = (*Backend)(nil)
)

// New returns an empty backend.
func New() *Backend { return &Backend{s: memehr.New()} }

// NewWithFixtures returns a backend loaded with the synthetic population of
// internal/fixtures (pat-1 ... pat-5; see docs/fixtures.md).
func NewWithFixtures() (*Backend, error) {
	b := New()
	all, err := fixtures.All(fixtures.DSTU2)
	if err != nil {
		return nil, err
	}
	for _, r := range all {
		if err := b.Load(r.JSON); err != nil {
			return nil, fmt.Errorf("dstu2mem: fixture %s/%s: %w", r.Type, r.ID, err)
		}
	}
	return b, nil
}

// LoadExamples adds the official HL7 DSTU2 examples of the given types (all
// types when none is given) that decode strictly and pass Validate; it
// returns how many were loaded. Examples whose id is taken are skipped.
func (b *Backend) LoadExamples(types ...string) (int, error) {
	exs, err := fhirexamples.All(fhirexamples.DSTU2)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, ex := range exs {
		r, err := dstu2.UnmarshalResource(ex.Data)
		if err != nil || r.GetID() == "" || r.Validate() != nil {
			continue
		}
		if len(types) > 0 && !slices.Contains(types, r.ResourceType()) {
			continue
		}
		if _, err := b.s.Read(context.Background(), r.ResourceType(), r.GetID()); err == nil {
			continue
		}
		if _, err := b.s.Put(ex.Data, r); err == nil {
			n++
		}
	}
	return n, nil
}

// Load decodes one resource (strictly), validates it and stores it,
// replacing any resource of the same type and id.
func (b *Backend) Load(data []byte) error {
	_, err := b.s.Load(data, decode)
	return err
}

// Delete removes a resource; it reports whether it was there.
func (b *Backend) Delete(typ, id string) bool { return b.s.Delete(typ, id) }

func decode(data []byte) (any, error) {
	r, err := dstu2.UnmarshalResource(data)
	if err != nil {
		return nil, err
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return r, nil
}

// typed lists the types with a typed interface; the others are generic.
var typed = []string{"Patient", "Observation", "Condition", "Encounter", "AllergyIntolerance",
	"MedicationOrder", "Coverage", "Location", "Practitioner"}

func strs(kv ...any) map[string][][]fhir.StringValue {
	m := map[string][][]fhir.StringValue{}
	for i := 0; i+1 < len(kv); i += 2 {
		if v, ok := kv[i+1].(dstu2.StringParam); ok && v != nil {
			m[kv[i].(string)] = v
		}
	}
	return m
}

// ReadPatient implements dstu2.PatientReader.
func (b *Backend) ReadPatient(ctx context.Context, id string) (*dstu2.Patient, error) {
	return memehr.ReadAs[*dstu2.Patient](ctx, b.s, "Patient", id)
}

// SearchPatients implements dstu2.PatientSearcher.
func (b *Backend) SearchPatients(ctx context.Context, q dstu2.PatientQuery) (dstu2.Page[*dstu2.Patient], error) {
	return memehr.SearchAs[*dstu2.Patient](ctx, b.s, "Patient", dstu2.PatientParams, q.Search,
		strs("name", q.Name, "family", q.Family, "given", q.Given))
}

// ReadObservation implements dstu2.ObservationReader.
func (b *Backend) ReadObservation(ctx context.Context, id string) (*dstu2.Observation, error) {
	return memehr.ReadAs[*dstu2.Observation](ctx, b.s, "Observation", id)
}

// SearchObservations implements dstu2.ObservationSearcher.
func (b *Backend) SearchObservations(ctx context.Context, q dstu2.ObservationQuery) (dstu2.Page[*dstu2.Observation], error) {
	return memehr.SearchAs[*dstu2.Observation](ctx, b.s, "Observation", dstu2.ObservationParams, q.Search, nil)
}

// ReadCondition implements dstu2.ConditionReader.
func (b *Backend) ReadCondition(ctx context.Context, id string) (*dstu2.Condition, error) {
	return memehr.ReadAs[*dstu2.Condition](ctx, b.s, "Condition", id)
}

// SearchConditions implements dstu2.ConditionSearcher.
func (b *Backend) SearchConditions(ctx context.Context, q dstu2.ConditionQuery) (dstu2.Page[*dstu2.Condition], error) {
	return memehr.SearchAs[*dstu2.Condition](ctx, b.s, "Condition", dstu2.ConditionParams, q.Search, nil)
}

// ReadEncounter implements dstu2.EncounterReader.
func (b *Backend) ReadEncounter(ctx context.Context, id string) (*dstu2.Encounter, error) {
	return memehr.ReadAs[*dstu2.Encounter](ctx, b.s, "Encounter", id)
}

// SearchEncounters implements dstu2.EncounterSearcher.
func (b *Backend) SearchEncounters(ctx context.Context, q dstu2.EncounterQuery) (dstu2.Page[*dstu2.Encounter], error) {
	return memehr.SearchAs[*dstu2.Encounter](ctx, b.s, "Encounter", dstu2.EncounterParams, q.Search, nil)
}

// ReadAllergyIntolerance implements dstu2.AllergyIntoleranceReader.
func (b *Backend) ReadAllergyIntolerance(ctx context.Context, id string) (*dstu2.AllergyIntolerance, error) {
	return memehr.ReadAs[*dstu2.AllergyIntolerance](ctx, b.s, "AllergyIntolerance", id)
}

// SearchAllergyIntolerances implements dstu2.AllergyIntoleranceSearcher.
func (b *Backend) SearchAllergyIntolerances(ctx context.Context, q dstu2.AllergyIntoleranceQuery) (dstu2.Page[*dstu2.AllergyIntolerance], error) {
	return memehr.SearchAs[*dstu2.AllergyIntolerance](ctx, b.s, "AllergyIntolerance", dstu2.AllergyIntoleranceParams, q.Search, nil)
}

// ReadMedicationOrder implements dstu2.MedicationOrderReader.
func (b *Backend) ReadMedicationOrder(ctx context.Context, id string) (*dstu2.MedicationOrder, error) {
	return memehr.ReadAs[*dstu2.MedicationOrder](ctx, b.s, "MedicationOrder", id)
}

// SearchMedicationOrders implements dstu2.MedicationOrderSearcher.
func (b *Backend) SearchMedicationOrders(ctx context.Context, q dstu2.MedicationOrderQuery) (dstu2.Page[*dstu2.MedicationOrder], error) {
	return memehr.SearchAs[*dstu2.MedicationOrder](ctx, b.s, "MedicationOrder", dstu2.MedicationOrderParams, q.Search, nil)
}

// ReadCoverage implements dstu2.CoverageReader.
func (b *Backend) ReadCoverage(ctx context.Context, id string) (*dstu2.Coverage, error) {
	return memehr.ReadAs[*dstu2.Coverage](ctx, b.s, "Coverage", id)
}

// SearchCoverages implements dstu2.CoverageSearcher.
func (b *Backend) SearchCoverages(ctx context.Context, q dstu2.CoverageQuery) (dstu2.Page[*dstu2.Coverage], error) {
	return memehr.SearchAs[*dstu2.Coverage](ctx, b.s, "Coverage", dstu2.CoverageParams, q.Search, nil)
}

// ReadLocation implements dstu2.LocationReader.
func (b *Backend) ReadLocation(ctx context.Context, id string) (*dstu2.Location, error) {
	return memehr.ReadAs[*dstu2.Location](ctx, b.s, "Location", id)
}

// SearchLocations implements dstu2.LocationSearcher.
func (b *Backend) SearchLocations(ctx context.Context, q dstu2.LocationQuery) (dstu2.Page[*dstu2.Location], error) {
	return memehr.SearchAs[*dstu2.Location](ctx, b.s, "Location", dstu2.LocationParams, q.Search, strs("name", q.Name))
}

// ReadPractitioner implements dstu2.PractitionerReader.
func (b *Backend) ReadPractitioner(ctx context.Context, id string) (*dstu2.Practitioner, error) {
	return memehr.ReadAs[*dstu2.Practitioner](ctx, b.s, "Practitioner", id)
}

// SearchPractitioners implements dstu2.PractitionerSearcher.
func (b *Backend) SearchPractitioners(ctx context.Context, q dstu2.PractitionerQuery) (dstu2.Page[*dstu2.Practitioner], error) {
	return memehr.SearchAs[*dstu2.Practitioner](ctx, b.s, "Practitioner", dstu2.PractitionerParams, q.Search, strs("name", q.Name))
}

// GenericTypes implements dstu2.GenericBackend: every other type held
// (Organization, Medication, ...), readable and searchable by _id.
func (b *Backend) GenericTypes() []dstu2.GenericType {
	var out []dstu2.GenericType
	for _, t := range b.s.Types() {
		if !slices.Contains(typed, t) {
			out = append(out, dstu2.GenericType{Type: t, Read: true, Search: true, Params: []fhir.SearchParam{fhir.ParamID}})
		}
	}
	return out
}

// ReadGeneric implements dstu2.GenericBackend.
func (b *Backend) ReadGeneric(ctx context.Context, typ, id string) (dstu2.Resource, error) {
	if slices.Contains(typed, typ) {
		return nil, fhir.ErrNotSupported
	}
	return memehr.ReadAs[dstu2.Resource](ctx, b.s, typ, id)
}

// SearchGeneric implements dstu2.GenericBackend.
func (b *Backend) SearchGeneric(ctx context.Context, q dstu2.GenericQuery) (dstu2.Page[dstu2.Resource], error) {
	if slices.Contains(typed, q.Type) {
		return dstu2.Page[dstu2.Resource]{}, errors.New("dstu2mem: typed resource type searched generically")
	}
	return memehr.SearchAs[dstu2.Resource](ctx, b.s, q.Type, []fhir.SearchParam{fhir.ParamID}, q.Search, nil)
}
