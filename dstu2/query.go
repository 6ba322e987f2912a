package dstu2

import (
	"github.com/patientsfhir/patientsfhir/fhir"
	"github.com/patientsfhir/patientsfhir/internal/restserver"
)

// Search is what every typed query carries: _id, the page size (_count),
// the sort keys, the backend's cursor and the whole parsed query.
type Search = fhir.Search

// IDParam is the value of _id (AND of OR lists); Match(id) tests one.
type IDParam = fhir.IDParam

// StringParam is the value of a string parameter (AND of OR lists of
// fhir.StringValue); Match(texts...) applies FHIR's string matching.
type StringParam = fhir.StringParam

// TokenParam is the value of a token parameter (AND of OR lists of
// fhir.TokenValue); Match(codes...) applies FHIR's token matching.
type TokenParam = fhir.TokenParam

// DateParam is the value of a date parameter (AND of OR lists of
// fhir.DateValue with prefixes); Match and MatchString apply FHIR's
// date comparison.
type DateParam = fhir.DateParam

// TokenCode is one coded value of a resource (system, code, display text) for
// TokenParam.Match. (Code itself is the FHIR primitive code.)
type TokenCode = fhir.TokenCode

// The search parameters, declared once. The same values drive the parser,
// the capability statement and the self link. Modifiers not listed are
// refused (400).
var (
	// PatientParams are Patient's: _id (and id), name, family, given,
	// birthdate, gender, identifier.
	PatientParams = []fhir.SearchParam{
		fhir.ParamID,
		stringParam("name", "Patient.name", "Any part of any name (family, given, prefix, suffix, text)."),
		stringParam("family", "Patient.name.family", "A family name."),
		stringParam("given", "Patient.name.given", "A given name."),
		dateParam("birthdate", "Patient.birthDate", "The date of birth."),
		tokenParam("gender", "Patient.gender", "male | female | other | unknown."),
		tokenParam("identifier", "Patient.identifier", "An identifier (the MRN); the system is optional."),
	}
	// ObservationParams are Observation's: patient, subject, category,
	// code, date, status.
	ObservationParams = []fhir.SearchParam{
		fhir.ParamID,
		patientParam("Observation", "Observation.subject"),
		subjectParam("Observation", "Observation.subject"),
		tokenParam("category", "Observation.category", "The classification, e.g. vital-signs."),
		tokenParam("code", "Observation.code", "The code of the observation (LOINC)."),
		dateParam("date", "Observation.effective[x]", "When the observation applies."),
		tokenParam("status", "Observation.status", "The status of the observation."),
	}
	// ConditionParams are Condition's: patient, category, clinicalstatus,
	// onset (DSTU2 names).
	ConditionParams = []fhir.SearchParam{
		fhir.ParamID,
		patientParam("Condition", "Condition.patient"),
		tokenParam("category", "Condition.category", "The category of the condition."),
		tokenParam("clinicalstatus", "Condition.clinicalStatus", "The clinical status of the condition."),
		dateParam("onset", "Condition.onset[x]", "When the condition began."),
	}
	// EncounterParams are Encounter's: patient, date, status, type.
	EncounterParams = []fhir.SearchParam{
		fhir.ParamID,
		patientParam("Encounter", "Encounter.patient"),
		dateParam("date", "Encounter.period", "When the encounter took place."),
		tokenParam("status", "Encounter.status", "The status of the encounter."),
		tokenParam("type", "Encounter.type", "The type of encounter."),
	}
	// AllergyIntoleranceParams are AllergyIntolerance's: patient.
	AllergyIntoleranceParams = []fhir.SearchParam{
		fhir.ParamID,
		patientParam("AllergyIntolerance", "AllergyIntolerance.patient"),
	}
	// MedicationOrderParams are MedicationOrder's: patient, status.
	MedicationOrderParams = []fhir.SearchParam{
		fhir.ParamID,
		patientParam("MedicationOrder", "MedicationOrder.patient"),
		tokenParam("status", "MedicationOrder.status", "The status of the order."),
	}
	// CoverageParams are Coverage's: the Patients app's patient (the
	// Coverage.subscriber element, as DSTU2 has no beneficiary), identifier,
	// type.
	CoverageParams = []fhir.SearchParam{
		fhir.ParamID,
		{Name: "patient", Type: fhir.TypeReference, Path: "Coverage.subscriber", Targets: []string{"Patient"},
			Documentation: "The patient who holds the coverage (Coverage.subscriber); not a standard DSTU2 parameter, the Patients app sends it."},
		tokenParam("identifier", "Coverage.identifier", "The primary identifier of the insured."),
		tokenParam("type", "Coverage.type", "The kind of coverage."),
	}
	// LocationParams are Location's: _id, name, identifier.
	LocationParams = []fhir.SearchParam{
		fhir.ParamID,
		stringParam("name", "Location.name", "The name of the location."),
		tokenParam("identifier", "Location.identifier", "An identifier of the location."),
	}
	// PractitionerParams are Practitioner's: _id, name, identifier.
	PractitionerParams = []fhir.SearchParam{
		fhir.ParamID,
		stringParam("name", "Practitioner.name", "Any part of the name."),
		tokenParam("identifier", "Practitioner.identifier", "An identifier of the practitioner."),
	}
)

// PatientQuery is a Patient search. Under the Patients app profile, plain
// name, family and given values arrive with the :contains modifier
// (substring semantics), so StringParam.Match does the right thing.
type PatientQuery struct {
	Search
	// Name matches any part of any name.
	Name StringParam
	// Family matches HumanName.family.
	Family StringParam
	// Given matches HumanName.given.
	Given StringParam
	// Birthdate matches birthDate (with prefixes; the app sends equality).
	Birthdate DateParam
	// Gender matches gender.
	Gender TokenParam
	// Identifier matches identifier (system|value or value alone).
	Identifier TokenParam
}

// ObservationQuery is a search of one patient's Observations.
type ObservationQuery struct {
	Search
	// Patient is the logical id of the patient (from patient or subject);
	// always set. Return only this patient's observations.
	Patient string
	// Category matches category (the app sends vital-signs).
	Category TokenParam
	// Code matches code.
	Code TokenParam
	// Date matches effective[x].
	Date DateParam
	// Status matches status.
	Status TokenParam
}

// ConditionQuery is a search of one patient's Conditions.
type ConditionQuery struct {
	Search
	// Patient is the logical id of the patient; always set.
	Patient string
	// Category matches category.
	Category TokenParam
	// ClinicalStatus matches clinicalStatus (parameter clinicalstatus).
	ClinicalStatus TokenParam
	// Onset matches onset[x] (parameter onset).
	Onset DateParam
}

// EncounterQuery is a search of one patient's Encounters.
type EncounterQuery struct {
	Search
	// Patient is the logical id of the patient; always set.
	Patient string
	// Date matches period.
	Date DateParam
	// Status matches status.
	Status TokenParam
	// Type matches type.
	Type TokenParam
}

// AllergyIntoleranceQuery is a search of one patient's AllergyIntolerances.
type AllergyIntoleranceQuery struct {
	Search
	// Patient is the logical id of the patient; always set.
	Patient string
}

// MedicationOrderQuery is a search of one patient's MedicationOrders.
type MedicationOrderQuery struct {
	Search
	// Patient is the logical id of the patient; always set.
	Patient string
	// Status matches status.
	Status TokenParam
}

// CoverageQuery is a search of one patient's Coverages.
type CoverageQuery struct {
	Search
	// Patient is the logical id of the patient, matched against
	// Coverage.subscriber; always set.
	Patient string
	// Identifier matches identifier.
	Identifier TokenParam
	// Type matches type.
	Type TokenParam
}

// LocationQuery is a Location search.
type LocationQuery struct {
	Search
	// Name matches name.
	Name StringParam
	// Identifier matches identifier.
	Identifier TokenParam
}

// PractitionerQuery is a Practitioner search.
type PractitionerQuery struct {
	Search
	// Name matches any part of the name.
	Name StringParam
	// Identifier matches identifier.
	Identifier TokenParam
}

// GenericQuery is a search of a type served by a GenericBackend; the
// parameters are in Search.Query, parsed against the type's declaration.
type GenericQuery struct {
	Search
	// Type is the resource type searched.
	Type string
}

func stringParam(name, path, doc string) fhir.SearchParam {
	return restserver.StringParamDecl(name, path, doc)
}

func tokenParam(name, path, doc string) fhir.SearchParam {
	return restserver.TokenParamDecl(name, path, doc)
}

func dateParam(name, path, doc string) fhir.SearchParam {
	return restserver.DateParamDecl(name, path, doc)
}

func patientParam(typ, path string) fhir.SearchParam {
	return restserver.PatientParamDecl(typ, "patient", path)
}

func subjectParam(typ, path string) fhir.SearchParam {
	return restserver.PatientParamDecl(typ, "subject", path)
}
