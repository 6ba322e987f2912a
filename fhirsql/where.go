package fhirsql

// addClause adds one AND clause: the OR of its terms. Positive terms on the
// same source share one subquery (t.id IN (SELECT ... WHERE a OR b)), so
// that the side table's index serves each value; :not terms are negated
// one by one, as fhir.MatchToken does.
func (s *Select) addClause(terms []term) {
	if len(terms) == 0 {
		return
	}
	type group struct {
		src   *Source
		neg   bool
		terms []term
	}
	var groups []*group
	bySrc := map[*Source]*group{}
	for _, tm := range terms {
		if !tm.neg {
			if g := bySrc[tm.src]; g != nil {
				g.terms = append(g.terms, tm)
				continue
			}
		}
		g := &group{src: tm.src, neg: tm.neg, terms: []term{tm}}
		groups = append(groups, g)
		if !tm.neg {
			bySrc[tm.src] = g
		}
	}
	if g := groups[0]; len(groups) == 1 && !g.neg && g.src.Table != "" && !g.src.Probe {
		// A clause of positive terms on one collected side table: its ids
		// join the other such clauses' in one INTERSECT, written where the
		// first of them stands (writeIns).
		if len(s.ins) == 0 {
			s.conds = append(s.conds, s.writeIns)
		}
		s.ins = append(s.ins, func(w *writer) { s.writeSubquery(w, g.src, g.terms) })
		return
	}
	s.conds = append(s.conds, func(w *writer) {
		if len(groups) > 1 {
			w.s("(")
		}
		for i, g := range groups {
			if i > 0 {
				w.s(" OR ")
			}
			s.writeSource(w, g.src, g.neg, g.terms)
		}
		if len(groups) > 1 {
			w.s(")")
		}
	})
}

// writeTerms writes the OR of terms on the rows of alias.
func writeTerms(w *writer, alias string, terms []term) {
	for j, tm := range terms {
		if j > 0 {
			w.s(" OR ")
		}
		*tm.alias = alias
		w.s("(")
		tm.cond(w)
		w.s(")")
	}
}

// writeSource writes the OR of terms as a condition on the resource:
// directly on the resource table, or through its side table with the scope
// applied (negated for :not).
func (s *Select) writeSource(w *writer, src *Source, neg bool, terms []term) {
	t := s.t
	if src.Table == "" {
		w.s("(")
		writeTerms(w, "t", terms)
		if neg {
			w.s(") IS NOT TRUE")
		} else {
			w.s(")")
		}
		return
	}
	if !src.Probe {
		w.s("t.", t.ID)
		if neg {
			w.s(" NOT")
		}
		w.s(" IN (")
		s.writeSubquery(w, src, terms)
		w.s(")")
		return
	}
	a := w.alias()
	if neg {
		w.s("NOT ")
	}
	w.s("EXISTS (SELECT 1 FROM ", src.Table, " ", a, " WHERE ")
	for _, c := range t.Scope {
		w.s(a, ".", c, " = t.", c, " AND ")
	}
	w.s(a, ".", src.Ref, " = t.", t.ID, " AND ")
	s.writeSideWhere(w, src, a, terms)
	w.s(")")
}

// writeSubquery writes the ids of the side table's rows, in the scope,
// that match the OR of terms: SELECT a.ref FROM side a WHERE ....
func (s *Select) writeSubquery(w *writer, src *Source, terms []term) {
	a := w.alias()
	w.s("SELECT ", a, ".", src.Ref, " FROM ", src.Table, " ", a, " WHERE ")
	for i, c := range s.t.Scope {
		w.s(a, ".", c, " = ")
		w.arg(s.scope[i])
		w.s(" AND ")
	}
	s.writeSideWhere(w, src, a, terms)
}

// writeSideWhere writes the side table's fixed conditions and the OR of
// terms on its rows.
func (s *Select) writeSideWhere(w *writer, src *Source, a string, terms []term) {
	for _, c := range src.Where {
		w.s(a, ".", c.Column)
		if len(c.Values) == 1 {
			w.s(" = ")
			w.arg(c.Values[0])
		} else {
			w.s(" IN (")
			for i, v := range c.Values {
				if i > 0 {
					w.s(", ")
				}
				w.arg(v)
			}
			w.s(")")
		}
		w.s(" AND ")
	}
	w.s("(")
	writeTerms(w, a, terms)
	w.s(")")
}

// writeIns writes the collected side-table ids as one condition,
// t.id IN (SELECT ... INTERSECT SELECT ...), so that several of them (a
// family and a given name) are intersected as id sets before any resource
// row is read: a database that took them one by one read the rows of
// every patient of a common family name to check the given name.
func (s *Select) writeIns(w *writer) {
	w.s("t.", s.t.ID, " IN (")
	for i, c := range s.ins {
		if i > 0 {
			w.s(" INTERSECT ")
		}
		c(w)
	}
	w.s(")")
}

// where writes the WHERE clause.
func (s *Select) where(w *writer) {
	w.s(" WHERE ")
	for i, c := range s.conds {
		if i > 0 {
			w.s(" AND ")
		}
		c(w)
	}
}

// CountSQL returns the statement counting every match of the search (the
// page's Bundle.total): the same WHERE clause as PageSQL without the
// cursor's position.
func (s *Select) CountSQL() (string, []any, error) {
	if s.err != nil {
		return "", nil, s.err
	}
	w := newWriter(s.d)
	w.s("SELECT COUNT(*) FROM ", s.t.Name, " t")
	s.where(w)
	return w.b.String(), w.args, nil
}

// PageSQL returns the statement of one page: the columns asked for (of the
// resource table), then the order's key columns (KeyCount of them, the id
// last), the rows after the cursor's position in the search's order, at
// most Count+1 of them (the extra row tells that there is a next page).
func (s *Select) PageSQL(columns ...string) (string, []any, error) {
	if s.err != nil {
		return "", nil, s.err
	}
	w := newWriter(s.d)
	w.s("SELECT ")
	for _, c := range columns {
		if !ident(c, false) {
			return "", nil, declErr("table %s: column %q is not an identifier", s.t.Name, c)
		}
		w.s("t.", c, ", ")
	}
	for i, k := range s.order {
		if i > 0 {
			w.s(", ")
		}
		w.s("t.", k.col)
	}
	w.s(" FROM ", s.t.Name, " t")
	s.where(w)
	if s.after != nil {
		w.s(" AND ")
		s.seek(w)
	}
	w.s(" ORDER BY ")
	for i, k := range s.order {
		if i > 0 {
			w.s(", ")
		}
		w.s("t.", k.col)
		if k.desc {
			w.s(" DESC")
		}
	}
	w.s(" LIMIT ")
	w.arg(s.search.Count + 1)
	return w.b.String(), w.args, nil
}

// KeyCount is the number of key columns PageSQL selects after the
// requested ones.
func (s *Select) KeyCount() int { return len(s.order) }

// seek writes "after the cursor's row" in the order: a row-value
// comparison when every key has the same direction (an index range), the
// expanded form otherwise.
func (s *Select) seek(w *writer) {
	same := true
	for _, k := range s.order {
		same = same && k.desc == s.order[0].desc
	}
	op := func(desc bool) string {
		if desc {
			return " < "
		}
		return " > "
	}
	if same {
		if len(s.order) == 1 {
			w.s("t.", s.order[0].col, op(s.order[0].desc))
			w.arg(s.after[0])
			return
		}
		w.s("(")
		for i, k := range s.order {
			if i > 0 {
				w.s(", ")
			}
			w.s("t.", k.col)
		}
		w.s(")", op(s.order[0].desc), "(")
		for i := range s.order {
			if i > 0 {
				w.s(", ")
			}
			w.arg(s.after[i])
		}
		w.s(")")
		return
	}
	w.s("(")
	for i := range s.order {
		if i > 0 {
			w.s(" OR ")
		}
		w.s("(")
		for j := 0; j < i; j++ {
			w.s("t.", s.order[j].col, " = ")
			w.arg(s.after[j])
			w.s(" AND ")
		}
		w.s("t.", s.order[i].col, op(s.order[i].desc))
		w.arg(s.after[i])
		w.s(")")
	}
	w.s(")")
}
