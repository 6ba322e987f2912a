package fhirsql_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patientsfhir/patientsfhir/fhir"
	"github.com/patientsfhir/patientsfhir/fhirsql"
)

func day(s string) fhir.DateValue {
	a, b, _ := fhir.DateRange(s)
	return fhir.DateValue{Prefix: fhir.PrefixEq, Start: a, End: b, Precision: fhir.PrecisionDay}
}

// The SQL of a Patients-app style search: every value a bind parameter,
// side tables reached through the id with the scope repeated, the order
// ending with the id, LIMIT count+1.
func TestPageSQL(t *testing.T) {
	sel, err := fhirsql.NewSelect(fhirsql.SQLite, items(false), fhir.Search{Count: 10}, "tenant-a")
	require.NoError(t, err)
	sel.String("given", fhir.StringParam{{{Value: "Hau", Modifier: fhir.ModContains}}})
	sel.Token("code", fhir.TokenParam{{{System: "s1", HasSystem: true, Code: "a"}}})
	sel.Date("date", fhir.DateParam{{day("1957-06-05")}})
	q, args, err := sel.PageSQL("label")
	require.NoError(t, err)
	assert.Equal(t, "SELECT t.label, t.id FROM item t WHERE t.scope = ?"+
		" AND t.id IN (SELECT s1.item_id FROM item_suffix s1 WHERE s1.scope = ? AND s1.part = ? AND ((s1.suffix >= ? AND s1.suffix < ?)))"+
		" AND ((t.sys = ? AND t.code = ?))"+
		" AND ((t.d_start >= ? AND t.d_start <= ? AND t.d_end <= ?))"+
		" ORDER BY t.id LIMIT ?", q)
	lo := time.Date(1957, 6, 5, 0, 0, 0, 0, time.UTC).UnixMicro()
	hi := time.Date(1957, 6, 6, 0, 0, 0, 0, time.UTC).UnixMicro()
	assert.Equal(t, []any{"tenant-a", "tenant-a", "given", "hau", "hav", "s1", "a", lo, hi, hi, 11}, args)

	c, cargs, err := sel.CountSQL()
	require.NoError(t, err)
	assert.Equal(t, "SELECT COUNT(*) FROM item t WHERE t.scope = ?"+
		" AND t.id IN (SELECT s1.item_id FROM item_suffix s1 WHERE s1.scope = ? AND s1.part = ? AND ((s1.suffix >= ? AND s1.suffix < ?)))"+
		" AND ((t.sys = ? AND t.code = ?))"+
		" AND ((t.d_start >= ? AND t.d_start <= ? AND t.d_end <= ?))", c)
	assert.Equal(t, args[:len(args)-1], cargs)
}

// Two collected side-table parameters (a family and a given name) are one
// IN over the INTERSECT of their id sets, with their arguments in order:
// the database intersects the ids before it reads a resource row.
func TestPageSQLIntersectsSideTables(t *testing.T) {
	sel, err := fhirsql.NewSelect(fhirsql.SQLite, items(false), fhir.Search{Count: 10}, "tenant-a")
	require.NoError(t, err)
	sel.String("given", fhir.StringParam{{{Value: "Hau", Modifier: fhir.ModContains}}})
	sel.String("any", fhir.StringParam{{{Value: "Chau"}}})
	sel.String("name", fhir.StringParam{{{Value: "Chau"}}}) // on the resource table: not collected
	c, args, err := sel.CountSQL()
	require.NoError(t, err)
	assert.Equal(t, 1, strings.Count(c, " INTERSECT "), c)
	assert.Equal(t, 1, strings.Count(c, "t.id IN ("), c)
	assert.True(t, strings.HasPrefix(c, "SELECT COUNT(*) FROM item t WHERE t.scope = ? AND t.id IN (SELECT s1.item_id FROM item_suffix s1"), c)
	assert.Contains(t, c, " INTERSECT SELECT s2.item_id FROM item_name s2 WHERE s2.scope = ?", c)
	assert.True(t, strings.HasSuffix(c, ") AND ((t.name_norm >= ? AND t.name_norm < ?))"), c)
	assert.Equal(t, []any{"tenant-a", "tenant-a", "given", "hau", "hav"}, args[:5])
}

// PostgreSQL numbers its placeholders; probed side tables are correlated
// on the scope and the id; :not negates; descending sorts seek with a row
// value.
func TestPageSQLPostgres(t *testing.T) {
	cur, err := fhirsql.NewSelect(fhirsql.PostgreSQL, items(true), fhir.Search{Count: 2, Sort: []fhir.SortKey{{Name: "date", Descending: true}}}, "A")
	require.NoError(t, err)
	next, err := cur.Next([]any{int64(42), "i007"})
	require.NoError(t, err)

	sel, err := fhirsql.NewSelect(fhirsql.PostgreSQL, items(true),
		fhir.Search{Count: 2, Sort: []fhir.SortKey{{Name: "date", Descending: true}}, Cursor: next}, "A")
	require.NoError(t, err)
	sel.Token("coding", fhir.TokenParam{{{Code: "a", Modifier: fhir.ModNot}}})
	sel.Equal("label", "x")
	q, args, err := sel.PageSQL("id")
	require.NoError(t, err)
	assert.Equal(t, "SELECT t.id, t.d_end, t.id FROM item t WHERE t.scope = $1"+
		" AND NOT EXISTS (SELECT 1 FROM item_code s1 WHERE s1.scope = t.scope AND s1.item_id = t.id AND ((s1.code = $2)))"+
		" AND t.label = $3 AND (t.d_end, t.id) < ($4, $5) ORDER BY t.d_end DESC, t.id DESC LIMIT $6", q)
	assert.Equal(t, []any{"A", "a", "x", int64(42), "i007", 3}, args)
}

// Mixed directions seek with the expanded form.
func TestSeekMixedDirections(t *testing.T) {
	first, err := fhirsql.NewSelect(fhirsql.SQLite, items(false), fhir.Search{Count: 1, Sort: []fhir.SortKey{{Name: "label"}, {Name: "rank", Descending: true}}}, "A")
	require.NoError(t, err)
	next, err := first.Next([]any{"x", int64(3), "i001"})
	require.NoError(t, err)
	sel, err := fhirsql.NewSelect(fhirsql.SQLite, items(false), fhir.Search{Count: 1, Sort: []fhir.SortKey{{Name: "label"}, {Name: "rank", Descending: true}}, Cursor: next}, "A")
	require.NoError(t, err)
	q, args, err := sel.PageSQL()
	require.NoError(t, err)
	assert.Contains(t, q, "((t.label > ?) OR (t.label = ? AND t.rank < ?) OR (t.label = ? AND t.rank = ? AND t.id < ?))")
	assert.Equal(t, []any{"A", "x", "x", int64(3), "x", int64(3), "i001", 2}, args)
}

// Every date prefix writes its bounds; eq adds a redundant upper bound on
// the start so an index on the start serves it.
func TestDatePrefixes(t *testing.T) {
	want := map[fhir.Prefix]string{
		fhir.PrefixEq: "t.d_start >= ? AND t.d_start <= ? AND t.d_end <= ?",
		fhir.PrefixNe: "(t.d_start < ? OR t.d_end > ?)",
		fhir.PrefixGt: "t.d_end > ?",
		fhir.PrefixLt: "t.d_start < ?",
		fhir.PrefixGe: "(t.d_end > ? OR t.d_start >= ?)",
		fhir.PrefixLe: "(t.d_start < ? OR t.d_end <= ?)",
		fhir.PrefixSa: "t.d_start >= ?",
		fhir.PrefixEb: "t.d_end <= ?",
		fhir.PrefixAp: "t.d_start < ? AND t.d_end > ?",
	}
	for p, frag := range want {
		v := day("2020-02-02")
		v.Prefix = p
		sel, err := fhirsql.NewSelect(fhirsql.SQLite, items(false), fhir.Search{Count: 1}, "A")
		require.NoError(t, err)
		sel.Date("date", fhir.DateParam{{v}})
		q, _, err := sel.CountSQL()
		require.NoError(t, err)
		assert.Contains(t, q, "(("+frag+"))", p)
	}
}

// Mistakes are errors with the right kind: the client's (400, 501) or the
// declaration's (500).
func TestErrors(t *testing.T) {
	s := fhir.Search{Count: 5}
	_, err := fhirsql.NewSelect(fhirsql.SQLite, items(false), s)
	assert.ErrorIs(t, err, fhirsql.ErrDeclaration, "missing scope value")

	_, err = fhirsql.NewSelect(fhirsql.SQLite, items(false), fhir.Search{Count: 5, Sort: []fhir.SortKey{{Name: "code"}}}, "A")
	assert.ErrorIs(t, err, fhir.ErrNotSupported)
	assert.Equal(t, 501, fhir.StatusOf(err))

	_, err = fhirsql.NewSelect(fhirsql.SQLite, items(false), fhir.Search{Count: 5, Cursor: "garbage"}, "A")
	assert.ErrorIs(t, err, fhir.ErrInvalidSearch)
	assert.Equal(t, 400, fhir.StatusOf(err))

	_, err = fhirsql.NewSelect(fhirsql.SQLite, items(false), fhir.Search{Count: -1}, "A")
	assert.ErrorIs(t, err, fhir.ErrInvalidSearch)

	other, _ := fhirsql.NewSelect(fhirsql.SQLite, items(false), fhir.Search{Count: 1, Sort: []fhir.SortKey{{Name: "rank"}}}, "A")
	tok, err := other.Next([]any{int64(1), "i1"})
	require.NoError(t, err)
	_, err = fhirsql.NewSelect(fhirsql.SQLite, items(false), fhir.Search{Count: 1, Cursor: tok}, "A")
	assert.ErrorIs(t, err, fhir.ErrInvalidSearch, "a cursor of another order")

	for name, build := range map[string]func(*fhirsql.Select){
		"undeclared string":   func(s *fhirsql.Select) { s.String("nope", nil) },
		"undeclared token":    func(s *fhirsql.Select) { s.Token("nope", nil) },
		"undeclared date":     func(s *fhirsql.Select) { s.Date("nope", nil) },
		"bad Equal column":    func(s *fhirsql.Select) { s.Equal("a; DROP TABLE item", 1) },
		"text unsupported":    func(s *fhirsql.Select) { s.Token("label", fhir.TokenParam{{{Modifier: fhir.ModText, Text: "x"}}}) },
		"missing unsupported": func(s *fhirsql.Select) { s.Token("code", fhir.TokenParam{{{Modifier: fhir.ModMissing}}}) },
	} {
		sel, err := fhirsql.NewSelect(fhirsql.SQLite, items(false), s, "A")
		require.NoError(t, err)
		build(sel)
		assert.Error(t, sel.Err(), name)
		_, _, err = sel.PageSQL()
		assert.Error(t, err, name)
		_, _, err = sel.CountSQL()
		assert.Error(t, err, name)
	}
	sel, _ := fhirsql.NewSelect(fhirsql.SQLite, items(false), s, "A")
	_, _, err = sel.PageSQL("id, secret")
	assert.ErrorIs(t, err, fhirsql.ErrDeclaration)

	noExact := *items(false)
	noExact.Strings = map[string]fhirsql.String{"name": {Norm: "name_norm"}}
	sel, _ = fhirsql.NewSelect(fhirsql.SQLite, &noExact, s, "A")
	sel.String("name", fhir.StringParam{{{Value: "x", Modifier: fhir.ModExact}}})
	assert.ErrorIs(t, sel.Err(), fhir.ErrNotSupported)
	assert.Equal(t, 501, fhir.StatusOf(sel.Err()))
}

func TestValidate(t *testing.T) {
	good := *items(false)
	require.NoError(t, good.Validate())
	for name, mutate := range map[string]func(*fhirsql.Table){
		"table":       func(t *fhirsql.Table) { t.Name = "item; --" },
		"id":          func(t *fhirsql.Table) { t.ID = "" },
		"scope":       func(t *fhirsql.Table) { t.Scope = []string{"a b"} },
		"string cols": func(t *fhirsql.Table) { t.Strings = map[string]fhirsql.String{"x": {}} },
		"string col":  func(t *fhirsql.Table) { t.Strings = map[string]fhirsql.String{"x": {Norm: "n)"}} },
		"suffix": func(t *fhirsql.Table) {
			t.Strings = map[string]fhirsql.String{"x": {Norm: "n", Suffix: &fhirsql.Suffix{}}}
		},
		"side ref": func(t *fhirsql.Table) {
			t.Tokens = map[string]fhirsql.Token{"x": {Source: fhirsql.Source{Table: "s"}, Code: "c"}}
		},
		"where": func(t *fhirsql.Table) {
			t.Tokens = map[string]fhirsql.Token{"x": {Source: fhirsql.Source{Where: []fhirsql.Cond{fhirsql.Eq("a", 1)}}, Code: "c"}}
		},
		"empty where": func(t *fhirsql.Table) {
			t.Tokens = map[string]fhirsql.Token{"x": {Source: fhirsql.Source{Table: "s", Ref: "r", Where: []fhirsql.Cond{{Column: "a"}}}, Code: "c"}}
		},
		"token code":   func(t *fhirsql.Table) { t.Tokens = map[string]fhirsql.Token{"x": {System: "s"}} },
		"date cols":    func(t *fhirsql.Table) { t.Dates = map[string]fhirsql.Date{"x": {Start: "s"}} },
		"sort col":     func(t *fhirsql.Table) { t.Sorts = map[string]fhirsql.Sort{"x": {Asc: "a", Desc: "b c"}} },
		"default sort": func(t *fhirsql.Table) { t.DefaultSort = []fhir.SortKey{{Name: "nope"}} },
	} {
		tbl := good
		mutate(&tbl)
		assert.ErrorIs(t, tbl.Validate(), fhirsql.ErrDeclaration, name)
	}
}

func TestReadSQL(t *testing.T) {
	q, args, err := items(false).ReadSQL(fhirsql.PostgreSQL, []string{"label", "rank"}, "i001", "A")
	require.NoError(t, err)
	assert.Equal(t, "SELECT t.label, t.rank FROM item t WHERE t.scope = $1 AND t.id = $2", q)
	assert.Equal(t, []any{"A", "i001"}, args)
	_, _, err = items(false).ReadSQL(fhirsql.PostgreSQL, []string{"label"}, "i001")
	assert.ErrorIs(t, err, fhirsql.ErrDeclaration)
	_, _, err = items(false).ReadSQL(fhirsql.PostgreSQL, nil, "i001", "A")
	assert.ErrorIs(t, err, fhirsql.ErrDeclaration)
}

// Run: CountOnly costs one COUNT; a cancelled context is reported as such;
// a scan that does not read its row, a NULL sort key and a scan error are
// errors, not pages.
func TestRun(t *testing.T) {
	x := openSQLite(t)
	x.exec(t, `INSERT INTO item (scope, id, rank, label) VALUES ('A', 'i1', 1, 'x'), ('A', 'i2', 2, 'y'), ('A', 'i3', 3, 'z')`)
	ctx := context.Background()
	ids := func(row func(...any) error) (string, error) {
		var id string
		return id, row(&id)
	}
	for _, s := range []fhir.Search{{CountOnly: true}, {Count: 0}} {
		sel, err := fhirsql.NewSelect(fhirsql.SQLite, items(false), s, "A")
		require.NoError(t, err)
		p, err := fhirsql.Run(ctx, x.sql, sel, []string{"id"}, ids)
		require.NoError(t, err)
		assert.Equal(t, fhir.Page[string]{Total: 3, TotalKnown: true}, p, "%+v", s)
	}

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	sel, _ := fhirsql.NewSelect(fhirsql.SQLite, items(false), fhir.Search{Count: 2}, "A")
	_, err := fhirsql.Run(cctx, x.sql, sel, []string{"id"}, ids)
	assert.ErrorIs(t, err, context.Canceled)

	sel, _ = fhirsql.NewSelect(fhirsql.SQLite, items(false), fhir.Search{Count: 2}, "A")
	_, err = fhirsql.Run(ctx, x.sql, sel, nil, func(func(...any) error) (string, error) { return "", nil })
	assert.ErrorContains(t, err, "did not read")

	boom := errors.New("boom")
	sel, _ = fhirsql.NewSelect(fhirsql.SQLite, items(false), fhir.Search{Count: 2}, "A")
	_, err = fhirsql.Run(ctx, x.sql, sel, []string{"id"}, func(row func(...any) error) (string, error) {
		var id string
		_ = row(&id)
		return "", boom
	})
	assert.ErrorIs(t, err, boom)

	// d_end is NULL: sorting by it is a schema mistake, reported when a
	// cursor would have to hold it.
	sel, _ = fhirsql.NewSelect(fhirsql.SQLite, items(false), fhir.Search{Count: 1, Sort: []fhir.SortKey{{Name: "date", Descending: true}}}, "A")
	_, err = fhirsql.Run(ctx, x.sql, sel, []string{"id"}, ids)
	assert.ErrorContains(t, err, "NOT NULL")

	// An unknown table is a database error, wrapped, not a page.
	bad := *items(false)
	bad.Name = "no_such_table"
	sel, _ = fhirsql.NewSelect(fhirsql.SQLite, &bad, fhir.Search{Count: 1}, "A")
	_, err = fhirsql.Run(ctx, x.sql, sel, []string{"id"}, ids)
	assert.ErrorContains(t, err, "fhirsql: page of no_such_table")
	assert.Equal(t, 500, fhir.StatusOf(err))
}

// Building a search costs a few microseconds: nothing next to the
// statement it writes.
func BenchmarkBuild(b *testing.B) {
	tbl := items(false)
	b.ReportAllocs()
	for b.Loop() {
		sel, err := fhirsql.NewSelect(fhirsql.SQLite, tbl, fhir.Search{Count: 20}, "A")
		if err != nil {
			b.Fatal(err)
		}
		sel.String("given", fhir.StringParam{{{Value: "hau", Modifier: fhir.ModContains}}})
		sel.Token("code", fhir.TokenParam{{{Code: "a"}}})
		sel.Date("date", fhir.DateParam{{day("2020-01-02")}})
		if _, _, err := sel.PageSQL("label"); err != nil {
			b.Fatal(err)
		}
		if _, _, err := sel.CountSQL(); err != nil {
			b.Fatal(err)
		}
	}
}

// What a client is told names its own parameters, never a table or a
// column of the schema.
func TestClientMessagesHideTheSchema(t *testing.T) {
	_, err := fhirsql.NewSelect(fhirsql.SQLite, items(false), fhir.Search{Count: 5, Sort: []fhir.SortKey{{Name: "code"}}}, "A")
	require.Error(t, err)
	msg := fhir.Classify(err).Diagnostics
	assert.Equal(t, `Sorting by "code" is not supported.`, msg)
	sel, err := fhirsql.NewSelect(fhirsql.SQLite, items(false), fhir.Search{Count: 5}, "A")
	require.NoError(t, err)
	sel.Token("label", fhir.TokenParam{{{Modifier: fhir.ModText, Text: "x"}}})
	msg = fhir.Classify(sel.Err()).Diagnostics
	assert.Equal(t, `Search parameter "label": :text is not supported.`, msg)
	for _, internal := range []string{"item", "code_text", "SELECT"} {
		assert.NotContains(t, msg, internal)
	}
	_, err = fhirsql.NewSelect(fhirsql.SQLite, items(false), fhir.Search{Count: 5, Cursor: "x"}, "A")
	assert.Equal(t, "The page cursor is not valid for this search.", fhir.Classify(err).Diagnostics)
}
