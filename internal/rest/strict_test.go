package rest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patientsfhir/patientsfhir/fhir"
)

// A Bundle whose members are ambiguous is refused whole: a repeated member
// (the last would win) or a member of another case (encoding/json matches
// names without case).
func TestDecodeBatchAmbiguousMembers(t *testing.T) {
	for name, body := range map[string]string{
		"type twice":         `{"resourceType":"Bundle","type":"batch","type":"transaction","entry":[]}`,
		"TYPE":               `{"resourceType":"Bundle","TYPE":"batch","entry":[]}`,
		"resourceType twice": `{"resourceType":"Patient","resourceType":"Bundle","type":"batch"}`,
		"method twice":       `{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","method":"DELETE","url":"Patient/1"}}]}`,
		"Url":                `{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","Url":"Patient/1"}}]}`,
		"nested duplicate":   `{"resourceType":"Bundle","type":"batch","entry":[{"resource":{"a":1,"a":2},"request":{"method":"GET","url":"Patient/1"}}]}`,
	} {
		_, err := DecodeBatch([]byte(body), 10)
		require.Error(t, err, name)
		assert.ErrorIs(t, err, fhir.ErrInvalidRequest, name)
		assert.Equal(t, http.StatusBadRequest, fhir.StatusOf(err), name)
	}
	br, err := DecodeBatch([]byte(`{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","url":"Patient/1"}},{"request":{"method":"GET","url":"Patient/2"}}]}`), 10)
	require.NoError(t, err, "the same member in two objects is fine")
	assert.Len(t, br.Entries, 2)
}

// The method of an entry is one of FHIR's upper-case http-verb codes.
func TestBatchEntryMethodCase(t *testing.T) {
	for _, m := range []string{"get", "Get", "post", "GEt"} {
		_, _, _, err := entryTarget(&BatchEntry{Method: m, URL: "Patient/1", HasRequest: true}, "http://x/fhir")
		assert.ErrorIs(t, err, fhir.ErrNotSupported, m)
	}
	method, rel, _, err := entryTarget(&BatchEntry{Method: "GET", URL: "Patient/1", HasRequest: true}, "http://x/fhir")
	require.NoError(t, err)
	assert.Equal(t, "GET", method)
	assert.Equal(t, "Patient/1", rel)
}

// A batch whose answers would exceed MaxResponseBytes answers the entries
// past the bound with a too-costly outcome each, in request order; the
// batch itself succeeds.
func TestBatchResponseBounded(t *testing.T) {
	big := `{"resourceType":"Basic","id":"x","text":{"status":"generated","div":"<div>` + strings.Repeat("a", 4000) + `</div>"}}`
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		WriteJSON(w, r, fhir.STU3, http.StatusOK, []byte(big))
	})
	b := &Batch{Version: fhir.STU3, Handler: h, MaxResponseBytes: 10000}
	var entries []string
	for i := range 5 {
		entries = append(entries, fmt.Sprintf(`{"request":{"method":"GET","url":"Basic/%d"}}`, i))
	}
	body := `{"resourceType":"Bundle","type":"batch","entry":[` + strings.Join(entries, ",") + `]}`
	r := httptest.NewRequest("POST", "/fhir", strings.NewReader(body))
	w := httptest.NewRecorder()
	b.ServeHTTP(w, r)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Less(t, w.Body.Len(), 12000)
	var resp struct {
		Entry []struct {
			Response struct{ Status string } `json:"response"`
		} `json:"entry"`
	}
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &resp))
	require.Len(t, resp.Entry, 5)
	var statuses []string
	for _, e := range resp.Entry {
		statuses = append(statuses, e.Response.Status[:3])
	}
	assert.Equal(t, []string{"200", "200", "403", "403", "403"}, statuses)
	assert.Contains(t, w.Body.String(), "too-costly")
}

// Responses that may carry patient data are never cached and never
// sniffed; errors neither.
func TestPrivateHeaders(t *testing.T) {
	for name, write := range map[string]func(http.ResponseWriter, *http.Request){
		"resource": func(w http.ResponseWriter, r *http.Request) {
			WriteJSON(w, r, fhir.STU3, 200, []byte(`{"resourceType":"Patient","id":"1"}`))
		},
		"searchset": func(w http.ResponseWriter, r *http.Request) {
			WriteSearchset(w, r, fhir.STU3, &Searchset{Base: "http://x", Self: "http://x/Patient"})
		},
		"error": func(w http.ResponseWriter, r *http.Request) { WriteError(w, r, fhir.STU3, fhir.ErrNotFound) },
	} {
		w := httptest.NewRecorder()
		write(w, httptest.NewRequest("GET", "/Patient", nil))
		assert.Equal(t, "no-store", w.Header().Get("Cache-Control"), name)
		assert.Equal(t, "nosniff", w.Header().Get("X-Content-Type-Options"), name)
	}
}
