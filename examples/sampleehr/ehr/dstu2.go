package ehr

import (
	"context"
	"encoding/json"

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
	_ dstu2.PatientReader                  = (*DSTU2Backend)(nil)
	_ dstu2.PatientSearcher                = (*DSTU2Backend)(nil)
	_ dstu2.PatientJSONSearcher            = (*DSTU2Backend)(nil)
	_ dstu2.ObservationReader              = (*DSTU2Backend)(nil)
	_ dstu2.ObservationSearcher            = (*DSTU2Backend)(nil)
	_ dstu2.ObservationJSONSearcher        = (*DSTU2Backend)(nil)
	_ dstu2.ConditionReader                = (*DSTU2Backend)(nil)
	_ dstu2.ConditionSearcher              = (*DSTU2Backend)(nil)
	_ dstu2.ConditionJSONSearcher          = (*DSTU2Backend)(nil)
	_ dstu2.EncounterReader                = (*DSTU2Backend)(nil)
	_ dstu2.EncounterSearcher              = (*DSTU2Backend)(nil)
	_ dstu2.EncounterJSONSearcher          = (*DSTU2Backend)(nil)
	_ dstu2.AllergyIntoleranceReader       = (*DSTU2Backend)(nil)
	_ dstu2.AllergyIntoleranceSearcher     = (*DSTU2Backend)(nil)
	_ dstu2.AllergyIntoleranceJSONSearcher = (*DSTU2Backend)(nil)
	_ dstu2.MedicationOrderReader          = (*DSTU2Backend)(nil)
	_ dstu2.MedicationOrderSearcher        = (*DSTU2Backend)(nil)
	_ dstu2.MedicationOrderJSONSearcher    = (*DSTU2Backend)(nil)
	_ dstu2.CoverageReader                 = (*DSTU2Backend)(nil)
	_ dstu2.CoverageSearcher               = (*DSTU2Backend)(nil)
	_ dstu2.CoverageJSONSearcher           = (*DSTU2Backend)(nil)
	_ dstu2.LocationReader                 = (*DSTU2Backend)(nil)
	_ dstu2.PractitionerReader             = (*DSTU2Backend)(nil)
)

// DSTU2 returns the DSTU2 backend of tenant (its GUID).
func (db *DB) DSTU2(tenant string) *DSTU2Backend { return &DSTU2Backend{db: db, tenant: tenant} }

// ReadPatient implements dstu2.PatientReader.
func (b *DSTU2Backend) ReadPatient(ctx context.Context, id string) (*dstu2.Patient, error) {
	return read(ctx, b.db, patients, colDSTU2, b.tenant, id, decodeDSTU2[dstu2.Patient])
}

// SearchPatients implements dstu2.PatientSearcher.
func (b *DSTU2Backend) SearchPatients(ctx context.Context, q dstu2.PatientQuery) (fhir.Page[*dstu2.Patient], error) {
	return decoded(decodeDSTU2[dstu2.Patient])(b.SearchPatientsJSON(ctx, q))
}

// SearchPatientsJSON implements dstu2.PatientJSONSearcher:
// the stored JSON as it is (the engine serves it without decoding it).
func (b *DSTU2Backend) SearchPatientsJSON(ctx context.Context, q dstu2.PatientQuery) (fhir.Page[json.RawMessage], error) {
	return search(ctx, b.db, patients, colDSTU2, b.tenant, q.Search,
		patientWhere(q.Name, q.Family, q.Given, q.Birthdate, q.Gender, q.Identifier), stored)
}

// ReadObservation implements dstu2.ObservationReader.
func (b *DSTU2Backend) ReadObservation(ctx context.Context, id string) (*dstu2.Observation, error) {
	return read(ctx, b.db, observations, colDSTU2, b.tenant, id, decodeDSTU2[dstu2.Observation])
}

// SearchObservations implements dstu2.ObservationSearcher.
func (b *DSTU2Backend) SearchObservations(ctx context.Context, q dstu2.ObservationQuery) (fhir.Page[*dstu2.Observation], error) {
	return decoded(decodeDSTU2[dstu2.Observation])(b.SearchObservationsJSON(ctx, q))
}

// SearchObservationsJSON implements dstu2.ObservationJSONSearcher:
// the stored JSON as it is (the engine serves it without decoding it).
func (b *DSTU2Backend) SearchObservationsJSON(ctx context.Context, q dstu2.ObservationQuery) (fhir.Page[json.RawMessage], error) {
	return search(ctx, b.db, observations, colDSTU2, b.tenant, q.Search,
		observationWhere(q.Patient, q.Category, q.Code, q.Date, q.Status), stored)
}

// ReadCondition implements dstu2.ConditionReader.
func (b *DSTU2Backend) ReadCondition(ctx context.Context, id string) (*dstu2.Condition, error) {
	return read(ctx, b.db, conditionsDSTU2, colDSTU2, b.tenant, id, decodeDSTU2[dstu2.Condition])
}

// SearchConditions implements dstu2.ConditionSearcher.
func (b *DSTU2Backend) SearchConditions(ctx context.Context, q dstu2.ConditionQuery) (fhir.Page[*dstu2.Condition], error) {
	return decoded(decodeDSTU2[dstu2.Condition])(b.SearchConditionsJSON(ctx, q))
}

// SearchConditionsJSON implements dstu2.ConditionJSONSearcher:
// the stored JSON as it is (the engine serves it without decoding it).
func (b *DSTU2Backend) SearchConditionsJSON(ctx context.Context, q dstu2.ConditionQuery) (fhir.Page[json.RawMessage], error) {
	return search(ctx, b.db, conditionsDSTU2, colDSTU2, b.tenant, q.Search,
		conditionWhere(q.Patient, q.Category, "clinicalstatus", q.ClinicalStatus, "onset", q.Onset), stored)
}

// ReadEncounter implements dstu2.EncounterReader.
func (b *DSTU2Backend) ReadEncounter(ctx context.Context, id string) (*dstu2.Encounter, error) {
	return read(ctx, b.db, encounters, colDSTU2, b.tenant, id, decodeDSTU2[dstu2.Encounter])
}

// SearchEncounters implements dstu2.EncounterSearcher.
func (b *DSTU2Backend) SearchEncounters(ctx context.Context, q dstu2.EncounterQuery) (fhir.Page[*dstu2.Encounter], error) {
	return decoded(decodeDSTU2[dstu2.Encounter])(b.SearchEncountersJSON(ctx, q))
}

// SearchEncountersJSON implements dstu2.EncounterJSONSearcher:
// the stored JSON as it is (the engine serves it without decoding it).
func (b *DSTU2Backend) SearchEncountersJSON(ctx context.Context, q dstu2.EncounterQuery) (fhir.Page[json.RawMessage], error) {
	return search(ctx, b.db, encounters, colDSTU2, b.tenant, q.Search,
		encounterWhere(q.Patient, q.Date, q.Status, q.Type), stored)
}

// ReadAllergyIntolerance implements dstu2.AllergyIntoleranceReader.
func (b *DSTU2Backend) ReadAllergyIntolerance(ctx context.Context, id string) (*dstu2.AllergyIntolerance, error) {
	return read(ctx, b.db, allergies, colDSTU2, b.tenant, id, decodeDSTU2[dstu2.AllergyIntolerance])
}

// SearchAllergyIntolerances implements dstu2.AllergyIntoleranceSearcher.
func (b *DSTU2Backend) SearchAllergyIntolerances(ctx context.Context, q dstu2.AllergyIntoleranceQuery) (fhir.Page[*dstu2.AllergyIntolerance], error) {
	return decoded(decodeDSTU2[dstu2.AllergyIntolerance])(b.SearchAllergyIntolerancesJSON(ctx, q))
}

// SearchAllergyIntolerancesJSON implements dstu2.AllergyIntoleranceJSONSearcher:
// the stored JSON as it is (the engine serves it without decoding it).
func (b *DSTU2Backend) SearchAllergyIntolerancesJSON(ctx context.Context, q dstu2.AllergyIntoleranceQuery) (fhir.Page[json.RawMessage], error) {
	return search(ctx, b.db, allergies, colDSTU2, b.tenant, q.Search, patientOnly(q.Patient), stored)
}

// ReadMedicationOrder implements dstu2.MedicationOrderReader.
func (b *DSTU2Backend) ReadMedicationOrder(ctx context.Context, id string) (*dstu2.MedicationOrder, error) {
	return read(ctx, b.db, medicationRequests, colDSTU2, b.tenant, id, decodeDSTU2[dstu2.MedicationOrder])
}

// SearchMedicationOrders implements dstu2.MedicationOrderSearcher.
func (b *DSTU2Backend) SearchMedicationOrders(ctx context.Context, q dstu2.MedicationOrderQuery) (fhir.Page[*dstu2.MedicationOrder], error) {
	return decoded(decodeDSTU2[dstu2.MedicationOrder])(b.SearchMedicationOrdersJSON(ctx, q))
}

// SearchMedicationOrdersJSON implements dstu2.MedicationOrderJSONSearcher:
// the stored JSON as it is (the engine serves it without decoding it).
func (b *DSTU2Backend) SearchMedicationOrdersJSON(ctx context.Context, q dstu2.MedicationOrderQuery) (fhir.Page[json.RawMessage], error) {
	return search(ctx, b.db, medicationRequests, colDSTU2, b.tenant, q.Search, withStatus(q.Patient, q.Status), stored)
}

// ReadCoverage implements dstu2.CoverageReader.
func (b *DSTU2Backend) ReadCoverage(ctx context.Context, id string) (*dstu2.Coverage, error) {
	return read(ctx, b.db, coverages, colDSTU2, b.tenant, id, decodeDSTU2[dstu2.Coverage])
}

// SearchCoverages implements dstu2.CoverageSearcher (the patient is the
// subscriber).
func (b *DSTU2Backend) SearchCoverages(ctx context.Context, q dstu2.CoverageQuery) (fhir.Page[*dstu2.Coverage], error) {
	return decoded(decodeDSTU2[dstu2.Coverage])(b.SearchCoveragesJSON(ctx, q))
}

// SearchCoveragesJSON implements dstu2.CoverageJSONSearcher (the patient is the
// subscriber):
// the stored JSON as it is (the engine serves it without decoding it).
func (b *DSTU2Backend) SearchCoveragesJSON(ctx context.Context, q dstu2.CoverageQuery) (fhir.Page[json.RawMessage], error) {
	return search(ctx, b.db, coverages, colDSTU2, b.tenant, q.Search, coverageWhere(q.Patient, q.Identifier, q.Type), stored)
}

// ReadLocation implements dstu2.LocationReader.
func (b *DSTU2Backend) ReadLocation(ctx context.Context, id string) (*dstu2.Location, error) {
	return read(ctx, b.db, locations, colDSTU2, b.tenant, id, decodeDSTU2[dstu2.Location])
}

// ReadPractitioner implements dstu2.PractitionerReader.
func (b *DSTU2Backend) ReadPractitioner(ctx context.Context, id string) (*dstu2.Practitioner, error) {
	return read(ctx, b.db, practitioners, colDSTU2, b.tenant, id, decodeDSTU2[dstu2.Practitioner])
}
