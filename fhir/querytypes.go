package fhir

import (
	"net/url"
	"strconv"
	"strings"
)

// Clause is one occurrence of a search parameter in a request. Clauses of
// the same name are ANDed; the values of one clause (comma-separated) are
// ORed.
type Clause struct {
	// Name is the declared parameter name ("_id" for "id").
	Name string
	// Type is the parameter's type.
	Type ParamType
	// Modifier is the modifier, or ModNone.
	Modifier Modifier
	// TargetType is the resource type of a reference ":[type]" modifier.
	TargetType string
	// Missing is the value of a ":missing" clause.
	Missing bool

	raw    string
	values []value
}

func (c *Clause) key() string {
	k := c.Name
	if c.Modifier != "" {
		k += ":" + string(c.Modifier)
	} else if c.TargetType != "" {
		k += ":" + c.TargetType
	}
	return k
}

// SortKey is one _sort key.
type SortKey struct {
	// Name is the declared parameter to sort by.
	Name string
	// Descending is true for "-name" or "_sort:desc=name".
	Descending bool
}

// Query is a parsed search request. Its typed accessors (Strings, Tokens,
// Dates, ...) return AND lists of OR lists: q.Tokens("gender") of
// "gender=male,female&gender=unknown" is [[male female] [unknown]].
type Query struct {
	// Clauses are the declared parameters the request carried, in canonical order.
	Clauses []Clause
	// Count is the page size: _count clamped to the maximum, the default when
	// absent, and 0 when only the total is wanted (_count=0 or _summary=count).
	Count int
	// CountClamped reports that _count was larger than the maximum.
	CountClamped bool
	// Sort are the _sort keys in order.
	Sort []SortKey
	// Summary is "count" for _summary=count, "" otherwise.
	Summary string
	// Cursor is the raw page cursor of a next link, if any.
	Cursor string
	// Ignored names the parameters that were ignored (lenient handling).
	Ignored []string
	// Strict reports whether the request was handled strictly.
	Strict bool

	style SortStyle
}

// CountOnly reports whether the client wants only the total (no entries).
func (q *Query) CountOnly() bool { return q.Count == 0 }

// Has reports whether the request carries the parameter (any modifier).
func (q *Query) Has(name string) bool {
	for i := range q.Clauses {
		if q.Clauses[i].Name == name {
			return true
		}
	}
	return false
}

// Missing returns the value of a name:missing clause; ok is false if absent.
func (q *Query) Missing(name string) (missing, ok bool) {
	for i := range q.Clauses {
		if c := &q.Clauses[i]; c.Name == name && c.Modifier == ModMissing {
			return c.Missing, true
		}
	}
	return false, false
}

func collect[T any](q *Query, name string, t ParamType, get func(*value) T) [][]T {
	var out [][]T
	for i := range q.Clauses {
		c := &q.Clauses[i]
		if c.Name != name || c.Type != t || c.Modifier == ModMissing {
			continue
		}
		or := make([]T, len(c.values))
		for j := range c.values {
			or[j] = get(&c.values[j])
		}
		out = append(out, or)
	}
	return out
}

// Strings returns the values of a string parameter (AND of OR lists).
func (q *Query) Strings(name string) StringParam {
	return collect(q, name, TypeString, func(v *value) StringValue { return v.str })
}

// Tokens returns the values of a token parameter (AND of OR lists).
func (q *Query) Tokens(name string) TokenParam {
	return collect(q, name, TypeToken, func(v *value) TokenValue { return v.token })
}

// Dates returns the values of a date parameter (AND of OR lists).
func (q *Query) Dates(name string) DateParam {
	return collect(q, name, TypeDate, func(v *value) DateValue { return v.date })
}

// Numbers returns the values of a number parameter (AND of OR lists).
func (q *Query) Numbers(name string) [][]NumberValue {
	return collect(q, name, TypeNumber, func(v *value) NumberValue { return v.num.NumberValue })
}

// Quantities returns the values of a quantity parameter (AND of OR lists).
func (q *Query) Quantities(name string) [][]QuantityValue {
	return collect(q, name, TypeQuantity, func(v *value) QuantityValue { return v.num })
}

// References returns the values of a reference parameter (AND of OR lists).
func (q *Query) References(name string) [][]ReferenceValue {
	return collect(q, name, TypeReference, func(v *value) ReferenceValue { return v.ref })
}

// URIs returns the values of a uri parameter (AND of OR lists).
func (q *Query) URIs(name string) [][]URIValue {
	return collect(q, name, TypeURI, func(v *value) URIValue { return v.uri })
}

// IDs returns the ids of the _id (or id) parameter as AND of OR lists.
func (q *Query) IDs() IDParam {
	return collect(q, "_id", TypeToken, func(v *value) string { return v.token.Code })
}

// Encode returns the canonical query string of what was executed: the
// declared parameters in canonical order, the effective _count and the sort
// in the version's syntax. Ignored parameters and the cursor are left out.
// Two requests that mean the same search encode the same way, so the result
// serves as self link and as the query a cursor is bound to.
func (q *Query) Encode() string {
	var b strings.Builder
	add := func(k, v string) {
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(k))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(v))
	}
	for i := range q.Clauses {
		c := &q.Clauses[i]
		add(c.key(), c.raw)
	}
	if q.Summary == "count" {
		add("_summary", "count")
	} else {
		add("_count", strconv.Itoa(q.Count))
	}
	if len(q.Sort) > 0 {
		if q.style == SortModifier {
			for _, k := range q.Sort {
				if k.Descending {
					add("_sort:desc", k.Name)
				} else {
					add("_sort:asc", k.Name)
				}
			}
		} else {
			keys := make([]string, len(q.Sort))
			for i, k := range q.Sort {
				keys[i] = k.Name
				if k.Descending {
					keys[i] = "-" + k.Name
				}
			}
			add("_sort", strings.Join(keys, ","))
		}
	}
	return b.String()
}
