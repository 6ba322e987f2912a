package dstu2

import (
	"context"

	"github.com/patientsfhir/patientsfhir/fhir"
	"github.com/patientsfhir/patientsfhir/internal/restserver"
)

// Config configures a DSTU2 handler: the backend (or a per-tenant
// resolver), where it is mounted, the profile, the capability statement's
// security section, output checks, timeouts and limits. See
// docs/server.md; every field is documented on restserver.Config.
type Config = restserver.Config

// Profile restricts the server to a client's resources and parameters
// (see PatientsApp).
type Profile = restserver.Profile

// ProfileResource is one type of a Profile.
type ProfileResource = restserver.ProfileResource

// CheckMode says what happens to a resource that fails an output check.
type CheckMode = restserver.CheckMode

// The output check modes.
const (
	// CheckReject answers 500 with an OperationOutcome (the default).
	CheckReject = restserver.CheckReject
	// CheckDrop leaves the resource out of the searchset and logs it.
	CheckDrop = restserver.CheckDrop
)

// Handler is the DSTU2 endpoint: GET /metadata, GET /{type}/{id},
// GET /{type}, POST /{type}/_search, POST / (batch) under Config.BasePath.
type Handler = restserver.Handler

// NewHandler returns the DSTU2 handler for cfg. It routes and advertises
// exactly the interfaces cfg.Backend implements (restricted by
// cfg.Profile); configuration mistakes are errors here, not at request
// time.
func NewHandler(cfg Config) (*Handler, error) { return restserver.New(&spec, cfg) }

// spec binds the DSTU2 typed interfaces to the engine.
var spec = restserver.Spec{
	Version: fhir.DSTU2,
	Types:   ResourceTypes(),
	Bindings: []restserver.Binding{
		restserver.Bind("Patient", PatientParams, nil, PatientReader.ReadPatient,
			func(s PatientSearcher, ctx context.Context, a *restserver.Args) (Page[*Patient], error) {
				return s.SearchPatients(ctx, PatientQuery{Search: a.Search, Name: a.Strings("name"), Family: a.Strings("family"),
					Given: a.Strings("given"), Birthdate: a.Dates("birthdate"), Gender: a.Tokens("gender"), Identifier: a.Tokens("identifier")})
			}, nil),
		restserver.Bind("Observation", ObservationParams, []string{"patient", "subject"}, ObservationReader.ReadObservation,
			func(s ObservationSearcher, ctx context.Context, a *restserver.Args) (Page[*Observation], error) {
				return s.SearchObservations(ctx, ObservationQuery{Search: a.Search, Patient: a.Patient, Category: a.Tokens("category"),
					Code: a.Tokens("code"), Date: a.Dates("date"), Status: a.Tokens("status")})
			}, func(r *Observation) string { return ref(r.Subject) }),
		restserver.Bind("Condition", ConditionParams, []string{"patient"}, ConditionReader.ReadCondition,
			func(s ConditionSearcher, ctx context.Context, a *restserver.Args) (Page[*Condition], error) {
				return s.SearchConditions(ctx, ConditionQuery{Search: a.Search, Patient: a.Patient, Category: a.Tokens("category"),
					ClinicalStatus: a.Tokens("clinicalstatus"), Onset: a.Dates("onset")})
			}, func(r *Condition) string { return ref(r.Patient) }),
		restserver.Bind("Encounter", EncounterParams, []string{"patient"}, EncounterReader.ReadEncounter,
			func(s EncounterSearcher, ctx context.Context, a *restserver.Args) (Page[*Encounter], error) {
				return s.SearchEncounters(ctx, EncounterQuery{Search: a.Search, Patient: a.Patient, Date: a.Dates("date"),
					Status: a.Tokens("status"), Type: a.Tokens("type")})
			}, func(r *Encounter) string { return ref(r.Patient) }),
		restserver.Bind("AllergyIntolerance", AllergyIntoleranceParams, []string{"patient"}, AllergyIntoleranceReader.ReadAllergyIntolerance,
			func(s AllergyIntoleranceSearcher, ctx context.Context, a *restserver.Args) (Page[*AllergyIntolerance], error) {
				return s.SearchAllergyIntolerances(ctx, AllergyIntoleranceQuery{Search: a.Search, Patient: a.Patient})
			}, func(r *AllergyIntolerance) string { return ref(r.Patient) }),
		restserver.Bind("MedicationOrder", MedicationOrderParams, []string{"patient"}, MedicationOrderReader.ReadMedicationOrder,
			func(s MedicationOrderSearcher, ctx context.Context, a *restserver.Args) (Page[*MedicationOrder], error) {
				return s.SearchMedicationOrders(ctx, MedicationOrderQuery{Search: a.Search, Patient: a.Patient, Status: a.Tokens("status")})
			}, func(r *MedicationOrder) string { return ref(r.Patient) }),
		restserver.Bind("Coverage", CoverageParams, []string{"patient"}, CoverageReader.ReadCoverage,
			func(s CoverageSearcher, ctx context.Context, a *restserver.Args) (Page[*Coverage], error) {
				return s.SearchCoverages(ctx, CoverageQuery{Search: a.Search, Patient: a.Patient, Identifier: a.Tokens("identifier"),
					Type: a.Tokens("type")})
			}, func(r *Coverage) string { return ref(r.Subscriber) }),
		restserver.Bind("Location", LocationParams, nil, LocationReader.ReadLocation,
			func(s LocationSearcher, ctx context.Context, a *restserver.Args) (Page[*Location], error) {
				return s.SearchLocations(ctx, LocationQuery{Search: a.Search, Name: a.Strings("name"), Identifier: a.Tokens("identifier")})
			}, nil),
		restserver.Bind("Practitioner", PractitionerParams, nil, PractitionerReader.ReadPractitioner,
			func(s PractitionerSearcher, ctx context.Context, a *restserver.Args) (Page[*Practitioner], error) {
				return s.SearchPractitioners(ctx, PractitionerQuery{Search: a.Search, Name: a.Strings("name"), Identifier: a.Tokens("identifier")})
			}, nil),
	},
	Generic: restserver.BindGeneric[GenericBackend, Resource, GenericQuery](
		func(typ string, s Search) GenericQuery { return GenericQuery{Search: s, Type: typ} }),
}

func ref(r *Reference) string {
	if r == nil {
		return ""
	}
	return r.Reference
}

// PatientsApp is the Microsoft Teams Patients app's profile for DSTU2, in
// one call: exactly the resources and parameters the app uses (Patient
// read and search by id/_id, name, family, given, birthdate, gender and
// identifier, with substring semantics for the three name parameters;
// Observation, Condition, Encounter, AllergyIntolerance, MedicationOrder
// and Coverage searched by patient, with date for the newest-first sorts;
// reads of each, and of Location and Practitioner), page sizes of 50 (20
// for Patient). Patient is required: NewHandler fails if the backend
// cannot read and search patients. Both _sort syntaxes, id as _id,
// identifier without a system, POST _search and batch are always accepted.
func PatientsApp() *Profile {
	return &Profile{
		Name:         "Microsoft Teams Patients app (DSTU2)",
		DefaultCount: 50,
		MaxCount:     500,
		Resources: []ProfileResource{
			{Type: "Patient", Read: true, Search: true, Required: true, DefaultCount: 20,
				Params:   []string{"_id", "name", "family", "given", "birthdate", "gender", "identifier"},
				Contains: []string{"name", "family", "given"}},
			{Type: "Observation", Read: true, Search: true, Params: []string{"patient", "category", "date"}},
			{Type: "Condition", Read: true, Search: true, Params: []string{"patient"}},
			{Type: "Encounter", Read: true, Search: true, Params: []string{"patient", "date"}},
			{Type: "AllergyIntolerance", Read: true, Search: true, Params: []string{"patient"}},
			{Type: "MedicationOrder", Read: true, Search: true, Params: []string{"patient"}},
			{Type: "Coverage", Read: true, Search: true, Params: []string{"patient"}},
			{Type: "Location", Read: true},
			{Type: "Practitioner", Read: true},
		},
	}
}
