package fhirsql

import (
	"errors"
	"fmt"
	"time"

	"github.com/patientsfhir/patientsfhir/fhir"
)

// Table declares how one resource type's search parameters map to SQL: the
// resource table, its id column, the scope columns every query filters on,
// and where each parameter's values are. Declare it once (a package
// variable) and do not modify it while queries use it.
type Table struct {
	// Name is the resource table ("patient" or "ehr.patient").
	Name string
	// ID is the column holding the logical id (unique within the scope).
	ID string
	// Scope are the columns that partition the data, e.g. {"tenant"}: every
	// query is given their values and filters the resource table and every
	// side table on them. Side tables must have columns of the same names.
	Scope []string
	// Strings declares the string parameters, by FHIR parameter name.
	Strings map[string]String
	// Tokens declares the token parameters.
	Tokens map[string]Token
	// Dates declares the date parameters.
	Dates map[string]Date
	// Sorts declares the parameters a search may be sorted by; _id is
	// always sortable (by ID). Names that are not FHIR parameters may be
	// used in DefaultSort.
	Sorts map[string]Sort
	// DefaultSort is the order of a search without _sort (by ID when
	// empty). Put the most useful rows first: newest first for clinical
	// data.
	DefaultSort []fhir.SortKey
}

// Source says where a parameter's values are: in the resource table (the
// zero Source), or in a side table holding one row per value, linked to the
// resource by Ref.
type Source struct {
	// Table is the side table; "" means the resource table.
	Table string
	// Ref is the side table's column holding the resource's id (NOT NULL).
	Ref string
	// Where are fixed conditions on the side table's rows, e.g.
	// Eq("part", "family") when one table holds several parameters.
	Where []Cond
	// Probe tests each candidate resource with a correlated EXISTS
	// (SELECT 1 FROM side WHERE side.ref = t.id ...) instead of collecting
	// the matching ids with t.id IN (SELECT side.ref ...). Use it when
	// another condition (the patient of a clinical search) already selects
	// few rows; leave it off when the side table drives the search (a
	// Patient name), and index the side table accordingly.
	Probe bool
}

// Cond is a fixed condition on a side table's rows: Column equals one of
// Values (bound, never written into the SQL).
type Cond struct {
	// Column is the side table's column.
	Column string
	// Values are the accepted values (at least one).
	Values []any
}

// Eq returns the condition Column = v (Column IN (vs...) for several).
func Eq(column string, vs ...any) Cond { return Cond{Column: column, Values: vs} }

// String declares a string parameter.
type String struct {
	// Source is where Norm and Exact are.
	Source
	// Norm is the column holding Normalize(value). The default modifier
	// (starts-with) is a range on it; so is :text of a token. Without a
	// Suffix, :contains is LIKE '%v%' on it (which reads every row the
	// other conditions leave).
	Norm string
	// Exact is the column holding the value as written, for :exact; ""
	// refuses :exact.
	Exact string
	// Suffix, when set, serves :contains as a range on a table of every
	// suffix of the normalised values (see Suffixes).
	Suffix *Suffix
}

// Suffix is a suffix table: one row per distinct suffix of each normalised
// value of the parameter (see Suffixes), indexed on Column.
type Suffix struct {
	// Source is the suffix table; its Table must be set.
	Source
	// Column holds the suffix.
	Column string
}

// Token declares a token parameter.
type Token struct {
	// Source is where the columns are.
	Source
	// System is the column of the code system ("" stored for no system;
	// never NULL). Leave it empty for a plain code whose system is implied
	// (gender, status): then ImplicitSystem is its system.
	System string
	// ImplicitSystem is the system of every code when System is "".
	ImplicitSystem string
	// Code is the column of the code (or an identifier's value).
	Code string
	// Text is the column holding Normalize(display or text), for :text;
	// "" refuses :text.
	Text string
}

// Date declares a date parameter: the resource's date as the range
// [Start, End) of its implicit precision (see fhir.DateRange), in two
// columns. A dateTime to the second is [t, t+1s); a date is its day; an
// open Period ends at the largest value you store.
type Date struct {
	// Source is where the columns are.
	Source
	// Start is the column of the inclusive start.
	Start string
	// End is the column of the exclusive end (Start <= End).
	End string
	// Encode turns a bound into the columns' representation; nil stores
	// Unix microseconds (int64), see UnixMicro.
	Encode func(time.Time) any
}

// UnixMicro is the default date encoding: microseconds since 1970 UTC.
func UnixMicro(t time.Time) any { return t.UnixMicro() }

// Sort declares the columns a sort key orders by: FHIR sorts ascending by
// the lowest value of a range and descending by the highest. Sort columns
// must be NOT NULL.
type Sort struct {
	// Asc is the column of an ascending sort.
	Asc string
	// Desc is the column of a descending sort; "" uses Asc.
	Desc string
}

// ErrDeclaration reports a mistake in a Table (an invalid identifier, an
// undeclared parameter); it is a programming error, shown as 500.
var ErrDeclaration = errors.New("fhirsql: invalid declaration")

func declErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrDeclaration, fmt.Sprintf(format, args...))
}

// ident reports whether s is a plain SQL identifier; qualified allows one
// dot (schema.table).
func ident(s string, qualified bool) bool {
	if s == "" || len(s) > 63*2+1 {
		return false
	}
	start := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			start = false
		case c >= '0' && c <= '9' && !start:
		case c == '.' && qualified && !start:
			qualified, start = false, true
		default:
			return false
		}
	}
	return !start
}

// Validate reports the first mistake in t: invalid identifiers, a side
// table without Ref, a parameter without columns, a default sort naming an
// undeclared key.
func (t *Table) Validate() error {
	if !ident(t.Name, true) {
		return declErr("table name %q is not an identifier", t.Name)
	}
	if !ident(t.ID, false) {
		return declErr("table %s: id column %q is not an identifier", t.Name, t.ID)
	}
	for _, c := range t.Scope {
		if !ident(c, false) {
			return declErr("table %s: scope column %q is not an identifier", t.Name, c)
		}
	}
	cols := func(param string, src *Source, names ...string) error {
		if err := t.source(param, src); err != nil {
			return err
		}
		for _, n := range names {
			if n != "" && !ident(n, false) {
				return declErr("table %s, parameter %s: column %q is not an identifier", t.Name, param, n)
			}
		}
		return nil
	}
	for name, p := range t.Strings {
		if p.Norm == "" && p.Exact == "" {
			return declErr("table %s, string parameter %s: no Norm or Exact column", t.Name, name)
		}
		if err := cols(name, &p.Source, p.Norm, p.Exact); err != nil {
			return err
		}
		if p.Suffix != nil {
			if p.Suffix.Table == "" || p.Suffix.Column == "" {
				return declErr("table %s, string parameter %s: a Suffix needs a Table and a Column", t.Name, name)
			}
			if err := cols(name, &p.Suffix.Source, p.Suffix.Column); err != nil {
				return err
			}
		}
	}
	for name, p := range t.Tokens {
		if p.Code == "" {
			return declErr("table %s, token parameter %s: no Code column", t.Name, name)
		}
		if err := cols(name, &p.Source, p.System, p.Code, p.Text); err != nil {
			return err
		}
	}
	for name, p := range t.Dates {
		if p.Start == "" || p.End == "" {
			return declErr("table %s, date parameter %s: Start and End columns are required", t.Name, name)
		}
		if err := cols(name, &p.Source, p.Start, p.End); err != nil {
			return err
		}
	}
	for name, s := range t.Sorts {
		if s.Asc == "" || !ident(s.Asc, false) || s.Desc != "" && !ident(s.Desc, false) {
			return declErr("table %s, sort %s: columns %q/%q are not identifiers", t.Name, name, s.Asc, s.Desc)
		}
	}
	for _, k := range t.DefaultSort {
		if _, ok := t.Sorts[k.Name]; !ok && k.Name != "_id" {
			return declErr("table %s: default sort %q is not in Sorts", t.Name, k.Name)
		}
	}
	return nil
}

func (t *Table) source(param string, s *Source) error {
	if s.Table == "" {
		if s.Ref != "" || len(s.Where) > 0 || s.Probe {
			return declErr("table %s, parameter %s: Ref, Where and Probe need a side Table", t.Name, param)
		}
		return nil
	}
	if !ident(s.Table, true) || !ident(s.Ref, false) {
		return declErr("table %s, parameter %s: side table %q / ref %q are not identifiers", t.Name, param, s.Table, s.Ref)
	}
	for _, c := range s.Where {
		if !ident(c.Column, false) || len(c.Values) == 0 {
			return declErr("table %s, parameter %s: condition on %q needs an identifier and a value", t.Name, param, c.Column)
		}
	}
	return nil
}
