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
	type ent struct {
		Request struct {
			Method string `json:"method"`
			URL    string `json:"url"`
		} `json:"request"`
	}
	var urls []string
	for _, u := range req.Batch {
		typ, _, _ := strings.Cut(u, "?")
		typ, _, _ = strings.Cut(typ, "/")
		if r.types[typ] {
			urls = append(urls, u)
		}
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
	if !r.envelope(req.Name, res, 200) {
		return
	}
	if rt, bt := sval(res.json, "resourceType"), sval(res.json, "type"); rt != "Bundle" || bt != "batch-response" {
		r.errorf(req.Name, "got %s of type %q, want a batch-response Bundle", rt, bt)
		return
	}
	r.validate(req.Name, res.json)
	ents := entries(res.json)
	if len(ents) != len(urls) {
		r.errorf(req.Name, "%d response entries for %d request entries", len(ents), len(urls))
		return
	}
	for i, en := range ents {
		name := req.Name + ": entry " + itoa(i) + " (" + urls[i] + ")"
		status := sval(obj(asObj(en["response"])), "status")
		if !strings.HasPrefix(status, "200") {
			r.errorf(name, "response.status %q, want 200 OK", status)
			continue
		}
		got, _ := en["resource"].(obj)
		direct := r.get(urls[i])
		if direct.status != 200 || direct.json == nil {
			r.errorf(name, "the same request on its own answers %d", direct.status)
			continue
		}
		if g, w := ids(got), ids(direct.json); !slices.Equal(g, w) {
			r.errorf(name, "batch result %v differs from the same request on its own %v (order included)", g, w)
		}
		if sval(direct.json, "resourceType") == "Bundle" {
			typ, _, _ := strings.Cut(urls[i], "?")
			r.searchset(name, got, Expect{Type: typ, PatientScoped: true})
		}
	}
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
	if !r.envelope(name, res, 200) {
		return
	}
	if rt, bt := sval(res.json, "resourceType"), sval(res.json, "type"); rt != "Bundle" || bt != "searchset" {
		r.errorf(name, "got %s %q, want a searchset Bundle", rt, bt)
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
	full := r.get(base + "&_count=200")
	if full.status != 200 || full.json == nil {
		r.errorf(name, "the unpaged search answers %d", full.status)
		return
	}
	want := ids(full.json)
	var got []string
	rel := base + "&_count=2"
	for page := 0; rel != "" && page <= len(want)/2+1; page++ {
		res := r.get(rel)
		if !r.envelope(name+" page "+itoa(page), res, 200) {
			return
		}
		r.searchset(name+" page "+itoa(page), res.json, Expect{Type: "Observation", Count: 2, PatientScoped: true})
		got = append(got, ids(res.json)...)
		rel = r.relNext(res.json)
	}
	if !slices.Equal(got, want) {
		r.errorf(name, "pages give %d resources %v, the unpaged search %d %v", len(got), got, len(want), want)
	}
}
