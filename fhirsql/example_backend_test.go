package fhirsql_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/patientsfhir/patientsfhir/fhir"
	"github.com/patientsfhir/patientsfhir/fhirsql"
	"github.com/patientsfhir/patientsfhir/stu3"
)

// schema is a partner's own tables: a tenant column first in every table
// and index, the columns each search needs next to the resource's JSON.
const schema = `
CREATE TABLE patient (
	tenant TEXT NOT NULL, id TEXT NOT NULL,
	family_norm TEXT NOT NULL,
	birth_start INTEGER NOT NULL, birth_end INTEGER NOT NULL,
	gender TEXT NOT NULL, mrn_system TEXT NOT NULL, mrn TEXT NOT NULL,
	json BLOB NOT NULL,
	PRIMARY KEY (tenant, id));
CREATE INDEX patient_mrn ON patient (tenant, mrn);
CREATE INDEX patient_birth ON patient (tenant, birth_start);
CREATE TABLE patient_name (
	tenant TEXT NOT NULL, patient TEXT NOT NULL, part TEXT NOT NULL,
	value TEXT NOT NULL, norm TEXT NOT NULL);
CREATE INDEX patient_name_norm ON patient_name (tenant, part, norm);
CREATE TABLE patient_suffix (
	tenant TEXT NOT NULL, part TEXT NOT NULL, suffix TEXT NOT NULL, patient TEXT NOT NULL,
	PRIMARY KEY (tenant, part, suffix, patient));
CREATE TABLE observation (
	tenant TEXT NOT NULL, id TEXT NOT NULL, patient TEXT NOT NULL,
	category TEXT NOT NULL, date_start INTEGER NOT NULL, date_end INTEGER NOT NULL,
	json BLOB NOT NULL,
	PRIMARY KEY (tenant, id));
CREATE INDEX observation_patient ON observation (tenant, patient, category, date_end, id);
`

// name declares a name part: prefix searches on patient_name, :contains
// on the suffix table.
func name(part string) fhirsql.String {
	where := []fhirsql.Cond{fhirsql.Eq("part", part)}
	return fhirsql.String{
		Source: fhirsql.Source{Table: "patient_name", Ref: "patient", Where: where},
		Norm:   "norm", Exact: "value",
		Suffix: &fhirsql.Suffix{Source: fhirsql.Source{Table: "patient_suffix", Ref: "patient", Where: where}, Column: "suffix"},
	}
}

var patients = &fhirsql.Table{
	Name: "patient", ID: "id", Scope: []string{"tenant"},
	Strings: map[string]fhirsql.String{"family": name("family"), "given": name("given")},
	Tokens: map[string]fhirsql.Token{
		"gender":     {Code: "gender", ImplicitSystem: "http://hl7.org/fhir/administrative-gender"},
		"identifier": {System: "mrn_system", Code: "mrn"},
	},
	Dates:       map[string]fhirsql.Date{"birthdate": {Start: "birth_start", End: "birth_end"}},
	Sorts:       map[string]fhirsql.Sort{"family": {Asc: "family_norm"}, "birthdate": {Asc: "birth_start", Desc: "birth_end"}},
	DefaultSort: []fhir.SortKey{{Name: "family"}},
}

var observations = &fhirsql.Table{
	Name: "observation", ID: "id", Scope: []string{"tenant"},
	Tokens: map[string]fhirsql.Token{
		"category": {Code: "category", ImplicitSystem: "http://hl7.org/fhir/observation-category"},
	},
	Dates:       map[string]fhirsql.Date{"date": {Start: "date_start", End: "date_end"}},
	Sorts:       map[string]fhirsql.Sort{"date": {Asc: "date_start", Desc: "date_end"}},
	DefaultSort: []fhir.SortKey{{Name: "date", Descending: true}},
}

// EHR is a partner's STU3 backend, bound to one tenant.
type EHR struct {
	DB     *sql.DB
	Tenant string
}

// SearchPatients implements stu3.PatientSearcher.
func (e *EHR) SearchPatients(ctx context.Context, q stu3.PatientQuery) (fhir.Page[*stu3.Patient], error) {
	sel, err := fhirsql.NewSelect(fhirsql.SQLite, patients, q.Search, e.Tenant)
	if err != nil {
		return fhir.Page[*stu3.Patient]{}, err
	}
	sel.String("family", q.Family)
	sel.String("given", q.Given)
	sel.Date("birthdate", q.Birthdate)
	sel.Token("gender", q.Gender)
	sel.Token("identifier", q.Identifier)
	return fhirsql.Run(ctx, e.DB, sel, []string{"json"}, decode[stu3.Patient])
}

// SearchObservations implements stu3.ObservationSearcher.
func (e *EHR) SearchObservations(ctx context.Context, q stu3.ObservationQuery) (fhir.Page[*stu3.Observation], error) {
	sel, err := e.observations(q)
	if err != nil {
		return fhir.Page[*stu3.Observation]{}, err
	}
	return fhirsql.Run(ctx, e.DB, sel, []string{"json"}, decode[stu3.Observation])
}

// SearchObservationsJSON implements stu3.ObservationJSONSearcher: the
// same search, each row's JSON served as stored (the engine checks it
// without decoding it).
func (e *EHR) SearchObservationsJSON(ctx context.Context, q stu3.ObservationQuery) (fhir.Page[json.RawMessage], error) {
	sel, err := e.observations(q)
	if err != nil {
		return fhir.Page[json.RawMessage]{}, err
	}
	return fhirsql.Run(ctx, e.DB, sel, []string{"json"}, stored)
}

// observations is the Observation search of the typed query.
func (e *EHR) observations(q stu3.ObservationQuery) (*fhirsql.Select, error) {
	sel, err := fhirsql.NewSelect(fhirsql.SQLite, observations, q.Search, e.Tenant)
	if err != nil {
		return nil, err
	}
	sel.Equal("patient", q.Patient)
	sel.Token("category", q.Category)
	sel.Date("date", q.Date)
	return sel, nil
}

// stored reads a row's JSON column as it is.
func stored(row func(dest ...any) error) (json.RawMessage, error) {
	var b []byte
	err := row(&b)
	return b, err
}

// ReadPatient implements stu3.PatientReader.
func (e *EHR) ReadPatient(ctx context.Context, id string) (*stu3.Patient, error) {
	q, args, err := patients.ReadSQL(fhirsql.SQLite, []string{"json"}, id, e.Tenant)
	if err != nil {
		return nil, err
	}
	return decode[stu3.Patient](func(dest ...any) error {
		err := e.DB.QueryRowContext(ctx, q, args...).Scan(dest...)
		if errors.Is(err, sql.ErrNoRows) {
			return fhir.ErrNotFound
		}
		return err
	})
}

// decode reads a row's JSON column into a resource.
func decode[T any, P interface {
	*T
	stu3.Model
}](row func(dest ...any) error) (P, error) {
	var b []byte
	if err := row(&b); err != nil {
		return nil, err
	}
	p := P(new(T))
	return p, stu3.Unmarshal(b, p)
}

// addPatient writes a patient's row, its name parts and their suffixes:
// normalised values, dates as [start, end) in Unix microseconds.
func addPatient(ctx context.Context, db *sql.DB, tenant string, p *stu3.Patient) error {
	body, err := stu3.Marshal(p)
	if err != nil {
		return err
	}
	start, end, _ := fhir.DateRange(p.BirthDate)
	family, given := p.Name[0].Family, p.Name[0].Given
	mrn := p.Identifier[0]
	if _, err := db.ExecContext(ctx, `INSERT INTO patient VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		tenant, p.ID, fhirsql.Normalize(family), start.UnixMicro(), end.UnixMicro(),
		string(p.Gender), mrn.System, mrn.Value, body); err != nil {
		return err
	}
	for part, values := range map[string][]string{"family": {family}, "given": given} {
		for _, v := range values {
			if _, err := db.ExecContext(ctx, `INSERT INTO patient_name VALUES (?, ?, ?, ?, ?)`,
				tenant, p.ID, part, v, fhirsql.Normalize(v)); err != nil {
				return err
			}
		}
		for _, s := range fhirsql.Suffixes(values...) {
			if _, err := db.ExecContext(ctx, `INSERT INTO patient_suffix VALUES (?, ?, ?, ?)`,
				tenant, part, s, p.ID); err != nil {
				return err
			}
		}
	}
	return nil
}

// addVital writes an observation measured at a time to the second.
func addVital(ctx context.Context, db *sql.DB, tenant string, o *stu3.Observation) error {
	body, err := stu3.Marshal(o)
	if err != nil {
		return err
	}
	at, end, _ := fhir.DateRange(o.EffectiveDateTime)
	_, err = db.ExecContext(ctx, `INSERT INTO observation VALUES (?, ?, ?, ?, ?, ?, ?)`,
		tenant, o.ID, o.Subject.Reference[len("Patient/"):], "vital-signs", at.UnixMicro(), end.UnixMicro(), body)
	return err
}

// A partner's backend over its own schema: a search of patients by family
// name (contains, as the Patients app means it) and of a patient's vital
// signs newest first, paged through keyset cursors.
func Example_backend() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "fhirsql-example-")
	defer os.RemoveAll(dir)
	db, err := sql.Open("sqlite", filepath.Join(dir, "ehr.db"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, schema); err != nil {
		fmt.Println(err)
		return
	}
	for i, who := range [][2]string{{"Chau", "Hugh"}, {"Chauvin", "Alex"}, {"Black", "Ruth"}} {
		id := fmt.Sprintf("pat-%d", i+1)
		p := &stu3.Patient{ID: id, Gender: "male", BirthDate: "1957-06-05",
			Name:       []stu3.HumanName{{Family: who[0], Given: []string{who[1]}}},
			Identifier: []stu3.Identifier{{System: "http://hospital.example.org/mrn", Value: fmt.Sprint(1234567 + i)}}}
		if err := addPatient(ctx, db, "tenant-a", p); err != nil {
			fmt.Println(err)
			return
		}
	}
	for day := 1; day <= 3; day++ {
		o := &stu3.Observation{ID: fmt.Sprintf("hr-%d", day), Status: "final",
			Code:              &stu3.CodeableConcept{Text: "Heart rate"},
			Subject:           &stu3.Reference{Reference: "Patient/pat-1"},
			EffectiveDateTime: time.Date(2025, 1, day, 9, 0, 0, 0, time.UTC).Format(time.RFC3339)}
		if err := addVital(ctx, db, "tenant-a", o); err != nil {
			fmt.Println(err)
			return
		}
	}

	ehr := &EHR{DB: db, Tenant: "tenant-a"}
	found, err := ehr.SearchPatients(ctx, stu3.PatientQuery{
		Search: fhir.Search{Count: 10},
		Family: fhir.StringParam{{{Value: "HAU", Modifier: fhir.ModContains}}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range found.Resources {
		fmt.Println(p.ID, p.Name[0].Family)
	}
	q := stu3.ObservationQuery{Search: fhir.Search{Count: 2}, Patient: "pat-1",
		Category: fhir.TokenParam{{{Code: "vital-signs"}}}}
	for {
		page, err := ehr.SearchObservations(ctx, q)
		if err != nil {
			fmt.Println(err)
			return
		}
		for _, o := range page.Resources {
			fmt.Println(page.Total, o.ID, o.EffectiveDateTime)
		}
		if page.Next == "" {
			break
		}
		q.Cursor = page.Next
	}
	raw, err := ehr.SearchObservationsJSON(ctx, stu3.ObservationQuery{Search: fhir.Search{Count: 1}, Patient: "pat-1"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(raw.Total, string(raw.Resources[0][:41]))
	other := &EHR{DB: db, Tenant: "tenant-b"}
	_, err = other.ReadPatient(ctx, "pat-1")
	fmt.Println(errors.Is(err, fhir.ErrNotFound))
	// Output:
	// pat-1 Chau
	// pat-2 Chauvin
	// 3 hr-3 2025-01-03T09:00:00Z
	// 3 hr-2 2025-01-02T09:00:00Z
	// 3 hr-1 2025-01-01T09:00:00Z
	// 3 {"resourceType":"Observation","id":"hr-3"
	// true
}

// The SQL of a search: the tenant first, every value a bind parameter.
func ExampleSelect_PageSQL() {
	sel, err := fhirsql.NewSelect(fhirsql.PostgreSQL, observations,
		fhir.Search{Count: 50, Sort: []fhir.SortKey{{Name: "date", Descending: true}}}, "tenant-a")
	if err != nil {
		fmt.Println(err)
		return
	}
	sel.Equal("patient", "pat-1")
	sel.Token("category", fhir.TokenParam{{{Code: "vital-signs"}}})
	q, args, _ := sel.PageSQL("json")
	fmt.Println(q)
	fmt.Println(args)
	// Output:
	// SELECT t.json, t.date_end, t.id FROM observation t WHERE t.tenant = $1 AND t.patient = $2 AND ((t.category = $3)) ORDER BY t.date_end DESC, t.id DESC LIMIT $4
	// [tenant-a pat-1 vital-signs 51]
}

// Searches through a cache of prepared statements: each search shape (the
// page, the COUNT) is prepared once, whatever the values, instead of on
// every request.
func ExampleStmtCache() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "fhirsql-example-")
	defer os.RemoveAll(dir)
	db, err := sql.Open("sqlite", filepath.Join(dir, "ehr.db"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, schema); err != nil {
		fmt.Println(err)
		return
	}
	for day := 1; day <= 3; day++ {
		o := &stu3.Observation{ID: fmt.Sprintf("hr-%d", day), Status: "final",
			Subject:           &stu3.Reference{Reference: "Patient/pat-1"},
			EffectiveDateTime: time.Date(2025, 1, day, 9, 0, 0, 0, time.UTC).Format(time.RFC3339)}
		if err := addVital(ctx, db, "tenant-a", o); err != nil {
			fmt.Println(err)
			return
		}
	}

	stmts := fhirsql.NewStmtCache(db, 0) // at most DefaultStmtCacheSize statements
	defer stmts.Close()                  // before db.Close
	for _, patient := range []string{"pat-1", "pat-2", "pat-1"} {
		sel, err := fhirsql.NewSelect(fhirsql.SQLite, observations, fhir.Search{Count: 2}, "tenant-a")
		if err != nil {
			fmt.Println(err)
			return
		}
		sel.Equal("patient", patient)
		sel.Token("category", fhir.TokenParam{{{Code: "vital-signs"}}})
		page, err := fhirsql.Run(ctx, stmts, sel, []string{"json"}, decode[stu3.Observation])
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(patient, page.Total, len(page.Resources))
	}
	fmt.Println(stmts.Len(), "statements prepared")
	// Output:
	// pat-1 3 2
	// pat-2 0 0
	// pat-1 3 2
	// 2 statements prepared
}
