// Package servertest holds the test helpers and the version-neutral
// scenarios that the dstu2 and stu3 server tests share: serving a request
// through the real handler with httptest, reading searchsets and
// OperationOutcomes, and the tables of malformed requests and misbehaving
// backends every version must survive.
package servertest

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/patientsfhir/patientsfhir/fhir"
	"github.com/patientsfhir/patientsfhir/internal/fhirschema"
)

// Version says what differs between the versions in the shared scenarios.
type Version struct {
	// FHIR is the version served.
	FHIR *fhir.Version
	// Base is the handler's base path, e.g. "/dstu2".
	Base string
	// Schema is the fhirschema version name ("DSTU2", "STU3").
	Schema string
	// OtherType is a resource type of the other version only.
	OtherType string
	// OtherBase is the other version's base path (outside this handler).
	OtherBase string
}

// Result is a response read back.
type Result struct {
	Status int
	Header http.Header
	Body   []byte
	JSON   map[string]any
}

// Form is the media type of POST _search bodies.
const Form = "application/x-www-form-urlencoded"

// Serve runs one request through h and decodes the JSON body (fatal if
// the body is not JSON: every answer of the server is).
func Serve(t testing.TB, h http.Handler, method, target, contentType, body string) Result {
	t.Helper()
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	res := Result{Status: w.Code, Header: w.Header(), Body: w.Body.Bytes()}
	if err := json.Unmarshal(res.Body, &res.JSON); err != nil {
		t.Fatalf("%s %s: body is not JSON (%v): %q", method, target, err, res.Body)
	}
	return res
}

// Get is Serve for a GET.
func Get(t testing.TB, h http.Handler, target string) Result {
	t.Helper()
	return Serve(t, h, http.MethodGet, target, "", "")
}

// Discard is a logger that drops everything.
func Discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// IDs returns the resource ids of a searchset, failing if res is not one or
// has no total.
func IDs(t testing.TB, res Result) []string {
	t.Helper()
	if res.JSON["resourceType"] != "Bundle" || res.JSON["type"] != "searchset" {
		t.Fatalf("not a searchset (%d): %s", res.Status, res.Body)
	}
	if _, ok := res.JSON["total"]; !ok {
		t.Fatalf("searchset without total: %s", res.Body)
	}
	var out []string
	entries, _ := res.JSON["entry"].([]any)
	for _, e := range entries {
		r := e.(map[string]any)["resource"].(map[string]any)
		out = append(out, r["id"].(string))
	}
	return out
}

// Total returns Bundle.total.
func Total(res Result) int { n, _ := res.JSON["total"].(float64); return int(n) }

// IssueCode returns the first issue code of an OperationOutcome, failing if
// res is not one or lacks the version's media type.
func (v Version) IssueCode(t testing.TB, res Result) string {
	t.Helper()
	if res.JSON["resourceType"] != "OperationOutcome" {
		t.Fatalf("status %d, want an OperationOutcome: %s", res.Status, res.Body)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, v.FHIR.MIMEType) {
		t.Errorf("OperationOutcome Content-Type %q", ct)
	}
	return res.JSON["issue"].([]any)[0].(map[string]any)["code"].(string)
}

// Validate checks res against the version's official JSON schema.
func (v Version) Validate(t testing.TB, res Result) {
	t.Helper()
	if err := fhirschema.Validate(v.Schema, res.Body); err != nil {
		t.Errorf("response is not schema-valid: %v\n%s", err, res.Body)
	}
}

// BadRequests sends malformed and unsupported requests to h, a handler on
// the Patients app profile over a backend that implements Patient read and
// search and the patient-scoped searches but no Location, Practitioner
// search or Observation read, and checks each status and issue code.
func BadRequests(t *testing.T, h http.Handler, v Version) {
	var big strings.Builder
	big.WriteString(`{"resourceType":"Bundle","type":"batch","entry":[`)
	for i := range 101 {
		if i > 0 {
			big.WriteString(",")
		}
		big.WriteString(`{"request":{"method":"GET","url":"Patient/pat-1"}}`)
	}
	big.WriteString("]}")
	b, mime := v.Base, v.FHIR.MIMEType
	cases := []struct {
		name, method, target, ct, body string
		status                         int
		code                           string
	}{
		{"unknown type", "GET", b + "/Spaceship/1", "", "", 404, "not-found"},
		{"type of another version", "GET", b + "/" + v.OtherType + "?patient=pat-1", "", "", 404, "not-found"},
		{"type not implemented", "GET", b + "/Location/loc-ent", "", "", 501, "not-supported"},
		{"search not in profile", "GET", b + "/Practitioner?name=doe", "", "", 501, "not-supported"},
		{"read not implemented", "GET", b + "/Observation/obs-1-1-hr", "", "", 501, "not-supported"},
		{"malformed id", "GET", b + "/Patient/has%20space", "", "", 400, "structure"},
		{"id too long", "GET", b + "/Patient/" + strings.Repeat("a", 65), "", "", 400, "structure"},
		{"history", "GET", b + "/Patient/pat-1/_history", "", "", 501, "not-supported"},
		{"type history", "GET", b + "/Patient/_history", "", "", 501, "not-supported"},
		{"operation", "GET", b + "/Patient/$everything", "", "", 501, "not-supported"},
		{"instance operation", "GET", b + "/Patient/pat-1/$everything", "", "", 501, "not-supported"},
		{"write", "PUT", b + "/Patient/pat-1", mime, "{}", 405, "not-supported"},
		{"create", "POST", b + "/Patient", mime, "{}", 405, "not-supported"},
		{"bad date", "GET", b + "/Patient?birthdate=last-tuesday", "", "", 400, "invalid"},
		{"bad modifier", "GET", b + "/Patient?gender:contains=male", "", "", 400, "invalid"},
		{"no patient", "GET", b + "/Observation?category=vital-signs", "", "", 400, "invalid"},
		{"two patients", "GET", b + "/Observation?patient=pat-1,pat-2", "", "", 400, "invalid"},
		{"patient of another type", "GET", b + "/Observation?patient=Group/g1", "", "", 400, "invalid"},
		{"search body not a form", "POST", b + "/Patient/_search", "application/json", `{"family":"chau"}`, 415, "not-supported"},
		{"XML only", "GET", b + "/Patient/pat-1?_format=xml", "", "", 406, "not-supported"},
		{"batch not JSON", "POST", b, Form, "a=b", 415, "not-supported"},
		{"oversized batch", "POST", b, mime, big.String(), 413, "too-costly"},
		{"read of unknown id", "GET", b + "/Patient/nobody", "", "", 404, "not-found"},
		{"outside base path", "GET", v.OtherBase + "/Patient/pat-1", "", "", 404, "not-found"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := Serve(t, h, c.method, c.target, c.ct, c.body)
			if res.Status != c.status {
				t.Errorf("status %d, want %d: %s", res.Status, c.status, res.Body)
			}
			if code := v.IssueCode(t, res); code != c.code {
				t.Errorf("issue code %q, want %q", code, c.code)
			}
			v.Validate(t, res)
		})
	}
	if res := Get(t, h, b+"/Patient/pat-1"); res.Status != 200 {
		t.Errorf("server stopped serving: %d", res.Status)
	}
}

// Misbehaving runs each way a backend can misbehave against a fresh
// handler from newServer (backend call timeout 50ms, logs to logger) and
// checks the status, the issue code, that no secret or patient data
// reaches the body or the logs, and that the server then serves again.
// setMode switches the backend: "panic", "error", "block" (ignores its
// context until the test ends), "late" (answers after the deadline),
// "other-patient", "invalid", "no-id", "wrong-id", "too-many"; "" is
// normal.
func Misbehaving(t *testing.T, v Version, newServer func(t *testing.T, timeout time.Duration, logger *slog.Logger) (h http.Handler, setMode func(string))) {
	b := v.Base
	cases := []struct {
		mode, target string
		status       int
		code         string
	}{
		{"panic", b + "/Patient/pat-1", 500, "exception"},
		{"panic", b + "/Observation?patient=pat-1", 500, "exception"},
		{"error", b + "/Patient?family=chau", 500, "exception"},
		{"block", b + "/Patient/pat-1", 504, "timeout"},
		{"block", b + "/Encounter?patient=pat-1", 504, "timeout"},
		{"late", b + "/Encounter?patient=pat-1", 504, "timeout"},
		{"late", b + "/Patient/pat-1", 504, "timeout"},
		{"other-patient", b + "/Observation?patient=pat-1", 500, "exception"},
		{"invalid", b + "/Observation?patient=pat-1", 500, "exception"},
		{"invalid", b + "/Patient/pat-1", 500, "exception"},
		{"no-id", b + "/Patient/pat-1", 500, "exception"},
		{"wrong-id", b + "/Patient/pat-1", 500, "exception"},
		{"too-many", b + "/Patient?_count=1", 500, "exception"},
	}
	for _, c := range cases {
		t.Run(c.mode+" "+c.target, func(t *testing.T) {
			var logs bytes.Buffer
			h, setMode := newServer(t, 50*time.Millisecond, slog.New(slog.NewTextHandler(&logs, nil)))
			setMode(c.mode)
			res := Get(t, h, c.target)
			if res.Status != c.status {
				t.Errorf("status %d, want %d: %s", res.Status, c.status, res.Body)
			}
			if code := v.IssueCode(t, res); code != c.code {
				t.Errorf("issue code %q, want %q", code, c.code)
			}
			for _, secret := range []string{"hunter2", "10.0.0.7", "Chau", "Hugh", "1957", "backend bug"} {
				if bytes.Contains(res.Body, []byte(secret)) || bytes.Contains(logs.Bytes(), []byte(secret)) {
					t.Errorf("%q leaked: body %s logs %s", secret, res.Body, logs.String())
				}
			}
			setMode("")
			if res := Get(t, h, b+"/Patient/pat-1"); res.Status != 200 {
				t.Errorf("server stopped serving after %s: %d", c.mode, res.Status)
			}
		})
	}
}

// AdvertisedParamsAccepted sends every search parameter of routes (what
// the handler advertises) with Prefer: handling=strict and a well-formed
// value; each must be accepted. Patient-scoped types get patient=pat-1.
func AdvertisedParamsAccepted[R interface {
	~struct {
		Type         string
		Read, Search bool
		Params       []fhir.SearchParam
	}
}](t *testing.T, h http.Handler, v Version, routes []R) {
	values := map[fhir.ParamType]string{fhir.TypeString: "a", fhir.TypeToken: "a", fhir.TypeDate: "2020",
		fhir.TypeReference: "pat-1", fhir.TypeNumber: "1", fhir.TypeQuantity: "1", fhir.TypeURI: "http://a"}
	for _, r := range routes {
		ri := struct {
			Type         string
			Read, Search bool
			Params       []fhir.SearchParam
		}(r)
		for _, p := range ri.Params {
			target := v.Base + "/" + ri.Type + "?patient=pat-1&" + p.Name + "=" + values[p.Type]
			if ri.Type == "Patient" {
				target = v.Base + "/Patient?" + p.Name + "=" + values[p.Type]
			}
			r := httptest.NewRequest(http.MethodGet, target, nil)
			r.Header.Set("Prefer", "handling=strict")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != http.StatusOK {
				t.Errorf("%s: advertised parameter refused: %d %s", target, w.Code, w.Body)
			}
		}
	}
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
func Batch(t *testing.T, h http.Handler, v Version, want []BatchEntry) {
	var entries []string
	for _, e := range want {
		entries = append(entries, `{"request":{"method":"GET","url":"`+e.URL+`"}}`)
	}
	body := `{"resourceType":"Bundle","type":"batch","entry":[` + strings.Join(entries, ",") + `]}`
	res := Serve(t, h, http.MethodPost, v.Base, v.FHIR.MIMEType, body)
	if res.Status != http.StatusOK || res.JSON["type"] != "batch-response" {
		t.Fatalf("%d %s", res.Status, res.Body)
	}
	v.Validate(t, res)
	got := res.JSON["entry"].([]any)
	if len(got) != len(want) {
		t.Fatalf("%d entries, want %d", len(got), len(want))
	}
	for i, e := range got {
		e := e.(map[string]any)
		resp := e["response"].(map[string]any)
		r, _ := e["resource"].(map[string]any)
		if r == nil {
			r, _ = resp["outcome"].(map[string]any)
		}
		st, _ := resp["status"].(string)
		w := want[i]
		if r["resourceType"] != w.Type || !strings.HasPrefix(st, w.Status) {
			t.Errorf("entry %d (%s): %v %s, want %s %s", i, w.URL, r["resourceType"], st, w.Type, w.Status)
		}
		if w.Total >= 0 && Total(Result{JSON: r}) != w.Total {
			t.Errorf("entry %d (%s): total %v, want %d", i, w.URL, r["total"], w.Total)
		}
	}
}
