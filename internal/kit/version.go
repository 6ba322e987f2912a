package kit

import (
	"strings"

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
	// their display only (and must-support elements the app shows): a
	// missing one fails the run unless Options.Relax names its rule.
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
	// ID is the id of the requirement's rule, e.g. "required.patient.mrn"
	// or "display.encounter.location".
	ID string
	// Section is where the interface states it, e.g. "§5.5, §9 item 7".
	Section string
	// Label is the interface's name for the element, e.g. "Name.Family".
	Label string
	// Paths are the alternatives.
	Paths []string
}

// reqs builds the requirements of one type: kind is "required" or
// "display", sec the type's section; each item is id, label, paths.
func reqs(kind, typ, sec string, items ...[]string) []Requirement {
	out := make([]Requirement, 0, len(items))
	for _, it := range items {
		s := sec
		if kind == "display" && strings.Contains(it[1], "Display") {
			s += ", §9 item 7" // a reference the app shows by its display only
		}
		out = append(out, Requirement{ID: kind + "." + strings.ToLower(typ) + "." + it[0], Section: s, Label: it[1], Paths: it[2:]})
	}
	return out
}

func el(id, label string, paths ...string) []string { return append([]string{id, label}, paths...) }

// shared returns the requirements both versions state alike, with the
// sections of chapter ch ("4" DSTU2, "5" STU3).
func shared(ch string) (required, displayed map[string][]Requirement) {
	sec := func(n string) string { return "§" + ch + "." + n }
	required = map[string][]Requirement{
		"Patient": reqs("required", "Patient", sec("2"), el("family", "Name.Family", "name.family"), el("given", "Name.Given", "name.given"),
			el("gender", "Gender", "gender"), el("birthdate", "BirthDate", "birthDate"), el("mrn", "MRN (identifier typed MR)", "identifier[MR].value")),
		"Observation": reqs("required", "Observation", sec("3"), el("effective", "Effective", "effectiveDateTime", "effectivePeriod.start", "effectivePeriod.end"),
			el("code", "Code.Coding.Code", "code.coding.code"),
			el("value", "ValueQuantity.Value (or per component)", "valueQuantity.value", "component.valueQuantity.value")),
		"Condition": reqs("required", "Condition", sec("4"), el("code-display", "Code.Coding[0].Display", "code.coding.0.display")),
		"Encounter": reqs("required", "Encounter", sec("5"), el("status", "Status", "status"), el("type-display", "Type[0].Coding[0].Display", "type.0.coding.0.display")),
	}
	displayed = map[string][]Requirement{
		"Encounter": reqs("display", "Encounter", sec("5"), el("period-start", "Period.Start", "period.start"),
			el("location", "Location[0].Location.Display", "location.0.location.display")),
	}
	return required, displayed
}

// dates are the elements "newest first" sorts on, the same in both
// versions.
func dates() map[string][]string {
	return map[string][]string{"Observation": {"effectiveDateTime", "effectivePeriod"}, "Encounter": {"period"}}
}

// DSTU2 is the DSTU2 (1.0.2) contract, interface section 4.
func DSTU2(validate func([]byte) error) *Version {
	required, displayed := shared("4")
	required["AllergyIntolerance"] = reqs("required", "AllergyIntolerance", "§4.6", el("text", "Code.Text", "substance.text"),
		el("code-display", "Code.Coding[0].Display", "substance.coding.0.display"), el("status", "Status", "status"))
	required["MedicationOrder"] = reqs("required", "MedicationOrder", "§4.7", el("datewritten", "DateWritten", "dateWritten"),
		el("prescriber-display", "Prescriber.Display", "prescriber.display"),
		el("medication-display", "Medication.Display or Medication.Text", "medicationReference.display", "medicationCodeableConcept.text"))
	displayed["Patient"] = reqs("display", "Patient", "§4.2", el("careprovider", "CareProvider.Display", "careProvider.display"))
	displayed["Coverage"] = reqs("display", "Coverage", "§4.8, A11", el("payor", "Payor", "issuer.display", "plan"))
	return &Version{
		FHIR: fhir.DSTU2, Line: "D", FHIRVersions: []string{"1.0.2", "1.0.1"}, Medication: "MedicationOrder",
		Required: required, Displayed: displayed,
		PatientRef: map[string][]string{
			"Observation": {"subject"}, "Condition": {"patient"}, "Encounter": {"patient"},
			"AllergyIntolerance": {"patient"}, "MedicationOrder": {"patient"}, "Coverage": {"subscriber", "beneficiary"},
		},
		Date:     dates(),
		Validate: validate,
	}
}

// STU3 is the STU3 (3.0.x) contract, interface section 5.
func STU3(validate func([]byte) error) *Version {
	required, displayed := shared("5")
	required["AllergyIntolerance"] = reqs("required", "AllergyIntolerance", "§5.6", el("text", "Code.Text", "code.text"),
		el("code-display", "Code.Coding[0].Display", "code.coding.0.display"),
		el("status", "ClinicalStatus or VerificationStatus", "clinicalStatus", "verificationStatus"))
	required["MedicationRequest"] = reqs("required", "MedicationRequest", "§5.7",
		el("medication-display", "Medication.Display or Medication.Text", "medicationReference.display", "medicationCodeableConcept.text"),
		el("authoredon", "AuthoredOn", "authoredOn"), el("requester-display", "Requester.Agent.Display", "requester.agent.display"))
	required["Coverage"] = reqs("required", "Coverage", "§5.8", el("groupdisplay", "Grouping.GroupDisplay", "grouping.groupDisplay"),
		el("plandisplay", "Grouping.PlanDisplay", "grouping.planDisplay"),
		el("period", "Period", "period.start", "period.end"), el("subscriberid", "SubscriberId", "subscriberId"))
	displayed["Patient"] = reqs("display", "Patient", "§5.2", el("generalpractitioner", "GeneralPractitioner.Display", "generalPractitioner.display"))
	return &Version{
		FHIR: fhir.STU3, Line: "S", FHIRVersions: []string{"3.0.1", "3.0.2", "3.0.0"}, Medication: "MedicationRequest",
		Required: required, Displayed: displayed,
		PatientRef: map[string][]string{
			"Observation": {"subject"}, "Condition": {"subject"}, "Encounter": {"subject"},
			"AllergyIntolerance": {"patient"}, "MedicationRequest": {"subject"}, "Coverage": {"beneficiary", "subscriber"},
		},
		Date:     dates(),
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
	pt := func(title, rule, query string, match ...string) {
		search(L("2"), "Patient "+title, "Patient", query, Expect{MustFind: true, MustMatch: match, Rule: rule})
	}
	if v.Line == "D" {
		pt("given & family:contains (documented body)", "search.contains", "given={given}&family:contains={family}", "given", "family")
		pt("family:contains inner substring", "search.contains", "family:contains={familyMid}", "family")
		pt("given substring", "search.contains", "given={givenMid}", "given")
		pt("given:contains (early drafts)", "search.contains", "given:contains={givenMid}", "given")
		pt("name substring", "search.contains", "name={familyMid}", "name")
		pt("name:contains (early drafts)", "search.contains", "name:contains={familyMid}", "name")
		pt("birthdate & family:contains", "param.birthdate", "birthdate={birthdate}&family:contains={family}", "birthdate", "family")
	} else {
		pt("given & family (documented body)", "search.contains", "given={given}&family={family}", "given", "family")
		pt("family inner substring (contains semantics)", "search.contains", "family={familyMid}", "family")
		pt("given substring", "search.contains", "given={givenMid}", "given")
		pt("birthdate & family", "param.birthdate", "birthdate={birthdate}&family={family}", "birthdate", "family")
		pt("gender & family", "param.gender", "gender={gender}&family={family}", "gender", "family")
	}
	pt("id", "param.id", "id={patient}", "id")
	pt("_id", "param.id", "_id={patient}", "id")
	pt("identifier without system (MRN)", "identifier.nosystem", "identifier={mrn}", "identifier")
	pt("identifier system|value", "param.identifier", "identifier={mrnSystem}|{mrn}", "identifier")
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
