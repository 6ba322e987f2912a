package stu3_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/patientsfhir/patientsfhir/auth"
	"github.com/patientsfhir/patientsfhir/capability"
	"github.com/patientsfhir/patientsfhir/fhir"
	"github.com/patientsfhir/patientsfhir/internal/fhirschema"
	"github.com/patientsfhir/patientsfhir/internal/restserver/servertest"
	"github.com/patientsfhir/patientsfhir/routing"
	"github.com/patientsfhir/patientsfhir/stu3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var ver = servertest.Version{FHIR: fhir.STU3, Base: "/stu3", Schema: fhirschema.STU3, OtherType: "MedicationOrder", OtherBase: "/dstu2"}

type result = servertest.Result

var (
	serve = servertest.Serve
	get   = servertest.Get
	ids   = servertest.IDs
	total = servertest.Total
)

func issueCode(t *testing.T, res result) string {
	t.Helper()
	return ver.IssueCode(t, res)
}

func validate(t *testing.T, res result) {
	t.Helper()
	ver.Validate(t, res)
}

func newHandler(t testing.TB, b stu3.Backend, mod func(*stu3.Config)) *stu3.Handler {
	t.Helper()
	cfg := stu3.Config{Backend: b, BasePath: "/stu3", Profile: stu3.PatientsApp(),
		Serve:    []string{"Patient", "Observation", "Condition", "Encounter", "AllergyIntolerance", "MedicationRequest", "Coverage"},
		Logger:   servertest.Discard(),
		Security: &capability.Security{TokenURL: "https://fhir.example.com/token"}}
	if mod != nil {
		mod(&cfg)
	}
	h, err := stu3.NewHandler(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestMetadataAdvertisesExactlyWhatTheBackendImplements(t *testing.T) {
	h := newHandler(t, newFake(t), nil)
	res := get(t, h, "/stu3/metadata")
	if res.Status != 200 || res.JSON["resourceType"] != "CapabilityStatement" || res.JSON["fhirVersion"] != "3.0.1" {
		t.Fatalf("metadata: %d %s", res.Status, res.Body)
	}
	validate(t, res)
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
	want := map[string][]string{
		"Patient": {"read", "search-type"}, "Observation": {"search-type"}, "Condition": {"search-type"},
		"Encounter": {"search-type"}, "AllergyIntolerance": {"search-type"}, "MedicationRequest": {"search-type"},
		"Coverage": {"search-type"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("advertised %v, want %v", got, want)
	}
	// Every advertised search parameter is accepted.
	servertest.AdvertisedParamsAccepted(t, h, ver, h.Routes())
}

func TestPatientsAppRequests(t *testing.T) {
	h := newHandler(t, newFake(t), nil)
	form := servertest.Form
	cases := []struct {
		name, method, target, body string
		want                       []string // ids in order; nil: only check status 200
		total                      int
	}{
		{"S1 read", "GET", "/stu3/Patient/pat-1", "", nil, -1},
		{"S2 family contains by POST", "POST", "/stu3/Patient/_search", "family=chau", []string{"pat-1", "pat-4"}, 2},
		{"S2 family:contains", "POST", "/stu3/Patient/_search", "family:contains=HAU", []string{"pat-1", "pat-4"}, 2},
		{"S2 family:exact", "POST", "/stu3/Patient/_search", "family:exact=Chau", []string{"pat-1"}, 1},
		{"S2 given and family", "POST", "/stu3/Patient/_search", "given=hugh&family=chau", []string{"pat-1"}, 1},
		{"S2 given contains", "POST", "/stu3/Patient/_search", "given=uth", []string{"pat-2", "pat-5"}, 2},
		{"S2 gender", "POST", "/stu3/Patient/_search", "gender=male", []string{"pat-1", "pat-3"}, 2},
		{"S2 id", "POST", "/stu3/Patient/_search", "id=pat-3", []string{"pat-3"}, 1},
		{"S2 _id by GET", "GET", "/stu3/Patient?_id=pat-3", "", []string{"pat-3"}, 1},
		{"S2 birthdate", "POST", "/stu3/Patient/_search", "birthdate=1957-06-05", []string{"pat-1"}, 1},
		{"S2 identifier without system", "POST", "/stu3/Patient/_search", "identifier=2345678", []string{"pat-2"}, 1},
		{"S2 identifier with system", "GET", "/stu3/Patient?identifier=http://hospital.example.org/mrn|2345678", "", []string{"pat-2"}, 1},
		{"S2 count only", "GET", "/stu3/Patient?family=chau&_summary=count", "", []string{}, 2},
		{"S2 _count=0", "GET", "/stu3/Patient?family=chau&_count=0", "", []string{}, 2},
		{"S2 _count honoured, total of all", "POST", "/stu3/Patient/_search", "given=ruth&_count=1", []string{"pat-2"}, 2},
		{"S4 Condition _count", "GET", "/stu3/Condition?patient=pat-1&_count=10", "", nil, 4},
		{"S5 Encounter newest", "GET", "/stu3/Encounter?patient=pat-1&_sort:desc=date&_count=1", "", []string{"enc-1-6"}, 6},
		{"S5 Encounter newest, STU3 sort", "GET", "/stu3/Encounter?patient=pat-1&_sort=-date&_count=1", "", []string{"enc-1-6"}, 6},
		{"S6 AllergyIntolerance", "GET", "/stu3/AllergyIntolerance?patient=pat-1", "", nil, 2},
		{"S6 no allergies", "GET", "/stu3/AllergyIntolerance?patient=pat-3", "", nil, 0},
		{"S7 MedicationRequest", "GET", "/stu3/MedicationRequest?patient=pat-1&_count=10", "", nil, 4},
		{"S8 Coverage patient", "GET", "/stu3/Coverage?patient=pat-1", "", nil, 2},
		{"S8 Coverage POST", "POST", "/stu3/Coverage/_search?patient=Patient/pat-4", "", nil, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ct := ""
			if c.method == "POST" {
				ct = form
			}
			res := serve(t, h, c.method, c.target, ct, c.body)
			if res.Status != 200 {
				t.Fatalf("%d %s", res.Status, res.Body)
			}
			validate(t, res)
			if c.total < 0 {
				return
			}
			got := ids(t, res)
			if c.want != nil && fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("ids %v, want %v", got, c.want)
			}
			if total(res) != c.total {
				t.Errorf("total %d, want %d", total(res), c.total)
			}
			// Every GET search gives the same result by POST _search with a form body.
			if path, query, ok := strings.Cut(c.target, "?"); ok && c.method == "GET" {
				post := serve(t, h, "POST", path+"/_search", form, query)
				if got2 := ids(t, post); fmt.Sprint(got2) != fmt.Sprint(got) || total(post) != total(res) {
					t.Errorf("POST _search gave %v (total %d), GET %v (total %d)", got2, total(post), got, total(res))
				}
			}
		})
	}
	// D3: vital signs newest first in both sort syntaxes, GET and POST.
	for _, target := range []string{
		"/stu3/Observation?patient=pat-1&_sort:desc=date&category=vital-signs",
		"/stu3/Observation?patient=pat-1&_sort=-date&category=vital-signs",
		"/stu3/Observation?patient=pat-1&sort:desc=date&category=vital-signs", // as the DSTU2 page lists it (A6)
	} {
		for _, post := range []bool{false, true} {
			var res result
			if post && strings.Contains(target, "&sort:") {
				continue // read in the URL only: the app sends Observation searches by GET
			}
			if post {
				path, q, _ := strings.Cut(target, "?")
				res = serve(t, h, "POST", strings.Replace(path, "Observation", "Observation/_search", 1), form, q)
			} else {
				res = get(t, h, target)
			}
			if res.Status != 200 || total(res) != 48 {
				t.Fatalf("%s (post %v): %d total %d", target, post, res.Status, total(res))
			}
			entries := res.JSON["entry"].([]any)
			prev := "9999"
			for _, e := range entries {
				d := e.(map[string]any)["resource"].(map[string]any)["effectiveDateTime"].(string)
				if d > prev {
					t.Fatalf("%s: not newest first: %s after %s", target, d, prev)
				}
				prev = d
			}
		}
	}
}

func TestBatchOfClinicalSearches(t *testing.T) {
	servertest.Batch(t, newHandler(t, newFake(t), nil), ver, []servertest.BatchEntry{
		{URL: "Patient/pat-1", Type: "Patient", Status: "200", Total: -1},
		{URL: "Observation?patient=pat-1&_sort:desc=date&category=vital-signs", Type: "Bundle", Status: "200", Total: 48},
		{URL: "Condition?patient=pat-1&_count=10", Type: "Bundle", Status: "200", Total: 4},
		{URL: "Encounter?patient=pat-1&_sort:desc=date&_count=1", Type: "Bundle", Status: "200", Total: 6},
		{URL: "AllergyIntolerance?patient=pat-1", Type: "Bundle", Status: "200", Total: 2},
		{URL: "MedicationRequest?patient=pat-1&_count=10", Type: "Bundle", Status: "200", Total: 4},
		{URL: "Coverage?patient=pat-1", Type: "Bundle", Status: "200", Total: 2},
		{URL: "Location/loc-ent", Type: "OperationOutcome", Status: "501", Total: -1},
	})
}

func TestBadRequests(t *testing.T) {
	servertest.BadRequests(t, newHandler(t, newFake(t), nil), ver)
}

func TestMisbehavingBackend(t *testing.T) {
	servertest.Misbehaving(t, ver, func(t *testing.T, timeout time.Duration, logger *slog.Logger) (http.Handler, func(string)) {
		f := newFake(t)
		h := newHandler(t, f, func(cfg *stu3.Config) {
			cfg.Timeout = timeout
			cfg.Logger = logger
		})
		return h, f.set
	})
}

func TestDropModeLeavesBadEntriesOut(t *testing.T) {
	f := newFake(t)
	var logs bytes.Buffer
	h := newHandler(t, f, func(cfg *stu3.Config) {
		cfg.OnInvalid = stu3.CheckDrop
		cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})
	f.set("other-patient")
	res := get(t, h, "/stu3/Observation?patient=pat-2&_count=5")
	if res.Status != 200 {
		t.Fatalf("%d %s", res.Status, res.Body)
	}
	got := ids(t, res)
	if len(got) != 4 || total(res) != 17 {
		t.Errorf("ids %v total %d: want the 4 entries of pat-2 and total 18-1", got, total(res))
	}
	for _, id := range got {
		if !strings.HasPrefix(id, "obs-2-") {
			t.Errorf("another patient's observation %s was sent", id)
		}
	}
	if !strings.Contains(logs.String(), "another patient") {
		t.Errorf("drop not logged: %s", logs.String())
	}
}

// narrowEHR implements only Patient: a tenant backend that lacks what the
// server advertises.
type narrowEHR struct{ f *fakeEHR }

func (n narrowEHR) ReadPatient(ctx context.Context, id string) (*stu3.Patient, error) {
	return n.f.ReadPatient(ctx, id)
}

func (n narrowEHR) SearchPatients(ctx context.Context, q stu3.PatientQuery) (fhir.Page[*stu3.Patient], error) {
	return n.f.SearchPatients(ctx, q)
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

func TestPerTenantBackends(t *testing.T) {
	ref := newFake(t)
	var routings atomic.Int32
	h := newHandler(t, nil, func(cfg *stu3.Config) {
		cfg.Backend = nil
		cfg.Router = routing.Func[stu3.Backend](func(ctx context.Context, tenant string) (stu3.Backend, error) {
			routings.Add(1)
			switch tenant {
			case tenantGood:
				return newFake(t), nil
			case tenantNarrow:
				return narrowEHR{ref}, nil
			}
			return nil, routing.ErrUnknownTenant
		})
	})
	for _, c := range []struct {
		tenant, target string
		status         int
	}{
		{tenantGood, "/stu3/Patient?family=chau", 200},
		{tenantNarrow, "/stu3/Patient?family=chau", 200},
		{tenantNarrow, "/stu3/Condition?patient=pat-1", 500},
		{tenantNarrow, "/stu3/Condition?patient=pat-1", 500},
		{tenantStranger, "/stu3/Patient?family=chau", 403},
		{"", "/stu3/Patient?family=chau", 403},
	} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, asTenant(httptest.NewRequest("GET", c.target, nil), c.tenant))
		assert.Equal(t, c.status, w.Code, "tenant %q %s: %s", c.tenant, c.target, w.Body)
	}
	// A batch routes its tenant once for all its entries, and an unknown
	// tenant fails the whole batch.
	batch := `{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","url":"Patient/pat-1"}},` +
		`{"request":{"method":"GET","url":"Condition?patient=pat-1"}},{"request":{"method":"GET","url":"Patient?family=chau"}}]}`
	for _, c := range []struct {
		tenant string
		status int
	}{{tenantGood, 200}, {tenantStranger, 403}} {
		before := routings.Load()
		r := httptest.NewRequest("POST", "/stu3", strings.NewReader(batch))
		r.Header.Set("Content-Type", ver.FHIR.MIMEType)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, asTenant(r, c.tenant))
		assert.Equal(t, c.status, w.Code, "batch of %s: %s", c.tenant, w.Body)
		assert.EqualValues(t, 1, routings.Load()-before, "batch of %s routed once", c.tenant)
		if c.status == 200 {
			assert.Equal(t, 3, strings.Count(w.Body.String(), `"status":"200`), "every entry answered 200: %s", w.Body)
		}
	}
}

func TestPagingCursorBoundToTenant(t *testing.T) {
	h := newHandler(t, pagedEHR{newFake(t)}, func(cfg *stu3.Config) { cfg.Serve = []string{"Patient"} })
	do := func(target, tenant string) result {
		r := asTenant(httptest.NewRequest("GET", target, nil), tenant)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		var res result
		res.Status, res.Body = w.Code, w.Body.Bytes()
		_ = json.Unmarshal(res.Body, &res.JSON)
		return res
	}
	var seen []string
	target := "/stu3/Patient?_count=2"
	for range 5 {
		res := do(target, tenantGood)
		if res.Status != 200 {
			t.Fatalf("%s: %d %s", target, res.Status, res.Body)
		}
		seen = append(seen, ids(t, res)...)
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
		if res := do(target, tenantNarrow); res.Status != 400 {
			t.Errorf("cursor of t1 accepted for t2: %d", res.Status)
		}
	}
	if fmt.Sprint(seen) != "[pat-1 pat-2 pat-3 pat-4 pat-5]" {
		t.Errorf("pages gave %v", seen)
	}
}

// pagedEHR pages patients by offset, with its own cursor.
type pagedEHR struct{ f *fakeEHR }

func (p pagedEHR) SearchPatients(ctx context.Context, q stu3.PatientQuery) (fhir.Page[*stu3.Patient], error) {
	off := 0
	if q.Cursor != "" {
		fmt.Sscan(q.Cursor, &off)
	}
	all := p.f.patients
	end := min(off+q.Count, len(all))
	page := fhir.Page[*stu3.Patient]{Resources: all[off:end], Total: len(all), TotalKnown: true} // a backend that pages says its total
	if end < len(all) {
		page.Next = fmt.Sprint(end)
	}
	return page, nil
}

func (p pagedEHR) ReadPatient(ctx context.Context, id string) (*stu3.Patient, error) {
	return p.f.ReadPatient(ctx, id)
}

// halfEHR serves Patient with value receivers and Observation with pointer
// receivers, and misspells the Condition search.
type halfEHR struct{ f *fakeEHR }

func (h halfEHR) ReadPatient(ctx context.Context, id string) (*stu3.Patient, error) {
	return h.f.ReadPatient(ctx, id)
}

func (h halfEHR) SearchPatients(ctx context.Context, q stu3.PatientQuery) (fhir.Page[*stu3.Patient], error) {
	return h.f.SearchPatients(ctx, q)
}

func (h *halfEHR) SearchObservations(ctx context.Context, q stu3.ObservationQuery) (fhir.Page[*stu3.Observation], error) {
	return h.f.SearchObservations(ctx, q)
}

func (h halfEHR) SearchCondition(ctx context.Context, q stu3.ConditionQuery) (fhir.Page[*stu3.Condition], error) {
	return h.f.SearchConditions(ctx, q)
}

func TestStartupErrors(t *testing.T) {
	_, err := stu3.NewHandler(stu3.Config{})
	require.Error(t, err, "no backend")
	assert.ErrorContains(t, err, "a Backend or a Router is required")

	// Under the Patients-app profile every backend must serve all of it:
	// each missing method is named with its signature, with a hint.
	_, err = stu3.NewHandler(stu3.Config{Backend: halfEHR{newFake(t)}, Profile: stu3.PatientsApp()})
	require.Error(t, err)
	var ce *stu3.ConfigError
	assert.ErrorAs(t, err, &ce)
	msg := err.Error()
	assert.Contains(t, msg, "does not implement stu3.ObservationSearcher: missing method SearchObservations(ctx context.Context, q stu3.ObservationQuery) (fhir.Page[*stu3.Observation], error) (the method is declared on *stu3_test.halfEHR: pass a pointer)")
	assert.Contains(t, msg, "missing method SearchConditions(ctx context.Context, q stu3.ConditionQuery) (fhir.Page[*stu3.Condition], error) (stu3_test.halfEHR has a method named SearchCondition: a typo?)")
	assert.Contains(t, msg, "missing method SearchCoverages(ctx context.Context, q stu3.CoverageQuery) (fhir.Page[*stu3.Coverage], error)")
	assert.Contains(t, msg, "list what you serve in Config.Serve")

	// Saying what is served is enough; the statement lists exactly that.
	h, err := stu3.NewHandler(stu3.Config{Backend: &halfEHR{newFake(t)}, Profile: stu3.PatientsApp(),
		Serve: []string{"Patient", "Observation"}, Logger: servertest.Discard()})
	require.NoError(t, err)
	var served []string
	for _, r := range h.Routes() {
		served = append(served, r.Type)
	}
	assert.Equal(t, []string{"Patient", "Observation"}, served)

	for name, cfg := range map[string]stu3.Config{
		"both":            {Backend: newFake(t), Router: routing.Single[stu3.Backend](newFake(t))},
		"router no serve": {Router: routing.Single[stu3.Backend](newFake(t))},
		"unknown type":    {Backend: newFake(t), Serve: []string{"Patient", "Patientt"}},
		"outside profile": {Backend: newFake(t), Serve: []string{"Patient", "Organization"}, Profile: stu3.PatientsApp()},
		"base path":       {Backend: newFake(t), BasePath: "dstu2/"},
		"static router":   {Router: routing.Static[stu3.Backend]{tenantGood: narrowEHR{newFake(t)}}, Profile: stu3.PatientsApp()},
	} {
		_, err := stu3.NewHandler(cfg)
		assert.Error(t, err, name)
	}

	// Without a profile, everything implemented is served with every parameter.
	h, err = stu3.NewHandler(stu3.Config{Backend: newFake(t), Logger: servertest.Discard()})
	require.NoError(t, err)
	res := get(t, h, "/Observation?subject=Patient/pat-2&code=http://loinc.org|8867-4")
	assert.Equal(t, 200, res.Status, "%s", res.Body)
	assert.Equal(t, 3, total(res))
}

func TestMissingDisplays(t *testing.T) {
	f := newFake(t)
	missingDisplaysOfVersion(t, f)
	e := stu3.Encounter{Location: []stu3.EncounterLocation{{Location: &stu3.Reference{Reference: "Location/l", Display: "ENT"}}, {Location: &stu3.Reference{Reference: "Location/l"}}}}
	if got := stu3.MissingDisplays(&e); fmt.Sprint(got) != "[Encounter.location[1].location]" {
		t.Errorf("Encounter: %v", got)
	}
	for _, r := range f.encounters {
		if got := stu3.MissingDisplays(r); len(got) != 0 {
			t.Errorf("fixture %s: %v", r.ID, got)
		}
	}
}
