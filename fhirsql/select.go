package fhirsql

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/patientsfhir/patientsfhir/fhir"
)

// Select is one search being built: the conditions of the typed query,
// the order, the page size and the position of the cursor. Build it with
// NewSelect, add the query's parameters (String, Token, Date, Equal), then
// run it with Run or write its SQL with PageSQL and CountSQL. A mistake is
// kept and returned by Err, Run, PageSQL and CountSQL, so the calls need
// no error checks of their own. A Select is not safe for concurrent use.
type Select struct {
	d      *Dialect
	t      *Table
	scope  []any
	search fhir.Search
	conds  []cond
	// ins are the side-table subqueries collected with t.id IN (...):
	// written as one IN over their INTERSECT, so that the database
	// intersects the id sets before reading any resource row.
	ins   []cond
	order []orderKey
	after []any // the cursor's key values; nil on the first page
	err   error
}

// cond writes one condition of the WHERE clause.
type cond func(w *writer)

// orderKey is one ORDER BY column.
type orderKey struct {
	col  string
	desc bool
}

// writer accumulates SQL text and its arguments in order.
type writer struct {
	d      *Dialect
	b      strings.Builder
	args   []any
	tables int
}

func newWriter(d *Dialect) *writer {
	w := &writer{d: d, args: make([]any, 0, 16)}
	w.b.Grow(384)
	return w
}

func (w *writer) s(parts ...string) {
	for _, p := range parts {
		w.b.WriteString(p)
	}
}

// arg writes a bind parameter for v.
func (w *writer) arg(v any) {
	w.args = append(w.args, v)
	w.b.WriteString(w.d.Placeholder(len(w.args)))
}

func (w *writer) alias() string {
	w.tables++
	return "s" + strconv.Itoa(w.tables)
}

// NewSelect starts a search of table t with the common part of a typed
// query (its ids, page size, sort and cursor); scope are the values of
// t.Scope, in order (the tenant). It fails on a declaration mistake, a sort
// key t cannot sort by (fhir.ErrNotSupported) and a cursor that is not one
// of this search's (fhir.ErrInvalidSearch).
func NewSelect(d *Dialect, t *Table, s fhir.Search, scope ...any) (*Select, error) {
	if d == nil {
		return nil, declErr("nil dialect")
	}
	if err := t.Validate(); err != nil {
		return nil, err
	}
	if len(scope) != len(t.Scope) {
		return nil, declErr("table %s: %d scope values for scope columns %v", t.Name, len(scope), t.Scope)
	}
	if s.Count < 0 {
		return nil, fhir.NewError(fhir.ErrInvalidSearch, "_count must not be negative.")
	}
	sel := &Select{d: d, t: t, scope: scope, search: s}
	if err := sel.resolveOrder(); err != nil {
		return nil, err
	}
	for i, c := range t.Scope {
		col, v := c, scope[i]
		sel.conds = append(sel.conds, func(w *writer) { w.s("t.", col, " = "); w.arg(v) })
	}
	sel.IDs(s.IDs)
	if s.Cursor != "" {
		after, err := decodeCursor(s.Cursor, sel.fingerprint(), len(sel.order))
		if err != nil {
			return nil, err
		}
		sel.after = after
	}
	return sel, nil
}

// Err returns the first mistake met while building the search.
func (s *Select) Err() error { return s.err }

func (s *Select) fail(err error) {
	if s.err == nil {
		s.err = err
	}
}

// resolveOrder turns the sort keys (or the table's default) into columns,
// ending with the id so that the order is total.
func (s *Select) resolveOrder() error {
	keys := s.search.Sort
	if len(keys) == 0 {
		keys = s.t.DefaultSort
	}
	seen := map[string]bool{}
	desc := false
	for _, k := range keys {
		col := s.t.ID
		if k.Name != "_id" {
			decl, ok := s.t.Sorts[k.Name]
			if !ok {
				return fhir.NewError(fhir.ErrNotSupported, fmt.Sprintf("Sorting by %q is not supported.", k.Name))
			}
			col = decl.Asc
			if k.Descending && decl.Desc != "" {
				col = decl.Desc
			}
		}
		desc = k.Descending
		if seen[col] {
			continue
		}
		seen[col] = true
		s.order = append(s.order, orderKey{col: col, desc: desc})
		if col == s.t.ID {
			return nil
		}
	}
	s.order = append(s.order, orderKey{col: s.t.ID, desc: desc})
	return nil
}

// fingerprint identifies the order, so that a cursor is only accepted by a
// search with the same one.
func (s *Select) fingerprint() string {
	var b strings.Builder
	b.WriteString(s.t.Name)
	for _, k := range s.order {
		b.WriteByte(' ')
		b.WriteString(k.col)
		if k.desc {
			b.WriteString(" desc")
		}
	}
	return b.String()
}

// IDs restricts the search to the ids of an _id parameter (NewSelect
// already applies the query's own).
func (s *Select) IDs(p fhir.IDParam) {
	for _, or := range p {
		if len(or) == 0 {
			continue
		}
		ids := append([]string(nil), or...)
		col := s.t.ID
		s.conds = append(s.conds, func(w *writer) {
			w.s("t.", col, " IN (")
			for i, id := range ids {
				if i > 0 {
					w.s(", ")
				}
				w.arg(id)
			}
			w.s(")")
		})
	}
}

// Equal adds the condition column = v on the resource table, for what the
// typed query carries outside its parameters (the patient of a clinical
// search).
func (s *Select) Equal(column string, v any) {
	if !ident(column, false) {
		s.fail(declErr("table %s: column %q is not an identifier", s.t.Name, column))
		return
	}
	s.conds = append(s.conds, func(w *writer) { w.s("t.", column, " = "); w.arg(v) })
}

// term is one value's condition and the source it applies to.
type term struct {
	src   *Source
	alias *string // set to the source's alias before cond is written
	neg   bool    // a :not value, negated on its own
	cond  cond
}

// colRef is a column of the current source: the alias is set when the
// term is written.
type colRef struct {
	alias *string
	name  string
}

func (c colRef) String() string { return *c.alias + "." + c.name }

// String adds the values of the string parameter name (AND of OR lists).
func (s *Select) String(name string, p fhir.StringParam) {
	addParam(s, "string", s.t.Strings, name, p, s.stringTerm)
}

// addParam adds the AND clauses of one parameter: each clause is the OR of
// its values' terms.
func addParam[D, V any](s *Select, kind string, decls map[string]D, name string, p [][]V, termOf func(string, *D, V) (term, error)) {
	decl, ok := decls[name]
	if !ok {
		s.fail(declErr("table %s has no %s parameter %q", s.t.Name, kind, name))
		return
	}
	for _, or := range p {
		terms := make([]term, 0, len(or))
		for _, v := range or {
			tm, err := termOf(name, &decl, v)
			if err != nil {
				s.fail(err)
				return
			}
			terms = append(terms, tm)
		}
		s.addClause(terms)
	}
}

func (s *Select) stringTerm(name string, decl *String, v fhir.StringValue) (term, error) {
	alias := new(string)
	switch v.Modifier {
	case fhir.ModExact:
		if decl.Exact == "" {
			return term{}, unsupported(name, ":exact")
		}
		col := colRef{alias, decl.Exact}
		return term{src: &decl.Source, alias: alias, cond: func(w *writer) { w.s(col.String(), " = "); w.arg(v.Value) }}, nil
	case fhir.ModContains:
		n := Normalize(v.Value)
		if n == "" && decl.Norm != "" {
			// Every value contains "" (one made of accents only), even one
			// that normalises to "" and so has no suffix rows.
			return term{src: &decl.Source, alias: alias, cond: prefixCond(colRef{alias, decl.Norm}, "")}, nil
		}
		if decl.Suffix != nil {
			return term{src: &decl.Suffix.Source, alias: alias, cond: prefixCond(colRef{alias, decl.Suffix.Column}, n)}, nil
		}
		if decl.Norm == "" {
			return term{}, unsupported(name, ":contains")
		}
		col := colRef{alias, decl.Norm}
		return term{src: &decl.Source, alias: alias, cond: func(w *writer) {
			w.s(col.String(), " LIKE ")
			w.arg("%" + likeEscape(n) + "%")
			w.s(` ESCAPE '\'`)
		}}, nil
	case fhir.ModNone:
		if decl.Norm == "" {
			return term{}, unsupported(name, "matching without :exact")
		}
		return term{src: &decl.Source, alias: alias, cond: prefixCond(colRef{alias, decl.Norm}, Normalize(v.Value))}, nil
	}
	return term{}, unsupported(name, ":"+string(v.Modifier))
}

// prefixCond matches the values of col that start with p: a range.
func prefixCond(col colRef, p string) cond {
	hi, bounded := successor(p)
	return func(w *writer) {
		w.s(col.String(), " >= ")
		w.arg(p)
		if bounded {
			w.s(" AND ", col.String(), " < ")
			w.arg(hi)
		}
	}
}

func unsupported(param, what string) error {
	return fhir.NewError(fhir.ErrNotSupported, fmt.Sprintf("Search parameter %q: %s is not supported.", param, what))
}

// Token adds the values of the token parameter name (AND of OR lists).
func (s *Select) Token(name string, p fhir.TokenParam) {
	addParam(s, "token", s.t.Tokens, name, p, s.tokenTerm)
}

func (s *Select) tokenTerm(name string, decl *Token, v fhir.TokenValue) (term, error) {
	alias := new(string)
	switch v.Modifier {
	case fhir.ModText:
		if decl.Text == "" {
			return term{}, unsupported(name, ":text")
		}
		return term{src: &decl.Source, alias: alias, cond: prefixCond(colRef{alias, decl.Text}, Normalize(v.Text))}, nil
	case fhir.ModNot, fhir.ModNone:
	default:
		return term{}, unsupported(name, ":"+string(v.Modifier))
	}
	code, system := colRef{alias, decl.Code}, colRef{alias, decl.System}
	var c cond
	switch {
	case !v.HasSystem:
		c = func(w *writer) { w.s(code.String(), " = "); w.arg(v.Code) }
	case decl.System == "" && v.System != decl.ImplicitSystem:
		c = func(w *writer) { w.s("1 = 0") }
	case decl.System == "" && v.Code == "":
		c = func(w *writer) { w.s("1 = 1") }
	case decl.System == "":
		c = func(w *writer) { w.s(code.String(), " = "); w.arg(v.Code) }
	case v.Code == "":
		c = func(w *writer) { w.s(system.String(), " = "); w.arg(v.System) }
	default:
		c = func(w *writer) {
			w.s(system.String(), " = ")
			w.arg(v.System)
			w.s(" AND ", code.String(), " = ")
			w.arg(v.Code)
		}
	}
	return term{src: &decl.Source, alias: alias, cond: c, neg: v.Modifier == fhir.ModNot}, nil
}

// Date adds the values of the date parameter name (AND of OR lists).
func (s *Select) Date(name string, p fhir.DateParam) {
	addParam(s, "date", s.t.Dates, name, p, dateTerm)
}

func dateTerm(_ string, decl *Date, v fhir.DateValue) (term, error) {
	enc := decl.Encode
	if enc == nil {
		enc = UnixMicro
	}
	alias := new(string)
	return term{src: &decl.Source, alias: alias, cond: dateCond(colRef{alias, decl.Start}, colRef{alias, decl.End}, v, enc)}, nil
}

// dateCond compares the range [start, end) of a row with the search range
// [S, E) of v as fhir.MatchDate does. Redundant bounds on start keep the
// conditions on an index range where the logic allows it.
func dateCond(start, end colRef, v fhir.DateValue, enc func(time.Time) any) cond {
	type bound struct {
		col colRef
		op  string
		at  time.Time
	}
	lo, hi := v.Start, v.End
	or := false
	var bs []bound
	switch v.Prefix {
	case fhir.PrefixNe:
		or, bs = true, []bound{{start, "<", lo}, {end, ">", hi}}
	case fhir.PrefixGt:
		bs = []bound{{end, ">", hi}}
	case fhir.PrefixLt:
		bs = []bound{{start, "<", lo}}
	case fhir.PrefixGe: // contains or reaches above: end > E, or else start >= S
		or, bs = true, []bound{{end, ">", hi}, {start, ">=", lo}}
	case fhir.PrefixLe: // contains or reaches below: start < S, or else end <= E
		or, bs = true, []bound{{start, "<", lo}, {end, "<=", hi}}
	case fhir.PrefixSa:
		bs = []bound{{start, ">=", hi}}
	case fhir.PrefixEb:
		bs = []bound{{end, "<=", lo}}
	case fhir.PrefixAp:
		d := hi.Sub(lo)
		bs = []bound{{start, "<", hi.Add(d)}, {end, ">", lo.Add(-d)}}
	default: // eq: the search range contains the row's range
		bs = []bound{{start, ">=", lo}, {start, "<=", hi}, {end, "<=", hi}}
	}
	return func(w *writer) {
		join := " AND "
		if or {
			join = " OR "
			w.s("(")
		}
		for i, b := range bs {
			if i > 0 {
				w.s(join)
			}
			w.s(b.col.String(), " ", b.op, " ")
			w.arg(enc(b.at))
		}
		if or {
			w.s(")")
		}
	}
}
