package kit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// T is what the kit needs of a test: *testing.T and *testing.B satisfy it,
// and so does a recorder in the kit's own tests.
type T interface {
	Helper()
	Errorf(format string, args ...any)
	Logf(format string, args ...any)
}

// Options tune a run.
type Options struct {
	// Base is the path the handler serves the FHIR endpoint at, e.g.
	// "/stu3" ("" for the root).
	Base string
	// Authorize adds credentials to every request but metadata (e.g. an
	// Authorization header). When set, the capability statement must also
	// publish the OAuth token URL.
	Authorize func(r *http.Request)
	// Schema, when set, validates every response body (a resource or a
	// Bundle) against the official JSON schema of the version.
	Schema func(body []byte) error
	// StrictDisplay makes a missing display on a displayed reference (and
	// a missing must-support element) an error instead of a warning.
	StrictDisplay bool
	// Only restricts the run to these request lines ("S3", "D9"), plus
	// "advertised" (every advertised search parameter) and "paging" (next
	// links). The capability statement is always checked. Empty runs all.
	Only []string
}

func (o *Options) runs(line string) bool { return len(o.Only) == 0 || slices.Contains(o.Only, line) }

// run is one kit run.
type run struct {
	t     T
	h     http.Handler
	v     *Version
	d     TestData
	o     Options
	types map[string]bool              // resource types of the capability statement
	prms  map[string]map[string]string // type -> advertised param -> type
	mods  map[string][]string          // "type.param" -> advertised modifiers (DSTU2)
	all   map[string][]obj             // the patient's resources per type (unsorted)
	cache map[string]*response         // direct responses by URL, for the batch
	fails int
}

type response struct {
	status int
	ctype  string
	body   []byte
	json   obj
}

// Run drives h with every request of the catalogue of v and asserts the
// contract. Failures name the request and what was wrong.
func Run(t T, h http.Handler, v *Version, d TestData, o Options) {
	t.Helper()
	r := &run{t: t, h: h, v: v, d: d, o: o, prms: map[string]map[string]string{}, mods: map[string][]string{}, all: map[string][]obj{}, cache: map[string]*response{}}
	if d.PatientID == "" || d.Family == "" || d.Given == "" || d.BirthDate == "" || d.MRN == "" {
		t.Errorf("kit: TestData needs PatientID, Family, Given, BirthDate and MRN")
		return
	}
	cat := Catalogue(v)
	if !r.metadata(cat[0].Expand(d)) {
		return
	}
	for _, typ := range []string{"Observation", "Encounter"} {
		r.collect(typ)
	}
	for _, req := range cat[1:] {
		if strings.Contains(req.Query+req.Form, "{mrnSystem}") && d.MRNSystem == "" {
			continue
		}
		if !o.runs(req.Line) {
			continue
		}
		req = req.Expand(d)
		if t := req.Expect.Type; t != "" && !r.types[t] {
			if t == "Patient" {
				r.errorf(req.Name, "Patient is not in the capability statement; it is the one mandatory resource")
			} else {
				r.t.Logf("%s: skipped: %s is not in the capability statement (that part of the app stays blank)", req.Name, t)
			}
			continue
		}
		if req.Expect.Kind == KindBatch {
			r.batch(req)
			continue
		}
		r.check(req, r.send(req))
	}
	if o.runs("advertised") {
		r.advertised()
	}
	if o.runs("paging") {
		r.paging()
	}
}

func (r *run) errorf(name, format string, args ...any) {
	r.t.Helper()
	r.fails++
	r.t.Errorf("%s: %s", name, fmt.Sprintf(format, args...))
}

func (r *run) warnf(name, format string, args ...any) {
	r.t.Helper()
	if r.o.StrictDisplay {
		r.errorf(name, format, args...)
		return
	}
	r.t.Logf("warning: %s: %s", name, fmt.Sprintf(format, args...))
}

// do sends one HTTP request through the handler.
func (r *run) do(method, path, query, ctype string, body []byte, auth bool) *response {
	u := r.o.Base + "/" + path
	if path == "" && r.o.Base != "" {
		u = r.o.Base // POST [base] for a batch
	}
	if query != "" {
		u += "?" + query
	}
	req := httptest.NewRequest(method, u, bytes.NewReader(body))
	if body == nil {
		req = httptest.NewRequest(method, u, nil)
	}
	req.Header.Set("Accept", r.v.FHIR.MIMEType)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if auth && r.o.Authorize != nil {
		r.o.Authorize(req)
	}
	w := httptest.NewRecorder()
	r.h.ServeHTTP(w, req)
	res := &response{status: w.Code, ctype: w.Header().Get("Content-Type"), body: w.Body.Bytes()}
	res.json, _ = decode(res.body)
	return res
}

func (r *run) send(req Request) *response {
	if req.Method == "POST" {
		return r.do("POST", req.Path, "", "application/x-www-form-urlencoded", []byte(req.Form), !req.NoAuth)
	}
	return r.do("GET", req.Path, req.Query, "", nil, !req.NoAuth)
}

// get sends a GET by URL relative to the base ("Type?query"), cached.
func (r *run) get(rel string) *response {
	if res, ok := r.cache[rel]; ok {
		return res
	}
	path, q, _ := strings.Cut(rel, "?")
	res := r.do("GET", path, q, "", nil, true)
	r.cache[rel] = res
	return res
}

// envelope checks what every response must be: the status, a FHIR JSON
// body, valid per the models and the schema.
func (r *run) envelope(name string, res *response, status int) bool {
	r.t.Helper()
	if res.status != status {
		msg := ""
		if res.json != nil && sval(res.json, "resourceType") == "OperationOutcome" {
			msg = " (" + outcomeText(res.json) + ")"
		}
		r.errorf(name, "status %d, want %d%s", res.status, status, msg)
		return false
	}
	mt, _, _ := mime.ParseMediaType(res.ctype)
	if mt != r.v.FHIR.MIMEType && mt != "application/json" && !slices.Contains(r.v.FHIR.AltMIMETypes, mt) {
		r.errorf(name, "Content-Type %q is not FHIR JSON", res.ctype)
	}
	if res.json == nil {
		r.errorf(name, "body is not a JSON object")
		return false
	}
	if r.o.Schema != nil {
		if err := r.o.Schema(res.body); err != nil {
			r.errorf(name, "not valid against the official JSON schema: %v", err)
		}
	}
	return true
}

func (r *run) validate(name string, res obj) {
	r.t.Helper()
	if r.v.Validate == nil {
		return
	}
	b, _ := json.Marshal(res)
	if err := r.v.Validate(b); err != nil {
		r.errorf(name, "%s/%s does not pass Validate(): %v", sval(res, "resourceType"), sval(res, "id"), err)
	}
}

func outcomeText(oo obj) string {
	var parts []string
	for _, s := range strs(oo, "issue.diagnostics") {
		parts = append(parts, s)
	}
	for _, s := range strs(oo, "issue.details.text") {
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

// metadata runs D0/S0 and records the advertised types and parameters.
func (r *run) metadata(req Request) bool {
	res := r.send(req)
	if !r.envelope(req.Name, res, 200) {
		r.errorf(req.Name, "without a capability statement the app does not connect; the other checks are skipped")
		return false
	}
	cs := res.json
	if rt := sval(cs, "resourceType"); rt != r.v.FHIR.CapabilityResource {
		r.errorf(req.Name, "resourceType %q, want %q", rt, r.v.FHIR.CapabilityResource)
		return false
	}
	r.validate(req.Name, cs)
	if fv := sval(cs, "fhirVersion"); !slices.Contains(r.v.FHIRVersions, fv) {
		r.errorf(req.Name, "fhirVersion %q: the app picks the version from it; want one of %v", fv, r.v.FHIRVersions)
	}
	rest := values(cs, "rest.0")
	rs, _ := firstObj(rest)
	if rs == nil {
		r.errorf(req.Name, "no rest element")
		return false
	}
	if sval(rs, "mode") != "server" {
		r.errorf(req.Name, "rest[0].mode %q, want server", sval(rs, "mode"))
	}
	if codes := strs(rs, "interaction.code"); !slices.Contains(codes, r.v.FHIR.BatchInteraction) && !slices.Contains(codes, "batch") {
		r.errorf(req.Name, "rest[0].interaction does not declare %s: the app posts batch Bundles", r.v.FHIR.BatchInteraction)
	}
	r.types = map[string]bool{}
	for _, x := range values(rs, "resource") {
		for _, e := range x.([]any) {
			m, _ := e.(obj)
			typ := sval(m, "type")
			r.types[typ] = true
			ps := map[string]string{}
			for _, p := range values(m, "searchParam") {
				for _, pe := range p.([]any) {
					pm, _ := pe.(obj)
					ps[sval(pm, "name")] = sval(pm, "type")
					r.mods[typ+"."+sval(pm, "name")] = strs(pm, "modifier")
				}
			}
			r.prms[typ] = ps
		}
	}
	for _, typ := range []string{"Patient", "Observation", "Condition", "Encounter", "AllergyIntolerance", r.v.Medication, "Coverage"} {
		if !r.types[typ] {
			if typ == "Patient" {
				r.errorf(req.Name, "Patient is not declared: the app does not load without it")
			} else {
				r.t.Logf("%s: note: %s is not declared (optional; that part of the app stays blank)", req.Name, typ)
			}
		}
	}
	if r.o.Authorize != nil {
		found := false
		for _, ext := range values(rs, "security.extension") {
			for _, e := range ext.([]any) {
				m, _ := e.(obj)
				if sval(m, "url") != "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris" {
					continue
				}
				for _, sub := range values(m, "extension") {
					for _, se := range sub.([]any) {
						sm, _ := se.(obj)
						if sval(sm, "url") == "token" && sval(sm, "valueUri") != "" {
							found = true
						}
					}
				}
			}
		}
		if !found {
			r.errorf(req.Name, "rest[0].security has no oauth-uris extension with a token URL: the app cannot get a token")
		}
	}
	return true
}

// collect gathers every resource of typ for the patient, following next
// links, for the newest-first checks.
func (r *run) collect(typ string) {
	if !r.types[typ] {
		return
	}
	rel := typ + "?patient=" + url.QueryEscape(r.d.PatientID) + "&_count=200"
	for page := 0; page < 20 && rel != ""; page++ {
		res := r.get(rel)
		if res.status != 200 || res.json == nil {
			r.errorf("collect "+typ, "GET %s: status %d", rel, res.status)
			return
		}
		for _, e := range entries(res.json) {
			if m, ok := e["resource"].(obj); ok {
				r.all[typ] = append(r.all[typ], m)
			}
		}
		rel = r.relNext(res.json)
	}
}

// relNext returns the next link relative to the base, or "".
func (r *run) relNext(b obj) string {
	for _, l := range values(b, "link") {
		for _, e := range l.([]any) {
			m, _ := e.(obj)
			if sval(m, "relation") != "next" {
				continue
			}
			u, err := url.Parse(sval(m, "url"))
			if err != nil {
				return ""
			}
			p := strings.TrimPrefix(u.Path, r.o.Base+"/")
			return p + "?" + u.RawQuery
		}
	}
	return ""
}

func entries(b obj) []obj {
	var out []obj
	arr, _ := b["entry"].([]any)
	for _, e := range arr {
		if m, ok := e.(obj); ok {
			out = append(out, m)
		}
	}
	return out
}

// check asserts the contract of one catalogue request.
func (r *run) check(req Request, res *response) {
	r.t.Helper()
	e := req.Expect
	status := e.Status
	if status == 0 {
		status = 200
	}
	if !r.envelope(req.Name, res, status) {
		return
	}
	rt := sval(res.json, "resourceType")
	switch e.Kind {
	case KindOutcome:
		if rt != "OperationOutcome" {
			r.errorf(req.Name, "resourceType %q, want OperationOutcome", rt)
		}
		r.validate(req.Name, res.json)
	case KindResource:
		if rt != e.Type {
			r.errorf(req.Name, "resourceType %q, want %s", rt, e.Type)
			return
		}
		if e.MustFind && sval(res.json, "id") != r.d.PatientID {
			r.errorf(req.Name, "id %q, want %q", sval(res.json, "id"), r.d.PatientID)
		}
		r.resource(req.Name, res.json, e)
	case KindSearchset:
		r.searchset(req.Name, res.json, e)
	}
}

// resource checks one returned resource: validity, required elements,
// displayed references, patient scope.
func (r *run) resource(name string, res obj, e Expect) {
	r.t.Helper()
	typ, id := sval(res, "resourceType"), sval(res, "id")
	if id == "" {
		r.errorf(name, "%s without id", typ)
	}
	r.validate(name, res)
	for _, rq := range r.v.Required[typ] {
		if !has(res, rq) {
			r.errorf(name, "%s/%s lacks the required %s (%s)", typ, id, rq.Label, strings.Join(rq.Paths, " or "))
		}
	}
	for _, rq := range r.v.Displayed[typ] {
		if !has(res, rq) {
			r.warnf(name, "%s/%s lacks %s (%s), which the app displays", typ, id, rq.Label, strings.Join(rq.Paths, " or "))
		}
	}
	if e.PatientScoped {
		if !r.belongs(res) {
			r.errorf(name, "%s/%s does not belong to Patient/%s (%s): another patient's data", typ, id, r.d.PatientID, strings.Join(r.v.PatientRef[typ], " or "))
		}
	}
}

func has(res obj, rq Requirement) bool {
	for _, p := range rq.Paths {
		if len(values(res, p)) > 0 {
			return true
		}
	}
	return false
}

func (r *run) belongs(res obj) bool {
	for _, p := range r.v.PatientRef[sval(res, "resourceType")] {
		for _, ref := range strs(res, p+".reference") {
			if ref == "Patient/"+r.d.PatientID || strings.HasSuffix(ref, "/Patient/"+r.d.PatientID) {
				return true
			}
		}
	}
	return false
}

// searchset checks a searchset Bundle.
func (r *run) searchset(name string, b obj, e Expect) {
	r.t.Helper()
	if rt, bt := sval(b, "resourceType"), sval(b, "type"); rt != "Bundle" || bt != "searchset" {
		r.errorf(name, "got %s of type %q, want a searchset Bundle", rt, bt)
		return
	}
	r.validate(name, b)
	ents := entries(b)
	total, err := strconv.Atoi(fmt.Sprint(b["total"]))
	switch {
	case b["total"] == nil:
		r.errorf(name, "Bundle.total is missing: the app requires it")
	case err != nil || total < 0:
		r.errorf(name, "Bundle.total %v is not a count", b["total"])
	case total < len(ents):
		r.errorf(name, "Bundle.total %d is less than the %d entries returned", total, len(ents))
	}
	if e.Count > 0 && len(ents) > e.Count {
		r.errorf(name, "%d entries for _count=%d: _count is not honoured", len(ents), e.Count)
	}
	if e.NonEmpty && len(ents) == 0 {
		r.errorf(name, "no entries: the test data (patient %s) should make this search return results", r.d.PatientID)
	}
	var found bool
	var page []obj
	for i, en := range ents {
		res, _ := en["resource"].(obj)
		if res == nil {
			r.errorf(name, "entry %d has no resource", i)
			continue
		}
		if rt := sval(res, "resourceType"); rt != e.Type {
			if rt == "OperationOutcome" && sval(en, "search") == "" {
				continue
			}
			if m, _ := en["search"].(obj); m != nil && sval(m, "mode") == "outcome" {
				continue
			}
			r.errorf(name, "entry %d is a %s, want %s", i, rt, e.Type)
			continue
		}
		if sval(en, "fullUrl") == "" {
			r.warnf(name, "entry %d has no fullUrl", i)
		}
		page = append(page, res)
		if sval(res, "id") == r.d.PatientID {
			found = true
		}
		r.resource(name, res, e)
		for _, crit := range e.MustMatch {
			if !r.matches(res, crit) {
				r.errorf(name, "Patient/%s does not match the %s criterion of the search", sval(res, "id"), crit)
			}
		}
	}
	if e.MustFind && !found {
		r.errorf(name, "Patient/%s is not in the result (%d entries)", r.d.PatientID, len(ents))
	}
	if e.NewestFirst {
		r.newestFirst(name, e.Type, page)
	}
}

// matches checks that a Patient found satisfies a criterion of the search.
func (r *run) matches(p obj, crit string) bool {
	contains := func(vals []string, want string) bool {
		want = strings.ToLower(inner(want))
		for _, v := range vals {
			if strings.Contains(strings.ToLower(v), want) {
				return true
			}
		}
		return false
	}
	switch crit {
	case "family":
		return contains(strs(p, "name.family"), r.d.Family)
	case "given":
		return contains(strs(p, "name.given"), r.d.Given)
	case "name":
		return contains(append(append(strs(p, "name.family"), strs(p, "name.given")...), strs(p, "name.text")...), r.d.Family)
	case "birthdate":
		bd := sval(p, "birthDate")
		return bd != "" && strings.HasPrefix(r.d.BirthDate, bd)
	case "gender":
		return sval(p, "gender") == r.d.Gender
	case "identifier":
		return slices.Contains(strs(p, "identifier.value"), r.d.MRN)
	case "id":
		return sval(p, "id") == r.d.PatientID
	}
	return true
}

// dateOf returns the span of the type's sort element.
func (r *run) dateOf(res obj) (span, bool) {
	for _, p := range r.v.Date[sval(res, "resourceType")] {
		if v, ok := res[p]; ok {
			return parseSpan(v)
		}
	}
	return span{}, false
}

// newestFirst checks the order of a page, and that no resource of the
// patient left out of the page is wholly newer than the page's last entry
// (so a _count=1 search returns the newest).
func (r *run) newestFirst(name, typ string, page []obj) {
	r.t.Helper()
	var last span
	for i, res := range page {
		sp, ok := r.dateOf(res)
		if !ok {
			r.errorf(name, "%s/%s has no %s to sort on", typ, sval(res, "id"), strings.Join(r.v.Date[typ], " or "))
			return
		}
		if i > 0 && last.hi.Before(sp.lo) {
			r.errorf(name, "not newest first: entry %d (%s/%s) is newer than entry %d", i, typ, sval(res, "id"), i-1)
			return
		}
		last = sp
	}
	if len(page) == 0 {
		return
	}
	in := map[string]bool{}
	for _, res := range page {
		in[sval(res, "id")] = true
	}
	for _, res := range r.all[typ] {
		if in[sval(res, "id")] || !r.belongs(res) {
			continue
		}
		if typ == "Observation" && !slices.Contains(strs(res, "category.coding.code"), "vital-signs") {
			continue // the searches compared are for vital signs only
		}
		if sp, ok := r.dateOf(res); ok && last.hi.Before(sp.lo) {
			r.errorf(name, "%s/%s is newer than the page's entries but was left out: not newest first", typ, sval(res, "id"))
			return
		}
	}
}
