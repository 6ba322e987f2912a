package ehr

import (
	"github.com/patientsfhir/patientsfhir/fhir"
	"github.com/patientsfhir/patientsfhir/fhirsql"
)

// The fhirsql declarations: where each search parameter of each resource
// type is in the schema. Both versions share them, except Condition's
// category. Parameter names of both versions are declared (clinicalstatus
// and clinical-status); each version's parser only ever sends its own.

var (
	scope = []string{"tenant"}

	// newestFirst is the order of a clinical search without _sort.
	newestFirst = func(key string) []fhir.SortKey { return []fhir.SortKey{{Name: key, Descending: true}} }

	namePart = func(parts ...any) fhirsql.Source {
		return fhirsql.Source{Table: "patient_name", Ref: "patient", Where: []fhirsql.Cond{fhirsql.Eq("part", parts...)}}
	}
	suffixPart = func(parts ...any) *fhirsql.Suffix {
		return &fhirsql.Suffix{Source: fhirsql.Source{Table: "patient_name_suffix", Ref: "patient",
			Where: []fhirsql.Cond{fhirsql.Eq("part", parts...)}}, Column: "suffix"}
	}
	nameParam = func(parts ...any) fhirsql.String {
		return fhirsql.String{Source: namePart(parts...), Norm: "norm", Exact: "value", Suffix: suffixPart(parts...)}
	}

	patients = &fhirsql.Table{
		Name: "patient", ID: "id", Scope: scope,
		Strings: map[string]fhirsql.String{
			"family": nameParam("family"),
			"given":  nameParam("given"),
			"name":   nameParam("family", "given", "prefix"),
		},
		Tokens: map[string]fhirsql.Token{
			"gender":     {Code: "gender", ImplicitSystem: "http://hl7.org/fhir/administrative-gender", Text: "gender_text"},
			"identifier": {System: "mrn_system", Code: "mrn", Text: "mrn_text"},
		},
		Dates: map[string]fhirsql.Date{"birthdate": {Start: "birth_start", End: "birth_end"}},
		Sorts: map[string]fhirsql.Sort{
			"family": {Asc: "family_sort"}, "name": {Asc: "family_sort"}, "given": {Asc: "given_sort"},
			"birthdate": {Asc: "birth_start", Desc: "birth_end"}, "gender": {Asc: "gender"}, "identifier": {Asc: "mrn"},
		},
		DefaultSort: []fhir.SortKey{{Name: "family"}, {Name: "given"}},
	}

	observations = &fhirsql.Table{
		Name: "observation", ID: "id", Scope: scope,
		Tokens: map[string]fhirsql.Token{
			"category": {System: "category_system", Code: "category", Text: "category_text"},
			"code":     {System: "code_system", Code: "code", Text: "code_text"},
			"status":   {Code: "status", ImplicitSystem: "http://hl7.org/fhir/observation-status"},
		},
		Dates:       map[string]fhirsql.Date{"date": {Start: "date_start", End: "date_end"}},
		Sorts:       map[string]fhirsql.Sort{"date": {Asc: "date_start", Desc: "date_end"}, "patient": {Asc: "patient"}},
		DefaultSort: newestFirst("date"),
	}

	encounters = &fhirsql.Table{
		Name: "encounter", ID: "id", Scope: scope,
		Tokens: map[string]fhirsql.Token{
			"status": {Code: "status", ImplicitSystem: "http://hl7.org/fhir/encounter-status"},
			"type":   {System: "type_system", Code: "type", Text: "type_text"},
		},
		Dates:       map[string]fhirsql.Date{"date": {Start: "date_start", End: "date_end"}},
		Sorts:       map[string]fhirsql.Sort{"date": {Asc: "date_start", Desc: "date_end"}, "patient": {Asc: "patient"}},
		DefaultSort: newestFirst("date"),
	}

	// Condition's parameters have other names in each version, and its
	// categories other codes.
	conditionsSTU3  = conditionTable("category3", "clinical-status", "onset-date")
	conditionsDSTU2 = conditionTable("category2", "clinicalstatus", "onset")

	allergies = &fhirsql.Table{
		Name: "allergy", ID: "id", Scope: scope,
		Sorts:       map[string]fhirsql.Sort{"asserted": {Asc: "asserted"}, "patient": {Asc: "patient"}},
		DefaultSort: newestFirst("asserted"),
	}

	medicationRequests = &fhirsql.Table{
		Name: "medication_request", ID: "id", Scope: scope,
		Tokens: map[string]fhirsql.Token{
			"status": {Code: "status", ImplicitSystem: "http://hl7.org/fhir/medication-request-status"},
		},
		Sorts:       map[string]fhirsql.Sort{"authored": {Asc: "authored"}, "patient": {Asc: "patient"}},
		DefaultSort: newestFirst("authored"),
	}

	medicationStatements = &fhirsql.Table{
		Name: "medication_statement", ID: "id", Scope: scope,
		Tokens: map[string]fhirsql.Token{
			"status": {Code: "status", ImplicitSystem: "http://hl7.org/fhir/medication-statement-status"},
		},
		Sorts:       map[string]fhirsql.Sort{"asserted": {Asc: "asserted"}, "patient": {Asc: "patient"}},
		DefaultSort: newestFirst("asserted"),
	}

	coverages = &fhirsql.Table{
		Name: "coverage", ID: "id", Scope: scope,
		Tokens: map[string]fhirsql.Token{
			"identifier": {System: "identifier_system", Code: "identifier"},
			"type":       {System: "type_system", Code: "type"},
		},
		Sorts:       map[string]fhirsql.Sort{"period": {Asc: "period_start"}, "patient": {Asc: "patient"}, "beneficiary": {Asc: "patient"}},
		DefaultSort: newestFirst("period"),
	}

	locations     = &fhirsql.Table{Name: "location", ID: "id", Scope: scope}
	practitioners = &fhirsql.Table{Name: "practitioner", ID: "id", Scope: scope}
)

// conditionTable declares Condition with the version's category column and
// parameter names.
func conditionTable(category, clinicalName, onsetName string) *fhirsql.Table {
	return &fhirsql.Table{
		Name: "condition", ID: "id", Scope: scope,
		Tokens: map[string]fhirsql.Token{
			"category":   {System: category + "_system", Code: category},
			clinicalName: {Code: "clinical_status", ImplicitSystem: "http://hl7.org/fhir/condition-clinical"},
		},
		Dates:       map[string]fhirsql.Date{onsetName: {Start: "onset_start", End: "onset_end"}},
		Sorts:       map[string]fhirsql.Sort{"recorded": {Asc: "recorded"}, "patient": {Asc: "patient"}},
		DefaultSort: newestFirst("recorded"),
	}
}
