package rest_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/patientsfhir/patientsfhir/fhir"
	"github.com/patientsfhir/patientsfhir/internal/fhirschema"
	"github.com/patientsfhir/patientsfhir/internal/rest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var schemaOf = map[*fhir.Version]string{fhir.DSTU2: fhirschema.DSTU2, fhir.STU3: fhirschema.STU3}

// TestOutputsValidate checks every kind of document the package writes
// against the official schema of each version.
func TestOutputsValidate(t *testing.T) {
	for _, v := range []*fhir.Version{fhir.DSTU2, fhir.STU3} {
		t.Run(v.Name, func(t *testing.T) {
			valid := func(what string, b []byte) {
				t.Helper()
				assert.NoError(t, fhirschema.ValidateStrict(schemaOf[v], b), "%s: %s", what, b)
			}
			for _, err := range []error{fhir.ErrNotFound, fhir.ErrInvalidSearch, errors.New("x"), fhir.ErrNotAcceptable} {
				rec := httptest.NewRecorder()
				rest.WriteError(rec, httptest.NewRequest("GET", "/", nil), v, err)
				valid("OperationOutcome", rec.Body.Bytes())
			}

			p, err := fhir.NewParser(v, []fhir.SearchParam{{Name: "patient", Type: fhir.TypeReference}}, nil)
			require.NoError(t, err)
			q, _ := p.Parse([]fhir.Pair{{Name: "patient", Value: "1"}, {Name: "_count", Value: "2"}}, false)
			cur, _ := rest.NewCursors([]byte(strings.Repeat("k", 32)), 0)
			page := rest.Page{Total: 3, TotalKnown: true, Next: "2", Entries: []rest.Entry{
				{Type: "Patient", ID: "1", Resource: json.RawMessage(`{"resourceType":"Patient","id":"1","birthDate":"1957-06-05"}`)},
				{Type: "Patient", ID: "2", Resource: json.RawMessage(`{"resourceType":"Patient","id":"2","gender":"male"}`)},
			}}
			s, err := rest.BuildSearchset(context.Background(), q, page, rest.SearchOptions{Base: "https://x.org/fhir", Type: "Patient", Cursors: cur})
			require.NoError(t, err)
			rec := httptest.NewRecorder()
			rest.WriteSearchset(rec, httptest.NewRequest("GET", "/", nil), v, s)
			valid("searchset", rec.Body.Bytes())

			mux := http.NewServeMux()
			mux.HandleFunc("GET /fhir/Patient/{id}", func(w http.ResponseWriter, r *http.Request) {
				if r.PathValue("id") == "1" {
					w.Header().Set("ETag", `W/"1"`)
					w.Header().Set("Last-Modified", "Wed, 21 Oct 2015 07:28:00 GMT")
					rest.WriteJSON(w, r, v, 200, []byte(`{"resourceType":"Patient","id":"1"}`))
					return
				}
				rest.WriteError(w, r, v, fhir.ErrNotFound)
			})
			mux.HandleFunc("GET /fhir/Patient", func(w http.ResponseWriter, r *http.Request) {
				rest.WriteSearchset(w, r, v, s)
			})
			mux.Handle("POST /fhir", &rest.Batch{Version: v, Handler: mux})
			body := `{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","url":"Patient/1"}},{"request":{"method":"GET","url":"Patient/2"}},{"request":{"method":"GET","url":"Patient?patient=1"}},{"request":{"method":"DELETE","url":"Patient/1"}}]}`
			r := httptest.NewRequest("POST", "/fhir", strings.NewReader(body))
			rec = httptest.NewRecorder()
			mux.ServeHTTP(rec, r)
			require.Equal(t, 200, rec.Code, "%s", rec.Body)
			valid("batch-response", rec.Body.Bytes())
		})
	}
}
