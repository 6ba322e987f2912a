package kit

import (
	"github.com/patientsfhir/patientsfhir/fhir"
)

// Version describes what differs between the DSTU2 and STU3 contracts of
// the Patients app. DSTU2 and STU3 return the two filled-in values.
type Version struct {
	// FHIR is the REST core's version descriptor.
	FHIR *fhir.Version
	// Line is the prefix of the request lines: "D" (DSTU2) or "S" (STU3).
	Line string
	// FHIRVersions are the fhirVersion values the app accepts.
	FHIRVersions []string
	// Medication is the medication resource the app searches.
	Medication string
	// Required lists, per resource type, the elements the interface marks
	// "required": a missing one is an error.
	Required map[string][]Requirement
	// Displayed lists, per resource type, the references the app shows by
	// their display only (and must-support elements): a missing one is a
	// warning, or an error with Options.StrictDisplay.
	Displayed map[string][]Requirement
	// PatientRef lists, per resource type, the elements that hold the
	// reference to the patient a resource belongs to.
	PatientRef map[string][]string
	// Date lists, per resource type, the element "newest first" sorts on.
	Date map[string][]string
	// Validate decodes one resource with the version's generated models and
	// runs its Validate method.
	Validate func(resource []byte) error
}

// Requirement is one required element: it holds when any of Paths has a
// non-empty value. A path is dotted element names; arrays are searched
// element by element, a number selects one element ("type.0.coding.0.display"),
// and "identifier[MR]" selects the identifiers typed MR.
type Requirement struct {
	// Label is the interface's name for the element, e.g. "Name.Family".
	Label string
	// Paths are the alternatives.
	Paths []string
}

func req(label string, paths ...string) Requirement {
	return Requirement{Label: label, Paths: paths}
}

// DSTU2 is the DSTU2 (1.0.2) contract, interface section 4.
func DSTU2(validate func([]byte) error) *Version {
	return &Version{
		FHIR: fhir.DSTU2, Line: "D", FHIRVersions: []string{"1.0.2", "1.0.1"}, Medication: "MedicationOrder",
		Required: map[string][]Requirement{
			"Patient": {req("Name.Family", "name.family"), req("Name.Given", "name.given"), req("Gender", "gender"),
				req("BirthDate", "birthDate"), req("MRN (identifier typed MR)", "identifier[MR].value")},
			"Observation": {req("Effective", "effectiveDateTime", "effectivePeriod.start", "effectivePeriod.end"),
				req("Code.Coding.Code", "code.coding.code"),
				req("ValueQuantity.Value (or per component)", "valueQuantity.value", "component.valueQuantity.value")},
			"Condition":          {req("Code.Coding[0].Display", "code.coding.0.display")},
			"Encounter":          {req("Status", "status"), req("Type[0].Coding[0].Display", "type.0.coding.0.display")},
			"AllergyIntolerance": {req("Code.Text (substance.text)", "substance.text"), req("Code.Coding[0].Display (substance)", "substance.coding.0.display"), req("Status", "status")},
			"MedicationOrder": {req("DateWritten", "dateWritten"), req("Prescriber.Display", "prescriber.display"),
				req("Medication.Display or Medication.Text", "medicationReference.display", "medicationCodeableConcept.text")},
		},
		Displayed: map[string][]Requirement{
			"Patient":   {req("CareProvider.Display", "careProvider.display")},
			"Encounter": {req("Period.Start", "period.start"), req("Location[0].Location.Display", "location.0.location.display")},
			"Coverage":  {req("Payor (issuer.display or plan; ambiguity A11)", "issuer.display", "plan")},
		},
		PatientRef: map[string][]string{
			"Observation": {"subject"}, "Condition": {"patient"}, "Encounter": {"patient"},
			"AllergyIntolerance": {"patient"}, "MedicationOrder": {"patient"}, "Coverage": {"subscriber", "beneficiary"},
		},
		Date: map[string][]string{
			"Observation": {"effectiveDateTime", "effectivePeriod"}, "Encounter": {"period"},
		},
		Validate: validate,
	}
}

// STU3 is the STU3 (3.0.x) contract, interface section 5.
func STU3(validate func([]byte) error) *Version {
	return &Version{
		FHIR: fhir.STU3, Line: "S", FHIRVersions: []string{"3.0.1", "3.0.2", "3.0.0"}, Medication: "MedicationRequest",
		Required: map[string][]Requirement{
			"Patient": {req("Name.Given", "name.given"), req("Name.Family", "name.family"), req("Gender", "gender"),
				req("BirthDate", "birthDate"), req("MRN (identifier typed MR)", "identifier[MR].value")},
			"Observation": {req("Effective", "effectiveDateTime", "effectivePeriod.start", "effectivePeriod.end"),
				req("Code.Coding.Code", "code.coding.code"),
				req("ValueQuantity.Value (or per component)", "valueQuantity.value", "component.valueQuantity.value")},
			"Condition": {req("Code.Coding[0].Display", "code.coding.0.display")},
			"Encounter": {req("Status", "status"), req("Type[0].Coding[0].Display", "type.0.coding.0.display")},
			"AllergyIntolerance": {req("Code.Text", "code.text"), req("Code.Coding[0].Display", "code.coding.0.display"),
				req("ClinicalStatus or VerificationStatus", "clinicalStatus", "verificationStatus")},
			"MedicationRequest": {req("Medication.Display or Medication.Text", "medicationReference.display", "medicationCodeableConcept.text"),
				req("AuthoredOn", "authoredOn"), req("Requester.Agent.Display", "requester.agent.display")},
			"Coverage": {req("Grouping.GroupDisplay", "grouping.groupDisplay"), req("Grouping.PlanDisplay", "grouping.planDisplay"),
				req("Period", "period.start", "period.end"), req("SubscriberId", "subscriberId")},
		},
		Displayed: map[string][]Requirement{
			"Patient":   {req("GeneralPractitioner.Display", "generalPractitioner.display")},
			"Encounter": {req("Period.Start", "period.start"), req("Location[0].Location.Display", "location.0.location.display")},
		},
		PatientRef: map[string][]string{
			"Observation": {"subject"}, "Condition": {"subject"}, "Encounter": {"subject"},
			"AllergyIntolerance": {"patient"}, "MedicationRequest": {"subject"}, "Coverage": {"beneficiary", "subscriber"},
		},
		Date: map[string][]string{
			"Observation": {"effectiveDateTime", "effectivePeriod"}, "Encounter": {"period"},
		},
		Validate: validate,
	}
}

// Catalogue returns every request the Patients app may send to a server of
// version v, with its variants, in request-line order.
func Catalogue(v *Version) []Request {
	L := func(n string) string { return v.Line + n }
	var out []Request
	add := func(r Request) { out = append(out, r) }
	// search adds the GET and the POST _search form of one search.
	search := func(line, title, typ, query string, e Expect) {
		e.Type, e.Kind = typ, KindSearchset
		add(Request{Name: line + " " + title + " (GET)", Line: line, Method: "GET", Path: typ, Query: query, Expect: e})
		add(Request{Name: line + " " + title + " (POST _search)", Line: line, Method: "POST", Path: typ + "/_search", Form: query, Expect: e})
	}

	add(Request{Name: L("0") + " metadata without credentials", Line: L("0"), Method: "GET", Path: "metadata", NoAuth: true,
		Expect: Expect{Kind: KindCapability, Type: v.FHIR.CapabilityResource}})
	add(Request{Name: L("1") + " read Patient", Line: L("1"), Method: "GET", Path: "Patient/{patient}",
		Expect: Expect{Kind: KindResource, Type: "Patient", MustFind: true}})
	add(Request{Name: L("1") + " read unknown Patient", Line: L("1"), Method: "GET", Path: "Patient/{unknown}",
		Expect: Expect{Kind: KindOutcome, Status: 404}})

	// Patient search (D2/S2): the documented body, contains semantics, id/_id, MRN.
	pt := func(title, query string, match ...string) {
		search(L("2"), "Patient "+title, "Patient", query, Expect{MustFind: true, MustMatch: match})
	}
	if v.Line == "D" {
		pt("given & family:contains (documented body)", "given={given}&family:contains={family}", "given", "family")
		pt("family:contains inner substring", "family:contains={familyMid}", "family")
		pt("given substring", "given={givenMid}", "given")
		pt("given:contains (early drafts)", "given:contains={givenMid}", "given")
		pt("name substring", "name={familyMid}", "name")
		pt("name:contains (early drafts)", "name:contains={familyMid}", "name")
		pt("birthdate & family:contains", "birthdate={birthdate}&family:contains={family}", "birthdate", "family")
	} else {
		pt("given & family (documented body)", "given={given}&family={family}", "given", "family")
		pt("family inner substring (contains semantics)", "family={familyMid}", "family")
		pt("given substring", "given={givenMid}", "given")
		pt("birthdate & family", "birthdate={birthdate}&family={family}", "birthdate", "family")
		pt("gender & family", "gender={gender}&family={family}", "gender", "family")
	}
	pt("id", "id={patient}", "id")
	pt("_id", "_id={patient}", "id")
	pt("identifier without system (MRN)", "identifier={mrn}", "identifier")
	pt("identifier system|value", "identifier={mrnSystem}|{mrn}", "identifier")
	family := map[string]string{"D": "family:contains", "S": "family"}[v.Line]
	search(L("2"), "Patient _count=1", "Patient", family+"={familyMid}&_count=1", Expect{Count: 1, NonEmpty: true})

	scoped := Expect{PatientScoped: true}
	newest := Expect{PatientScoped: true, NewestFirst: true, NonEmpty: true}
	// Observation (D3/S3): both sort syntaxes, and the documented example.
	search(L("3"), "Observation vitals, _sort:desc=date", "Observation", "patient={patient}&_sort:desc=date&category=vital-signs", newest)
	search(L("3"), "Observation vitals, _sort=-date", "Observation", "patient={patient}&_sort=-date&category=vital-signs", newest)
	search(L("3"), "Observation vitals, no sort (documented example)", "Observation", "patient={patient}&category=vital-signs", Expect{PatientScoped: true, NonEmpty: true})
	if v.Line == "D" {
		// A6: the list spells "sort:desc" without the underscore; a lenient
		// server ignores it.
		search(L("3"), "Observation vitals, sort:desc=date (A6 typo)", "Observation", "patient={patient}&sort:desc=date&category=vital-signs", Expect{PatientScoped: true, NonEmpty: true})
	}
	search(L("4"), "Condition _count=10", "Condition", "patient={patient}&_count=10", Expect{PatientScoped: true, Count: 10, NonEmpty: true})
	search(L("5"), "Encounter newest, _sort:desc=date&_count=1", "Encounter", "patient={patient}&_sort:desc=date&_count=1", Expect{PatientScoped: true, NewestFirst: true, NonEmpty: true, Count: 1})
	search(L("5"), "Encounter newest, _sort=-date&_count=1", "Encounter", "patient={patient}&_sort=-date&_count=1", Expect{PatientScoped: true, NewestFirst: true, NonEmpty: true, Count: 1})
	search(L("5"), "Encounter all, _sort:desc=date", "Encounter", "patient={patient}&_sort:desc=date", newest)
	search(L("6"), "AllergyIntolerance", "AllergyIntolerance", "patient={patient}", scoped)
	search(L("7"), v.Medication+" _count=10", v.Medication, "patient={patient}&_count=10", Expect{PatientScoped: true, Count: 10, NonEmpty: true})
	search(L("8"), "Coverage by patient (custom parameter)", "Coverage", "patient={patient}", scoped)

	add(Request{Name: L("9") + " batch of every clinical search for one patient", Line: L("9"), Method: "POST",
		Batch: []string{
			"Patient/{patient}",
			"Observation?patient={patient}&_sort:desc=date&category=vital-signs",
			"Observation?patient={patient}&_sort=-date&category=vital-signs",
			"Condition?patient={patient}&_count=10",
			"Encounter?patient={patient}&_sort:desc=date&_count=1",
			"AllergyIntolerance?patient={patient}",
			v.Medication + "?patient={patient}&_count=10",
			"Coverage?patient={patient}",
		},
		Expect: Expect{Kind: KindBatch}})
	return out
}
