package memehr

import (
	"github.com/patientsfhir/patientsfhir/fhir"
)

// access is how a search finds its candidates, cheapest first: the ids of
// an _id clause; the postings of one AND clause in a reference index (or,
// without a reference or _id clause, a token index), whichever is smallest;
// the string column of a string clause (unless a token clause is selective);
// or every resource of the type.
type access struct {
	ids    []string // the OR list of one _id clause, when hasIDs
	hasIDs bool
	// options are the AND clauses that an index can answer; candidates
	// come from the one with the fewest items.
	options []indexOption
	// column and strs: a string clause answered from a string column.
	column     path
	columnExpr string
	strs       [][]fhir.StringValue
}

// indexOption is one AND clause answerable from a value index: the union
// of the postings of keys holds every item that can match it.
type indexOption struct {
	spec indexSpec
	keys []string
	// exact names the parameter when the postings hold exactly the matches
	// of all its clauses, so its filters need not run.
	exact string
}

// access plans where the candidates of req come from. It reads only the
// query; the indexes it names are made by ensure.
func (s *Store) access(req Request) (access, error) {
	q := req.Query
	var acc access
	var refs, tokens []indexOption
	var strName string
	seen := map[string]bool{}
	for _, c := range q.Clauses {
		if seen[c.Name] {
			continue
		}
		seen[c.Name] = true
		p, expr, err := s.pathExpr(req, c.Name)
		if err != nil {
			return acc, err
		}
		switch c.Type {
		case fhir.TypeReference:
			spec := indexSpec{kind: refIndex, expr: expr, p: p}
			ands := q.References(c.Name)
			_, missing := q.Missing(c.Name)
			for _, or := range ands {
				o := indexOption{spec: spec}
				var exact bool
				o.keys, exact = referenceKeys(or)
				if exact && len(ands) == 1 && !missing {
					o.exact = c.Name
				}
				refs = append(refs, o)
			}
		case fhir.TypeToken:
			if c.Name == "_id" && (expr == "Resource.id" || expr == req.Type+".id") {
				for _, or := range q.Tokens(c.Name) {
					if keys, ok := tokenKeys(or); ok && (!acc.hasIDs || len(keys) < len(acc.ids)) {
						acc.ids, acc.hasIDs = keys, true
					}
				}
				continue
			}
			spec := indexSpec{kind: tokenIndex, expr: expr, p: p}
			for _, or := range q.Tokens(c.Name) {
				if keys, ok := tokenKeys(or); ok {
					tokens = append(tokens, indexOption{spec: spec, keys: keys})
				}
			}
		case fhir.TypeString:
			if strName != "" {
				continue
			}
			vals := q.Strings(c.Name)
			if o, ok := req.Strings[c.Name]; ok {
				vals = o
			}
			if len(vals) > 0 {
				strName, acc.column, acc.columnExpr, acc.strs = c.Name, p, expr, vals
			}
		}
	}
	switch {
	case acc.hasIDs:
		acc.column = nil
	case len(refs) > 0:
		acc.options, acc.column = refs, nil
	default:
		// Token indexes and a string column may both serve; candidates
		// picks the token postings only when they are small.
		acc.options = tokens
	}
	return acc, nil
}

// ensure makes the indexes and the column acc needs (once per type and
// path; Put and Delete keep them up to date from then on).
func (s *Store) ensure(typ string, acc *access) {
	missing := func(td *typeData) bool {
		if td == nil {
			return len(acc.options) > 0 || acc.column != nil
		}
		for _, o := range acc.options {
			if td.indexes[o.spec.key()] == nil {
				return true
			}
		}
		return acc.column != nil && td.columns[acc.columnExpr] == nil
	}
	s.mu.RLock()
	need := missing(s.types[typ])
	s.mu.RUnlock()
	if !need {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	td := s.typeData(typ)
	for _, o := range acc.options {
		if k := o.spec.key(); td.indexes[k] == nil {
			x := newValueIndex(o.spec)
			for _, it := range td.byID {
				x.add(it)
			}
			td.indexes[k] = x
		}
	}
	if acc.column != nil && td.columns[acc.columnExpr] == nil {
		c := newStringColumn(acc.column)
		for _, it := range td.byID {
			c.put(it)
		}
		td.columns[acc.columnExpr] = c
	}
}

// candidates returns the items a search must filter. ordered reports that
// they are already in the order of keys (a cached view); otherwise the
// matches must be sorted. answered names a parameter whose clauses the
// candidates satisfy already. names are the parameters of the filters.
func (s *Store) candidates(typ string, acc *access, keys []sortKey, names []string) (items []*Item, ordered bool, answered string) {
	spec := sortSpec(keys)
	s.mu.RLock()
	defer s.mu.RUnlock()
	td := s.types[typ]
	if td == nil {
		return nil, true, ""
	}
	switch {
	case acc.hasIDs:
		for i, id := range acc.ids {
			if it := td.byID[id]; it != nil && !containsBefore(acc.ids, i) {
				items = append(items, it)
			}
		}
		return items, false, ""
	case len(acc.options) > 0:
		var best []*posting
		bestSize := -1
		for _, o := range acc.options {
			x := td.indexes[o.spec.key()]
			var ps []*posting
			size := 0
			for _, k := range o.keys {
				if p := x.postings[k]; p != nil && !containsPosting(ps, p) {
					ps = append(ps, p)
					size += len(p.items)
				}
			}
			if bestSize < 0 || size < bestSize {
				best, bestSize, answered = ps, size, o.exact
			}
		}
		if acc.column != nil && bestSize > len(td.byID)/8 {
			// A string column scan reads short strings; filtering many
			// token matches walks whole resources.
			return td.columns[acc.columnExpr].candidates(acc.strs), false, ""
		}
		switch len(best) {
		case 0:
			return nil, true, answered
		case 1:
			items, ordered = best[0].ordered(spec, keys, s.loc, allAre(names, answered))
			return items, ordered, answered
		}
		seen := make(map[*Item]bool, bestSize)
		for _, p := range best {
			for it := range p.items {
				if !seen[it] {
					seen[it] = true
					items = append(items, it)
				}
			}
		}
		return items, false, answered
	case acc.column != nil:
		return td.columns[acc.columnExpr].candidates(acc.strs), false, ""
	}
	// Every resource of the type.
	items, ordered = td.views.ordered(spec, keys, s.loc, len(td.byID), func(add func(*Item)) {
		for _, it := range td.byID {
			add(it)
		}
	}, len(names) == 0)
	return items, ordered, ""
}

// allAre reports whether every name is name.
func allAre(names []string, name string) bool {
	for _, n := range names {
		if n != name {
			return false
		}
	}
	return true
}

func containsBefore(ids []string, i int) bool {
	for _, id := range ids[:i] {
		if id == ids[i] {
			return true
		}
	}
	return false
}

func containsPosting(ps []*posting, p *posting) bool {
	for _, q := range ps {
		if q == p {
			return true
		}
	}
	return false
}
