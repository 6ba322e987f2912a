package fhirsql_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite"

	"github.com/patientsfhir/patientsfhir/fhir"
	"github.com/patientsfhir/patientsfhir/fhirsql"
	"github.com/patientsfhir/patientsfhir/internal/testsupport"
)

// The test schema: items with one name, one coding and one date in the
// item table, and any number of names and codings in side tables.
func ddl(d *fhirsql.Dialect) []string {
	txt, num := "TEXT", "INTEGER"
	if d == fhirsql.PostgreSQL {
		txt, num = `TEXT COLLATE "C"`, "BIGINT"
	}
	r := strings.NewReplacer("TXT", txt, "NUM", num)
	var out []string
	for _, s := range []string{
		`CREATE TABLE item (scope TXT NOT NULL, id TXT NOT NULL, name TXT, name_norm TXT,
			sys TXT, code TXT, code_text TXT, d_start NUM, d_end NUM, rank NUM NOT NULL, label TXT NOT NULL,
			PRIMARY KEY (scope, id))`,
		`CREATE TABLE item_name (scope TXT NOT NULL, item_id TXT NOT NULL, part TXT NOT NULL, value TXT NOT NULL, norm TXT NOT NULL)`,
		`CREATE INDEX item_name_norm ON item_name (scope, part, norm)`,
		`CREATE TABLE item_suffix (scope TXT NOT NULL, item_id TXT NOT NULL, part TXT NOT NULL, suffix TXT NOT NULL,
			PRIMARY KEY (scope, part, suffix, item_id))`,
		`CREATE TABLE item_code (scope TXT NOT NULL, item_id TXT NOT NULL, sys TXT NOT NULL, code TXT NOT NULL, text TXT NOT NULL)`,
		`CREATE INDEX item_code_code ON item_code (scope, code, sys)`,
		`CREATE INDEX item_code_item ON item_code (scope, item_id)`,
	} {
		out = append(out, r.Replace(s))
	}
	return out
}

// items declares the test schema; probe makes the side tables probed.
func items(probe bool) *fhirsql.Table {
	names := fhirsql.Source{Table: "item_name", Ref: "item_id", Where: []fhirsql.Cond{fhirsql.Eq("part", "given")}, Probe: probe}
	suffixes := fhirsql.Source{Table: "item_suffix", Ref: "item_id", Where: []fhirsql.Cond{fhirsql.Eq("part", "given")}, Probe: probe}
	anyPart := fhirsql.Source{Table: "item_name", Ref: "item_id", Where: []fhirsql.Cond{fhirsql.Eq("part", "given", "family")}, Probe: probe}
	return &fhirsql.Table{
		Name: "item", ID: "id", Scope: []string{"scope"},
		Strings: map[string]fhirsql.String{
			"name":  {Norm: "name_norm", Exact: "name"},
			"given": {Source: names, Norm: "norm", Exact: "value", Suffix: &fhirsql.Suffix{Source: suffixes, Column: "suffix"}},
			"any":   {Source: anyPart, Norm: "norm", Exact: "value"},
		},
		Tokens: map[string]fhirsql.Token{
			"code":   {System: "sys", Code: "code", Text: "code_text"},
			"coding": {Source: fhirsql.Source{Table: "item_code", Ref: "item_id", Probe: probe}, System: "sys", Code: "code", Text: "text"},
			"label":  {Code: "label", ImplicitSystem: "http://example.org/label"},
		},
		Dates: map[string]fhirsql.Date{"date": {Start: "d_start", End: "d_end"}},
		Sorts: map[string]fhirsql.Sort{"rank": {Asc: "rank"}, "date": {Asc: "d_start", Desc: "d_end"}, "label": {Asc: "label"}},
	}
}

// item is one row of the test data with everything the oracle needs.
type item struct {
	scope, id  string
	name       string // "" for none
	code       *fhir.TokenCode
	start, end time.Time
	hasDate    bool
	rank       int
	label      string
	given, fam []string
	codings    []fhir.TokenCode
}

// alphabet makes collisions likely: case, LIKE wildcards, a backslash, an
// accent.
var alphabet = []string{"a", "b", "A", "%", "_", `\`, "é", "ab"}

func word(r *rand.Rand) string {
	var b strings.Builder
	for n := 1 + r.IntN(3); n > 0; n-- {
		b.WriteString(alphabet[r.IntN(len(alphabet))])
	}
	return b.String()
}

var systems = []string{"", "s1", "s2"}

func coding(r *rand.Rand) fhir.TokenCode {
	return fhir.TokenCode{System: systems[r.IntN(len(systems))], Code: []string{"a", "b", "c"}[r.IntN(3)], Text: word(r)}
}

var dateForms = []string{"2006", "2006-01", "2006-01-02", "2006-01-02T15:04:05Z"}

func randDate(r *rand.Rand) string {
	t := time.Date(2019+r.IntN(3), time.Month(1+r.IntN(12)), 1+r.IntN(28), r.IntN(24), 0, 0, 0, time.UTC)
	return t.Format(dateForms[r.IntN(len(dateForms))])
}

func genItems(r *rand.Rand, scope string, n int) []item {
	out := make([]item, n)
	for i := range out {
		it := item{scope: scope, id: fmt.Sprintf("i%03d", i), rank: r.IntN(5), label: []string{"x", "y", "z"}[r.IntN(3)]}
		if r.IntN(5) > 0 {
			it.name = word(r)
		}
		if r.IntN(4) > 0 {
			c := coding(r)
			it.code = &c
		}
		if r.IntN(6) > 0 {
			it.start, it.end, it.hasDate = mustRange(randDate(r))
		}
		for k := r.IntN(3); k > 0; k-- {
			it.given = append(it.given, word(r))
		}
		for k := r.IntN(2); k > 0; k-- {
			it.fam = append(it.fam, word(r))
		}
		for k := r.IntN(3); k > 0; k-- {
			it.codings = append(it.codings, coding(r))
		}
		out[i] = it
	}
	return out
}

func mustRange(s string) (time.Time, time.Time, bool) {
	a, b, ok := fhir.DateRange(s)
	if !ok {
		panic("bad date " + s)
	}
	return a, b, true
}

// db is a database with the test schema.
type db struct {
	d   *fhirsql.Dialect
	sql *sql.DB
}

func (x *db) q(s string) string {
	if x.d != fhirsql.PostgreSQL {
		return s
	}
	n := 0
	var b strings.Builder
	for _, c := range s {
		if c == '?' {
			n++
			b.WriteString(x.d.Placeholder(n))
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

func (x *db) exec(t testing.TB, s string, args ...any) {
	t.Helper()
	_, err := x.sql.Exec(x.q(s), args...)
	require.NoError(t, err, s)
}

// execer is *sql.DB or *sql.Tx.
type execer interface {
	Exec(query string, args ...any) (sql.Result, error)
}

func (x *db) load(t testing.TB, its []item) {
	t.Helper()
	x.loadInto(t, x.sql, its)
}

func (x *db) loadInto(t testing.TB, ex execer, its []item) {
	t.Helper()
	exec := func(s string, args ...any) {
		t.Helper()
		_, err := ex.Exec(x.q(s), args...)
		require.NoError(t, err, s)
	}
	nullable := func(s string, ok bool) any {
		if !ok {
			return nil
		}
		return s
	}
	for _, it := range its {
		var sys, code, text any
		if it.code != nil {
			sys, code, text = it.code.System, it.code.Code, fhirsql.Normalize(it.code.Text)
		}
		var ds, de any
		if it.hasDate {
			ds, de = it.start.UnixMicro(), it.end.UnixMicro()
		}
		exec(`INSERT INTO item VALUES (?,?,?,?,?,?,?,?,?,?,?)`, it.scope, it.id, nullable(it.name, it.name != ""),
			nullable(fhirsql.Normalize(it.name), it.name != ""), sys, code, text, ds, de, it.rank, it.label)
		for part, vals := range map[string][]string{"given": it.given, "family": it.fam} {
			for _, v := range vals {
				exec(`INSERT INTO item_name VALUES (?,?,?,?,?)`, it.scope, it.id, part, v, fhirsql.Normalize(v))
			}
			for _, s := range fhirsql.Suffixes(vals...) {
				exec(`INSERT INTO item_suffix VALUES (?,?,?,?)`, it.scope, it.id, part, s)
			}
		}
		for _, c := range it.codings {
			exec(`INSERT INTO item_code VALUES (?,?,?,?,?)`, it.scope, it.id, c.System, c.Code, fhirsql.Normalize(c.Text))
		}
	}
}

func openSQLite(t testing.TB) *db {
	t.Helper()
	s, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "t.db")+"?_pragma=journal_mode(WAL)&_pragma=synchronous(OFF)")
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	x := &db{d: fhirsql.SQLite, sql: s}
	for _, q := range ddl(x.d) {
		x.exec(t, q)
	}
	return x
}

// openPostgres returns a database in a fresh schema, or skips without
// PATIENTSFHIR_TEST_POSTGRES_DSN.
func openPostgres(t testing.TB) *db {
	t.Helper()
	s, err := sql.Open("pgx", testsupport.PostgresSchema(t))
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	x := &db{d: fhirsql.PostgreSQL, sql: s}
	for _, q := range ddl(x.d) {
		x.exec(t, q)
	}
	return x
}

// oracle filters and orders items as the fhir package's Match functions
// say, for the same parameters the Select got.
type query struct {
	name, given, any []fhir.StringParam
	code, coding     fhir.TokenParam
	label            fhir.TokenParam
	date             fhir.DateParam
	ids              fhir.IDParam
	sort             []fhir.SortKey
}

func (q *query) apply(sel *fhirsql.Select) {
	for _, p := range q.name {
		sel.String("name", p)
	}
	for _, p := range q.given {
		sel.String("given", p)
	}
	for _, p := range q.any {
		sel.String("any", p)
	}
	sel.Token("code", q.code)
	sel.Token("coding", q.coding)
	sel.Token("label", q.label)
	sel.Date("date", q.date)
}

func (q *query) matches(it item) bool {
	names := func(vals ...string) []string {
		var out []string
		for _, v := range vals {
			if v != "" {
				out = append(out, v)
			}
		}
		return out
	}
	for _, p := range q.name {
		if len(p) > 0 && !matchStrings(p, names(it.name)) {
			return false
		}
	}
	for _, p := range q.given {
		if len(p) > 0 && !matchStrings(p, it.given) {
			return false
		}
	}
	for _, p := range q.any {
		if len(p) > 0 && !matchStrings(p, append(append([]string(nil), it.given...), it.fam...)) {
			return false
		}
	}
	var code []fhir.TokenCode
	if it.code != nil {
		code = []fhir.TokenCode{*it.code}
	}
	if !normTokens(q.code).Match(normCodes(code)...) || !normTokens(q.coding).Match(normCodes(it.codings)...) {
		return false
	}
	if !q.label.Match(fhir.TokenCode{System: "http://example.org/label", Code: it.label}) {
		return false
	}
	if len(q.date) > 0 && (!it.hasDate || !q.date.Match(it.start, it.end)) {
		return false
	}
	return q.ids.Match(it.id)
}

// normTokens and normCodes normalise the texts of :text, which the SQL
// compares normalised (fhir.MatchToken folds ASCII case only).
func normTokens(p fhir.TokenParam) fhir.TokenParam {
	out := make(fhir.TokenParam, len(p))
	for i, or := range p {
		out[i] = make([]fhir.TokenValue, len(or))
		for j, v := range or {
			v.Text = fhirsql.Normalize(v.Text)
			out[i][j] = v
		}
	}
	return out
}

func normCodes(cs []fhir.TokenCode) []fhir.TokenCode {
	out := make([]fhir.TokenCode, len(cs))
	for i, c := range cs {
		c.Text = fhirsql.Normalize(c.Text)
		out[i] = c
	}
	return out
}

// matchStrings is fhir.StringParam.Match over normalised text, which is
// what the SQL compares (fhir.MatchString folds ASCII case only).
func matchStrings(p fhir.StringParam, texts []string) bool {
	for _, or := range p {
		ok := false
		for _, v := range or {
			for _, text := range texts {
				switch v.Modifier {
				case fhir.ModExact:
					ok = ok || text == v.Value
				case fhir.ModContains:
					ok = ok || strings.Contains(fhirsql.Normalize(text), fhirsql.Normalize(v.Value))
				default:
					ok = ok || strings.HasPrefix(fhirsql.Normalize(text), fhirsql.Normalize(v.Value))
				}
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// expected returns the ids of the matching items of scope in the query's
// order (the table's sort columns, then id).
func (q *query) expected(its []item, scope string) []string {
	var m []item
	for _, it := range its {
		if it.scope == scope && q.matches(it) {
			m = append(m, it)
		}
	}
	slices.SortStableFunc(m, func(a, b item) int {
		desc := false
		for _, k := range q.sort {
			desc = k.Descending
			var c int
			switch k.Name {
			case "rank":
				c = a.rank - b.rank
			case "label":
				c = strings.Compare(a.label, b.label)
			case "_id":
				c = strings.Compare(a.id, b.id)
			}
			if desc {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		c := strings.Compare(a.id, b.id)
		if desc {
			c = -c
		}
		return c
	})
	out := []string{}
	for _, it := range m {
		out = append(out, it.id)
	}
	return out
}

// fetchAll runs the search page by page through the cursors and checks
// the total of every page.
func fetchAll(t *testing.T, x *db, tbl *fhirsql.Table, q *query, scope string, count int) ([]string, error) {
	t.Helper()
	return fetchAllFrom(t, x.d, x.sql, tbl, q, scope, count)
}

func fetchAllFrom(t *testing.T, d *fhirsql.Dialect, qr fhirsql.Querier, tbl *fhirsql.Table, q *query, scope string, count int) ([]string, error) {
	t.Helper()
	ctx := context.Background()
	got := []string{}
	cursor := ""
	total := -1
	for page := 0; page < 1000; page++ {
		sel, err := fhirsql.NewSelect(d, tbl, fhir.Search{IDs: q.ids, Count: count, Sort: q.sort, Cursor: cursor}, scope)
		if err != nil {
			return nil, err
		}
		q.apply(sel)
		p, err := fhirsql.Run(ctx, qr, sel, []string{"id"}, func(row func(...any) error) (string, error) {
			var id string
			return id, row(&id)
		})
		if err != nil {
			return nil, err
		}
		require.True(t, p.TotalKnown)
		require.LessOrEqual(t, len(p.Resources), count)
		if total >= 0 {
			require.Equal(t, total, p.Total, "the total changes from page to page")
		}
		total = p.Total
		got = append(got, p.Resources...)
		if p.Next == "" {
			require.Equal(t, total, len(got), "Bundle.total is not the number of matches")
			return got, nil
		}
		require.Len(t, p.Resources, count, "a page before the last one is not full")
		cursor = p.Next
	}
	require.FailNow(t, "paging does not end", "%d pages of %d, %d resources so far", 1000, count, len(got))
	return nil, nil
}
