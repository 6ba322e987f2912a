package kit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
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
	// publish the OAuth token URL (rule metadata.oauth).
	Authorize func(r *http.Request)
	// Schema, when set, validates every response body (a resource or a
	// Bundle) against the official JSON schema of the version (rule
	// resource.schema).
	Schema func(body []byte) error
	// Relax names rules (Rule.ID, e.g. "display.encounter.location") whose
	// findings are logged as "relaxed: ..." instead of failing the run.
	// Every rule is enforced unless named here; the report lists the
	// relaxed rules and their findings. An unknown id fails the run.
	Relax []string
	// Only restricts the run to these request lines ("S3", "D9") and
	// checks: "advertised" (every advertised search parameter accepted),
	// "filters" (every profile parameter both ways), "totals" (total
	// against next links and the unpaged count), "sort" (both _sort
	// syntaxes agree), "paging" (next links keep the order). The
	// capability statement is always checked. Empty runs all.
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
	rules map[string]Rule
	relax map[string]bool
	rep   Report
	types map[string]bool              // resource types of the capability statement
	prms  map[string]map[string]string // type -> advertised param -> type
	mods  map[string][]string          // "type.param" -> advertised modifiers (DSTU2)
	all   map[string][]obj             // the patient's resources per type (unsorted)
	full  map[string]*response         // the unpaged search of the patient's resources per type
	cache map[string]*response         // direct responses by URL, for the batch
	valid map[uintptr]bool             // decoded objects known to pass Validate
	seen  map[string]int               // findings per rule and request
}

type response struct {
	status int
	ctype  string
	body   []byte
	json   obj
}

// Run drives h with every request of the catalogue of v, then the checks
// of every profile parameter both ways, of totals and of paging, and
// asserts the contract. Each failure is reported to t.Errorf with the
// request, what was wrong, and the rule id with its spec section in
// brackets; the findings of relaxed rules go to t.Logf. The report says
// the same.
func Run(t T, h http.Handler, v *Version, d TestData, o Options) Report {
	t.Helper()
	r := &run{t: t, h: h, v: v, d: d, o: o, rules: map[string]Rule{}, relax: map[string]bool{},
		prms: map[string]map[string]string{}, mods: map[string][]string{}, all: map[string][]obj{},
		full: map[string]*response{}, cache: map[string]*response{}, valid: map[uintptr]bool{}, seen: map[string]int{}}
	for _, rl := range v.Rules() {
		r.rules[rl.ID] = rl
	}
	for _, id := range o.Relax {
		rl, ok := r.rules[id]
		if !ok {
			r.configf("Options.Relax names %q, which is not a rule of the %s kit (see docs/kits.md)", id, v.FHIR.Name)
			continue
		}
		if !r.relax[id] {
			r.relax[id] = true
			r.rep.Relaxed = append(r.rep.Relaxed, rl)
		}
	}
	defer r.summary()
	if d.PatientID == "" || d.Family == "" || d.Given == "" || d.BirthDate == "" || d.MRN == "" {
		r.configf("TestData needs PatientID, Family, Given, BirthDate and MRN")
		return r.rep
	}
	cat := Catalogue(v)
	if !r.metadata(cat[0].Expand(d)) {
		return r.rep
	}
	for _, typ := range r.scopedTypes() {
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
				r.fail("metadata.patient", req.Name, "Patient is not in the capability statement; it is the one mandatory resource")
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
	for _, c := range []struct {
		name string
		fn   func()
	}{{"advertised", r.advertised}, {"filters", r.filters}, {"totals", r.totals}, {"sort", r.sortSyntax}, {"paging", r.paging}} {
		if o.runs(c.name) {
			c.fn()
		}
	}
	return r.rep
}

// scopedTypes are the patient-scoped types of the catalogue that the
// statement declares, in catalogue order.
func (r *run) scopedTypes() []string {
	var out []string
	for _, typ := range []string{"Observation", "Condition", "Encounter", "AllergyIntolerance", r.v.Medication, "Coverage"} {
		if r.types[typ] {
			out = append(out, typ)
		}
	}
	return out
}

// fail records a finding of rule on the request or check name: a failure,
// or a logged waiver when the rule is relaxed.
func (r *run) fail(rule, name, format string, args ...any) {
	r.t.Helper()
	rl, ok := r.rules[rule]
	if !ok {
		panic("kit: unknown rule " + rule) // a mistake in the kit itself; its tests cover every call
	}
	key := rule + "\x00" + name
	if r.seen[key]++; r.seen[key] > maxRepeats {
		return // counted; summary says how many were left out
	}
	f := Finding{Rule: rl.ID, Section: rl.Section, Request: name, Message: fmt.Sprintf(format, args...)}
	if r.relax[rule] {
		r.rep.Waived = append(r.rep.Waived, f)
		r.t.Logf("relaxed: %s", f)
		return
	}
	r.rep.Failures = append(r.rep.Failures, f)
	r.t.Errorf("%s", f)
}

// configf reports a mistake in the run's own configuration.
func (r *run) configf(format string, args ...any) {
	r.t.Helper()
	f := Finding{Request: "kit", Message: fmt.Sprintf(format, args...)}
	r.rep.Failures = append(r.rep.Failures, f)
	r.t.Errorf("%s", f)
}

// maxRepeats is how many findings of one rule one request reports; the
// others are counted in a log line.
const maxRepeats = 3

// summary logs the findings left out as repeats, and which rules were
// relaxed and how often each would have failed.
func (r *run) summary() {
	left := 0
	for _, n := range r.seen {
		left += max(0, n-maxRepeats)
	}
	if left > 0 {
		r.t.Logf("kit: %d more findings left out: each request reports at most %d per rule", left, maxRepeats)
	}
	if len(r.rep.Relaxed) == 0 {
		return
	}
	var parts []string
	for _, rl := range r.rep.Relaxed {
		n := 0
		for _, f := range r.rep.Waived {
			if f.Rule == rl.ID {
				n++
			}
		}
		parts = append(parts, fmt.Sprintf("%s (%s): %d findings", rl.ID, rl.Section, n))
	}
	r.t.Logf("kit: relaxed rules, logged instead of failed: %s", strings.Join(parts, "; "))
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
// body, valid per the schema. A status other than status fails rule
// statusRule, or the rule an OperationOutcome names ("rule total.exact"):
// the server's own output checks say which rule the backend broke.
func (r *run) envelope(name string, res *response, status int, statusRule string) bool {
	r.t.Helper()
	if res.status != status {
		msg, rule := "", statusRule
		if res.json != nil && sval(res.json, "resourceType") == "OperationOutcome" {
			text := outcomeText(res.json)
			if text != "" {
				msg = " (" + text + ")"
			}
			if m := outcomeRule.FindStringSubmatch(text); m != nil {
				if _, ok := r.rules[m[1]]; ok {
					rule = m[1]
				}
			}
		}
		r.fail(rule, name, "status %d, want %d%s", res.status, status, msg)
		return false
	}
	mt, _, _ := mime.ParseMediaType(res.ctype)
	if mt != r.v.FHIR.MIMEType && mt != "application/json" && !slices.Contains(r.v.FHIR.AltMIMETypes, mt) {
		r.fail("http.json", name, "Content-Type %q is not FHIR JSON", res.ctype)
	}
	if res.json == nil {
		r.fail("http.json", name, "body is not a JSON object")
		return false
	}
	if r.o.Schema != nil {
		if err := r.o.Schema(res.body); err != nil {
			r.fail("resource.schema", name, "not valid against the official JSON schema: %v", err)
		}
	}
	if r.v.Validate != nil && r.v.Validate(res.body) == nil {
		r.trust(res.json)
	}
	return true
}

// trust records that doc, and every resource in its entries, passed
// Validate as the body it came in, so that validate need not encode and
// check them one by one (an invalid body is checked resource by resource
// to name the culprit).
func (r *run) trust(doc obj) {
	r.valid[reflect.ValueOf(doc).Pointer()] = true
	for _, e := range entries(doc) {
		if res, ok := e["resource"].(obj); ok {
			r.trust(res)
		}
	}
}

func (r *run) validate(name string, res obj) {
	r.t.Helper()
	if r.v.Validate == nil || r.valid[reflect.ValueOf(res).Pointer()] {
		return
	}
	doc, what := res, sval(res, "resourceType")+"/"+sval(res, "id")
	if sval(res, "resourceType") == "Bundle" {
		// The Bundle itself: its resources are validated one by one, each
		// named in its own finding.
		doc, what = obj{}, "the Bundle ("+sval(res, "type")+")"
		for k, v := range res {
			doc[k] = v
		}
		var shell []any
		for _, e := range entries(res) {
			c := obj{}
			for k, v := range e {
				if k != "resource" {
					c[k] = v
				}
			}
			shell = append(shell, c)
		}
		if shell != nil {
			doc["entry"] = shell
		}
	}
	b, _ := json.Marshal(doc)
	if err := r.v.Validate(b); err != nil {
		r.fail("resource.valid", name, "%s does not pass Validate(): %v", what, err)
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
	if !r.envelope(req.Name, res, 200, "metadata.open") {
		r.fail("metadata.open", req.Name, "without a capability statement the app does not connect; the other checks are skipped")
		return false
	}
	cs := res.json
	if rt := sval(cs, "resourceType"); rt != r.v.FHIR.CapabilityResource {
		r.fail("metadata.resource", req.Name, "resourceType %q, want %q", rt, r.v.FHIR.CapabilityResource)
		return false
	}
	r.validate(req.Name, cs)
	if fv := sval(cs, "fhirVersion"); !slices.Contains(r.v.FHIRVersions, fv) {
		r.fail("metadata.version", req.Name, "fhirVersion %q: the app picks the version from it; want one of %v", fv, r.v.FHIRVersions)
	}
	rest := values(cs, "rest.0")
	rs, _ := firstObj(rest)
	if rs == nil {
		r.fail("metadata.rest", req.Name, "no rest element")
		return false
	}
	if sval(rs, "mode") != "server" {
		r.fail("metadata.rest", req.Name, "rest[0].mode %q, want server", sval(rs, "mode"))
	}
	if codes := strs(rs, "interaction.code"); !slices.Contains(codes, r.v.FHIR.BatchInteraction) && !slices.Contains(codes, "batch") {
		r.fail("metadata.batch", req.Name, "rest[0].interaction does not declare %s: the app posts batch Bundles", r.v.FHIR.BatchInteraction)
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
				r.fail("metadata.patient", req.Name, "Patient is not declared: the app does not load without it")
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
			r.fail("metadata.oauth", req.Name, "rest[0].security has no oauth-uris extension with a token URL: the app cannot get a token")
		}
	}
	return true
}

// collect gathers every resource of typ for the patient, following next
// links, for the newest-first, filter and total checks; the first page is
// kept as the unpaged search.
func (r *run) collect(typ string) {
	rel := typ + "?patient=" + url.QueryEscape(r.d.PatientID) + "&_count=" + itoa(unpaged)
	for page := 0; page < 20 && rel != ""; page++ {
		res := r.get(rel)
		if res.status != 200 || res.json == nil {
			r.fail("http.status", "collect "+typ, "GET %s: status %d", rel, res.status)
			return
		}
		if page == 0 {
			r.full[typ] = res
		}
		for _, e := range entries(res.json) {
			if m, ok := e["resource"].(obj); ok {
				r.all[typ] = append(r.all[typ], m)
			}
		}
		rel = r.relNext(res.json)
	}
}

// unpaged is the _count of the searches meant to fit on one page.
const unpaged = 200

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
	if !r.envelope(req.Name, res, status, "http.status") {
		return
	}
	rt := sval(res.json, "resourceType")
	switch e.Kind {
	case KindOutcome:
		if rt != "OperationOutcome" {
			r.fail("http.outcome", req.Name, "resourceType %q, want OperationOutcome", rt)
		}
		r.validate(req.Name, res.json)
	case KindResource:
		if rt != e.Type {
			r.fail("resource.type", req.Name, "resourceType %q, want %s", rt, e.Type)
			return
		}
		if e.MustFind && sval(res.json, "id") != r.d.PatientID {
			r.fail("read.id", req.Name, "id %q, want %q", sval(res.json, "id"), r.d.PatientID)
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
		r.fail("resource.id", name, "%s without id", typ)
	}
	r.validate(name, res)
	for _, rq := range r.v.Required[typ] {
		if !has(res, rq) {
			r.fail(rq.ID, name, "%s/%s lacks the required %s (%s)", typ, id, rq.Label, strings.Join(rq.Paths, " or "))
		}
	}
	for _, rq := range r.v.Displayed[typ] {
		if !has(res, rq) {
			r.fail(rq.ID, name, "%s/%s lacks %s (%s), which the app displays", typ, id, rq.Label, strings.Join(rq.Paths, " or "))
		}
	}
	if e.PatientScoped && !r.belongs(res, r.d.PatientID) {
		r.fail("scope.patient", name, "%s/%s does not belong to Patient/%s (%s): another patient's data", typ, id, r.d.PatientID, strings.Join(r.v.PatientRef[typ], " or "))
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

// belongs reports whether res refers to Patient/id through its patient
// element.
func (r *run) belongs(res obj, id string) bool {
	for _, p := range r.v.PatientRef[sval(res, "resourceType")] {
		for _, ref := range strs(res, p+".reference") {
			if ref == "Patient/"+id || strings.HasSuffix(ref, "/Patient/"+id) {
				return true
			}
		}
	}
	return false
}

// searchset checks a searchset Bundle and returns its resources of the
// searched type.
func (r *run) searchset(name string, b obj, e Expect) []obj {
	r.t.Helper()
	if rt, bt := sval(b, "resourceType"), sval(b, "type"); rt != "Bundle" || bt != "searchset" {
		r.fail("search.bundle", name, "got %s of type %q, want a searchset Bundle", rt, bt)
		return nil
	}
	r.validate(name, b)
	ents := entries(b)
	if total, ok := r.total(name, b); ok && total < len(ents) {
		r.fail("total.exact", name, "Bundle.total %d is less than the %d entries returned", total, len(ents))
	}
	if e.Count > 0 && len(ents) > e.Count {
		r.fail("search.count", name, "%d entries for _count=%d: _count is not honoured", len(ents), e.Count)
	}
	if e.NonEmpty && len(ents) == 0 {
		r.fail("search.results", name, "no entries: the test data (patient %s) should make this search return results", r.d.PatientID)
	}
	var found bool
	var page []obj
	for i, en := range ents {
		res, _ := en["resource"].(obj)
		if res == nil {
			r.fail("search.bundle", name, "entry %d has no resource", i)
			continue
		}
		if rt := sval(res, "resourceType"); rt != e.Type {
			if rt == "OperationOutcome" && sval(en, "search") == "" {
				continue
			}
			if m, _ := en["search"].(obj); m != nil && sval(m, "mode") == "outcome" {
				continue
			}
			r.fail("resource.type", name, "entry %d is a %s, want %s", i, rt, e.Type)
			continue
		}
		if sval(en, "fullUrl") == "" {
			r.fail("search.fullurl", name, "entry %d has no fullUrl", i)
		}
		page = append(page, res)
		if sval(res, "id") == r.d.PatientID {
			found = true
		}
		r.resource(name, res, e)
		for _, crit := range e.MustMatch {
			if v := r.d.criterion(crit); !r.satisfies(res, crit, v) {
				r.fail(paramRule(crit), name, "Patient/%s does not match %s=%s of the search", sval(res, "id"), crit, v)
			}
		}
	}
	if e.MustFind && !found {
		r.fail(e.Rule, name, "Patient/%s is not in the result (%d entries)", r.d.PatientID, len(ents))
	}
	if e.NewestFirst {
		r.newestFirst(name, e.Type, page)
	}
	return page
}

// total returns Bundle.total, failing rule total.present when it is
// missing or not a count.
func (r *run) total(name string, b obj) (int, bool) {
	r.t.Helper()
	if b["total"] == nil {
		r.fail("total.present", name, "Bundle.total is missing: the app requires it")
		return 0, false
	}
	total, ok := totalOf(b)
	if !ok {
		r.fail("total.present", name, "Bundle.total %v is not a count", b["total"])
	}
	return total, ok
}

// totalOf returns Bundle.total when it is a count.
func totalOf(b obj) (int, bool) {
	if b["total"] == nil {
		return 0, false
	}
	total, err := strconv.Atoi(fmt.Sprint(b["total"]))
	return total, err == nil && total >= 0
}

// paramRule is the rule of a search parameter ("family" -> "param.family").
func paramRule(param string) string {
	switch param {
	case "_id", "id":
		return "param.id"
	case "subject":
		return "param.patient"
	}
	return "param." + param
}

// criterion is the value a catalogue request's MustMatch criterion is
// checked with: the inner substring for names (found only by contains).
func (d TestData) criterion(crit string) string {
	switch crit {
	case "family", "name":
		return inner(d.Family)
	case "given":
		return inner(d.Given)
	case "birthdate":
		return d.BirthDate
	case "gender":
		return d.Gender
	case "identifier":
		return d.MRN
	case "id":
		return d.PatientID
	}
	return ""
}

// satisfies reports whether res matches param=value as the contract reads
// it: names by case-insensitive substring, birthdate and date by range,
// tokens by code (and system when given), patient by reference. A
// parameter the kit does not know is satisfied.
func (r *run) satisfies(res obj, param, value string) bool {
	contains := func(vals []string) bool {
		for _, v := range vals {
			if strings.Contains(strings.ToLower(v), strings.ToLower(value)) {
				return true
			}
		}
		return false
	}
	switch param {
	case "family":
		return contains(strs(res, "name.family"))
	case "given":
		return contains(strs(res, "name.given"))
	case "name":
		return contains(slices.Concat(strs(res, "name.family"), strs(res, "name.given"), strs(res, "name.text"),
			strs(res, "name.prefix"), strs(res, "name.suffix")))
	case "birthdate":
		bd := sval(res, "birthDate")
		return bd != "" && (strings.HasPrefix(value, bd) || strings.HasPrefix(bd, value))
	case "gender":
		return sval(res, "gender") == value
	case "identifier":
		sys, val, withSystem := strings.Cut(value, "|")
		if !withSystem {
			val = value
		}
		for _, x := range values(res, "identifier") {
			for _, id := range asArray(x) {
				m, _ := id.(obj)
				if sval(m, "value") == val && (!withSystem || sval(m, "system") == sys) {
					return true
				}
			}
		}
		return false
	case "_id", "id":
		return sval(res, "id") == value
	case "patient", "subject":
		return r.belongs(res, strings.TrimPrefix(value, "Patient/"))
	case "category":
		_, code, ok := strings.Cut(value, "|")
		if !ok {
			code = value
		}
		return slices.Contains(strs(res, "category.coding.code"), code)
	case "date":
		sp, ok := r.dateOf(res)
		return ok && sp.within(value)
	}
	return true
}

func asArray(x any) []any {
	if a, ok := x.([]any); ok {
		return a
	}
	return []any{x}
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
			r.fail("sort.newest", name, "%s/%s has no %s to sort on", typ, sval(res, "id"), strings.Join(r.v.Date[typ], " or "))
			return
		}
		if i > 0 && last.hi.Before(sp.lo) {
			r.fail("sort.newest", name, "not newest first: entry %d (%s/%s) is newer than entry %d", i, typ, sval(res, "id"), i-1)
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
		if in[sval(res, "id")] || !r.belongs(res, r.d.PatientID) {
			continue
		}
		if typ == "Observation" && !slices.Contains(strs(res, "category.coding.code"), "vital-signs") {
			continue // the searches compared are for vital signs only
		}
		if sp, ok := r.dateOf(res); ok && last.hi.Before(sp.lo) {
			r.fail("sort.newest", name, "%s/%s is newer than the page's entries but was left out: not newest first", typ, sval(res, "id"))
			return
		}
	}
}
