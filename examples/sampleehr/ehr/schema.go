package ehr

import (
	"strings"

	"github.com/patientsfhir/patientsfhir/fhirsql"
)

// The schema, declared once for both dialects. Every table has a tenant
// column (the key of the tenant table) and every index starts with it, so
// no query can read another tenant's rows cheaply, let alone by mistake. A
// resource table keeps, besides the resource's JSON in each version (what
// reads and searches return), the columns its searches filter and sort on:
// normalised names and their suffixes (fhirsql.Normalize,
// fhirsql.Suffixes), codes, and dates as [start, end) ranges in Unix
// microseconds. Every column is NOT NULL.
//
// A column is "name type": type is text, int (64 bits), json (the
// resource's bytes) or key (the tenant table's generated key); "unique"
// may follow. On PostgreSQL every text column compares bytes
// (COLLATE "C"), as SQLite's do: fhirsql's prefix ranges and keyset
// cursors need that order.
type tableDef struct {
	name string
	cols []string // "name type [unique]"
	pk   string   // primary key columns, "" for none (or a key column)
	// withoutRowID stores a SQLite table in its primary key's b-tree
	// (PostgreSQL has no such option).
	withoutRowID bool
	indexes      []indexDef
}

type indexDef struct{ name, cols string }

// column types per dialect.
var columnTypes = map[*fhirsql.Dialect]map[string]string{
	fhirsql.SQLite: {"text": "TEXT", "int": "INTEGER", "json": "BLOB", "key": "INTEGER PRIMARY KEY"},
	fhirsql.PostgreSQL: {"text": `TEXT COLLATE "C"`, "int": "BIGINT", "json": "BYTEA",
		"key": "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"},
}

// Columns shared by the resource tables.
var (
	resourceKey = []string{"tenant int", "id text"}
	versions    = []string{"stu3 json", "dstu2 json"}
)

// resourceTable declares a table of one resource type, keyed by tenant and
// id, holding cols between the key and the JSON of each version.
func resourceTable(name string, cols []string, json []string, indexes ...indexDef) tableDef {
	all := append(append(append([]string{}, resourceKey...), cols...), json...)
	return tableDef{name: name, cols: all, pk: "tenant, id", indexes: indexes}
}

// tenantTable is the registry of tenants; it is not cleared by a seeding.
var tenantTable = tableDef{name: "tenant",
	cols: []string{"id key", "guid text unique", "patients int", "seeded_at text"}}

// The data tables, in the order of the insert statements (ins...).
var dataTables = [insCount]tableDef{
	insPatient: resourceTable("patient", []string{
		"family_sort text", "given_sort text", "gender text", "gender_text text",
		"birth_start int", "birth_end int", "mrn_system text", "mrn text", "mrn_text text"}, versions,
		indexDef{"patient_mrn", "tenant, mrn"},
		indexDef{"patient_birth", "tenant, birth_start"},
		indexDef{"patient_gender", "tenant, gender, family_sort, given_sort, id"},
		indexDef{"patient_order", "tenant, family_sort, given_sort, id"}),
	// One row per name part (family, given, prefix) of a patient.
	insName: {name: "patient_name", cols: []string{"tenant int", "patient text", "part text", "value text", "norm text"},
		indexes: []indexDef{{"patient_name_norm", "tenant, part, norm"}, {"patient_name_value", "tenant, part, value"}}},
	// One row per distinct suffix of a patient's normalised name parts:
	// :contains is a range on it.
	insSuffix: {name: "patient_name_suffix", cols: []string{"tenant int", "part text", "suffix text", "patient text"},
		pk: "tenant, part, suffix, patient", withoutRowID: true},

	insObservation: resourceTable("observation", []string{"patient text",
		"category_system text", "category text", "category_text text",
		"code_system text", "code text", "code_text text", "status text", "date_start int", "date_end int"}, versions,
		indexDef{"observation_patient", "tenant, patient, category, date_end, id"}),
	insEncounter: resourceTable("encounter", []string{"patient text",
		"status text", "type_system text", "type text", "type_text text", "date_start int", "date_end int"}, versions,
		indexDef{"encounter_patient", "tenant, patient, date_end, id"}),
	// Condition categories differ by version (STU3 problem-list-item,
	// DSTU2 Argonaut problem): one column pair each.
	insCondition: resourceTable("condition", []string{"patient text", "clinical_status text",
		"category3_system text", "category3 text", "category2_system text", "category2 text",
		"onset_start int", "onset_end int", "recorded int"}, versions,
		indexDef{"condition_patient", "tenant, patient, recorded, id"}),
	insAllergy: resourceTable("allergy", []string{"patient text", "asserted int"}, versions,
		indexDef{"allergy_patient", "tenant, patient, asserted, id"}),
	// STU3 MedicationRequest and DSTU2 MedicationOrder.
	insMedicationRequest: resourceTable("medication_request", []string{"patient text", "status text", "authored int"}, versions,
		indexDef{"medication_request_patient", "tenant, patient, authored, id"}),
	// STU3 only.
	insMedicationStatement: resourceTable("medication_statement", []string{"patient text", "status text", "asserted int"}, versions[:1],
		indexDef{"medication_statement_patient", "tenant, patient, asserted, id"}),
	insCoverage: resourceTable("coverage", []string{"patient text", "identifier_system text", "identifier text",
		"type_system text", "type text", "period_start int"}, versions,
		indexDef{"coverage_patient", "tenant, patient, period_start, id"}),
	insLocation:     resourceTable("location", nil, versions),
	insPractitioner: resourceTable("practitioner", nil, versions),
}

// columns returns the names of t's columns, in order.
func (t *tableDef) columns() []string {
	out := make([]string, len(t.cols))
	for i, c := range t.cols {
		out[i], _, _ = strings.Cut(c, " ")
	}
	return out
}

// create returns the statements that create t and its indexes in dialect
// d (if they do not exist).
func (t *tableDef) create(d *fhirsql.Dialect) []string {
	var b strings.Builder
	b.WriteString("CREATE TABLE IF NOT EXISTS " + t.name + " (")
	for i, c := range t.cols {
		f := strings.Fields(c)
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(f[0] + " " + columnTypes[d][f[1]] + " NOT NULL")
		if len(f) > 2 && f[2] == "unique" {
			b.WriteString(" UNIQUE")
		}
	}
	if t.pk != "" {
		b.WriteString(", PRIMARY KEY (" + t.pk + ")")
	}
	b.WriteString(")")
	if t.withoutRowID && d == fhirsql.SQLite {
		b.WriteString(" WITHOUT ROWID")
	}
	out := []string{b.String()}
	for _, ix := range t.indexes {
		out = append(out, "CREATE INDEX IF NOT EXISTS "+ix.name+" ON "+t.name+" ("+ix.cols+")")
	}
	return out
}

// insert returns the statement that inserts one row of t in dialect d.
func (t *tableDef) insert(d *fhirsql.Dialect) string {
	ph := make([]string, len(t.cols))
	for i := range ph {
		ph[i] = d.Placeholder(i + 1)
	}
	return "INSERT INTO " + t.name + " (" + strings.Join(t.columns(), ", ") + ") VALUES (" + strings.Join(ph, ", ") + ")"
}

// schema returns the statements that create every table in dialect d.
func schema(d *fhirsql.Dialect) []string {
	out := tenantTable.create(d)
	for i := range dataTables {
		out = append(out, dataTables[i].create(d)...)
	}
	return out
}
