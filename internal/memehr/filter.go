package memehr

import (
	"math"
	"slices"
	"strings"
	"time"

	"github.com/patientsfhir/patientsfhir/fhir"
)

// filter is one compiled AND clause: it holds when some value at p matches
// some of the clause's OR values (or, for :not, none does).
type filter func(it *Item) bool

func matchAll(it *Item, fs []filter) bool {
	for _, f := range fs {
		if !f(it) {
			return false
		}
	}
	return true
}

// compile turns the clauses of the query into filters; names holds the
// parameter name of each.
func (s *Store) compile(req Request) (out []filter, names []string, err error) {
	q := req.Query
	seen := map[string]bool{}
	// References (patient scoping) and ids first: they reject most
	// resources, so the other clauses run on few.
	clauses := slices.Clone(q.Clauses)
	slices.SortStableFunc(clauses, func(a, b fhir.Clause) int {
		rank := func(c fhir.Clause) int {
			if c.Type == fhir.TypeReference || c.Name == "_id" {
				return 0
			}
			return 1
		}
		return rank(a) - rank(b)
	})
	for _, c := range clauses {
		if seen[c.Name] {
			continue
		}
		seen[c.Name] = true
		p, err := s.pathOf(req, c.Name)
		if err != nil {
			return nil, nil, err
		}
		if missing, ok := q.Missing(c.Name); ok {
			out = append(out, func(it *Item) bool {
				return !p.some(it.tree, func(node) bool { return true }) == missing
			})
		}
		loc := s.loc
		switch c.Type {
		case fhir.TypeString:
			vals := q.Strings(c.Name)
			if o, ok := req.Strings[c.Name]; ok {
				vals = o
			}
			for _, or := range vals {
				out = append(out, anyNode(p, func(n node) bool { return matchString(n, or) }))
			}
		case fhir.TypeToken:
			for _, or := range q.Tokens(c.Name) {
				if len(or) > 0 && or[0].Modifier == fhir.ModNot {
					out = append(out, func(it *Item) bool {
						return !p.some(it.tree, func(n node) bool { return matchToken(n, or) })
					})
					continue
				}
				out = append(out, anyNode(p, func(n node) bool { return matchToken(n, or) }))
			}
		case fhir.TypeDate:
			for _, or := range q.Dates(c.Name) {
				out = append(out, anyNode(p, func(n node) bool {
					iv, ok := dateOf(n, loc)
					if !ok {
						return false
					}
					for _, dv := range or {
						if matchDate(iv, dv, time.Now()) {
							return true
						}
					}
					return false
				}))
			}
		case fhir.TypeReference:
			for _, or := range q.References(c.Name) {
				out = append(out, anyNode(p, func(n node) bool { return matchReference(n, or) }))
			}
		case fhir.TypeNumber:
			for _, or := range q.Numbers(c.Name) {
				out = append(out, anyNode(p, func(n node) bool {
					v, _, _, _, ok := numberOf(n)
					if !ok {
						return false
					}
					for _, nv := range or {
						if matchNumber(v, nv) {
							return true
						}
					}
					return false
				}))
			}
		case fhir.TypeQuantity:
			for _, or := range q.Quantities(c.Name) {
				out = append(out, anyNode(p, func(n node) bool {
					v, sys, code, unit, ok := numberOf(n)
					if !ok {
						return false
					}
					for _, qv := range or {
						if qv.System != "" && qv.System != sys {
							continue
						}
						if qv.Code != "" && qv.Code != code && qv.Code != unit {
							continue
						}
						if matchNumber(v, qv.NumberValue) {
							return true
						}
					}
					return false
				}))
			}
		case fhir.TypeURI:
			for _, or := range q.URIs(c.Name) {
				out = append(out, anyNode(p, func(n node) bool {
					s, ok := str(n.v)
					if !ok {
						return false
					}
					for _, uv := range or {
						switch uv.Modifier {
						case fhir.ModBelow:
							if strings.HasPrefix(s, uv.Value) {
								return true
							}
						case fhir.ModAbove:
							if strings.HasPrefix(uv.Value, s) {
								return true
							}
						default:
							if s == uv.Value {
								return true
							}
						}
					}
					return false
				}))
			}
		default:
			return nil, nil, ErrUnsupported
		}
		for len(names) < len(out) {
			names = append(names, c.Name)
		}
	}
	return out, names, nil
}

func anyNode(p path, match func(node) bool) filter {
	return func(it *Item) bool { return p.some(it.tree, match) }
}

// matchString: FHIR's default is a case- and accent-insensitive
// starts-with; :contains is a substring; :exact is whole and case-sensitive.
func matchString(n node, or []fhir.StringValue) bool {
	for _, s := range stringsOf(n) {
		for _, sv := range or {
			switch sv.Modifier {
			case fhir.ModExact:
				if s == sv.Value {
					return true
				}
			case fhir.ModContains:
				if strings.Contains(fold(s), fold(sv.Value)) {
					return true
				}
			default:
				if strings.HasPrefix(fold(s), fold(sv.Value)) {
					return true
				}
			}
		}
	}
	return false
}

func matchToken(n node, or []fhir.TokenValue) bool {
	return eachCoding(n, func(c coding) bool {
		for _, tv := range or {
			if tv.Modifier == fhir.ModText {
				for _, t := range c.texts {
					if t != "" && strings.Contains(fold(t), fold(tv.Text)) {
						return true
					}
				}
				continue
			}
			if tokenEqual(c, tv) {
				return true
			}
		}
		return false
	})
}

func tokenEqual(c coding, tv fhir.TokenValue) bool {
	if !tv.HasSystem {
		return c.code == tv.Code
	}
	if tv.Code == "" { // "system|": any code of the system
		return c.system == tv.System && !c.plain
	}
	if tv.System == "" { // "|code": a code without a system
		return c.system == "" && c.code == tv.Code
	}
	// A primitive code's system is implicit (e.g. administrative-gender).
	return (c.system == tv.System || c.plain) && c.code == tv.Code
}

// matchDate applies the FHIR prefixes to the target range t and the search
// range [dv.Start, dv.End).
func matchDate(t interval, dv fhir.DateValue, now time.Time) bool {
	ss, se := dv.Start, dv.End
	contains := !t.lo.Before(ss) && !t.hi.After(se) && !t.openLo && !t.openHi
	switch dv.Prefix {
	case fhir.PrefixNe:
		return !contains
	case fhir.PrefixGt:
		return t.hi.After(se)
	case fhir.PrefixLt:
		return t.lo.Before(ss)
	case fhir.PrefixGe:
		return contains || t.hi.After(se)
	case fhir.PrefixLe:
		return contains || t.lo.Before(ss)
	case fhir.PrefixSa:
		return !t.lo.Before(se)
	case fhir.PrefixEb:
		return !t.hi.After(ss)
	case fhir.PrefixAp:
		gap := now.Sub(ss)
		if gap < 0 {
			gap = -gap
		}
		d := time.Duration(float64(gap) * 0.1)
		return t.lo.Before(se.Add(d)) && t.hi.After(ss.Add(-d))
	default: // eq
		return contains
	}
}

// matchNumber applies the prefixes to a target number v and the implicit
// range of the search value.
func matchNumber(v float64, nv fhir.NumberValue) bool {
	switch nv.Prefix {
	case fhir.PrefixNe:
		return v < nv.Low || v >= nv.High
	case fhir.PrefixGt, fhir.PrefixSa:
		return v > nv.Value
	case fhir.PrefixLt, fhir.PrefixEb:
		return v < nv.Value
	case fhir.PrefixGe:
		return v >= nv.Value
	case fhir.PrefixLe:
		return v <= nv.Value
	case fhir.PrefixAp:
		d := math.Abs(nv.Value) * 0.1
		return v >= nv.Value-d && v <= nv.Value+d
	default:
		return v >= nv.Low && v < nv.High
	}
}

// matchReference: "id" matches any type, "Type/id" that type, and an
// absolute URL only that same URL.
func matchReference(n node, or []fhir.ReferenceValue) bool {
	ref, ok := referenceOf(n)
	if !ok || ref == "" {
		return false
	}
	typ, id, ok := splitRef(ref)
	for _, rv := range or {
		if rv.URL != "" {
			if ref == rv.URL {
				return true
			}
			continue
		}
		if !ok || rv.ID == "" || id != rv.ID {
			continue
		}
		if rv.Type == "" || rv.Type == typ {
			return true
		}
	}
	return false
}
