package mutation

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/patientsfhir/patientsfhir/internal/kit"
)

// Catalogue returns the mutations of version v: at least one per rule of
// v.Rules(), in rule order.
func Catalogue(v *kit.Version) []Mutation {
	m := func(rule, name string, f fault) Mutation { return Mutation{Rule: rule, Name: name, f: f} }
	statement := func(edit func(rest obj, cs obj)) fault {
		return fault{resource: func(c *call, res obj) {
			if sval(res, "resourceType") == v.FHIR.CapabilityResource {
				rest, _ := first(res["rest"])
				edit(rest, res)
			}
		}, only: []byte(`"resourceType":"` + v.FHIR.CapabilityResource + `"`)}
	}
	onType := func(typ string, edit func(c *call, res obj)) fault {
		return fault{resource: func(c *call, res obj) {
			if sval(res, "resourceType") == typ {
				edit(c, res)
			}
		}, only: []byte(`"resourceType":"` + typ + `"`)}
	}
	notFound := func(edit func(rp *reply)) fault {
		return fault{reply: func(c *call, rp *reply) {
			if rp.status == http.StatusNotFound {
				edit(rp)
			}
		}}
	}
	out := []Mutation{
		m("metadata.open", "asks a token for /metadata", fault{reply: func(c *call, rp *reply) {
			if c.typ == "metadata" && c.auth == "" {
				rp.status = http.StatusUnauthorized
				rp.body = []byte(`{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"login"}]}`)
			}
		}}),
		m("metadata.resource", "answers /metadata with a Parameters resource", statement(func(_, cs obj) { cs["resourceType"] = "Parameters" })),
		m("metadata.version", "says fhirVersion 4.0.1", statement(func(_, cs obj) { cs["fhirVersion"] = "4.0.1" })),
		m("metadata.rest", "says rest mode client", statement(func(rest, _ obj) { rest["mode"] = "client" })),
		m("metadata.batch", "declares no batch interaction", statement(func(rest, _ obj) { delete(rest, "interaction") })),
		m("metadata.patient", "does not declare Patient", statement(func(rest, _ obj) {
			rest["resource"] = slices.DeleteFunc(list(rest["resource"]), func(r any) bool { return sval(asObj(r), "type") == "Patient" })
		})),
		m("metadata.oauth", "publishes no token URL", statement(func(rest, _ obj) { delete(rest, "security") })),
		m("metadata.params", "advertises a Patient parameter it refuses", statement(func(rest, _ obj) {
			for _, r := range list(rest["resource"]) {
				if rm := asObj(r); sval(rm, "type") == "Patient" {
					rm["searchParam"] = append(list(rm["searchParam"]), obj{"name": "nickname", "type": "string"})
				}
			}
		})),
		m("http.status", "answers 500 for an unknown patient", notFound(func(rp *reply) { rp.status = http.StatusInternalServerError })),
		m("http.outcome", "answers an unknown patient with a bare JSON error", notFound(func(rp *reply) { rp.body = []byte(`{"error":"not found"}`) })),
		m("http.json", "says text/plain", fault{reply: func(c *call, rp *reply) { rp.header.Set("Content-Type", "text/plain; charset=utf-8") }}),
		m("resource.valid", "sends a Patient gender that is no code", onType("Patient", func(_ *call, res obj) { res["gender"] = "robot" })),
		{Rule: "resource.schema", Name: "sends a Patient gender that is no code", NeedsSchema: true,
			f: onType("Patient", func(_ *call, res obj) { res["gender"] = "robot" })},
		m("resource.id", "sends Conditions without id", onType("Condition", func(_ *call, res obj) { delete(res, "id") })),
		m("resource.type", "answers Condition searches with AllergyIntolerances", onType("Condition", func(_ *call, res obj) {
			res["resourceType"] = "AllergyIntolerance"
		})),
		m("read.id", "reads another patient", fault{resource: func(c *call, res obj) {
			if c.id != "" && sval(res, "resourceType") == "Patient" {
				res["id"] = c.id + "x"
			}
		}}),
		m("search.bundle", "answers searches with a collection Bundle", fault{bundle: func(_ *call, b obj) { b["type"] = "collection" }}),
		m("search.fullurl", "leaves out fullUrl", fault{bundle: func(_ *call, b obj) {
			for _, e := range list(b["entry"]) {
				delete(asObj(e), "fullUrl")
			}
		}}),
		m("search.results", "finds no conditions", fault{bundle: func(c *call, b obj) {
			if c.typ == "Condition" {
				delete(b, "entry")
				b["total"] = 0
			}
		}}),
		m("total.present", "leaves out Bundle.total", fault{bundle: func(_ *call, b obj) { delete(b, "total") }}),
		m("total.present", "leaves out Bundle.total on a page with a next link", fault{bundle: func(_ *call, b obj) {
			if link(b, "next") != nil {
				delete(b, "total")
			}
		}}),
		m("total.exact", "says a total one too low", fault{bundle: func(_ *call, b obj) {
			if n := total(b); n > 0 {
				b["total"] = n - 1
			}
		}}),
		m("total.exact", "says the page size as the total", fault{bundle: func(_ *call, b obj) { b["total"] = len(list(b["entry"])) }}),
		m("search.count", "ignores _count", fault{query: func(_ *call, q url.Values) { q.Del("_count") }}),
		m("search.contains", "reads family, given and name as a prefix", fault{bundle: prefixNames}),
		m("param.id", "ignores _id and id", strip("_id", "id")),
		m("param.family", "ignores family", strip("family")),
		m("param.given", "ignores given", strip("given")),
	}
	if v.Line == "D" {
		out = append(out, m("param.name", "ignores name", strip("name")))
	}
	out = append(out,
		m("param.birthdate", "ignores birthdate", strip("birthdate")),
		m("param.gender", "ignores gender", strip("gender")),
		m("param.identifier", "ignores identifier", strip("identifier")),
		m("param.patient", "answers every patient's search with the test patient's data", fault{query: func(c *call, q url.Values) {
			if q.Has("patient") {
				q.Set("patient", c.env.Data.PatientID)
			}
		}}),
		m("param.category", "ignores category", strip("category")),
		m("param.date", "ignores date", strip("date")),
		m("identifier.nosystem", "finds an identifier only with its system", fault{query: func(_ *call, q url.Values) {
			for i, id := range q["identifier"] {
				if !strings.Contains(id, "|") {
					q["identifier"][i] = "|" + id
				}
			}
		}}),
		m("scope.patient", "sends another patient's data", fault{resource: func(c *call, res obj) {
			for _, p := range v.PatientRef[sval(res, "resourceType")] {
				if ref := asObj(res[p]); ref != nil && c.query.Has("patient") {
					ref["reference"] = "Patient/another-patient"
				}
			}
		}}),
		m("sort.newest", "sorts oldest first", fault{query: func(_ *call, q url.Values) {
			if q.Has("_sort:desc") {
				q["_sort"] = q["_sort:desc"]
				q.Del("_sort:desc")
			}
			for i, s := range q["_sort"] {
				q["_sort"][i] = strings.TrimPrefix(s, "-")
			}
		}}),
		m("sort.syntax", "ignores _sort:desc=date (only _sort=-date works)", strip("_sort:desc")),
		m("paging.next", "sends a next link that repeats the page", fault{bundle: func(_ *call, b obj) {
			if next := link(b, "next"); next != nil {
				next["url"] = link(b, "self")["url"]
			}
		}}),
		m("paging.next", "sends a next link that skips a page", fault{bundle: func(c *call, b obj) {
			next := link(b, "next")
			if next == nil {
				return
			}
			if after := link(c.get(sval(next, "url")), "next"); after != nil {
				next["url"] = after["url"]
				return
			}
			b["link"] = slices.DeleteFunc(list(b["link"]), func(l any) bool { return sval(asObj(l), "relation") == "next" })
		}}),
		m("batch.response", "answers a batch with a transaction-response", fault{batch: func(b obj) { b["type"] = "transaction-response" }}),
		m("batch.same", "answers a batch's entries in reverse order", fault{batch: func(b obj) { slices.Reverse(list(b["entry"])) }}),
	)
	for _, group := range []struct {
		reqs map[string][]kit.Requirement
		verb string
	}{{v.Required, "leaves out the required"}, {v.Displayed, "leaves out the displayed"}} {
		types := make([]string, 0, len(group.reqs))
		for typ := range group.reqs {
			types = append(types, typ)
		}
		slices.Sort(types)
		for _, typ := range types {
			for _, rq := range group.reqs[typ] {
				out = append(out, m(rq.ID, group.verb+" "+typ+" "+rq.Label, onType(typ, func(_ *call, res obj) {
					for _, p := range rq.Paths {
						del(res, strings.Split(p, "."))
					}
				})))
			}
		}
	}
	return out
}

// strip is a server that ignores the parameters names (with any modifier).
func strip(names ...string) fault {
	return fault{query: func(_ *call, q url.Values) {
		for k := range q {
			if name, _, _ := strings.Cut(k, ":"); slices.Contains(names, name) || slices.Contains(names, k) {
				q.Del(k)
			}
		}
	}}
}

// prefixNames drops the Patients of a searchset whose names match the
// family, given or name values searched only as a substring, not at the
// start: a server that reads them as FHIR's default starts-with.
func prefixNames(c *call, b obj) {
	if c.typ != "Patient" {
		return
	}
	parts := map[string][]string{"family": {"family"}, "given": {"given"}, "name": {"family", "given", "text"}}
	kept := list(b["entry"])[:0]
	dropped := 0
	for _, e := range list(b["entry"]) {
		res := asObj(asObj(e)["resource"])
		ok := true
		for k, vals := range c.query {
			param, _, _ := strings.Cut(k, ":")
			if parts[param] == nil {
				continue
			}
			for _, v := range vals {
				if !startsWith(res, parts[param], v) {
					ok = false
				}
			}
		}
		if ok {
			kept = append(kept, e)
		} else {
			dropped++
		}
	}
	b["entry"] = kept
	if len(kept) == 0 {
		delete(b, "entry") // FHIR has no empty arrays
	}
	if n := total(b); n >= dropped {
		b["total"] = n - dropped
	}
}

// startsWith reports whether a part of a name of res starts with v,
// case-insensitively.
func startsWith(res obj, parts []string, v string) bool {
	for _, n := range list(res["name"]) {
		for _, p := range parts {
			vals := list(asObj(n)[p])
			if s, ok := asObj(n)[p].(string); ok {
				vals = []any{s}
			}
			for _, x := range vals {
				if s, _ := x.(string); strings.HasPrefix(strings.ToLower(s), strings.ToLower(v)) {
					return true
				}
			}
		}
	}
	return false
}

// del deletes the values at a kit path (see kit.Requirement) from v.
func del(v any, path []string) {
	if len(path) == 0 {
		return
	}
	switch x := v.(type) {
	case []any:
		if i, err := strconv.Atoi(path[0]); err == nil {
			if i < len(x) {
				del(x[i], path[1:])
			}
			return
		}
		for _, e := range x {
			del(e, path)
		}
	case obj:
		name, typed, _ := strings.Cut(path[0], "[")
		typed = strings.TrimSuffix(typed, "]")
		if len(path) == 1 && typed == "" {
			delete(x, name)
			return
		}
		child := x[name]
		if typed != "" {
			var sel []any
			for _, e := range list(child) {
				if hasTypeCode(asObj(e), typed) {
					sel = append(sel, e)
				}
			}
			child = sel
		}
		del(child, path[1:])
	}
}

func hasTypeCode(id obj, code string) bool {
	for _, c := range list(asObj(id["type"])["coding"]) {
		if sval(asObj(c), "code") == code {
			return true
		}
	}
	return false
}

// link returns the Bundle link of the relation, nil when there is none.
func link(b obj, relation string) obj {
	for _, l := range list(b["link"]) {
		if sval(asObj(l), "relation") == relation {
			return asObj(l)
		}
	}
	return nil
}

// total returns Bundle.total (-1 when absent).
func total(b obj) int {
	n, ok := b["total"].(json.Number)
	if !ok {
		if i, isInt := b["total"].(int); isInt {
			return i
		}
		return -1
	}
	i, err := strconv.Atoi(n.String())
	if err != nil {
		return -1
	}
	return i
}

func first(v any) (obj, bool) {
	l := list(v)
	if len(l) == 0 {
		return obj{}, false
	}
	m, ok := l[0].(obj)
	return m, ok
}
