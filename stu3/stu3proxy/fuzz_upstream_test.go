package stu3proxy_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patientsfhir/patientsfhir/stu3"
	"github.com/patientsfhir/patientsfhir/stu3/stu3proxy"
	"github.com/patientsfhir/patientsfhir/upstream"
)

// upstreamAnswer is what the fuzzed upstream sends back.
type upstreamAnswer struct {
	status int
	ctype  string
	body   []byte
}

// FuzzUpstreamAnswer makes the provider's FHIR server answer the proxy with
// arbitrary statuses, media types and bodies (Bundles, resources, broken
// JSON, next links anywhere) for the Patients app's read and searches.
// Whatever it sends: no panic, the client gets JSON in the STU3 media type,
// every error is an OperationOutcome that names neither the upstream nor
// repeats what it said, and a 500 only ever comes from the output checks
// (a resource the server refuses to send).
func FuzzUpstreamAnswer(f *testing.F) {
	var answer atomic.Pointer[upstreamAnswer]
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		a := answer.Load()
		w.Header().Set("Content-Type", a.ctype)
		w.WriteHeader(a.status)
		_, _ = w.Write(a.body)
	}))
	f.Cleanup(up.Close)
	quiet := slog.New(slog.DiscardHandler)
	b, err := stu3proxy.New(upstream.Config{BaseURL: up.URL + "/fhir", AllowHTTP: true, Timeout: 5 * time.Second, Logger: quiet,
		MaxResponseBytes: 1 << 16})
	require.NoError(f, err)
	f.Cleanup(b.Close)
	h, err := stu3.NewHandler(stu3.Config{Backend: b, BasePath: "/stu3", Profile: stu3.PatientsApp(), Logger: quiet})
	require.NoError(f, err)

	ct := "application/fhir+json"
	obs := `{"resourceType":"Observation","id":"o1","status":"final","code":{"text":"hr"},"subject":{"reference":"` + up.URL + `/fhir/Patient/p1"}}`
	for _, s := range []struct {
		op     uint8
		status uint16
		ctype  string
		body   string
	}{
		{0, 200, ct, `{"resourceType":"Patient","id":"p1","name":[{"family":"Chau","given":["Hugh"]}],"gender":"male","birthDate":"1957-06-05"}`},
		{0, 200, ct, `{"resourceType":"Patient","id":"p2"}`},
		{0, 200, ct, `{"resourceType":"Observation","id":"p1"}`},
		{0, 404, ct, `{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"not-found","diagnostics":"secret upstream detail"}]}`},
		{0, 200, "text/html", `<html>login</html>`},
		{1, 200, ct, `{"resourceType":"Bundle","type":"searchset","total":1,"entry":[{"resource":` + obs + `}]}`},
		{1, 200, ct, `{"resourceType":"Bundle","type":"searchset","total":1,"link":[{"relation":"next","url":"http://evil.example/fhir/Observation?page=2"}],"entry":[]}`},
		{1, 200, ct, `{"resourceType":"Bundle","type":"searchset","link":[{"relation":"next","url":"` + up.URL + `/fhir/Observation?page=2"}]}`},
		{1, 200, ct, `{"resourceType":"Bundle","type":"batch-response"}`},
		{1, 200, ct, `{"resourceType":"Bundle","type":"searchset","entry":[{"resource":{"resourceType":"Patient","id":"x"}}]}`},
		{1, 200, ct, `{"resourceType":"Bundle","type":"searchset","entry":[{"resource":` + strings.Replace(obs, "Patient/p1", "Patient/p9", 1) + `}]}`},
		{1, 200, ct, `{"resourceType":"Bundle","type":"searchset","total":-3}`},
		{1, 200, ct, `{"resourceType":"Bundle",`},
		{1, 429, ct, ``},
		{1, 503, "", ``},
		{2, 200, ct, `{"resourceType":"Bundle","type":"searchset","total":1,"entry":[{"resource":{"resourceType":"Patient","id":"p1","gender":"female"}}]}`},
		{2, 200, ct, `{"resourceType":"Bundle","type":"searchset","entry":[{"search":{"mode":"include"},"resource":{"resourceType":"Organization","id":"o"}}]}`},
		{2, 301, ct, ``},
		{2, 200, ct, strings.Repeat(" ", 1<<16+1)},
	} {
		f.Add(s.op, s.status, s.ctype, []byte(s.body))
	}
	requests := []string{
		"/stu3/Patient/p1",
		"/stu3/Observation?patient=p1&_sort:desc=date&category=vital-signs&_count=5",
		"/stu3/Patient?family=chau&given=hugh",
	}
	f.Fuzz(func(t *testing.T, op uint8, status uint16, ctype string, body []byte) {
		if status < 100 || status > 999 || status == 101 {
			return // not a status an HTTP/1.1 server can send
		}
		if strings.ContainsAny(ctype, "\r\n\x00") {
			return
		}
		answer.Store(&upstreamAnswer{status: int(status), ctype: ctype, body: body})
		w := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodGet, requests[int(op)%len(requests)], nil)
		h.ServeHTTP(w, r)
		assert.True(t, strings.HasPrefix(w.Header().Get("Content-Type"), "application/fhir+json"), "%d %q", w.Code, w.Header().Get("Content-Type"))
		var got struct {
			ResourceType string `json:"resourceType"`
			Issue        []struct {
				Diagnostics string `json:"diagnostics"`
			} `json:"issue"`
		}
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &got), "%d not JSON: %s", w.Code, w.Body)
		if w.Code < 400 {
			require.Equal(t, http.StatusOK, w.Code)
			return
		}
		require.Equal(t, "OperationOutcome", got.ResourceType, "%d %s", w.Code, w.Body)
		assert.NotContains(t, w.Body.String(), strings.TrimPrefix(up.URL, "http://"), "the upstream's address in an error")
		assert.NotContains(t, w.Body.String(), "secret upstream detail", "the upstream's words in an error")
		if w.Code == http.StatusInternalServerError {
			require.NotEmpty(t, got.Issue)
			assert.Contains(t, got.Issue[0].Diagnostics, "cannot be sent", "a 500 that is not an output check: %s", w.Body)
		}
	})
}
