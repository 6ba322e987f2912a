package ehr

import (
	"context"
	"encoding/json"

	"github.com/patientsfhir/patientsfhir/fhir"
	"github.com/patientsfhir/patientsfhir/stu3"
)

// STU3Backend serves one tenant's data as STU3 resources: every typed
// interface of package stu3 the Patients app's profile uses. Every query
// is bound to the tenant: it can never return another tenant's rows. It
// is safe for concurrent use.
type STU3Backend struct {
	db     *DB
	tenant string
}

var (
	_ stu3.PatientReader                   = (*STU3Backend)(nil)
	_ stu3.PatientSearcher                 = (*STU3Backend)(nil)
	_ stu3.PatientJSONSearcher             = (*STU3Backend)(nil)
	_ stu3.ObservationReader               = (*STU3Backend)(nil)
	_ stu3.ObservationSearcher             = (*STU3Backend)(nil)
	_ stu3.ObservationJSONSearcher         = (*STU3Backend)(nil)
	_ stu3.ConditionReader                 = (*STU3Backend)(nil)
	_ stu3.ConditionSearcher               = (*STU3Backend)(nil)
	_ stu3.ConditionJSONSearcher           = (*STU3Backend)(nil)
	_ stu3.EncounterReader                 = (*STU3Backend)(nil)
	_ stu3.EncounterSearcher               = (*STU3Backend)(nil)
	_ stu3.EncounterJSONSearcher           = (*STU3Backend)(nil)
	_ stu3.AllergyIntoleranceReader        = (*STU3Backend)(nil)
	_ stu3.AllergyIntoleranceSearcher      = (*STU3Backend)(nil)
	_ stu3.AllergyIntoleranceJSONSearcher  = (*STU3Backend)(nil)
	_ stu3.MedicationRequestReader         = (*STU3Backend)(nil)
	_ stu3.MedicationRequestSearcher       = (*STU3Backend)(nil)
	_ stu3.MedicationRequestJSONSearcher   = (*STU3Backend)(nil)
	_ stu3.MedicationStatementReader       = (*STU3Backend)(nil)
	_ stu3.MedicationStatementSearcher     = (*STU3Backend)(nil)
	_ stu3.MedicationStatementJSONSearcher = (*STU3Backend)(nil)
	_ stu3.CoverageReader                  = (*STU3Backend)(nil)
	_ stu3.CoverageSearcher                = (*STU3Backend)(nil)
	_ stu3.CoverageJSONSearcher            = (*STU3Backend)(nil)
	_ stu3.LocationReader                  = (*STU3Backend)(nil)
	_ stu3.PractitionerReader              = (*STU3Backend)(nil)
)

// STU3 returns the STU3 backend of tenant (its GUID). A tenant that was
// never seeded has no data: its searches are empty and its reads not
// found.
func (db *DB) STU3(tenant string) *STU3Backend { return &STU3Backend{db: db, tenant: tenant} }

// ReadPatient implements stu3.PatientReader.
func (b *STU3Backend) ReadPatient(ctx context.Context, id string) (*stu3.Patient, error) {
	return read(ctx, b.db, patients, colSTU3, b.tenant, id, decodeSTU3[stu3.Patient])
}

// SearchPatients implements stu3.PatientSearcher.
func (b *STU3Backend) SearchPatients(ctx context.Context, q stu3.PatientQuery) (fhir.Page[*stu3.Patient], error) {
	return decoded(decodeSTU3[stu3.Patient])(b.SearchPatientsJSON(ctx, q))
}

// SearchPatientsJSON implements stu3.PatientJSONSearcher:
// the stored JSON as it is (the engine serves it without decoding it).
func (b *STU3Backend) SearchPatientsJSON(ctx context.Context, q stu3.PatientQuery) (fhir.Page[json.RawMessage], error) {
	return search(ctx, b.db, patients, colSTU3, b.tenant, q.Search,
		patientWhere(q.Name, q.Family, q.Given, q.Birthdate, q.Gender, q.Identifier), stored)
}

// ReadObservation implements stu3.ObservationReader.
func (b *STU3Backend) ReadObservation(ctx context.Context, id string) (*stu3.Observation, error) {
	return read(ctx, b.db, observations, colSTU3, b.tenant, id, decodeSTU3[stu3.Observation])
}

// SearchObservations implements stu3.ObservationSearcher.
func (b *STU3Backend) SearchObservations(ctx context.Context, q stu3.ObservationQuery) (fhir.Page[*stu3.Observation], error) {
	return decoded(decodeSTU3[stu3.Observation])(b.SearchObservationsJSON(ctx, q))
}

// SearchObservationsJSON implements stu3.ObservationJSONSearcher:
// the stored JSON as it is (the engine serves it without decoding it).
func (b *STU3Backend) SearchObservationsJSON(ctx context.Context, q stu3.ObservationQuery) (fhir.Page[json.RawMessage], error) {
	return search(ctx, b.db, observations, colSTU3, b.tenant, q.Search,
		observationWhere(q.Patient, q.Category, q.Code, q.Date, q.Status), stored)
}

// ReadCondition implements stu3.ConditionReader.
func (b *STU3Backend) ReadCondition(ctx context.Context, id string) (*stu3.Condition, error) {
	return read(ctx, b.db, conditionsSTU3, colSTU3, b.tenant, id, decodeSTU3[stu3.Condition])
}

// SearchConditions implements stu3.ConditionSearcher.
func (b *STU3Backend) SearchConditions(ctx context.Context, q stu3.ConditionQuery) (fhir.Page[*stu3.Condition], error) {
	return decoded(decodeSTU3[stu3.Condition])(b.SearchConditionsJSON(ctx, q))
}

// SearchConditionsJSON implements stu3.ConditionJSONSearcher:
// the stored JSON as it is (the engine serves it without decoding it).
func (b *STU3Backend) SearchConditionsJSON(ctx context.Context, q stu3.ConditionQuery) (fhir.Page[json.RawMessage], error) {
	return search(ctx, b.db, conditionsSTU3, colSTU3, b.tenant, q.Search,
		conditionWhere(q.Patient, q.Category, "clinical-status", q.ClinicalStatus, "onset-date", q.OnsetDate), stored)
}

// ReadEncounter implements stu3.EncounterReader.
func (b *STU3Backend) ReadEncounter(ctx context.Context, id string) (*stu3.Encounter, error) {
	return read(ctx, b.db, encounters, colSTU3, b.tenant, id, decodeSTU3[stu3.Encounter])
}

// SearchEncounters implements stu3.EncounterSearcher.
func (b *STU3Backend) SearchEncounters(ctx context.Context, q stu3.EncounterQuery) (fhir.Page[*stu3.Encounter], error) {
	return decoded(decodeSTU3[stu3.Encounter])(b.SearchEncountersJSON(ctx, q))
}

// SearchEncountersJSON implements stu3.EncounterJSONSearcher:
// the stored JSON as it is (the engine serves it without decoding it).
func (b *STU3Backend) SearchEncountersJSON(ctx context.Context, q stu3.EncounterQuery) (fhir.Page[json.RawMessage], error) {
	return search(ctx, b.db, encounters, colSTU3, b.tenant, q.Search,
		encounterWhere(q.Patient, q.Date, q.Status, q.Type), stored)
}

// ReadAllergyIntolerance implements stu3.AllergyIntoleranceReader.
func (b *STU3Backend) ReadAllergyIntolerance(ctx context.Context, id string) (*stu3.AllergyIntolerance, error) {
	return read(ctx, b.db, allergies, colSTU3, b.tenant, id, decodeSTU3[stu3.AllergyIntolerance])
}

// SearchAllergyIntolerances implements stu3.AllergyIntoleranceSearcher.
func (b *STU3Backend) SearchAllergyIntolerances(ctx context.Context, q stu3.AllergyIntoleranceQuery) (fhir.Page[*stu3.AllergyIntolerance], error) {
	return decoded(decodeSTU3[stu3.AllergyIntolerance])(b.SearchAllergyIntolerancesJSON(ctx, q))
}

// SearchAllergyIntolerancesJSON implements stu3.AllergyIntoleranceJSONSearcher:
// the stored JSON as it is (the engine serves it without decoding it).
func (b *STU3Backend) SearchAllergyIntolerancesJSON(ctx context.Context, q stu3.AllergyIntoleranceQuery) (fhir.Page[json.RawMessage], error) {
	return search(ctx, b.db, allergies, colSTU3, b.tenant, q.Search, patientOnly(q.Patient), stored)
}

// ReadMedicationRequest implements stu3.MedicationRequestReader.
func (b *STU3Backend) ReadMedicationRequest(ctx context.Context, id string) (*stu3.MedicationRequest, error) {
	return read(ctx, b.db, medicationRequests, colSTU3, b.tenant, id, decodeSTU3[stu3.MedicationRequest])
}

// SearchMedicationRequests implements stu3.MedicationRequestSearcher.
func (b *STU3Backend) SearchMedicationRequests(ctx context.Context, q stu3.MedicationRequestQuery) (fhir.Page[*stu3.MedicationRequest], error) {
	return decoded(decodeSTU3[stu3.MedicationRequest])(b.SearchMedicationRequestsJSON(ctx, q))
}

// SearchMedicationRequestsJSON implements stu3.MedicationRequestJSONSearcher:
// the stored JSON as it is (the engine serves it without decoding it).
func (b *STU3Backend) SearchMedicationRequestsJSON(ctx context.Context, q stu3.MedicationRequestQuery) (fhir.Page[json.RawMessage], error) {
	return search(ctx, b.db, medicationRequests, colSTU3, b.tenant, q.Search, withStatus(q.Patient, q.Status), stored)
}

// ReadMedicationStatement implements stu3.MedicationStatementReader.
func (b *STU3Backend) ReadMedicationStatement(ctx context.Context, id string) (*stu3.MedicationStatement, error) {
	return read(ctx, b.db, medicationStatements, colSTU3, b.tenant, id, decodeSTU3[stu3.MedicationStatement])
}

// SearchMedicationStatements implements stu3.MedicationStatementSearcher.
func (b *STU3Backend) SearchMedicationStatements(ctx context.Context, q stu3.MedicationStatementQuery) (fhir.Page[*stu3.MedicationStatement], error) {
	return decoded(decodeSTU3[stu3.MedicationStatement])(b.SearchMedicationStatementsJSON(ctx, q))
}

// SearchMedicationStatementsJSON implements stu3.MedicationStatementJSONSearcher:
// the stored JSON as it is (the engine serves it without decoding it).
func (b *STU3Backend) SearchMedicationStatementsJSON(ctx context.Context, q stu3.MedicationStatementQuery) (fhir.Page[json.RawMessage], error) {
	return search(ctx, b.db, medicationStatements, colSTU3, b.tenant, q.Search, withStatus(q.Patient, q.Status), stored)
}

// ReadCoverage implements stu3.CoverageReader.
func (b *STU3Backend) ReadCoverage(ctx context.Context, id string) (*stu3.Coverage, error) {
	return read(ctx, b.db, coverages, colSTU3, b.tenant, id, decodeSTU3[stu3.Coverage])
}

// SearchCoverages implements stu3.CoverageSearcher (the patient is the
// beneficiary).
func (b *STU3Backend) SearchCoverages(ctx context.Context, q stu3.CoverageQuery) (fhir.Page[*stu3.Coverage], error) {
	return decoded(decodeSTU3[stu3.Coverage])(b.SearchCoveragesJSON(ctx, q))
}

// SearchCoveragesJSON implements stu3.CoverageJSONSearcher (the patient is
// the beneficiary): the stored JSON as it is (the engine serves it without
// decoding it).
func (b *STU3Backend) SearchCoveragesJSON(ctx context.Context, q stu3.CoverageQuery) (fhir.Page[json.RawMessage], error) {
	return search(ctx, b.db, coverages, colSTU3, b.tenant, q.Search, coverageWhere(q.Patient, q.Identifier, q.Type), stored)
}

// ReadLocation implements stu3.LocationReader.
func (b *STU3Backend) ReadLocation(ctx context.Context, id string) (*stu3.Location, error) {
	return read(ctx, b.db, locations, colSTU3, b.tenant, id, decodeSTU3[stu3.Location])
}

// ReadPractitioner implements stu3.PractitionerReader.
func (b *STU3Backend) ReadPractitioner(ctx context.Context, id string) (*stu3.Practitioner, error) {
	return read(ctx, b.db, practitioners, colSTU3, b.tenant, id, decodeSTU3[stu3.Practitioner])
}
