package fhir

import (
	"strings"
	"time"
)

// Search is what every typed query carries besides its own parameters.
type Search struct {
	// IDs restricts the search to these logical ids (_id, or its alias id).
	IDs IDParam
	// Count is the page size: return at most this many resources. It is 0
	// when only the total is wanted (CountOnly).
	Count int
	// CountOnly reports that the client wants only Page.Total (_count=0 or
	// _summary=count).
	CountOnly bool
	// Sort are the _sort keys in order; each names a declared parameter.
	// An empty list means the backend's natural order.
	Sort []SortKey
	// Cursor is the backend's own token from a previous Page.Next; "" for
	// the first page.
	Cursor string
	// Query is the whole parsed query, for what the typed fields do not
	// carry (modifiers such as :missing, ignored parameters). The profile's
	// readings are already applied to it (a plain family value under the
	// Patients-app profile is a :contains clause).
	Query *Query
}

// SortedBy reports whether the first sort key is name, and its direction.
func (s *Search) SortedBy(name string) (ok, descending bool) {
	if len(s.Sort) == 0 || s.Sort[0].Name != name {
		return false, false
	}
	return true, s.Sort[0].Descending
}

// Page is one page of typed search results.
type Page[T any] struct {
	// Resources are the matches of this page: at most Search.Count.
	Resources []T
	// Total is the number of matches of the whole search (Bundle.total);
	// set TotalKnown with it. A page with a Next must say its total: the
	// server never writes a total it does not know and answers such a page
	// with a 500 OperationOutcome. On the last page the server can count
	// the total itself.
	Total int
	// TotalKnown reports whether Total is set.
	TotalKnown bool
	// Next is the backend's opaque token for the next page ("" on the last
	// page). It comes back as Search.Cursor; it is sealed in a tamper-evident
	// cursor bound to the tenant and the query, but not encrypted: put no
	// secrets or patient data in it. At most 1024 bytes.
	Next string
}

// IDParam is the value of _id: an AND list of OR lists of logical ids.
type IDParam [][]string

// Match reports whether id satisfies every AND clause (true when empty).
func (p IDParam) Match(id string) bool {
	for _, or := range p {
		ok := false
		for _, v := range or {
			if v == id {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// StringParam is the value of a string parameter: an AND list of OR lists.
type StringParam [][]StringValue

// Match reports whether every AND clause has a value that matches one of
// texts (true when the parameter is absent). See MatchString.
func (p StringParam) Match(texts ...string) bool {
	for _, or := range p {
		ok := false
		for _, v := range or {
			for _, t := range texts {
				if MatchString(v, t) {
					ok = true
					break
				}
			}
			if ok {
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// MatchString reports whether text matches v: without a modifier, text
// starts with the value (case-insensitive, FHIR's default); :contains, text
// contains it (case-insensitive); :exact, text equals it. Under the Patients
// app profile the parser reads plain family, given and name values as
// :contains (see ParserOptions.Contains), so the backend sees ModContains.
func MatchString(v StringValue, text string) bool {
	switch v.Modifier {
	case ModExact:
		return text == v.Value
	case ModContains:
		return strings.Contains(strings.ToLower(text), strings.ToLower(v.Value))
	default:
		return len(text) >= len(v.Value) && strings.EqualFold(text[:len(v.Value)], v.Value)
	}
}

// TokenCode is one coded value of a resource that a token parameter is matched
// against: a Coding (System, Code, Display), an Identifier (System, Value as
// Code) or a plain code (Code only).
type TokenCode struct {
	System, Code, Text string
}

// TokenParam is the value of a token parameter: an AND list of OR lists.
type TokenParam [][]TokenValue

// Match reports whether every AND clause has a value that matches one of
// codes (true when the parameter is absent). See MatchToken.
func (p TokenParam) Match(codes ...TokenCode) bool {
	for _, or := range p {
		ok := false
		for _, v := range or {
			if MatchToken(v, codes...) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// MatchToken reports whether one of codes matches v: "code" matches any
// system (so identifier=<mrn> without a system finds the MRN), "system|code"
// both, "|code" a code without system, "system|" any code of the system;
// :not negates; :text matches the start of Text case-insensitively.
func MatchToken(v TokenValue, codes ...TokenCode) bool {
	switch v.Modifier {
	case ModNot:
		w := v
		w.Modifier = ModNone
		return !MatchToken(w, codes...)
	case ModText:
		for _, c := range codes {
			if MatchString(StringValue{Value: v.Text}, c.Text) {
				return true
			}
		}
		return false
	}
	for _, c := range codes {
		if v.HasSystem && c.System != v.System {
			continue
		}
		if v.Code == "" && v.HasSystem || c.Code == v.Code {
			return true
		}
	}
	return false
}

// DateParam is the value of a date parameter: an AND list of OR lists.
type DateParam [][]DateValue

// Match reports whether the resource's date range [start, end) satisfies
// every AND clause (true when the parameter is absent). See MatchDate.
func (p DateParam) Match(start, end time.Time) bool {
	for _, or := range p {
		ok := false
		for _, v := range or {
			if MatchDate(v, start, end) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// MatchString is Match for a FHIR date, dateTime or instant as written in a
// resource ("1957", "1957-06-05", "2019-03-01T10:30:00-05:00"); a value
// without a zone is read in UTC. A malformed or empty date matches only an
// absent parameter.
func (p DateParam) MatchString(date string) bool {
	if len(p) == 0 {
		return true
	}
	start, end, ok := DateRange(date)
	return ok && p.Match(start, end)
}

// MatchDate compares the resource range [start, end) with v as FHIR
// defines the prefixes: eq, the search range contains the resource range;
// ne, it does not; gt/lt, the resource range reaches above/below the search
// range; ge/le, gt/lt or eq; sa/eb, the resource range starts after/ends
// before the search range; ap, the ranges overlap once the search range is
// widened by its own length on either side.
func MatchDate(v DateValue, start, end time.Time) bool {
	contains := !start.Before(v.Start) && !end.After(v.End)
	switch v.Prefix {
	case PrefixNe:
		return !contains
	case PrefixGt:
		return end.After(v.End)
	case PrefixLt:
		return start.Before(v.Start)
	case PrefixGe:
		return contains || end.After(v.End)
	case PrefixLe:
		return contains || start.Before(v.Start)
	case PrefixSa:
		return !start.Before(v.End)
	case PrefixEb:
		return !end.After(v.Start)
	case PrefixAp:
		d := v.End.Sub(v.Start)
		return start.Before(v.End.Add(d)) && end.After(v.Start.Add(-d))
	default:
		return contains
	}
}

// DateRange returns the implicit range [start, end) of a FHIR date, dateTime
// or instant as written in a resource. ok is false when s is malformed.
func DateRange(s string) (start, end time.Time, ok bool) {
	layouts := []struct {
		layout string
		step   func(time.Time) time.Time
	}{
		{"2006", func(t time.Time) time.Time { return t.AddDate(1, 0, 0) }},
		{"2006-01", func(t time.Time) time.Time { return t.AddDate(0, 1, 0) }},
		{"2006-01-02", func(t time.Time) time.Time { return t.AddDate(0, 0, 1) }},
	}
	for _, l := range layouts {
		if len(s) == len(l.layout) {
			t, err := time.Parse(l.layout, s)
			if err != nil {
				return time.Time{}, time.Time{}, false
			}
			return t, l.step(t), true
		}
	}
	if len(s) < len("2006-01-02T15:04") || s[10] != 'T' {
		return time.Time{}, time.Time{}, false
	}
	for _, l := range []struct {
		layout string
		unit   time.Duration
	}{
		{time.RFC3339Nano, 0},
		{"2006-01-02T15:04:05.999999999", 0},
		{"2006-01-02T15:04Z07:00", time.Minute},
		{"2006-01-02T15:04", time.Minute},
	} {
		t, err := time.Parse(l.layout, s)
		if err != nil {
			continue
		}
		unit := l.unit
		if unit == 0 {
			unit = time.Second
			if i := strings.IndexByte(s, '.'); i > 0 {
				unit = time.Millisecond
			}
		}
		return t, t.Add(unit), true
	}
	return time.Time{}, time.Time{}, false
}
