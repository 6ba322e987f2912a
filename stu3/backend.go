package stu3

import (
	"context"

	"github.com/patientsfhir/patientsfhir/fhir"
	"github.com/patientsfhir/patientsfhir/internal/restserver"
)

// Backend is a partner's EHR adapter: any value that implements one or more
// of the small interfaces below (PatientReader, PatientSearcher,
// ObservationSearcher, ..., GenericBackend). The server discovers them by
// type assertion once, at start-up, on Config.Backend, as database/sql does
// with driver interfaces: it routes and advertises in the capability
// statement exactly the interactions the value implements, and answers
// every other one with a not-supported OperationOutcome.
//
// Assert at compile time what you mean to serve:
//
//	var _ stu3.PatientSearcher = (*MyEHR)(nil)
//
// Every method gets the request's context (its deadline and cancellation,
// and the tenant's principal) first. Return fhir.ErrNotFound for a read of
// an unknown id, any error of package fhir to choose the status, or your own
// error (500, its text never shown; wrap with fhir.Safe to show a message).
// Searches return at most q.Count resources per page and set Page.Next for
// more. Every resource returned is checked before it is sent (see
// CheckResource).
type Backend = any

// Page is one page of typed search results: the resources, the total when
// known, and the backend's token for the next page.
type Page[T any] = fhir.Page[T]

// PatientReader reads a Patient by logical id (GET [base]/Patient/{id}).
type PatientReader interface {
	ReadPatient(ctx context.Context, id string) (*Patient, error)
}

// PatientSearcher searches Patients (GET [base]/Patient, POST
// [base]/Patient/_search) with the parameters of PatientQuery.
type PatientSearcher interface {
	SearchPatients(ctx context.Context, q PatientQuery) (Page[*Patient], error)
}

// ObservationReader reads an Observation by logical id.
type ObservationReader interface {
	ReadObservation(ctx context.Context, id string) (*Observation, error)
}

// ObservationSearcher searches one patient's Observations (the Patients
// app asks for vital signs, newest first).
type ObservationSearcher interface {
	SearchObservations(ctx context.Context, q ObservationQuery) (Page[*Observation], error)
}

// ConditionReader reads a Condition by logical id.
type ConditionReader interface {
	ReadCondition(ctx context.Context, id string) (*Condition, error)
}

// ConditionSearcher searches one patient's Conditions.
type ConditionSearcher interface {
	SearchConditions(ctx context.Context, q ConditionQuery) (Page[*Condition], error)
}

// EncounterReader reads an Encounter by logical id.
type EncounterReader interface {
	ReadEncounter(ctx context.Context, id string) (*Encounter, error)
}

// EncounterSearcher searches one patient's Encounters (the Patients app
// asks for the newest one, for the last known location).
type EncounterSearcher interface {
	SearchEncounters(ctx context.Context, q EncounterQuery) (Page[*Encounter], error)
}

// AllergyIntoleranceReader reads an AllergyIntolerance by logical id.
type AllergyIntoleranceReader interface {
	ReadAllergyIntolerance(ctx context.Context, id string) (*AllergyIntolerance, error)
}

// AllergyIntoleranceSearcher searches one patient's AllergyIntolerances.
type AllergyIntoleranceSearcher interface {
	SearchAllergyIntolerances(ctx context.Context, q AllergyIntoleranceQuery) (Page[*AllergyIntolerance], error)
}

// MedicationRequestReader reads a MedicationRequest by logical id.
type MedicationRequestReader interface {
	ReadMedicationRequest(ctx context.Context, id string) (*MedicationRequest, error)
}

// MedicationRequestSearcher searches one patient's MedicationRequests (what
// the Patients app shows as medications in STU3).
type MedicationRequestSearcher interface {
	SearchMedicationRequests(ctx context.Context, q MedicationRequestQuery) (Page[*MedicationRequest], error)
}

// MedicationStatementReader reads a MedicationStatement by logical id.
type MedicationStatementReader interface {
	ReadMedicationStatement(ctx context.Context, id string) (*MedicationStatement, error)
}

// MedicationStatementSearcher searches one patient's MedicationStatements.
type MedicationStatementSearcher interface {
	SearchMedicationStatements(ctx context.Context, q MedicationStatementQuery) (Page[*MedicationStatement], error)
}

// CoverageReader reads a Coverage by logical id.
type CoverageReader interface {
	ReadCoverage(ctx context.Context, id string) (*Coverage, error)
}

// CoverageSearcher searches one patient's Coverages. STU3 Coverage has no
// patient search parameter; the Patients app sends one anyway, and the
// server reads it as beneficiary (see CoverageQuery).
type CoverageSearcher interface {
	SearchCoverages(ctx context.Context, q CoverageQuery) (Page[*Coverage], error)
}

// LocationReader reads a Location by logical id.
type LocationReader interface {
	ReadLocation(ctx context.Context, id string) (*Location, error)
}

// LocationSearcher searches Locations by _id, name and identifier.
type LocationSearcher interface {
	SearchLocations(ctx context.Context, q LocationQuery) (Page[*Location], error)
}

// PractitionerReader reads a Practitioner by logical id.
type PractitionerReader interface {
	ReadPractitioner(ctx context.Context, id string) (*Practitioner, error)
}

// PractitionerSearcher searches Practitioners by _id, name and identifier.
type PractitionerSearcher interface {
	SearchPractitioners(ctx context.Context, q PractitionerQuery) (Page[*Practitioner], error)
}

// GenericBackend serves resource types that have no typed interface above
// (Organization, Medication, ...): it declares them with GenericTypes (read
// once, at start-up, for routing and the capability statement) and gets the
// type name with each call. A typed interface, when implemented, wins over
// GenericBackend for its type.
type GenericBackend interface {
	// GenericTypes lists the types served, their interactions and their
	// search parameters.
	GenericTypes() []GenericType
	// ReadGeneric reads a resource of type typ by logical id.
	ReadGeneric(ctx context.Context, typ, id string) (Resource, error)
	// SearchGeneric searches resources of type q.Type with q.Query (parsed
	// against the declared parameters).
	SearchGeneric(ctx context.Context, q GenericQuery) (Page[Resource], error)
}

// GenericType declares one type served by a GenericBackend.
type GenericType = restserver.GenericType
