package ehr

import (
	"context"

	"github.com/patientsfhir/patientsfhir/dstu2"
	"github.com/patientsfhir/patientsfhir/fhir"
)

// DSTU2Backend serves one tenant's data as DSTU2 resources: every typed
// interface of package dstu2 the Patients app's profile uses (prescriptions
// are MedicationOrders). Every query is bound to the tenant. It is safe for
// concurrent use.
type DSTU2Backend struct {
	db     *DB
	tenant string
}

var (
	_ dstu2.PatientReader              = (*DSTU2Backend)(nil)
	_ dstu2.PatientSearcher            = (*DSTU2Backend)(nil)
	_ dstu2.ObservationReader          = (*DSTU2Backend)(nil)
	_ dstu2.ObservationSearcher        = (*DSTU2Backend)(nil)
	_ dstu2.ConditionReader            = (*DSTU2Backend)(nil)
	_ dstu2.ConditionSearcher          = (*DSTU2Backend)(nil)
	_ dstu2.EncounterReader            = (*DSTU2Backend)(nil)
	_ dstu2.EncounterSearcher          = (*DSTU2Backend)(nil)
	_ dstu2.AllergyIntoleranceReader   = (*DSTU2Backend)(nil)
	_ dstu2.AllergyIntoleranceSearcher = (*DSTU2Backend)(nil)
	_ dstu2.MedicationOrderReader      = (*DSTU2Backend)(nil)
	_ dstu2.MedicationOrderSearcher    = (*DSTU2Backend)(nil)
	_ dstu2.CoverageReader             = (*DSTU2Backend)(nil)
	_ dstu2.CoverageSearcher           = (*DSTU2Backend)(nil)
	_ dstu2.LocationReader             = (*DSTU2Backend)(nil)
	_ dstu2.PractitionerReader         = (*DSTU2Backend)(nil)
)

// DSTU2 returns the DSTU2 backend of tenant (its GUID).
func (db *DB) DSTU2(tenant string) *DSTU2Backend { return &DSTU2Backend{db: db, tenant: tenant} }

// ReadPatient implements dstu2.PatientReader.
func (b *DSTU2Backend) ReadPatient(ctx context.Context, id string) (*dstu2.Patient, error) {
	return read(ctx, b.db, patients, colDSTU2, b.tenant, id, decodeDSTU2[dstu2.Patient])
}

// SearchPatients implements dstu2.PatientSearcher.
func (b *DSTU2Backend) SearchPatients(ctx context.Context, q dstu2.PatientQuery) (fhir.Page[*dstu2.Patient], error) {
	return search(ctx, b.db, patients, colDSTU2, b.tenant, q.Search,
		patientWhere(q.Name, q.Family, q.Given, q.Birthdate, q.Gender, q.Identifier), decodeDSTU2[dstu2.Patient])
}

// ReadObservation implements dstu2.ObservationReader.
func (b *DSTU2Backend) ReadObservation(ctx context.Context, id string) (*dstu2.Observation, error) {
	return read(ctx, b.db, observations, colDSTU2, b.tenant, id, decodeDSTU2[dstu2.Observation])
}

// SearchObservations implements dstu2.ObservationSearcher.
func (b *DSTU2Backend) SearchObservations(ctx context.Context, q dstu2.ObservationQuery) (fhir.Page[*dstu2.Observation], error) {
	return search(ctx, b.db, observations, colDSTU2, b.tenant, q.Search,
		observationWhere(q.Patient, q.Category, q.Code, q.Date, q.Status), decodeDSTU2[dstu2.Observation])
}

// ReadCondition implements dstu2.ConditionReader.
func (b *DSTU2Backend) ReadCondition(ctx context.Context, id string) (*dstu2.Condition, error) {
	return read(ctx, b.db, conditionsDSTU2, colDSTU2, b.tenant, id, decodeDSTU2[dstu2.Condition])
}

// SearchConditions implements dstu2.ConditionSearcher.
func (b *DSTU2Backend) SearchConditions(ctx context.Context, q dstu2.ConditionQuery) (fhir.Page[*dstu2.Condition], error) {
	return search(ctx, b.db, conditionsDSTU2, colDSTU2, b.tenant, q.Search,
		conditionWhere(q.Patient, q.Category, "clinicalstatus", q.ClinicalStatus, "onset", q.Onset), decodeDSTU2[dstu2.Condition])
}

// ReadEncounter implements dstu2.EncounterReader.
func (b *DSTU2Backend) ReadEncounter(ctx context.Context, id string) (*dstu2.Encounter, error) {
	return read(ctx, b.db, encounters, colDSTU2, b.tenant, id, decodeDSTU2[dstu2.Encounter])
}

// SearchEncounters implements dstu2.EncounterSearcher.
func (b *DSTU2Backend) SearchEncounters(ctx context.Context, q dstu2.EncounterQuery) (fhir.Page[*dstu2.Encounter], error) {
	return search(ctx, b.db, encounters, colDSTU2, b.tenant, q.Search,
		encounterWhere(q.Patient, q.Date, q.Status, q.Type), decodeDSTU2[dstu2.Encounter])
}

// ReadAllergyIntolerance implements dstu2.AllergyIntoleranceReader.
func (b *DSTU2Backend) ReadAllergyIntolerance(ctx context.Context, id string) (*dstu2.AllergyIntolerance, error) {
	return read(ctx, b.db, allergies, colDSTU2, b.tenant, id, decodeDSTU2[dstu2.AllergyIntolerance])
}

// SearchAllergyIntolerances implements dstu2.AllergyIntoleranceSearcher.
func (b *DSTU2Backend) SearchAllergyIntolerances(ctx context.Context, q dstu2.AllergyIntoleranceQuery) (fhir.Page[*dstu2.AllergyIntolerance], error) {
	return search(ctx, b.db, allergies, colDSTU2, b.tenant, q.Search, patientOnly(q.Patient), decodeDSTU2[dstu2.AllergyIntolerance])
}

// ReadMedicationOrder implements dstu2.MedicationOrderReader.
func (b *DSTU2Backend) ReadMedicationOrder(ctx context.Context, id string) (*dstu2.MedicationOrder, error) {
	return read(ctx, b.db, medicationRequests, colDSTU2, b.tenant, id, decodeDSTU2[dstu2.MedicationOrder])
}

// SearchMedicationOrders implements dstu2.MedicationOrderSearcher.
func (b *DSTU2Backend) SearchMedicationOrders(ctx context.Context, q dstu2.MedicationOrderQuery) (fhir.Page[*dstu2.MedicationOrder], error) {
	return search(ctx, b.db, medicationRequests, colDSTU2, b.tenant, q.Search, withStatus(q.Patient, q.Status), decodeDSTU2[dstu2.MedicationOrder])
}

// ReadCoverage implements dstu2.CoverageReader.
func (b *DSTU2Backend) ReadCoverage(ctx context.Context, id string) (*dstu2.Coverage, error) {
	return read(ctx, b.db, coverages, colDSTU2, b.tenant, id, decodeDSTU2[dstu2.Coverage])
}

// SearchCoverages implements dstu2.CoverageSearcher (the patient is the
// subscriber).
func (b *DSTU2Backend) SearchCoverages(ctx context.Context, q dstu2.CoverageQuery) (fhir.Page[*dstu2.Coverage], error) {
	return search(ctx, b.db, coverages, colDSTU2, b.tenant, q.Search, coverageWhere(q.Patient, q.Identifier, q.Type), decodeDSTU2[dstu2.Coverage])
}

// ReadLocation implements dstu2.LocationReader.
func (b *DSTU2Backend) ReadLocation(ctx context.Context, id string) (*dstu2.Location, error) {
	return read(ctx, b.db, locations, colDSTU2, b.tenant, id, decodeDSTU2[dstu2.Location])
}

// ReadPractitioner implements dstu2.PractitionerReader.
func (b *DSTU2Backend) ReadPractitioner(ctx context.Context, id string) (*dstu2.Practitioner, error) {
	return read(ctx, b.db, practitioners, colDSTU2, b.tenant, id, decodeDSTU2[dstu2.Practitioner])
}
