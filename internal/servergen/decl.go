package main

// Version declares what differs between the DSTU2 and STU3 servers: the
// package, the typed resources with their search parameters and query
// fields, the element that names the patient, and the Patients-app profile.
// Everything else in the generated files is the same text for both.
type Version struct {
	Pkg       string // package name: "stu3"
	Name      string // release name: "STU3"
	Number    string // "3.0.1"
	Resources []Resource
	Profile   Profile
	// Aliases the profile doc names that are version-specific.
	ProfileDoc string
}

// Resource is one typed resource: its reader, searcher and query.
type Resource struct {
	Type   string // "Observation"
	Plural string // "Observations"
	// SearchDoc completes "XSearcher searches ..." (without the final dot).
	SearchDoc string
	// QueryDoc completes "XQuery is ...".
	QueryDoc string
	// Scope are the reference parameters that scope a search to one
	// patient ("patient", "subject"); empty for unscoped types.
	Scope []string
	// Owner is the Go field of the resource that references the patient
	// ("Subject"); set with Scope.
	Owner string
	// PatientDoc documents the query's Patient field.
	PatientDoc string
	// Params are the declared parameters besides _id and the scope ones,
	// in statement order (a custom scope declaration goes first).
	Params []Param
}

// Param is one search parameter and, unless Scope, its query field.
type Param struct {
	Name  string // "clinical-status"
	Kind  string // "string", "token", "date", "scope" (a patient reference), "custom-scope"
	Path  string // "Condition.clinicalStatus"
	Doc   string // documentation in the statement
	Field string // Go field of the query: "ClinicalStatus"
	// FieldDoc documents the field.
	FieldDoc string
}

// Profile is the Patients-app profile of the version.
type Profile struct {
	Name      string
	Resources []ProfileResource
}

// ProfileResource is one line of the profile.
type ProfileResource struct {
	Type         string
	Read, Search bool
	Params       []string
	Contains     []string
	DefaultCount int
}

func str(name, path, doc, field, fieldDoc string) Param {
	return Param{Name: name, Kind: "string", Path: path, Doc: doc, Field: field, FieldDoc: fieldDoc}
}

func tok(name, path, doc, field, fieldDoc string) Param {
	return Param{Name: name, Kind: "token", Path: path, Doc: doc, Field: field, FieldDoc: fieldDoc}
}

func date(name, path, doc, field, fieldDoc string) Param {
	return Param{Name: name, Kind: "date", Path: path, Doc: doc, Field: field, FieldDoc: fieldDoc}
}

func scope(name, path string) Param {
	return Param{Name: name, Kind: "scope", Path: path}
}

// Patient, Location and Practitioner are the same in both versions.
var (
	patient = Resource{Type: "Patient", Plural: "Patients",
		SearchDoc: "Patients (GET [base]/Patient, POST [base]/Patient/_search) with the parameters of PatientQuery",
		QueryDoc:  "a Patient search. Under the Patients app profile, plain name, family and given values arrive with the :contains modifier (substring semantics), so StringParam.Match does the right thing",
		Params: []Param{
			str("name", "Patient.name", "Any part of any name (family, given, prefix, suffix, text).", "Name", "Name matches any part of any name."),
			str("family", "Patient.name.family", "A family name.", "Family", "Family matches HumanName.family."),
			str("given", "Patient.name.given", "A given name.", "Given", "Given matches HumanName.given."),
			date("birthdate", "Patient.birthDate", "The date of birth.", "Birthdate", "Birthdate matches birthDate (with prefixes; the app sends equality)."),
			tok("gender", "Patient.gender", "male | female | other | unknown.", "Gender", "Gender matches gender."),
			tok("identifier", "Patient.identifier", "An identifier (the MRN); the system is optional.", "Identifier", "Identifier matches identifier (system|value or value alone)."),
		}}
	location = Resource{Type: "Location", Plural: "Locations",
		SearchDoc: "Locations by _id, name and identifier", QueryDoc: "a Location search",
		Params: []Param{
			str("name", "Location.name", "The name of the location.", "Name", "Name matches name."),
			tok("identifier", "Location.identifier", "An identifier of the location.", "Identifier", "Identifier matches identifier."),
		}}
	practitioner = Resource{Type: "Practitioner", Plural: "Practitioners",
		SearchDoc: "Practitioners by _id, name and identifier", QueryDoc: "a Practitioner search",
		Params: []Param{
			str("name", "Practitioner.name", "Any part of the name.", "Name", "Name matches any part of the name."),
			tok("identifier", "Practitioner.identifier", "An identifier of the practitioner.", "Identifier", "Identifier matches identifier."),
		}}
)

const scopedDoc = "Patient is the logical id of the patient (from patient or subject); always set. Return only this patient's resources."

// STU3 is the STU3 (3.0.1) server.
var STU3 = Version{Pkg: "stu3", Name: "STU3", Number: "3.0.1",
	Resources: []Resource{
		patient,
		{Type: "Observation", Plural: "Observations",
			SearchDoc: "one patient's Observations (the Patients app asks for vital signs, newest first)",
			QueryDoc:  "a search of one patient's Observations",
			Scope:     []string{"patient", "subject"}, Owner: "Subject", PatientDoc: scopedDoc,
			Params: []Param{scope("patient", "Observation.subject"), scope("subject", "Observation.subject"),
				tok("category", "Observation.category", "The classification, e.g. vital-signs.", "Category", "Category matches category (the app sends vital-signs)."),
				tok("code", "Observation.code", "The code of the observation (LOINC).", "Code", "Code matches code."),
				date("date", "Observation.effective[x]", "When the observation applies.", "Date", "Date matches effective[x]."),
				tok("status", "Observation.status", "The status of the observation.", "Status", "Status matches status."),
			}},
		{Type: "Condition", Plural: "Conditions", SearchDoc: "one patient's Conditions",
			QueryDoc: "a search of one patient's Conditions",
			Scope:    []string{"patient", "subject"}, Owner: "Subject", PatientDoc: scopedDoc,
			Params: []Param{scope("patient", "Condition.subject"), scope("subject", "Condition.subject"),
				tok("category", "Condition.category", "The category of the condition.", "Category", "Category matches category."),
				tok("clinical-status", "Condition.clinicalStatus", "The clinical status of the condition.", "ClinicalStatus", "ClinicalStatus matches clinicalStatus (parameter clinical-status)."),
				date("onset-date", "Condition.onset[x]", "When the condition began (dateTime or period).", "OnsetDate", "OnsetDate matches onset[x] (parameter onset-date)."),
			}},
		{Type: "Encounter", Plural: "Encounters",
			SearchDoc: "one patient's Encounters (the Patients app asks for the newest one, for the last known location)",
			QueryDoc:  "a search of one patient's Encounters",
			Scope:     []string{"patient", "subject"}, Owner: "Subject", PatientDoc: scopedDoc,
			Params: []Param{scope("patient", "Encounter.subject"), scope("subject", "Encounter.subject"),
				date("date", "Encounter.period", "When the encounter took place.", "Date", "Date matches period."),
				tok("status", "Encounter.status", "The status of the encounter.", "Status", "Status matches status."),
				tok("type", "Encounter.type", "The type of encounter.", "Type", "Type matches type."),
			}},
		{Type: "AllergyIntolerance", Plural: "AllergyIntolerances", SearchDoc: "one patient's AllergyIntolerances",
			QueryDoc: "a search of one patient's AllergyIntolerances",
			Scope:    []string{"patient"}, Owner: "Patient", PatientDoc: scopedDoc,
			Params: []Param{scope("patient", "AllergyIntolerance.patient")}},
		{Type: "MedicationRequest", Plural: "MedicationRequests",
			SearchDoc: "one patient's MedicationRequests (what the Patients app shows as medications in STU3)",
			QueryDoc:  "a search of one patient's MedicationRequests",
			Scope:     []string{"patient", "subject"}, Owner: "Subject", PatientDoc: scopedDoc,
			Params: []Param{scope("patient", "MedicationRequest.subject"), scope("subject", "MedicationRequest.subject"),
				tok("status", "MedicationRequest.status", "The status of the prescription.", "Status", "Status matches status."),
			}},
		{Type: "MedicationStatement", Plural: "MedicationStatements", SearchDoc: "one patient's MedicationStatements",
			QueryDoc: "a search of one patient's MedicationStatements",
			Scope:    []string{"patient", "subject"}, Owner: "Subject", PatientDoc: scopedDoc,
			Params: []Param{scope("patient", "MedicationStatement.subject"), scope("subject", "MedicationStatement.subject"),
				tok("status", "MedicationStatement.status", "The status of the statement.", "Status", "Status matches status."),
			}},
		{Type: "Coverage", Plural: "Coverages",
			SearchDoc: "one patient's Coverages. STU3 Coverage has no patient search parameter; the Patients app sends one anyway, and the server reads it as beneficiary (see CoverageQuery)",
			QueryDoc:  "a search of one patient's Coverages",
			Scope:     []string{"patient", "beneficiary"}, Owner: "Beneficiary",
			PatientDoc: "Patient is the logical id of the patient (from patient or beneficiary), matched against Coverage.beneficiary; always set.",
			Params: []Param{
				{Name: "patient", Kind: "custom-scope", Path: "Coverage.beneficiary",
					Doc: "The patient covered (Coverage.beneficiary); not a standard STU3 parameter, the Patients app sends it."},
				scope("beneficiary", "Coverage.beneficiary"),
				tok("identifier", "Coverage.identifier", "The primary identifier of the insured.", "Identifier", "Identifier matches identifier."),
				tok("type", "Coverage.type", "The kind of coverage.", "Type", "Type matches type."),
			}},
		location, practitioner,
	},
	Profile: Profile{Name: "Microsoft Teams Patients app (STU3)", Resources: []ProfileResource{
		{Type: "Patient", Read: true, Search: true, DefaultCount: 20,
			Params:   []string{"_id", "name", "family", "given", "birthdate", "gender", "identifier"},
			Contains: []string{"name", "family", "given"}},
		{Type: "Observation", Search: true, Params: []string{"patient", "category", "date"}},
		{Type: "Condition", Search: true, Params: []string{"patient"}},
		{Type: "Encounter", Search: true, Params: []string{"patient", "date"}},
		{Type: "AllergyIntolerance", Search: true, Params: []string{"patient"}},
		{Type: "MedicationRequest", Search: true, Params: []string{"patient"}},
		{Type: "MedicationStatement", Search: true, Params: []string{"patient"}},
		{Type: "Coverage", Search: true, Params: []string{"patient"}},
	}},
	ProfileDoc: "Observation, Condition, Encounter, AllergyIntolerance, MedicationRequest, MedicationStatement (the app's resource list names it) and Coverage",
}

// DSTU2 is the DSTU2 (1.0.2) server.
var DSTU2 = Version{Pkg: "dstu2", Name: "DSTU2", Number: "1.0.2",
	Resources: []Resource{
		patient,
		{Type: "Observation", Plural: "Observations",
			SearchDoc: "one patient's Observations (the Patients app asks for vital signs, newest first)",
			QueryDoc:  "a search of one patient's Observations",
			Scope:     []string{"patient", "subject"}, Owner: "Subject", PatientDoc: scopedDoc,
			Params: []Param{scope("patient", "Observation.subject"), scope("subject", "Observation.subject"),
				tok("category", "Observation.category", "The classification, e.g. vital-signs.", "Category", "Category matches category (the app sends vital-signs)."),
				tok("code", "Observation.code", "The code of the observation (LOINC).", "Code", "Code matches code."),
				date("date", "Observation.effective[x]", "When the observation applies.", "Date", "Date matches effective[x]."),
				tok("status", "Observation.status", "The status of the observation.", "Status", "Status matches status."),
			}},
		{Type: "Condition", Plural: "Conditions", SearchDoc: "one patient's Conditions",
			QueryDoc: "a search of one patient's Conditions",
			Scope:    []string{"patient"}, Owner: "Patient", PatientDoc: "Patient is the logical id of the patient; always set. Return only this patient's resources.",
			Params: []Param{scope("patient", "Condition.patient"),
				tok("category", "Condition.category", "The category of the condition.", "Category", "Category matches category."),
				tok("clinicalstatus", "Condition.clinicalStatus", "The clinical status of the condition.", "ClinicalStatus", "ClinicalStatus matches clinicalStatus (parameter clinicalstatus)."),
				date("onset", "Condition.onset[x]", "When the condition began.", "Onset", "Onset matches onset[x] (parameter onset)."),
			}},
		{Type: "Encounter", Plural: "Encounters",
			SearchDoc: "one patient's Encounters (the Patients app asks for the newest one, for the last known location)",
			QueryDoc:  "a search of one patient's Encounters",
			Scope:     []string{"patient"}, Owner: "Patient", PatientDoc: "Patient is the logical id of the patient; always set. Return only this patient's resources.",
			Params: []Param{scope("patient", "Encounter.patient"),
				date("date", "Encounter.period", "When the encounter took place.", "Date", "Date matches period."),
				tok("status", "Encounter.status", "The status of the encounter.", "Status", "Status matches status."),
				tok("type", "Encounter.type", "The type of encounter.", "Type", "Type matches type."),
			}},
		{Type: "AllergyIntolerance", Plural: "AllergyIntolerances", SearchDoc: "one patient's AllergyIntolerances",
			QueryDoc: "a search of one patient's AllergyIntolerances",
			Scope:    []string{"patient"}, Owner: "Patient", PatientDoc: "Patient is the logical id of the patient; always set. Return only this patient's resources.",
			Params: []Param{scope("patient", "AllergyIntolerance.patient")}},
		{Type: "MedicationOrder", Plural: "MedicationOrders",
			SearchDoc: "one patient's MedicationOrders (what the Patients app shows as medications in DSTU2)",
			QueryDoc:  "a search of one patient's MedicationOrders",
			Scope:     []string{"patient"}, Owner: "Patient", PatientDoc: "Patient is the logical id of the patient; always set. Return only this patient's resources.",
			Params: []Param{scope("patient", "MedicationOrder.patient"),
				tok("status", "MedicationOrder.status", "The status of the order.", "Status", "Status matches status."),
			}},
		{Type: "Coverage", Plural: "Coverages",
			SearchDoc: "one patient's Coverages. DSTU2 Coverage has no patient search parameter; the Patients app sends one anyway, and the server reads it as the Coverage.subscriber element (see CoverageQuery)",
			QueryDoc:  "a search of one patient's Coverages",
			Scope:     []string{"patient"}, Owner: "Subscriber",
			PatientDoc: "Patient is the logical id of the patient, matched against Coverage.subscriber; always set.",
			Params: []Param{
				{Name: "patient", Kind: "custom-scope", Path: "Coverage.subscriber",
					Doc: "The patient who holds the coverage (Coverage.subscriber); not a standard DSTU2 parameter, the Patients app sends it."},
				tok("identifier", "Coverage.identifier", "The primary identifier of the insured.", "Identifier", "Identifier matches identifier."),
				tok("type", "Coverage.type", "The kind of coverage.", "Type", "Type matches type."),
			}},
		location, practitioner,
	},
	Profile: Profile{Name: "Microsoft Teams Patients app (DSTU2)", Resources: []ProfileResource{
		{Type: "Patient", Read: true, Search: true, DefaultCount: 20,
			Params:   []string{"_id", "name", "family", "given", "birthdate", "gender", "identifier"},
			Contains: []string{"name", "family", "given"}},
		{Type: "Observation", Search: true, Params: []string{"patient", "category", "date"}},
		{Type: "Condition", Search: true, Params: []string{"patient"}},
		{Type: "Encounter", Search: true, Params: []string{"patient", "date"}},
		{Type: "AllergyIntolerance", Search: true, Params: []string{"patient"}},
		{Type: "MedicationOrder", Search: true, Params: []string{"patient"}},
		{Type: "Coverage", Search: true, Params: []string{"patient"}},
	}},
	ProfileDoc: "Observation, Condition, Encounter, AllergyIntolerance, MedicationOrder and Coverage",
}
