package kit_test

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patientsfhir/patientsfhir/internal/kit"
)

// Remote sends the method, path, query, headers and body on, and writes
// the server's status, headers and body back.
func TestRemoteForwards(t *testing.T) {
	var got struct {
		method, uri, auth, ctype, body string
	}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got.method, got.uri, got.auth, got.ctype, got.body = r.Method, r.RequestURI, r.Header.Get("Authorization"), r.Header.Get("Content-Type"), string(b)
		w.Header().Set("Content-Type", "application/fhir+json")
		w.Header().Set("ETag", `W/"1"`)
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"resourceType":"Bundle"}`)
	}))
	defer ts.Close()
	var seen []string
	rm := &kit.Remote{Origin: ts.URL + "/", OnRequest: func(m, p string) { seen = append(seen, m+" "+p) }}

	r := httptest.NewRequest("POST", "/stu3/Patient/_search?x=1", strings.NewReader("family=chau"))
	r.Header.Set("Authorization", "Bearer t")
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	rm.ServeHTTP(w, r)

	assert.Equal(t, http.StatusCreated, w.Code)
	assert.Equal(t, "application/fhir+json", w.Header().Get("Content-Type"))
	assert.Equal(t, `W/"1"`, w.Header().Get("ETag"))
	assert.JSONEq(t, `{"resourceType":"Bundle"}`, w.Body.String())
	assert.Equal(t, "POST", got.method)
	assert.Equal(t, "/stu3/Patient/_search?x=1", got.uri)
	assert.Equal(t, "Bearer t", got.auth)
	assert.Equal(t, "application/x-www-form-urlencoded", got.ctype)
	assert.Equal(t, "family=chau", got.body)
	assert.Equal(t, []string{"POST /stu3/Patient/_search"}, seen, "the path only, never the query")
	assert.EqualValues(t, 1, rm.Requests())
}

// A server that cannot be reached, or whose answer is too large, is a
// 502 OperationOutcome that says why (without the query string).
func TestRemoteUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())

	rm := &kit.Remote{Origin: "http://" + addr}
	w := httptest.NewRecorder()
	rm.ServeHTTP(w, httptest.NewRequest("GET", "/stu3/Patient?family=secret", nil))
	assert.Equal(t, http.StatusBadGateway, w.Code)
	var oo struct {
		ResourceType string `json:"resourceType"`
		Issue        []struct{ Code, Diagnostics string }
	}
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &oo))
	assert.Equal(t, "OperationOutcome", oo.ResourceType)
	require.Len(t, oo.Issue, 1)
	assert.Equal(t, "transient", oo.Issue[0].Code)
	assert.Contains(t, oo.Issue[0].Diagnostics, "the server could not be reached: GET /stu3/Patient: dial tcp")
	assert.NotContains(t, oo.Issue[0].Diagnostics, "secret")

	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, strings.Repeat("x", 100))
	}))
	defer ts.Close()
	rm = &kit.Remote{Origin: ts.URL, MaxBody: 10}
	w = httptest.NewRecorder()
	rm.ServeHTTP(w, httptest.NewRequest("GET", "/stu3/metadata", nil))
	assert.Equal(t, http.StatusBadGateway, w.Code)
	assert.Contains(t, w.Body.String(), "the body is larger than 10 bytes")
}
