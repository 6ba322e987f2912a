package stu3mem

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/patientsfhir/patientsfhir/fhir"
	"github.com/patientsfhir/patientsfhir/internal/fhirexamples"
	"github.com/patientsfhir/patientsfhir/internal/fixtures"
	"github.com/patientsfhir/patientsfhir/internal/memehr"
	"github.com/patientsfhir/patientsfhir/stu3"
)

// Backend implements every typed backend interface of package stu3 and
// GenericBackend for the other types it holds. It is safe for concurrent
// use.
type Backend struct {
	s *memehr.Store
}

var (
	_ stu3.PatientReader              = (*Backend)(nil)
	_ stu3.PatientSearcher            = (*Backend)(nil)
	_ stu3.ObservationSearcher        = (*Backend)(nil)
	_ stu3.ConditionSearcher          = (*Backend)(nil)
	_ stu3.EncounterSearcher          = (*Backend)(nil)
	_ stu3.AllergyIntoleranceSearcher = (*Backend)(nil)
	_ stu3.MedicationRequestSearcher  = (*Backend)(nil)
	_ stu3.CoverageSearcher           = (*Backend)(nil)
	_ stu3.LocationSearcher           = (*Backend)(nil)
	_ stu3.PractitionerSearcher       = (*Backend)(nil)
	_ stu3.GenericBackend             = (*Backend)(nil)
)

// New returns an empty backend.
func New() *Backend { return &Backend{s: memehr.New()} }

// NewWithFixtures returns a backend loaded with the synthetic population of
// internal/fixtures (pat-1 ... pat-5; see docs/fixtures.md).
func NewWithFixtures() (*Backend, error) {
	b := New()
	all, err := fixtures.All(fixtures.STU3)
	if err != nil {
		return nil, err
	}
	for _, r := range all {
		if err := b.Load(r.JSON); err != nil {
			return nil, fmt.Errorf("stu3mem: fixture %s/%s: %w", r.Type, r.ID, err)
		}
	}
	return b, nil
}

// LoadExamples adds the official HL7 STU3 examples of the given types (all
// types when none is given) that decode strictly and pass Validate; it
// returns how many were loaded. Examples whose id is taken are skipped.
func (b *Backend) LoadExamples(types ...string) (int, error) {
	exs, err := fhirexamples.All(fhirexamples.STU3)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, ex := range exs {
		r, err := stu3.UnmarshalResource(ex.Data)
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
	r, err := stu3.UnmarshalResource(data)
	if err != nil {
		return nil, err
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return r, nil
}

// ReadPatient implements stu3.PatientReader.
func (b *Backend) ReadPatient(ctx context.Context, id string) (*stu3.Patient, error) {
	return memehr.ReadAs[*stu3.Patient](ctx, b.s, "Patient", id)
}

// SearchPatients implements stu3.PatientSearcher.
func (b *Backend) SearchPatients(ctx context.Context, q stu3.PatientQuery) (stu3.Page[*stu3.Patient], error) {
	return memehr.SearchAs[*stu3.Patient](ctx, b.s, "Patient", stu3.PatientParams, q.Search)
}

// ReadObservation implements stu3.ObservationReader.
func (b *Backend) ReadObservation(ctx context.Context, id string) (*stu3.Observation, error) {
	return memehr.ReadAs[*stu3.Observation](ctx, b.s, "Observation", id)
}

// SearchObservations implements stu3.ObservationSearcher.
func (b *Backend) SearchObservations(ctx context.Context, q stu3.ObservationQuery) (stu3.Page[*stu3.Observation], error) {
	return memehr.SearchAs[*stu3.Observation](ctx, b.s, "Observation", stu3.ObservationParams, q.Search)
}

// ReadCondition implements stu3.ConditionReader.
func (b *Backend) ReadCondition(ctx context.Context, id string) (*stu3.Condition, error) {
	return memehr.ReadAs[*stu3.Condition](ctx, b.s, "Condition", id)
}

// SearchConditions implements stu3.ConditionSearcher.
func (b *Backend) SearchConditions(ctx context.Context, q stu3.ConditionQuery) (stu3.Page[*stu3.Condition], error) {
	return memehr.SearchAs[*stu3.Condition](ctx, b.s, "Condition", stu3.ConditionParams, q.Search)
}

// ReadEncounter implements stu3.EncounterReader.
func (b *Backend) ReadEncounter(ctx context.Context, id string) (*stu3.Encounter, error) {
	return memehr.ReadAs[*stu3.Encounter](ctx, b.s, "Encounter", id)
}

// SearchEncounters implements stu3.EncounterSearcher.
func (b *Backend) SearchEncounters(ctx context.Context, q stu3.EncounterQuery) (stu3.Page[*stu3.Encounter], error) {
	return memehr.SearchAs[*stu3.Encounter](ctx, b.s, "Encounter", stu3.EncounterParams, q.Search)
}

// ReadAllergyIntolerance implements stu3.AllergyIntoleranceReader.
func (b *Backend) ReadAllergyIntolerance(ctx context.Context, id string) (*stu3.AllergyIntolerance, error) {
	return memehr.ReadAs[*stu3.AllergyIntolerance](ctx, b.s, "AllergyIntolerance", id)
}

// SearchAllergyIntolerances implements stu3.AllergyIntoleranceSearcher.
func (b *Backend) SearchAllergyIntolerances(ctx context.Context, q stu3.AllergyIntoleranceQuery) (stu3.Page[*stu3.AllergyIntolerance], error) {
	return memehr.SearchAs[*stu3.AllergyIntolerance](ctx, b.s, "AllergyIntolerance", stu3.AllergyIntoleranceParams, q.Search)
}

// ReadMedicationRequest implements stu3.MedicationRequestReader.
func (b *Backend) ReadMedicationRequest(ctx context.Context, id string) (*stu3.MedicationRequest, error) {
	return memehr.ReadAs[*stu3.MedicationRequest](ctx, b.s, "MedicationRequest", id)
}

// SearchMedicationRequests implements stu3.MedicationRequestSearcher.
func (b *Backend) SearchMedicationRequests(ctx context.Context, q stu3.MedicationRequestQuery) (stu3.Page[*stu3.MedicationRequest], error) {
	return memehr.SearchAs[*stu3.MedicationRequest](ctx, b.s, "MedicationRequest", stu3.MedicationRequestParams, q.Search)
}

// ReadCoverage implements stu3.CoverageReader.
func (b *Backend) ReadCoverage(ctx context.Context, id string) (*stu3.Coverage, error) {
	return memehr.ReadAs[*stu3.Coverage](ctx, b.s, "Coverage", id)
}

// SearchCoverages implements stu3.CoverageSearcher.
func (b *Backend) SearchCoverages(ctx context.Context, q stu3.CoverageQuery) (stu3.Page[*stu3.Coverage], error) {
	return memehr.SearchAs[*stu3.Coverage](ctx, b.s, "Coverage", stu3.CoverageParams, q.Search)
}

// ReadLocation implements stu3.LocationReader.
func (b *Backend) ReadLocation(ctx context.Context, id string) (*stu3.Location, error) {
	return memehr.ReadAs[*stu3.Location](ctx, b.s, "Location", id)
}

// SearchLocations implements stu3.LocationSearcher.
func (b *Backend) SearchLocations(ctx context.Context, q stu3.LocationQuery) (stu3.Page[*stu3.Location], error) {
	return memehr.SearchAs[*stu3.Location](ctx, b.s, "Location", stu3.LocationParams, q.Search)
}

// ReadPractitioner implements stu3.PractitionerReader.
func (b *Backend) ReadPractitioner(ctx context.Context, id string) (*stu3.Practitioner, error) {
	return memehr.ReadAs[*stu3.Practitioner](ctx, b.s, "Practitioner", id)
}

// SearchPractitioners implements stu3.PractitionerSearcher.
func (b *Backend) SearchPractitioners(ctx context.Context, q stu3.PractitionerQuery) (stu3.Page[*stu3.Practitioner], error) {
	return memehr.SearchAs[*stu3.Practitioner](ctx, b.s, "Practitioner", stu3.PractitionerParams, q.Search)
}

// GenericTypes implements stu3.GenericBackend: every other type held
// (Organization, Medication, ...), readable and searchable by _id.
func (b *Backend) GenericTypes() []stu3.GenericType {
	var out []stu3.GenericType
	for _, t := range b.s.Types() {
		if !slices.Contains(typed, t) {
			out = append(out, stu3.GenericType{Type: t, Read: true, Search: true, Params: []fhir.SearchParam{fhir.ParamID}})
		}
	}
	return out
}

// ReadGeneric implements stu3.GenericBackend.
func (b *Backend) ReadGeneric(ctx context.Context, typ, id string) (stu3.Resource, error) {
	if slices.Contains(typed, typ) {
		return nil, fhir.ErrNotSupported
	}
	return memehr.ReadAs[stu3.Resource](ctx, b.s, typ, id)
}

// SearchGeneric implements stu3.GenericBackend.
func (b *Backend) SearchGeneric(ctx context.Context, q stu3.GenericQuery) (stu3.Page[stu3.Resource], error) {
	if slices.Contains(typed, q.Type) {
		return stu3.Page[stu3.Resource]{}, errors.New("stu3mem: typed resource type searched generically")
	}
	return memehr.SearchAs[stu3.Resource](ctx, b.s, q.Type, []fhir.SearchParam{fhir.ParamID}, q.Search)
}
