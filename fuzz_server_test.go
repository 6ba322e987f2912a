package patientsfhir_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patientsfhir/patientsfhir"
	"github.com/patientsfhir/patientsfhir/auth"
	"github.com/patientsfhir/patientsfhir/dstu2"
	"github.com/patientsfhir/patientsfhir/dstu2/dstu2mem"
	"github.com/patientsfhir/patientsfhir/stu3"
	"github.com/patientsfhir/patientsfhir/stu3/stu3mem"
)

// serverInternals are strings that would betray implementation details in
// an answer.
var serverInternals = []string{"runtime.", "goroutine ", "panic", "strconv.", ".go:", "encoding/json", "json: ", "invalid character", "unexpected end of JSON"}

// FuzzServer sends arbitrary FHIR requests (method, path and query below
// the base, media types, Prefer, form and batch bodies) through the whole
// authenticated chain of both versions over the fixtures. Whatever the
// request: no panic, never a 500, a JSON answer in the version's media type
// (an OperationOutcome for every error) or a redirect to the clean path on
// this server, and nothing internal in it.
func FuzzServer(f *testing.F) {
	const tenant = "c0ffee00-1111-4222-8333-444455556666"
	b3, err := stu3mem.NewWithFixtures()
	require.NoError(f, err)
	b2, err := dstu2mem.NewWithFixtures()
	require.NoError(f, err)
	srv, err := patientsfhir.New(context.Background(), patientsfhir.Config{
		PublicURL: "http://fhir.example",
		Auth:      auth.Config{SealKey: bytes.Repeat([]byte{3}, 32), Insecure: true, FailedAuthBurst: 1 << 30},
		Store:     auth.NewMemoryStore(),
		STU3:      &stu3.Config{Backend: b3, Profile: stu3.PatientsApp()},
		DSTU2:     &dstu2.Config{Backend: b2, Profile: dstu2.PatientsApp()},
		Logger:    slog.New(slog.DiscardHandler),
	})
	require.NoError(f, err)
	_, secret, err := srv.Auth().Registry().CreateClient(context.Background(), auth.NewClient{ID: "app", Tenants: []string{tenant}}, "fuzz")
	require.NoError(f, err)
	tr := httptest.NewRequest(http.MethodPost, "/token", strings.NewReader("grant_type=client_credentials&client_id=app&client_secret="+secret+"&scope="+tenant))
	tr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	tw := httptest.NewRecorder()
	srv.ServeHTTP(tw, tr)
	require.Equal(f, http.StatusOK, tw.Code, tw.Body.String())
	var tok auth.TokenResponse
	require.NoError(f, json.Unmarshal(tw.Body.Bytes(), &tok))

	batch := `{"resourceType":"Bundle","type":"batch","entry":[` +
		`{"request":{"method":"GET","url":"Observation?patient=pat-1&_sort:desc=date&category=vital-signs"}},` +
		`{"request":{"method":"GET","url":"Condition?patient=pat-1&_count=10"}},` +
		`{"request":{"method":"GET","url":"Encounter?patient=pat-1&_sort:desc=date&_count=1"}},` +
		`{"request":{"method":"GET","url":"AllergyIntolerance?patient=pat-1"}},` +
		`{"request":{"method":"GET","url":"MedicationRequest?patient=pat-1&_count=10"}},` +
		`{"request":{"method":"GET","url":"Coverage?patient=pat-1"}}]}`
	form := "application/x-www-form-urlencoded"
	for _, s := range []struct {
		dstu2                    bool
		method                   uint8
		target, ctype, body, pre string
	}{
		{false, 0, "Patient/pat-1", "", "", ""},
		{false, 1, "Patient/_search", form, "given=hugh&family=chau", ""},
		{true, 1, "Patient/_search", form, "family:contains=cha&birthdate=ge1950&_count=2", "handling=strict"},
		{false, 0, "Observation?patient=pat-1&_sort:desc=date&category=vital-signs", "", "", ""},
		{true, 0, "Observation?patient=Patient/pat-1&_sort=-date&category=vital-signs&_count=1", "", "", ""},
		{false, 0, "Encounter?patient=pat-1&_sort:desc=date&_count=1&_cursor=AAAA", "", "", ""},
		{false, 1, "", "application/fhir+json", batch, ""},
		{true, 1, "", "application/json+fhir", strings.ReplaceAll(batch, "MedicationRequest", "MedicationOrder"), ""},
		{false, 1, "", "application/fhir+json", `{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","url":"/Patient/../../token"}}]}`, ""},
		{false, 0, "Patient?identifier=http://hospital.smarthealthit.org|1234567&gender=male", "", "", "handling=lenient"},
		{false, 0, "Patient?_format=xml", "", "", ""},
		{false, 2, "Patient/pat-1", "application/fhir+json", `{"resourceType":"Patient"}`, ""},
		{false, 0, "Patient/%2e%2e", "", "", ""},
		{false, 0, "metadata", "", "", ""},
		{false, 1, "Patient/_search", "multipart/form-data; boundary=x", "--x--", ""},
		{false, 0, "Condition?patient=pat-1&_count=99999999999999999999", "", "", ""},
	} {
		f.Add(s.dstu2, s.method, s.target, s.ctype, s.body, s.pre, true)
	}
	f.Add(false, uint8(0), "Patient/pat-1", "", "", "", false)
	methods := []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodHead, http.MethodOptions}
	f.Fuzz(func(t *testing.T, isDSTU2 bool, method uint8, target, ctype, body, prefer string, withToken bool) {
		base, mime := "/stu3", "application/fhir+json"
		if isDSTU2 {
			base, mime = "/dstu2", "application/json+fhir"
		}
		target = strings.TrimPrefix(target, "/")
		r, err := http.NewRequest(methods[int(method)%len(methods)], "http://fhir.example"+base+"/"+target, strings.NewReader(body))
		if err != nil || r.URL.Path != base+"/" && !strings.HasPrefix(r.URL.Path, base+"/") {
			return // not a request below the base
		}
		r.RemoteAddr = "192.0.2.30:6000"
		if ctype != "" {
			r.Header.Set("Content-Type", ctype)
		}
		if prefer != "" {
			r.Header.Set("Prefer", prefer)
		}
		if withToken {
			r.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		}
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, r)
		require.NotEqual(t, http.StatusInternalServerError, w.Code, "%s %s -> %s", r.Method, r.URL, w.Body)
		require.Less(t, w.Code, 600)
		if r.Method == http.MethodHead || w.Code == http.StatusNotModified {
			return
		}
		if w.Code == http.StatusMovedPermanently || w.Code == http.StatusTemporaryRedirect || w.Code == http.StatusPermanentRedirect {
			// net/http's ServeMux sends a request for a path that is not
			// clean ("/stu3/./Patient") to the clean one, on this server.
			loc := w.Header().Get("Location")
			assert.True(t, strings.HasPrefix(loc, "/") && !strings.HasPrefix(loc, "//"), "a redirect off the server: %q", loc)
			return
		}
		assert.True(t, strings.HasPrefix(w.Header().Get("Content-Type"), mime) || strings.HasPrefix(w.Header().Get("Content-Type"), "application/json"),
			"%s %s -> %d %q", r.Method, r.URL, w.Code, w.Header().Get("Content-Type"))
		var answer struct {
			ResourceType string `json:"resourceType"`
		}
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &answer), "%s %s -> %d not JSON: %s", r.Method, r.URL, w.Code, w.Body)
		if w.Code >= 400 {
			assert.Equal(t, "OperationOutcome", answer.ResourceType, "%s %s -> %d %s", r.Method, r.URL, w.Code, w.Body)
		}
		for _, s := range serverInternals {
			assert.NotContains(t, w.Body.String(), s, "%s %s -> %d %s", r.Method, r.URL, w.Code, w.Body)
		}
	})
}
