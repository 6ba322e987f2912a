package kit

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// filter is one search of the both-ways checks: with a matching value the
// target is found, with a non-matching one it is left out.
type filter struct {
	rule   string
	typ    string
	query  [][2]string // name, value (not encoded), in order
	target string      // the logical id that must be in (want) or out
	want   bool
}

func (f filter) encode() string {
	parts := make([]string, len(f.query))
	for i, p := range f.query {
		parts[i] = p[0] + "=" + url.QueryEscape(p[1])
	}
	return strings.Join(parts, "&")
}

func (f filter) name(via string) string {
	what := "must leave out " + f.typ + "/" + f.target
	if f.want {
		what = "must find " + f.typ + "/" + f.target
	}
	return "filters " + f.typ + "?" + f.encode() + " (" + what + ", " + via + ")"
}

// notSubstring returns a value that contains s, so is no substring of it.
func notSubstring(s string) string { return s + "qx" }

// otherBirthDate returns the birth date a year later ("" if bd is not a
// date).
func otherBirthDate(bd string) string {
	if len(bd) < 4 {
		return ""
	}
	y, err := strconv.Atoi(bd[:4])
	if err != nil {
		return ""
	}
	return fmt.Sprintf("%04d", y+1) + bd[4:]
}

func otherGender(g string) string {
	if g == "female" {
		return "male"
	}
	return "female"
}

// filters checks every search parameter of the profile that the statement
// advertises both ways, by GET, by POST _search and in one batch: a
// matching value finds the target (the test patient, or one of its
// resources) and a non-matching one leaves it out; every resource found
// satisfies every criterion sent.
func (r *run) filters() {
	r.t.Helper()
	fs := r.patientFilters()
	for _, typ := range r.scopedTypes() {
		fs = append(fs, r.clinicalFilters(typ)...)
	}
	var urls []string
	for _, f := range fs {
		if res := r.get(f.typ + "?" + f.encode()); r.envelope(f.name("GET"), res, 200, f.rule) {
			r.filterResult(f.name("GET"), f, res.json)
		}
		res := r.do("POST", f.typ+"/_search", "", "application/x-www-form-urlencoded", []byte(f.encode()), true)
		if r.envelope(f.name("POST _search"), res, 200, f.rule) {
			r.filterResult(f.name("POST _search"), f, res.json)
		}
		urls = append(urls, f.typ+"?"+f.encode())
	}
	if len(urls) == 0 {
		return
	}
	ents := r.postBatch("filters batch of every search above", urls)
	for i, en := range ents {
		if got, ok := r.batchEntry(fs[i].name("batch entry "+itoa(i)), en); ok {
			r.filterResult(fs[i].name("batch entry "+itoa(i)), fs[i], got)
		}
	}
}

// patientFilters are the Patient parameters of the contract: id, family,
// given, name (DSTU2), birthdate and gender (with the family, as the app
// sends them: alone they match too many), identifier.
func (r *run) patientFilters() []filter {
	ps, ok := r.prms["Patient"]
	if !ok || !r.types["Patient"] {
		return nil
	}
	d := r.d
	var out []filter
	add := func(param string, in, notIn [][2]string) {
		if _, ok := ps[param]; !ok {
			r.t.Logf("filters Patient: %s is not advertised: not checked", param)
			return
		}
		out = append(out, filter{rule: paramRule(param), typ: "Patient", query: in, target: d.PatientID, want: true},
			filter{rule: paramRule(param), typ: "Patient", query: notIn, target: d.PatientID})
	}
	q := func(kv ...string) [][2]string {
		var out [][2]string
		for i := 0; i+1 < len(kv); i += 2 {
			out = append(out, [2]string{kv[i], kv[i+1]})
		}
		return out
	}
	unknown := d.UnknownPatientID
	if unknown == "" {
		unknown = "no-such-patient-0"
	}
	add("_id", q("_id", d.PatientID), q("_id", unknown))
	add("family", q("family", d.Family), q("family", notSubstring(d.Family)))
	add("given", q("given", d.Given), q("given", notSubstring(d.Given)))
	if r.v.Line == "D" {
		add("name", q("name", d.Family), q("name", notSubstring(d.Family)))
	}
	if other := otherBirthDate(d.BirthDate); other != "" {
		add("birthdate", q("birthdate", d.BirthDate, "family", d.Family), q("birthdate", other, "family", d.Family))
	}
	if d.Gender != "" {
		add("gender", q("gender", d.Gender, "family", d.Family), q("gender", otherGender(d.Gender), "family", d.Family))
	}
	mrn := d.MRN
	if d.MRNSystem != "" {
		mrn = d.MRNSystem + "|" + d.MRN
	}
	add("identifier", q("identifier", mrn), q("identifier", d.MRN+"0"))
	return out
}

// clinicalFilters are the parameters of a patient-scoped type: patient,
// and the Observation category and the date where advertised. The target
// is one of the patient's resources found by the unpaged search.
func (r *run) clinicalFilters(typ string) []filter {
	ps, all := r.prms[typ], r.all[typ]
	if len(all) == 0 {
		r.t.Logf("filters %s: skipped: the test patient has none", typ)
		return nil
	}
	pid := r.d.PatientID
	unknown := r.d.UnknownPatientID
	if unknown == "" {
		unknown = "no-such-patient-0"
	}
	var out []filter
	pair := func(rule, target string, in, notIn [][2]string) {
		out = append(out, filter{rule: rule, typ: typ, query: in, target: target, want: true},
			filter{rule: rule, typ: typ, query: notIn, target: target})
	}
	patient := [2]string{"patient", pid}
	if _, ok := ps["patient"]; ok {
		pair("param.patient", sval(all[0], "id"), [][2]string{patient}, [][2]string{{"patient", unknown}})
	}
	if _, ok := ps["category"]; ok && typ == "Observation" {
		for _, res := range all {
			codes := strs(res, "category.coding.code")
			if !slices.Contains(codes, "vital-signs") {
				continue
			}
			other := "laboratory"
			if slices.Contains(codes, other) {
				other = "social-history"
			}
			pair("param.category", sval(res, "id"), [][2]string{patient, {"category", "vital-signs"}}, [][2]string{patient, {"category", other}})
			break
		}
	}
	if _, ok := ps["date"]; ok && len(r.v.Date[typ]) > 0 {
		for _, res := range all {
			sp, ok := r.dateOf(res)
			if !ok {
				continue
			}
			y := sp.lo.Year()
			pair("param.date", sval(res, "id"),
				[][2]string{patient, {"date", fmt.Sprintf("ge%04d-01-01", y-1)}, {"date", fmt.Sprintf("le%04d-12-31", y+1)}},
				[][2]string{patient, {"date", "1900-01-01"}})
			break
		}
	}
	return out
}

// filterResult checks one answer of a filter: a searchset whose resources
// satisfy every criterion sent, with the target in it or left out.
func (r *run) filterResult(name string, f filter, b obj) {
	r.t.Helper()
	scoped := slices.Contains(f.query, [2]string{"patient", r.d.PatientID})
	page := r.searchset(name, b, Expect{Type: f.typ, PatientScoped: scoped})
	if page == nil && sval(b, "type") != "searchset" {
		return
	}
	for _, kv := range f.query {
		param, _, _ := strings.Cut(kv[0], ":")
		for _, res := range page {
			if !r.satisfies(res, param, kv[1]) {
				r.fail(paramRule(param), name, "%s/%s does not match %s=%s", f.typ, sval(res, "id"), kv[0], kv[1])
				break
			}
		}
	}
	found := slices.ContainsFunc(page, func(res obj) bool { return sval(res, "id") == f.target })
	switch {
	case f.want && !found && r.relNext(b) == "":
		r.fail(f.rule, name, "%s/%s is not in the result (%d entries)", f.typ, f.target, len(page))
	case !f.want && found:
		r.fail(f.rule, name, "%s/%s is in the result: the value does not match it, so the filter is not applied", f.typ, f.target)
	}
}

// totals checks, for Patient and every patient-scoped type, that
// Bundle.total is the number of matches: equal to the entries of the
// unpaged search (_count=200) and, on every page of a walk through the
// next links with a third of that page size, to the number of distinct
// resources the walk reaches; the walk reaches each resource of the
// unpaged search once.
func (r *run) totals() {
	r.t.Helper()
	type search struct {
		typ, query string
		scoped     bool
	}
	var ss []search
	if r.types["Patient"] {
		family := map[string]string{"D": "family:contains", "S": "family"}[r.v.Line]
		ss = append(ss, search{typ: "Patient", query: family + "=" + url.QueryEscape(strings.ToLower(inner(r.d.Family)))})
	}
	for _, typ := range r.scopedTypes() {
		ss = append(ss, search{typ: typ, query: "patient=" + url.QueryEscape(r.d.PatientID), scoped: true})
	}
	for _, s := range ss {
		name := "totals " + s.typ + "?" + s.query
		full := r.full[s.typ]
		if !s.scoped {
			full = r.get(s.typ + "?" + s.query + "&_count=" + itoa(unpaged))
		}
		if full == nil {
			continue // collect failed, and said so
		}
		uname := name + "&_count=" + itoa(unpaged) + " (unpaged)"
		if !r.envelope(uname, full, 200, "http.status") {
			continue
		}
		r.searchset(uname, full.json, Expect{Type: s.typ, PatientScoped: s.scoped})
		want := ids(full.json)
		complete := r.relNext(full.json) == ""
		if total, ok := totalOf(full.json); ok && complete && total != len(want) {
			r.fail("total.exact", uname, "Bundle.total %d, but the search returns %d resources on its only page", total, len(want))
		}
		n := len(want)
		if t, ok := totalOf(full.json); ok && !complete {
			n = t // the unpaged search has more than one page: walk them all
		}
		if n == 0 {
			continue
		}
		k := max(1, (n+2)/3)
		got, totals, ok := r.walk(name, s.typ, s.typ+"?"+s.query, k, n, Expect{PatientScoped: s.scoped})
		if !ok {
			continue
		}
		distinct := slices.Compact(slices.Sorted(slices.Values(got)))
		if len(distinct) != len(got) {
			r.fail("paging.next", name, "following the next links with _count=%d returns %d entries but only %d distinct resources: pages repeat", k, len(got), len(distinct))
		}
		for i, t := range totals {
			if t != len(distinct) {
				r.fail("total.exact", name, "page %d (_count=%d) says Bundle.total %d, but following every next link reaches %d distinct resources", i, k, t, len(distinct))
				break
			}
		}
		if complete && !slices.Equal(distinct, slices.Sorted(slices.Values(want))) {
			r.fail("paging.next", name, "following the next links with _count=%d reaches other resources than the unpaged search: %s", k, diff(distinct, slices.Sorted(slices.Values(want))))
		}
	}
}

// sortSyntax checks that the two _sort syntaxes the app may send give the
// same result.
func (r *run) sortSyntax() {
	r.t.Helper()
	p := url.QueryEscape(r.d.PatientID)
	for _, c := range []struct{ typ, desc, minus string }{
		{"Observation", "Observation?patient=" + p + "&_sort:desc=date&category=vital-signs", "Observation?patient=" + p + "&_sort=-date&category=vital-signs"},
		{"Encounter", "Encounter?patient=" + p + "&_sort:desc=date", "Encounter?patient=" + p + "&_sort=-date"},
	} {
		if !r.types[c.typ] {
			continue
		}
		name := "sort " + c.typ + ": _sort:desc=date against _sort=-date"
		a, b := r.get(c.desc), r.get(c.minus)
		if !r.envelope(name+" (_sort:desc=date)", a, 200, "http.status") || !r.envelope(name+" (_sort=-date)", b, 200, "http.status") {
			continue
		}
		if x, y := ids(a.json), ids(b.json); !slices.Equal(x, y) {
			r.fail("sort.syntax", name, "the two syntaxes give different results (_sort:desc=date against _sort=-date): %s", diff(x, y))
		}
	}
}

// diff describes how the id lists got and want differ: their lengths and
// the first position where they part.
func diff(got, want []string) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	at := func(l []string) string {
		if i < len(l) {
			return l[i]
		}
		return "nothing"
	}
	return fmt.Sprintf("%d against %d resources; entry %d is %s against %s", len(got), len(want), i, at(got), at(want))
}
