package kit

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
)

func firstObj(vs []any) (obj, bool) {
	if len(vs) == 0 {
		return nil, false
	}
	m, ok := vs[0].(obj)
	return m, ok
}

// batch runs D9/S9: a batch of GET entries; the response keeps the order,
// every entry succeeds, and each result is the one the same request gives
// on its own.
func (r *run) batch(req Request) {
	r.t.Helper()
	var urls []string
	for _, u := range req.Batch {
		typ, _, _ := strings.Cut(u, "?")
		typ, _, _ = strings.Cut(typ, "/")
		if r.types[typ] {
			urls = append(urls, u)
		}
	}
	ents := r.postBatch(req.Name, urls)
	if ents == nil {
		return
	}
	for i, en := range ents {
		name := req.Name + ": entry " + itoa(i) + " (" + urls[i] + ")"
		got, ok := r.batchEntry(name, en)
		if !ok {
			continue
		}
		direct := r.get(urls[i])
		if direct.status != 200 || direct.json == nil {
			r.fail("http.status", name, "the same request on its own answers %d", direct.status)
			continue
		}
		if g, w := ids(got), ids(direct.json); !slices.Equal(g, w) {
			r.fail("batch.same", name, "the batch result differs from the same request on its own (order included): %s", diff(g, w))
		}
		if sval(direct.json, "resourceType") == "Bundle" {
			typ, _, _ := strings.Cut(urls[i], "?")
			r.searchset(name, got, Expect{Type: typ, PatientScoped: true})
		}
	}
}

// postBatch sends a batch Bundle of GET entries and returns the entries
// of the batch-response, nil when it is not one with an entry per request.
func (r *run) postBatch(name string, urls []string) []obj {
	r.t.Helper()
	type ent struct {
		Request struct {
			Method string `json:"method"`
			URL    string `json:"url"`
		} `json:"request"`
	}
	b := struct {
		ResourceType string `json:"resourceType"`
		Type         string `json:"type"`
		Entry        []ent  `json:"entry"`
	}{ResourceType: "Bundle", Type: "batch"}
	for _, u := range urls {
		var e ent
		e.Request.Method, e.Request.URL = "GET", u
		b.Entry = append(b.Entry, e)
	}
	body, _ := json.Marshal(b)
	res := r.do("POST", "", "", r.v.FHIR.MIMEType, body, true)
	if !r.envelope(name, res, 200, "batch.response") {
		return nil
	}
	if rt, bt := sval(res.json, "resourceType"), sval(res.json, "type"); rt != "Bundle" || bt != "batch-response" {
		r.fail("batch.response", name, "got %s of type %q, want a batch-response Bundle", rt, bt)
		return nil
	}
	r.validate(name, res.json)
	ents := entries(res.json)
	if len(ents) != len(urls) {
		r.fail("batch.response", name, "%d response entries for %d request entries", len(ents), len(urls))
		return nil
	}
	return ents
}

// batchEntry checks that a batch-response entry succeeded and returns its
// resource.
func (r *run) batchEntry(name string, en obj) (obj, bool) {
	r.t.Helper()
	status := sval(asObj(en["response"]), "status")
	got, _ := en["resource"].(obj)
	if !strings.HasPrefix(status, "200") {
		msg := ""
		if got != nil && sval(got, "resourceType") == "OperationOutcome" {
			msg = " (" + outcomeText(got) + ")"
		}
		r.fail("batch.response", name, "response.status %q, want 200 OK%s", status, msg)
		return nil, false
	}
	if got == nil {
		r.fail("batch.response", name, "entry without a resource")
		return nil, false
	}
	return got, true
}

func asObj(v any) obj {
	m, _ := v.(obj)
	return m
}

func itoa(i int) string { return strconv.Itoa(i) }

// ids lists the resource ids of a Bundle, or the id of a resource.
func ids(b obj) []string {
	if b == nil {
		return nil
	}
	if sval(b, "resourceType") != "Bundle" {
		return []string{sval(b, "resourceType") + "/" + sval(b, "id")}
	}
	var out []string
	for _, e := range entries(b) {
		m := asObj(e["resource"])
		out = append(out, sval(m, "resourceType")+"/"+sval(m, "id"))
	}
	return out
}

// sample returns a value of the parameter's type that any server must
// accept (it need not match anything).
func (r *run) sample(name, typ string) string {
	switch {
	case name == "_id" || name == "id":
		return r.d.PatientID
	case name == "patient" || name == "subject" || name == "beneficiary" || name == "subscriber":
		return "Patient/" + r.d.PatientID
	}
	switch typ {
	case "string":
		return "zz"
	case "date":
		return "2000-01-01"
	case "reference":
		return "Patient/" + r.d.PatientID
	case "number", "quantity":
		return "1"
	case "uri":
		return "http://example.org/zz"
	default:
		return "zz"
	}
}

// advertised sends every search parameter of the capability statement
// once, strictly (Prefer: handling=strict): an advertised parameter must
// be accepted.
func (r *run) advertised() {
	r.t.Helper()
	var types []string
	for t := range r.prms {
		types = append(types, t)
	}
	sort.Strings(types)
	for _, typ := range types {
		ps := r.prms[typ]
		var names []string
		for n := range ps {
			names = append(names, n)
		}
		sort.Strings(names)
		_, scoped := ps["patient"]
		for _, n := range names {
			q := url.Values{}
			q.Set(n, r.sample(n, ps[n]))
			if scoped && n != "patient" && n != "subject" {
				q.Set("patient", r.d.PatientID)
			}
			r.acceptsSearch("advertised "+typ+"?"+n, typ, q)
			// DSTU2 statements list the modifiers: each must be accepted too.
			for _, m := range r.mods[typ+"."+n] {
				v := q.Get(n)
				switch m {
				case "missing":
					v = "false"
				case "type", "in", "not-in":
					continue // need a target type or a value set: not sampled
				}
				mq := url.Values{}
				for k, vs := range q {
					if k != n {
						mq[k] = vs
					}
				}
				mq.Set(n+":"+m, v)
				r.acceptsSearch("advertised "+typ+"?"+n+":"+m, typ, mq)
			}
		}
	}
}

// acceptsSearch sends a strict search that must give a searchset.
func (r *run) acceptsSearch(name, typ string, q url.Values) {
	r.t.Helper()
	res := r.doStrict(typ, q.Encode())
	if !r.envelope(name, res, 200, "metadata.params") {
		return
	}
	if rt, bt := sval(res.json, "resourceType"), sval(res.json, "type"); rt != "Bundle" || bt != "searchset" {
		r.fail("metadata.params", name, "got %s %q, want a searchset Bundle", rt, bt)
	}
}

func (r *run) doStrict(path, query string) *response {
	saved := r.o.Authorize
	r.o.Authorize = func(req *http.Request) {
		req.Header.Set("Prefer", "handling=strict")
		if saved != nil {
			saved(req)
		}
	}
	defer func() { r.o.Authorize = saved }()
	return r.do("GET", path, query, "", nil, true)
}

// paging walks the patient's vital signs two at a time through the next
// links: every page is a valid searchset, nothing repeats, nothing is lost,
// and the order is the one of the unpaged search.
func (r *run) paging() {
	r.t.Helper()
	if !r.types["Observation"] {
		return
	}
	const name = "paging Observation vitals _count=2 through next links"
	base := "Observation?patient=" + url.QueryEscape(r.d.PatientID) + "&category=vital-signs&_sort=-date"
	full := r.get(base + "&_count=" + itoa(unpaged))
	if full.status != 200 || full.json == nil {
		r.fail("http.status", name, "the unpaged search answers %d", full.status)
		return
	}
	want := ids(full.json)
	n := len(want)
	if t, ok := totalOf(full.json); ok && r.relNext(full.json) != "" {
		n = t // more than one page even unpaged: compare what it holds
	}
	got, _, ok := r.walk(name, "Observation", base, 2, n, Expect{PatientScoped: true})
	if ok && !slices.Equal(got[:min(len(got), len(want))], want) {
		r.fail("paging.next", name, "the pages differ from the unpaged search (order included): %s", diff(got, want))
	}
}

// walk follows the next links of typ?query with _count=count and returns
// the ids in page order and each page's total; ok is false when a page
// failed. n is the number of resources expected: the walk gives up, as a
// paging.next failure, after the pages they need at the size of the first
// page, plus three (at most maxPages).
func (r *run) walk(name, typ, query string, count, n int, e Expect) (got []string, totals []int, ok bool) {
	r.t.Helper()
	e.Type, e.Count = typ, count
	limit := maxPages
	rel := query + "&_count=" + itoa(count)
	for page := 0; rel != ""; page++ {
		pname := name + " page " + itoa(page)
		if page == limit {
			r.fail("paging.next", name, "the next links do not end after %d pages of _count=%d for %d resources", limit, count, n)
			return got, totals, false
		}
		res := r.get(rel)
		if !r.envelope(pname, res, 200, "http.status") {
			return got, totals, false
		}
		r.searchset(pname, res.json, e)
		if t, present := totalOf(res.json); present {
			totals = append(totals, t)
		}
		ids := ids(res.json)
		if page == 0 {
			limit = min(maxPages, n/max(1, len(ids))+3)
		}
		got = append(got, ids...)
		rel = r.relNext(res.json)
	}
	return got, totals, true
}

// maxPages bounds every walk through next links.
const maxPages = 200
