package proxy

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/patientsfhir/patientsfhir/fhir"
)

// Query is one typed search turned back into the upstream's search
// parameters. The generated backends build it from their typed query,
// field by field, as the servergen declaration lists them: NewQuery for the
// common part, then Patient, Strings, Tokens and Dates.
type Query struct {
	c      *Client
	typ    string
	cursor string
	pairs  []fhir.Pair
	count  int
	only   bool
}

// NewQuery starts the upstream search of typ for s: _id, _count (or
// _summary=count) and _sort in the upstream's syntax. With s.Cursor set,
// the search is the next page of an earlier one and the parameters are
// not used (the upstream's own next link, sealed in the cursor, is).
func (c *Client) NewQuery(typ string, s fhir.Search) *Query {
	q := &Query{c: c, typ: typ, cursor: s.Cursor, count: s.Count, only: s.CountOnly}
	if q.cursor != "" {
		return q
	}
	for _, or := range s.IDs {
		vals := make([]string, len(or))
		for i, id := range or {
			vals[i] = escape(id)
		}
		q.add("_id", strings.Join(vals, ","))
	}
	if s.CountOnly {
		q.add("_summary", "count")
	} else {
		q.add("_count", strconv.Itoa(s.Count))
	}
	if len(s.Sort) > 0 {
		if c.sort == fhir.SortModifier {
			for _, k := range s.Sort {
				if k.Descending {
					q.add("_sort:desc", c.param(typ, k.Name))
				} else {
					q.add("_sort:asc", c.param(typ, k.Name))
				}
			}
		} else {
			keys := make([]string, len(s.Sort))
			for i, k := range s.Sort {
				keys[i] = c.param(typ, k.Name)
				if k.Descending {
					keys[i] = "-" + keys[i]
				}
			}
			q.add("_sort", strings.Join(keys, ","))
		}
	}
	return q
}

// Type is the resource type searched.
func (q *Query) Type() string { return q.typ }

// Count is the page size asked for; CountOnly reports a count-only search.
func (q *Query) Count() (n int, countOnly bool) { return q.count, q.only }

// param is the upstream's name of a parameter of typ (Config.Params).
func (c *Client) param(typ, name string) string {
	if n, ok := c.params[typ+"."+name]; ok {
		return n
	}
	return name
}

func (q *Query) add(name, value string) {
	q.pairs = append(q.pairs, fhir.Pair{Name: name, Value: value})
}

// Patient adds the parameter that scopes the search to one patient
// (patient=<id>).
func (q *Query) Patient(name, id string) {
	if q.cursor == "" && id != "" {
		q.add(q.c.param(q.typ, name), escape(id))
	}
}

// Strings adds a string parameter: one name[:modifier]=v1,v2 pair per AND
// clause. The Patients-app reading of family, given and name arrives as
// fhir.ModContains and is sent as :contains.
func (q *Query) Strings(name string, p fhir.StringParam) {
	clauses(q, name, p, func(v fhir.StringValue) (string, fhir.Modifier) { return escape(v.Value), v.Modifier })
}

// Tokens adds a token parameter: code, system|code, |code or system| (so an
// identifier goes with or without its system, as the client sent it), with
// :not and :text.
func (q *Query) Tokens(name string, p fhir.TokenParam) {
	clauses(q, name, p, func(v fhir.TokenValue) (string, fhir.Modifier) {
		switch {
		case v.Modifier == fhir.ModText:
			return escape(v.Text), v.Modifier
		case v.HasSystem:
			return escapeToken(v.System) + "|" + escapeToken(v.Code), v.Modifier
		}
		return escapeToken(v.Code), v.Modifier
	})
}

// Dates adds a date parameter: each value with its prefix (eq omitted), at
// the precision it was given, with its time zone when it has a time (a
// value given without a zone was read in the server's zone and goes as
// such, explicitly).
func (q *Query) Dates(name string, p fhir.DateParam) {
	clauses(q, name, p, func(v fhir.DateValue) (string, fhir.Modifier) { return formatDate(v), fhir.ModNone })
}

// clauses adds one name[:modifier]=v1,v2 pair per AND clause of p (the
// modifier is the clause's, carried by each value).
func clauses[V any](q *Query, name string, p [][]V, format func(V) (string, fhir.Modifier)) {
	if q.cursor != "" {
		return
	}
	name = q.c.param(q.typ, name)
	for _, or := range p {
		if len(or) == 0 {
			continue
		}
		vals := make([]string, len(or))
		var mod fhir.Modifier
		for i, v := range or {
			vals[i], mod = format(v)
		}
		q.add(withModifier(name, mod), strings.Join(vals, ","))
	}
}

func withModifier(name string, m fhir.Modifier) string {
	if m == fhir.ModNone {
		return name
	}
	return name + ":" + string(m)
}

// formatDate writes a date search value as FHIR reads it.
func formatDate(v fhir.DateValue) string {
	var s string
	switch v.Precision {
	case fhir.PrecisionYear:
		s = v.Start.Format("2006")
	case fhir.PrecisionMonth:
		s = v.Start.Format("2006-01")
	case fhir.PrecisionDay:
		s = v.Start.Format("2006-01-02")
	case fhir.PrecisionMinute:
		s = v.Start.Format("2006-01-02T15:04Z07:00")
	case fhir.PrecisionSecond:
		s = v.Start.Format("2006-01-02T15:04:05Z07:00")
	default: // fraction: as many digits as the value had
		digits := 9
		for d := v.End.Sub(v.Start); d >= 10 && digits > 1 && d%10 == 0; d /= 10 {
			digits--
		}
		frac := fmt.Sprintf("%09d", v.Start.Nanosecond())[:digits]
		s = v.Start.Format("2006-01-02T15:04:05") + "." + frac + v.Start.Format("Z07:00")
	}
	if v.Prefix != "" && v.Prefix != fhir.PrefixEq {
		s = string(v.Prefix) + s
	}
	return s
}

// escape escapes what splits a search value: \ and the OR separator ,
// (a string or an id cannot hold anything else that needs it).
func escape(s string) string { return escapeAny(s, `\,`) }

// escapeToken also escapes the system separator |.
func escapeToken(s string) string { return escapeAny(s, `\,|`) }

func escapeAny(s, special string) string {
	if !strings.ContainsAny(s, special) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(special, s[i]) >= 0 {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// encode returns the query string (or form body) of the first page.
func (q *Query) encode() string {
	var b strings.Builder
	for i, p := range q.pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		// The modifier's colon stays readable: every server reads it.
		b.WriteString(strings.ReplaceAll(url.QueryEscape(p.Name), "%3A", ":"))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(p.Value))
	}
	return b.String()
}
