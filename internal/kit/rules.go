package kit

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Rule is one requirement of the contract the kit enforces. Every failure
// names its rule's ID and Section; Options.Relax names rules by ID.
type Rule struct {
	// ID is the stable identifier, e.g. "total.exact" or
	// "display.encounter.location".
	ID string
	// Section is where the Patients-app interface extract
	// (spec/patients-app-interface.md) states it, for this version, e.g.
	// "§5.5, §9 item 7".
	Section string
	// Title says what the rule asks, in one line.
	Title string
}

// ruleDef is a rule with its DSTU2 and STU3 sections.
type ruleDef struct {
	id, title, dstu2, stu3 string
	only                   string // "D" or "S" when the rule exists in one version only
}

// rules are the rules of the whole contract; the required and displayed
// elements of each version are added by Version.Rules.
var rules = []ruleDef{
	{id: "metadata.open", title: "GET [base]/metadata answers 200 without credentials", dstu2: "§3.3, §4.1", stu3: "§3.3, §5.1"},
	{id: "metadata.resource", title: "the statement is a Conformance (DSTU2) or CapabilityStatement (STU3)", dstu2: "§3.3, §4.1", stu3: "§3.3, §5.1"},
	{id: "metadata.version", title: "fhirVersion is one the app accepts", dstu2: "§3.3, A9", stu3: "§3.3, A9"},
	{id: "metadata.rest", title: "rest[0].mode is server", dstu2: "§3.3", stu3: "§3.3"},
	{id: "metadata.batch", title: "rest[0].interaction declares batch (or DSTU2 transaction)", dstu2: "§3.3, §9 item 1", stu3: "§3.3, §9 item 1"},
	{id: "metadata.patient", title: "Patient is declared: the app does not load without it", dstu2: "§3.7", stu3: "§3.7"},
	{id: "metadata.oauth", title: "rest[0].security carries the oauth-uris extension with a token URL (checked with Options.Authorize)", dstu2: "§3.3, §3.4", stu3: "§3.3, §3.4"},
	{id: "metadata.params", title: "every advertised search parameter and modifier is accepted under Prefer: handling=strict", dstu2: "§3.3, §4.1", stu3: "§3.3, §5.1"},
	{id: "http.status", title: "each request gets its status: 200, and 404 for an unknown id", dstu2: "§3.5, A22", stu3: "§3.5, A22"},
	{id: "http.json", title: "the body is FHIR JSON: the version's MIME type (or application/json) and a JSON object", dstu2: "§9 item 8, A21", stu3: "§9 item 8, A21"},
	{id: "http.outcome", title: "an error status carries an OperationOutcome", dstu2: "§3.5, A22", stu3: "§3.5, A22"},
	{id: "resource.valid", title: "every resource decodes strictly and passes the models' Validate", dstu2: "§4 (FHIR 1.0.2)", stu3: "§5 (FHIR 3.0.x)"},
	{id: "resource.schema", title: "every body is valid against the official JSON schema (checked with Options.Schema)", dstu2: "§4 (FHIR 1.0.2)", stu3: "§5 (FHIR 3.0.x)"},
	{id: "resource.id", title: "every resource has an id", dstu2: "§3.5", stu3: "§3.5"},
	{id: "resource.type", title: "a read or search returns resources of the type asked for", dstu2: "§3.5", stu3: "§3.5"},
	{id: "read.id", title: "a read returns the resource of the id asked for", dstu2: "§3.5, §4.2", stu3: "§3.5, §5.2"},
	{id: "search.bundle", title: "a search answers a searchset Bundle whose entries carry resources", dstu2: "§3.6", stu3: "§3.6"},
	{id: "search.fullurl", title: "every searchset entry has a fullUrl", dstu2: "§3.6", stu3: "§3.6"},
	{id: "search.results", title: "the test patient's vital signs, conditions, encounters and medications are found", dstu2: "§3.9, §4.3-§4.7", stu3: "§3.9, §5.3-§5.7"},
	{id: "search.count", title: "a page holds at most _count entries", dstu2: "§3.6", stu3: "§3.6"},
	{id: "search.contains", title: "family, given (and DSTU2 name) match any substring, case-insensitively", dstu2: "§4.2, A2", stu3: "§5.2, A2"},
	{id: "total.present", title: "Bundle.total is present and a count", dstu2: "§3.6, §9 item 4", stu3: "§3.6, §9 item 4"},
	{id: "total.exact", title: "Bundle.total is the number of matches: not below the entries, equal to the resources reached through every next link and to the unpaged count", dstu2: "§3.6, A4", stu3: "§3.6, A4"},
	{id: "param.id", title: "id/_id: the test patient's id finds it, another id leaves it out", dstu2: "§4.2, A1", stu3: "§5.2, A1"},
	{id: "param.family", title: "family: the test patient's family finds it, a family that is not a substring leaves it out", dstu2: "§4.2", stu3: "§5.2"},
	{id: "param.given", title: "given: the test patient's given name finds it, one that is not a substring leaves it out", dstu2: "§4.2", stu3: "§5.2"},
	{id: "param.name", title: "name: the test patient's family finds it, a name that is not a substring leaves it out", dstu2: "§4.2", only: "D"},
	{id: "param.birthdate", title: "birthdate: the test patient's birth date finds it, another leaves it out", dstu2: "§4.2", stu3: "§5.2"},
	{id: "param.gender", title: "gender: the test patient's gender finds it, another leaves it out", dstu2: "§3.6 (E15), §9 item 4", stu3: "§5.2"},
	{id: "param.identifier", title: "identifier: the MRN finds the test patient, a wrong MRN leaves it out", dstu2: "§4.2", stu3: "§5.2"},
	{id: "param.patient", title: "patient: the test patient's id finds its resources, another id leaves them out", dstu2: "§3.5, §4.0", stu3: "§3.5, §5.0"},
	{id: "param.category", title: "category: vital-signs finds the patient's vital signs, another category leaves them out", dstu2: "§4.3", stu3: "§5.3"},
	{id: "param.date", title: "date: a range around a resource's date finds it, another date leaves it out", dstu2: "§4.3, §4.5", stu3: "§5.3, §5.5"},
	{id: "identifier.nosystem", title: "identifier=<mrn> without a system finds the MRN", dstu2: "§4.2, A3", stu3: "§5.2, A3"},
	{id: "scope.patient", title: "every entry of a patient's search belongs to that patient", dstu2: "§3.5, §9 item 5", stu3: "§3.5, §9 item 5"},
	{id: "sort.newest", title: "sorted searches are newest first: no entry older than the next, _count=1 gives the newest", dstu2: "§3.6, §4.3, §4.5", stu3: "§3.6, §5.3, §5.5"},
	{id: "sort.syntax", title: "_sort:desc=date and _sort=-date give the same result", dstu2: "§9 item 5, A6", stu3: "§9 item 5, A7"},
	{id: "paging.next", title: "following next links gives every match once, in the order of the unpaged search", dstu2: "§3.6, A4", stu3: "§3.6, A4"},
	{id: "batch.response", title: "a batch answers a batch-response with one 200 entry per request entry", dstu2: "§3.5, §9 item 6", stu3: "§3.5, §9 item 6"},
	{id: "batch.same", title: "each batch entry equals the same request sent on its own, order included", dstu2: "§3.5, §9 item 6", stu3: "§3.5, §9 item 6"},
}

// Rules returns every rule the kit enforces for v, in a stable order: the
// rules of the whole contract, then one per required and per displayed
// element of v.
func (v *Version) Rules() []Rule {
	var out []Rule
	for _, d := range rules {
		if d.only != "" && d.only != v.Line {
			continue
		}
		sec := d.stu3
		if v.Line == "D" {
			sec = d.dstu2
		}
		out = append(out, Rule{ID: d.id, Section: sec, Title: d.title})
	}
	for _, group := range []struct {
		reqs  map[string][]Requirement
		title string
	}{{v.Required, "required"}, {v.Displayed, "displayed by the app"}} {
		for _, typ := range sortedKeys(group.reqs) {
			for _, rq := range group.reqs[typ] {
				out = append(out, Rule{ID: rq.ID, Section: rq.Section,
					Title: fmt.Sprintf("%s %s (%s) is %s", typ, rq.Label, strings.Join(rq.Paths, " or "), group.title)})
			}
		}
	}
	return out
}

// Rule returns the rule of v with the given id.
func (v *Version) Rule(id string) (Rule, bool) {
	i := slices.IndexFunc(v.Rules(), func(r Rule) bool { return r.ID == id })
	if i < 0 {
		return Rule{}, false
	}
	return v.Rules()[i], true
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Finding is one failure of a run (or, for a relaxed rule, what would have
// failed).
type Finding struct {
	// Rule and Section name the rule broken ("" for a mistake in the
	// kit's own configuration).
	Rule, Section string
	// Request names the request or check, e.g. "S5 Encounter newest,
	// _sort=-date&_count=1 (GET)".
	Request string
	// Message says what was wrong.
	Message string
}

// String is the failure message: the request, what was wrong, and the
// rule with its spec section in brackets.
func (f Finding) String() string {
	s := f.Request + ": " + f.Message
	if f.Rule != "" {
		s += " [" + f.Rule + " " + f.Section + "]"
	}
	return s
}

// Report is what a run found.
type Report struct {
	// Failures are the findings of the rules not relaxed: each was also
	// reported to T.Errorf.
	Failures []Finding
	// Relaxed lists the rules Options.Relax named.
	Relaxed []Rule
	// Waived are the findings of relaxed rules: logged with T.Logf as
	// "relaxed: ...", not failed.
	Waived []Finding
}

// outcomeRule finds "rule <id>" in an OperationOutcome text: the server
// names the kit rule a refused backend output breaks (the total, say).
var outcomeRule = regexp.MustCompile(`\brule ([a-z0-9]+(?:\.[a-z0-9-]+)+)`)
