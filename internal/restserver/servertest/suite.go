package servertest

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/patientsfhir/patientsfhir/auth"
	"github.com/patientsfhir/patientsfhir/capability"
	"github.com/patientsfhir/patientsfhir/fhir"
	"github.com/patientsfhir/patientsfhir/internal/restserver"
	"github.com/patientsfhir/patientsfhir/routing"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var security = &capability.Security{TokenURL: "https://fhir.example.com/token"}

// Run runs every shared server test for v, one sub-test each. A version
// package calls it from one test function; a test added here runs for both
// versions.
func Run[B any](t *testing.T, v Version[B]) {
	for _, c := range []struct {
		name string
		run  func(*testing.T, Version[B])
	}{
		{"Metadata", metadata[B]},
		{"PatientsAppRequests", patientsAppRequests[B]},
		{"VitalsNewestFirst", vitalsNewestFirst[B]},
		{"BatchOfClinicalSearches", batchOfClinicalSearches[B]},
		{"BadRequests", badRequests[B]},
		{"MisbehavingBackend", misbehavingBackend[B]},
		{"DropMode", dropMode[B]},
		{"PerTenantBackends", perTenantBackends[B]},
		{"PagingCursorBoundToTenant", pagingCursorBoundToTenant[B]},
		{"StartupErrors", startupErrors[B]},
		{"MissingDisplays", missingDisplays[B]},
		{"GenericFallback", genericFallback[B]},
		{"JSONSearchers", jsonSearchers[B]},
	} {
		t.Run(c.name, func(t *testing.T) { c.run(t, v) })
	}
}

// fake returns a Fake and the typed backend over it.
func fake[B any](t testing.TB, v Version[B]) (*Fake, B) {
	f := NewFake(t, v)
	return f, v.Typed(f)
}

// metadata: the statement advertises exactly what is served, and every
// advertised search parameter is accepted.
func metadata[B any](t *testing.T, v Version[B]) {
	_, b := fake(t, v)
	h := v.Handler(t, b, nil)
	res := Get(t, h, v.Base+"/metadata")
	require.Equal(t, http.StatusOK, res.Status, "%s", res.Body)
	assert.Equal(t, v.FHIR.CapabilityResource, res.JSON["resourceType"])
	assert.Equal(t, v.FHIR.FHIRVersion, res.JSON["fhirVersion"])
	v.Validate(t, res)
	rest := res.JSON["rest"].([]any)[0].(map[string]any)
	got := map[string][]string{}
	for _, r := range rest["resource"].([]any) {
		r := r.(map[string]any)
		var in []string
		for _, i := range r["interaction"].([]any) {
			in = append(in, i.(map[string]any)["code"].(string))
		}
		got[r["type"].(string)] = in
	}
	assert.Equal(t, map[string][]string{
		"Patient": {"read", "search-type"}, "Observation": {"search-type"}, "Condition": {"search-type"},
		"Encounter": {"search-type"}, "AllergyIntolerance": {"search-type"}, v.Medication: {"search-type"},
		"Coverage": {"search-type"},
	}, got)
	AdvertisedParamsAccepted(t, h, v)
}

// AdvertisedParamsAccepted sends every search parameter h advertises with
// Prefer: handling=strict and a well-formed value; each must be accepted.
// Patient-scoped types get patient=pat-1.
func AdvertisedParamsAccepted[B any](t *testing.T, h Handler, v Version[B]) {
	values := map[fhir.ParamType]string{fhir.TypeString: "a", fhir.TypeToken: "a", fhir.TypeDate: "2020",
		fhir.TypeReference: "pat-1", fhir.TypeNumber: "1", fhir.TypeQuantity: "1", fhir.TypeURI: "http://a"}
	for _, ri := range h.Routes() {
		for _, p := range ri.Params {
			target := v.Base + "/" + ri.Type + "?patient=pat-1&" + p.Name + "=" + values[p.Type]
			if ri.Type == "Patient" {
				target = v.Base + "/Patient?" + p.Name + "=" + values[p.Type]
			}
			r := httptest.NewRequest(http.MethodGet, target, nil)
			r.Header.Set("Prefer", "handling=strict")
			res := Do(t, h, r)
			assert.Equal(t, http.StatusOK, res.Status, "%s: advertised parameter refused: %s", target, res.Body)
		}
	}
}

// patientsAppRequests: the requests of the interface's request lines
// (docs/server.md), each by GET and by POST _search with the same result.
func patientsAppRequests[B any](t *testing.T, v Version[B]) {
	_, b := fake(t, v)
	h := v.Handler(t, b, nil)
	L, base := v.Line, v.Base
	cases := []struct {
		name, method, target, body string
		want                       []string // ids in order; nil: any
		total                      int      // -1: a read, not a searchset
	}{
		{L("1") + " read", "GET", base + "/Patient/pat-1", "", nil, -1},
		{L("2") + " family contains by POST", "POST", base + "/Patient/_search", "family=chau", []string{"pat-1", "pat-4"}, 2},
		{L("2") + " family:contains", "POST", base + "/Patient/_search", "family:contains=HAU", []string{"pat-1", "pat-4"}, 2},
		{L("2") + " family:exact", "POST", base + "/Patient/_search", "family:exact=Chau", []string{"pat-1"}, 1},
		{L("2") + " given and family", "POST", base + "/Patient/_search", "given=hugh&family=chau", []string{"pat-1"}, 1},
		{L("2") + " given contains", "POST", base + "/Patient/_search", "given=uth", []string{"pat-2", "pat-5"}, 2},
		{L("2") + " name contains", "POST", base + "/Patient/_search", "name=uth", []string{"pat-2", "pat-5"}, 2},
		{L("2") + " gender", "POST", base + "/Patient/_search", "gender=male", []string{"pat-1", "pat-3"}, 2},
		{L("2") + " id", "POST", base + "/Patient/_search", "id=pat-3", []string{"pat-3"}, 1},
		{L("2") + " _id by GET", "GET", base + "/Patient?_id=pat-3", "", []string{"pat-3"}, 1},
		{L("2") + " birthdate", "POST", base + "/Patient/_search", "birthdate=1957-06-05", []string{"pat-1"}, 1},
		{L("2") + " identifier without system", "POST", base + "/Patient/_search", "identifier=2345678", []string{"pat-2"}, 1},
		{L("2") + " identifier with system", "GET", base + "/Patient?identifier=http://hospital.example.org/mrn|2345678", "", []string{"pat-2"}, 1},
		{L("2") + " count only", "GET", base + "/Patient?family=chau&_summary=count", "", []string{}, 2},
		{L("2") + " _count=0", "GET", base + "/Patient?family=chau&_count=0", "", []string{}, 2},
		{L("2") + " _count honoured, total of all", "POST", base + "/Patient/_search", "given=ruth&_count=1", []string{"pat-2"}, 2},
		{L("4") + " Condition _count", "GET", base + "/Condition?patient=pat-1&_count=10", "", nil, 4},
		{L("5") + " Encounter newest", "GET", base + "/Encounter?patient=pat-1&_sort:desc=date&_count=1", "", []string{"enc-1-6"}, 6},
		{L("5") + " Encounter newest, STU3 sort", "GET", base + "/Encounter?patient=pat-1&_sort=-date&_count=1", "", []string{"enc-1-6"}, 6},
		{L("6") + " AllergyIntolerance", "GET", base + "/AllergyIntolerance?patient=pat-1", "", nil, 2},
		{L("6") + " no allergies", "GET", base + "/AllergyIntolerance?patient=pat-3", "", nil, 0},
		{L("7") + " " + v.Medication, "GET", base + "/" + v.Medication + "?patient=pat-1&_count=10", "", nil, 4},
		{L("8") + " Coverage patient", "GET", base + "/Coverage?patient=pat-1", "", nil, 2},
		{L("8") + " Coverage POST", "POST", base + "/Coverage/_search?patient=Patient/pat-4", "", nil, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ct := ""
			if c.method == "POST" {
				ct = Form
			}
			res := Serve(t, h, c.method, c.target, ct, c.body)
			require.Equal(t, http.StatusOK, res.Status, "%s", res.Body)
			v.Validate(t, res)
			if c.total < 0 {
				return
			}
			got := IDs(t, res)
			if c.want != nil {
				assert.Equal(t, c.want, got)
			}
			assert.Equal(t, c.total, Total(res), "total")
			// Every GET search gives the same result by POST _search with a form body.
			if path, query, ok := strings.Cut(c.target, "?"); ok && c.method == "GET" {
				post := Serve(t, h, "POST", path+"/_search", Form, query)
				assert.Equal(t, got, IDs(t, post), "POST _search")
				assert.Equal(t, Total(res), Total(post), "POST _search total")
			}
		})
	}
}

// vitalsNewestFirst: vital signs newest first in both sort syntaxes, by GET
// and POST, and in the spelling without underscore the interface's DSTU2
// request list prints (docs/server.md), read in the URL only.
func vitalsNewestFirst[B any](t *testing.T, v Version[B]) {
	_, b := fake(t, v)
	h := v.Handler(t, b, nil)
	for _, c := range []struct {
		query string
		post  bool
	}{
		{"patient=pat-1&_sort:desc=date&category=vital-signs", false},
		{"patient=pat-1&_sort:desc=date&category=vital-signs", true},
		{"patient=pat-1&_sort=-date&category=vital-signs", false},
		{"patient=pat-1&_sort=-date&category=vital-signs", true},
		{"patient=pat-1&sort:desc=date&category=vital-signs", false},
	} {
		t.Run(fmt.Sprintf("%s post=%v", c.query, c.post), func(t *testing.T) {
			res := Get(t, h, v.Base+"/Observation?"+c.query)
			if c.post {
				res = Serve(t, h, "POST", v.Base+"/Observation/_search", Form, c.query)
			}
			require.Equal(t, http.StatusOK, res.Status, "%s", res.Body)
			assert.Equal(t, 48, Total(res))
			var dates []string
			for _, e := range res.JSON["entry"].([]any) {
				dates = append(dates, e.(map[string]any)["resource"].(map[string]any)["effectiveDateTime"].(string))
			}
			assert.Len(t, dates, 48)
			assert.True(t, slices.IsSortedFunc(dates, func(a, b string) int { return strings.Compare(b, a) }), "not newest first: %v", dates)
		})
	}
}

// batchOfClinicalSearches: the Patients app's batch of one patient's
// clinical searches.
func batchOfClinicalSearches[B any](t *testing.T, v Version[B]) {
	_, b := fake(t, v)
	Batch(t, v.Handler(t, b, nil), v, []BatchEntry{
		{URL: "Patient/pat-1", Type: "Patient", Status: "200", Total: -1},
		{URL: "Observation?patient=pat-1&_sort:desc=date&category=vital-signs", Type: "Bundle", Status: "200", Total: 48},
		{URL: "Condition?patient=pat-1&_count=10", Type: "Bundle", Status: "200", Total: 4},
		{URL: "Encounter?patient=pat-1&_sort:desc=date&_count=1", Type: "Bundle", Status: "200", Total: 6},
		{URL: "AllergyIntolerance?patient=pat-1", Type: "Bundle", Status: "200", Total: 2},
		{URL: v.Medication + "?patient=pat-1&_count=10", Type: "Bundle", Status: "200", Total: 4},
		{URL: "Coverage?patient=pat-1", Type: "Bundle", Status: "200", Total: 2},
		{URL: "Location/loc-ent", Type: "OperationOutcome", Status: "501", Total: -1},
	})
}

// BatchEntry is one request entry of Batch and what its response must be.
type BatchEntry struct {
	// URL is entry.request.url (a GET).
	URL string
	// Type is the response resource's type (an OperationOutcome of a
	// failing entry is found in entry.resource in DSTU2 and in
	// entry.response.outcome in STU3).
	Type string
	// Status is the start of entry.response.status, e.g. "200".
	Status string
	// Total is the searchset's total; -1 to skip.
	Total int
}

// Batch posts one batch Bundle of GET entries and checks the
// batch-response: schema-valid, one entry per request in order, each with
// its type, status and total.
func Batch[B any](t *testing.T, h http.Handler, v Version[B], want []BatchEntry) {
	var entries []string
	for _, e := range want {
		entries = append(entries, `{"request":{"method":"GET","url":"`+e.URL+`"}}`)
	}
	body := `{"resourceType":"Bundle","type":"batch","entry":[` + strings.Join(entries, ",") + `]}`
	res := Serve(t, h, http.MethodPost, v.Base, v.FHIR.MIMEType, body)
	require.Equal(t, http.StatusOK, res.Status, "%s", res.Body)
	require.Equal(t, "batch-response", res.JSON["type"], "%s", res.Body)
	v.Validate(t, res)
	got := res.JSON["entry"].([]any)
	require.Len(t, got, len(want))
	for i, e := range got {
		e := e.(map[string]any)
		resp := e["response"].(map[string]any)
		r, _ := e["resource"].(map[string]any)
		if r == nil {
			r, _ = resp["outcome"].(map[string]any)
		}
		w := want[i]
		assert.Equal(t, w.Type, r["resourceType"], "entry %d (%s)", i, w.URL)
		assert.True(t, strings.HasPrefix(resp["status"].(string), w.Status), "entry %d (%s): status %v, want %s", i, w.URL, resp["status"], w.Status)
		if w.Total >= 0 {
			assert.Equal(t, w.Total, Total(Result{JSON: r}), "entry %d (%s): total", i, w.URL)
		}
	}
}

// badRequests: malformed and unsupported requests get the right status and
// issue code, in a schema-valid OperationOutcome, and the server serves on.
func badRequests[B any](t *testing.T, v Version[B]) {
	_, b := fake(t, v)
	h := v.Handler(t, b, nil)
	var big strings.Builder
	big.WriteString(`{"resourceType":"Bundle","type":"batch","entry":[`)
	for i := range 101 {
		if i > 0 {
			big.WriteString(",")
		}
		big.WriteString(`{"request":{"method":"GET","url":"Patient/pat-1"}}`)
	}
	big.WriteString("]}")
	base, mime := v.Base, v.FHIR.MIMEType
	cases := []struct {
		name, method, target, ct, body string
		status                         int
		code                           string
	}{
		{"unknown type", "GET", base + "/Spaceship/1", "", "", 404, "not-found"},
		{"type of another version", "GET", base + "/" + v.OtherType + "?patient=pat-1", "", "", 404, "not-found"},
		{"type outside the profile", "GET", base + "/Location/loc-ent", "", "", 501, "not-supported"},
		{"search outside the profile", "GET", base + "/Practitioner?name=doe", "", "", 501, "not-supported"},
		{"read outside the profile", "GET", base + "/Observation/obs-1-1-hr", "", "", 501, "not-supported"},
		{"malformed id", "GET", base + "/Patient/has%20space", "", "", 400, "structure"},
		{"id too long", "GET", base + "/Patient/" + strings.Repeat("a", 65), "", "", 400, "structure"},
		{"history", "GET", base + "/Patient/pat-1/_history", "", "", 501, "not-supported"},
		{"type history", "GET", base + "/Patient/_history", "", "", 501, "not-supported"},
		{"operation", "GET", base + "/Patient/$everything", "", "", 501, "not-supported"},
		{"instance operation", "GET", base + "/Patient/pat-1/$everything", "", "", 501, "not-supported"},
		{"write", "PUT", base + "/Patient/pat-1", mime, "{}", 405, "not-supported"},
		{"create", "POST", base + "/Patient", mime, "{}", 405, "not-supported"},
		{"bad date", "GET", base + "/Patient?birthdate=last-tuesday", "", "", 400, "invalid"},
		{"bad modifier", "GET", base + "/Patient?gender:contains=male", "", "", 400, "invalid"},
		{"no patient", "GET", base + "/Observation?category=vital-signs", "", "", 400, "invalid"},
		{"two patients", "GET", base + "/Observation?patient=pat-1,pat-2", "", "", 400, "invalid"},
		{"patient of another type", "GET", base + "/Observation?patient=Group/g1", "", "", 400, "invalid"},
		{"search body not a form", "POST", base + "/Patient/_search", "application/json", `{"family":"chau"}`, 415, "not-supported"},
		{"XML only", "GET", base + "/Patient/pat-1?_format=xml", "", "", 406, "not-supported"},
		{"batch not JSON", "POST", base, Form, "a=b", 415, "not-supported"},
		{"oversized batch", "POST", base, mime, big.String(), 413, "too-costly"},
		{"read of unknown id", "GET", base + "/Patient/nobody", "", "", 404, "not-found"},
		{"outside base path", "GET", v.OtherBase + "/Patient/pat-1", "", "", 404, "not-found"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := Serve(t, h, c.method, c.target, c.ct, c.body)
			assert.Equal(t, c.status, res.Status, "%s", res.Body)
			assert.Equal(t, c.code, v.IssueCode(t, res))
			v.Validate(t, res)
		})
	}
	assert.Equal(t, http.StatusOK, Get(t, h, base+"/Patient/pat-1").Status, "server stopped serving")
}

// misbehavingBackend: each way a backend can misbehave gets its status and
// issue code (a backend call times out after 50ms), no secret or patient data reaches
// the body or the logs, and the server then serves again.
func misbehavingBackend[B any](t *testing.T, v Version[B]) {
	base := v.Base
	cases := []struct {
		mode, target string
		status       int
		code         string
	}{
		{ModePanic, base + "/Patient/pat-1", 500, "exception"},
		{ModePanic, base + "/Observation?patient=pat-1", 500, "exception"},
		{ModeError, base + "/Patient?family=chau", 500, "exception"},
		{ModeBlock, base + "/Patient/pat-1", 504, "timeout"},
		{ModeBlock, base + "/Encounter?patient=pat-1", 504, "timeout"},
		{ModeLate, base + "/Encounter?patient=pat-1", 504, "timeout"},
		{ModeLate, base + "/Patient/pat-1", 504, "timeout"},
		{ModeOtherPatient, base + "/Observation?patient=pat-1", 500, "exception"},
		{ModeInvalid, base + "/Observation?patient=pat-1", 500, "exception"},
		{ModeInvalid, base + "/Patient/pat-1", 500, "exception"},
		{ModeNoID, base + "/Patient/pat-1", 500, "exception"},
		{ModeWrongID, base + "/Patient/pat-1", 500, "exception"},
		{ModeTooMany, base + "/Patient?_count=1", 500, "exception"},
	}
	for _, c := range cases {
		t.Run(c.mode+" "+c.target, func(t *testing.T) {
			var logs bytes.Buffer
			f, b := fake(t, v)
			h := v.Handler(t, b, func(cfg *Config[B]) {
				cfg.Timeout = 10 * time.Second // not a timeout on a busy machine
				if c.status == http.StatusGatewayTimeout {
					cfg.Timeout = 50 * time.Millisecond
				}
				cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
			})
			f.Set(c.mode)
			res := Get(t, h, c.target)
			assert.Equal(t, c.status, res.Status, "%s", res.Body)
			assert.Equal(t, c.code, v.IssueCode(t, res))
			for _, secret := range []string{"hunter2", "10.0.0.7", "Chau", "Hugh", "1957", "backend bug"} {
				assert.NotContains(t, string(res.Body), secret, "leaked into the body")
				assert.NotContains(t, logs.String(), secret, "leaked into the logs")
			}
			f.Set("")
			assert.Equal(t, http.StatusOK, Get(t, h, base+"/Patient/pat-1").Status, "server stopped serving after %s", c.mode)
		})
	}
}

// dropMode: with CheckDrop, another patient's resource is left out of the
// searchset (and out of its total), and the drop is logged.
func dropMode[B any](t *testing.T, v Version[B]) {
	f, b := fake(t, v)
	var logs bytes.Buffer
	h := v.Handler(t, b, func(cfg *Config[B]) {
		cfg.OnInvalid = restserver.CheckDrop
		cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})
	f.Set(ModeOtherPatient)
	res := Get(t, h, v.Base+"/Observation?patient=pat-2&_count=5")
	require.Equal(t, http.StatusOK, res.Status, "%s", res.Body)
	got := IDs(t, res)
	assert.Len(t, got, 4, "the 4 other entries of pat-2")
	assert.Equal(t, 17, Total(res), "pat-2's 18, less the one dropped")
	for _, id := range got {
		assert.True(t, strings.HasPrefix(id, "obs-2-"), "another patient's observation %s was sent", id)
	}
	assert.Contains(t, logs.String(), "another patient")
}

// Tenants of the routing tests: the tenant comes from the principal the
// bearer verifier puts in the context, and nowhere else.
const (
	tenantGood     = "11111111-1111-4111-8111-111111111111"
	tenantNarrow   = "22222222-2222-4222-8222-222222222222"
	tenantStranger = "33333333-3333-4333-8333-333333333333"
)

func asTenant(r *http.Request, tenant string) *http.Request {
	return r.WithContext(auth.ContextWithPrincipal(r.Context(), &auth.Principal{ClientID: "c", TenantID: tenant}))
}

// perTenantBackends: each tenant gets its router's backend; a backend that
// lacks an advertised interaction fails closed; an unknown tenant gets 403;
// a batch routes its tenant once.
func perTenantBackends[B any](t *testing.T, v Version[B]) {
	_, ref := fake(t, v)
	var routings atomic.Int32
	h := v.Handler(t, ref, func(cfg *Config[B]) {
		var none B
		cfg.Backend = none
		cfg.Router = routing.Func[B](func(ctx context.Context, tenant string) (B, error) {
			routings.Add(1)
			switch tenant {
			case tenantGood:
				_, b := fake(t, v)
				return b, nil
			case tenantNarrow:
				return v.PatientsOnly(ref), nil
			}
			return none, routing.ErrUnknownTenant
		})
	})
	for _, c := range []struct {
		tenant, target string
		status         int
	}{
		{tenantGood, "/Patient?family=chau", 200},
		{tenantNarrow, "/Patient?family=chau", 200},
		{tenantNarrow, "/Condition?patient=pat-1", 500},
		{tenantNarrow, "/Condition?patient=pat-1", 500},
		{tenantStranger, "/Patient?family=chau", 403},
		{"", "/Patient?family=chau", 403},
	} {
		res := Do(t, h, asTenant(httptest.NewRequest("GET", v.Base+c.target, nil), c.tenant))
		assert.Equal(t, c.status, res.Status, "tenant %q %s: %s", c.tenant, c.target, res.Body)
	}
	batch := `{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","url":"Patient/pat-1"}},` +
		`{"request":{"method":"GET","url":"Condition?patient=pat-1"}},{"request":{"method":"GET","url":"Patient?family=chau"}}]}`
	for _, c := range []struct {
		tenant string
		status int
	}{{tenantGood, 200}, {tenantStranger, 403}} {
		before := routings.Load()
		r := httptest.NewRequest("POST", v.Base, strings.NewReader(batch))
		r.Header.Set("Content-Type", v.FHIR.MIMEType)
		res := Do(t, h, asTenant(r, c.tenant))
		assert.Equal(t, c.status, res.Status, "batch of %s: %s", c.tenant, res.Body)
		assert.EqualValues(t, 1, routings.Load()-before, "batch of %s routed once", c.tenant)
		if c.status == 200 {
			assert.Equal(t, 3, strings.Count(string(res.Body), `"status":"200`), "every entry answered 200: %s", res.Body)
		}
	}
}

// pagingCursorBoundToTenant: the next links of a backend's own cursor walk
// every page, and a tenant cannot use another tenant's cursor.
func pagingCursorBoundToTenant[B any](t *testing.T, v Version[B]) {
	f, b := fake(t, v)
	f.Pages = true
	h := v.Handler(t, b, func(cfg *Config[B]) { cfg.Serve = []string{"Patient"} })
	seen := []string{}
	target := v.Base + "/Patient?_count=2"
	for range 5 {
		res := Do(t, h, asTenant(httptest.NewRequest("GET", target, nil), tenantGood))
		require.Equal(t, http.StatusOK, res.Status, "%s: %s", target, res.Body)
		seen = append(seen, IDs(t, res)...)
		next := ""
		for _, l := range res.JSON["link"].([]any) {
			if l.(map[string]any)["relation"] == "next" {
				next = l.(map[string]any)["url"].(string)
			}
		}
		if next == "" {
			break
		}
		target = strings.TrimPrefix(next, "http://example.com")
		res = Do(t, h, asTenant(httptest.NewRequest("GET", target, nil), tenantNarrow))
		assert.Equal(t, http.StatusBadRequest, res.Status, "a cursor of %s accepted for %s", tenantGood, tenantNarrow)
	}
	assert.Equal(t, []string{"pat-1", "pat-2", "pat-3", "pat-4", "pat-5"}, seen)
}

// startupErrors: NewHandler refuses what it cannot serve, naming the
// Config field and, for a backend that lacks a method, the method's exact
// signature in the version's names.
func startupErrors[B any](t *testing.T, v Version[B]) {
	_, b := fake(t, v)
	_, err := v.NewHandler(Config[B]{})
	require.Error(t, err, "no backend")
	assert.ErrorIs(t, err, restserver.ErrNoBackend)
	assert.ErrorContains(t, err, v.Pkg+": Config.Backend: a Backend or a Router is required")

	// Under the Patients-app profile every backend must serve all of it:
	// each missing method is named with its signature.
	_, err = v.NewHandler(Config[B]{Backend: v.PatientsOnly(b), PatientsApp: true})
	require.Error(t, err)
	field, ok := v.ConfigField(err)
	assert.True(t, ok, "%T is not the version's *ConfigError", err)
	assert.Equal(t, "Backend", field)
	for _, typ := range []string{"Observation", "Condition", "Encounter", "AllergyIntolerance", v.Medication, "Coverage"} {
		sig := fmt.Sprintf("missing method Search%[2]ss(ctx context.Context, q %[1]s.%[2]sQuery) (fhir.Page[*%[1]s.%[2]s], error)", v.Pkg, typ)
		assert.ErrorContains(t, err, "does not implement "+v.Pkg+"."+typ+"Searcher: "+sig)
	}
	assert.ErrorContains(t, err, "list what you serve in Config.Serve")

	// Saying what is served is enough; the statement lists exactly that.
	h, err := v.NewHandler(Config[B]{Backend: b, PatientsApp: true, Serve: []string{"Patient", "Observation"},
		Options: restserver.Options{Logger: Discard()}})
	require.NoError(t, err)
	var served []string
	for _, r := range h.Routes() {
		served = append(served, r.Type)
	}
	assert.Equal(t, []string{"Patient", "Observation"}, served)

	for _, c := range []struct {
		name, field string
		cfg         Config[B]
	}{
		{"both", "Router", Config[B]{Backend: b, Router: routing.Single(b)}},
		{"router without serve", "Serve", Config[B]{Router: routing.Single(b)}},
		{"unknown type", "Serve", Config[B]{Backend: b, Serve: []string{"Patient", "Patientt"}}},
		{"outside profile", "Serve", Config[B]{Backend: b, Serve: []string{"Patient", "Organization"}, PatientsApp: true}},
		{"base path", "BasePath", Config[B]{Backend: b, Options: restserver.Options{BasePath: "dstu2/"}}},
		{"static router", "Router", Config[B]{Router: routing.Static[B]{tenantGood: v.PatientsOnly(b)}, PatientsApp: true}},
		{"short cursor key", "CursorKey", Config[B]{Backend: b, Options: restserver.Options{CursorKey: []byte("short")}}},
	} {
		_, err := v.NewHandler(c.cfg)
		require.Error(t, err, c.name)
		field, _ := v.ConfigField(err)
		assert.Equal(t, c.field, field, "%s: %v", c.name, err)
		assert.ErrorContains(t, err, v.Pkg+": Config."+c.field+": ", c.name)
	}

	// Without a profile, everything implemented is served with every parameter.
	h, err = v.NewHandler(Config[B]{Backend: b, Options: restserver.Options{Logger: Discard()}})
	require.NoError(t, err)
	res := Get(t, h, "/Observation?subject=Patient/pat-2&code=http://loinc.org|8867-4")
	assert.Equal(t, http.StatusOK, res.Status, "%s", res.Body)
	assert.Equal(t, 3, Total(res))
}

// missingDisplays: MissingDisplays finds a displayed reference without its
// display, and the fixtures have none. The version's own elements are
// checked in its server_version_test.go (see MissingDisplays).
func missingDisplays[B any](t *testing.T, v Version[B]) {
	MissingDisplays(t, v, map[string]string{`{"resourceType":"Encounter","location":[` +
		`{"location":{"reference":"Location/l","display":"ENT"}},{"location":{"reference":"Location/l"}}]}`: "Encounter.location[1].location"})
	f := NewFake(t, v)
	for typ, ft := range f.types {
		for _, it := range ft.items {
			assert.Empty(t, v.MissingDisplays(it.res), "fixture %s/%s", typ, it.id)
		}
	}
}

// MissingDisplays checks v.MissingDisplays on each resource of cases (its
// JSON) that has one displayed reference without its display: the result
// must be that reference's path.
func MissingDisplays[B any](t *testing.T, v Version[B], cases map[string]string) {
	for doc, path := range cases {
		r, err := v.Decode([]byte(doc))
		require.NoError(t, err)
		assert.Equal(t, []string{path}, v.MissingDisplays(r), "%s", doc)
	}
}

// jsonSearchers: a backend's JSON searchers are preferred to its typed
// ones and their pages are served byte for byte as the typed pages are;
// the engine's checks still hold on what the client will read: a resource
// that is not one JSON object, of another type, with a malformed or a
// second id, or of another patient fails the search with a 500 that leaks
// nothing (or is dropped, with CheckDrop). Validate is not run on JSON.
func jsonSearchers[B any](t *testing.T, v Version[B]) {
	if v.TypedJSON == nil {
		t.Skip("this version's wrappers have no JSON searchers")
	}
	key := bytes.Repeat([]byte{7}, 32)
	withKey := func(cfg *Config[B]) { cfg.CursorKey = key }
	f := NewFake(t, v)
	var encoded atomic.Int64
	typedH := v.Handler(t, v.Typed(f), withKey)
	jsonH := v.Handler(t, v.TypedJSON(f, func(_ string, b []byte) []byte { encoded.Add(1); return b }), withKey)
	for _, target := range []string{
		"/Patient?family=chau", "/Patient?_id=pat-3", "/Observation?patient=pat-1&_sort:desc=date&category=vital-signs",
		"/Condition?patient=pat-1&_count=10", "/Encounter?patient=pat-1&_sort:desc=date&_count=50",
		"/AllergyIntolerance?patient=pat-1", "/" + v.Medication + "?patient=pat-1&_count=10", "/Coverage?patient=Patient/pat-1",
		"/Observation?patient=pat-1&_count=2&_pretty=true&_elements=id",
	} {
		want, got := Get(t, typedH, v.Base+target), Get(t, jsonH, v.Base+target)
		require.Equal(t, http.StatusOK, got.Status, "%s: %s", target, got.Body)
		require.Equal(t, http.StatusOK, want.Status, "%s: %s", target, want.Body)
		if strings.Contains(string(want.Body), `"next"`) {
			// A next link's cursor is sealed with a fresh nonce: the entries
			// are what must be the same.
			assert.Equal(t, want.JSON["entry"], got.JSON["entry"], target)
			assert.Equal(t, Total(want), Total(got), target)
		} else {
			assert.Equal(t, string(want.Body), string(got.Body), target)
		}
		v.Validate(t, got)
	}
	assert.Positive(t, encoded.Load(), "the JSON searchers were called")

	first := func(t *testing.T, mangle func(string) string) func(string, []byte) []byte {
		var done atomic.Bool
		return func(typ string, b []byte) []byte {
			if typ != "Observation" || !done.CompareAndSwap(false, true) {
				return b
			}
			out := mangle(string(b))
			assert.NotEqual(t, string(b), out, "the test's mangling changed nothing")
			return []byte(out)
		}
	}
	target := v.Base + "/Observation?patient=pat-1&_count=5"
	for name, mangle := range map[string]func(string) string{
		"truncated":       func(s string) string { return s[:len(s)-1] },
		"two objects":     func(s string) string { return s + "{}" },
		"another type":    func(s string) string { return strings.Replace(s, `"Observation"`, `"Patient"`, 1) },
		"malformed id":    func(s string) string { return strings.Replace(s, `"id":"`, `"id":"a b`, 1) },
		"numeric id":      func(s string) string { return strings.Replace(s, `{`, `{"id":1,`, 1) },
		"a second id":     func(s string) string { return strings.Replace(s, `{`, `{"\u0069d":"obs-x",`, 1) },
		"another patient": func(s string) string { return strings.Replace(s, `Patient/pat-1"`, `Patient/pat-2"`, 1) },
		"no patient":      func(s string) string { return strings.Replace(s, `Patient/pat-1"`, `Group/pat-1"`, 1) },
		"two references": func(s string) string {
			return strings.Replace(s, `"reference":`, `"reference":"Patient/pat-2","reference":`, 1)
		},
		"string as object": func(s string) string {
			return regexp.MustCompile(`"subject":\{[^}]*\}`).ReplaceAllString(s, `"subject":"Patient/pat-1"`)
		},
	} {
		t.Run(name, func(t *testing.T) {
			var logs bytes.Buffer
			h := v.Handler(t, v.TypedJSON(f, first(t, mangle)), func(cfg *Config[B]) {
				cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
			})
			res := Get(t, h, target)
			assert.Equal(t, http.StatusInternalServerError, res.Status, "%s", res.Body)
			assert.Equal(t, "exception", v.IssueCode(t, res))
			assert.NotContains(t, string(res.Body), "obs-")
			assert.Contains(t, logs.String(), "Observation")
			assert.NotContains(t, logs.String(), "pat-2")

			h = v.Handler(t, v.TypedJSON(f, first(t, mangle)), func(cfg *Config[B]) { cfg.OnInvalid = restserver.CheckDrop })
			res = Get(t, h, target)
			require.Equal(t, http.StatusOK, res.Status, "%s", res.Body)
			assert.Len(t, IDs(t, res), 4, "the one broken resource dropped")
			v.Validate(t, res)
		})
	}

	f.Set(ModeInvalid)
	res := Get(t, v.Handler(t, v.TypedJSON(f, nil), nil), target)
	assert.Equal(t, http.StatusOK, res.Status, "JSON is not decoded, so not validated: %s", res.Body)
	f.Set("")
}
