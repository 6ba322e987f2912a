package rest

import (
	"net/http/httptest"
	"testing"

	"github.com/patientsfhir/patientsfhir/fhir"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNegotiate(t *testing.T) {
	tests := []struct {
		name   string
		v      *fhir.Version
		query  string
		accept string
		ct     string // expected media type, "" for 406
		pretty bool
	}{
		{"no accept", fhir.STU3, "", "", "application/fhir+json", false},
		{"stu3 own type", fhir.STU3, "", "application/fhir+json", "application/fhir+json", false},
		{"stu3 dstu2 spelling", fhir.STU3, "", "application/json+fhir", "application/fhir+json", false},
		{"dstu2 own type", fhir.DSTU2, "", "application/json+fhir", "application/json+fhir", false},
		{"dstu2 stu3 spelling", fhir.DSTU2, "", "application/fhir+json;q=0.9", "application/json+fhir", false},
		{"plain json", fhir.STU3, "", "application/json", "application/json", false},
		{"wildcard", fhir.DSTU2, "", "*/*", "application/json+fhir", false},
		{"browser", fhir.STU3, "", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "application/fhir+json", false},
		{"xml only", fhir.STU3, "", "application/fhir+xml", "", false},
		{"xml plain", fhir.DSTU2, "", "application/xml", "", false},
		{"text plain", fhir.STU3, "", "text/plain", "", false},
		{"json refused q=0", fhir.STU3, "", "application/fhir+json;q=0", "", false},
		{"_format json beats xml accept", fhir.STU3, "_format=json", "application/fhir+xml", "application/fhir+json", false},
		{"_format xml beats json accept", fhir.STU3, "_format=xml", "application/fhir+json", "", false},
		{"_format mime", fhir.DSTU2, "_format=application%2Fjson%2Bfhir", "", "application/json+fhir", false},
		{"_format other spelling", fhir.DSTU2, "_format=application%2Ffhir%2Bjson", "", "application/json+fhir", false},
		{"_format application/json", fhir.STU3, "_format=application%2Fjson", "", "application/json", false},
		{"_format with charset", fhir.STU3, "_format=application%2Ffhir%2Bjson%3Bcharset%3Dutf-8", "", "application/fhir+json", false},
		{"_format xml mime", fhir.STU3, "_format=application%2Ffhir%2Bxml", "", "", false},
		{"_format garbage", fhir.STU3, "_format=%3B%3B", "", "", false},
		{"pretty", fhir.STU3, "_pretty=true", "", "application/fhir+json", true},
		{"empty _format falls back to Accept", fhir.STU3, "_format=", "application/json", "application/json", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/Patient?"+tt.query, nil)
			if tt.accept != "" {
				r.Header.Set("Accept", tt.accept)
			}
			f, err := Negotiate(r, tt.v)
			if tt.ct == "" {
				require.ErrorIs(t, err, fhir.ErrNotAcceptable)
				o := fhir.Classify(err)
				assert.Equal(t, 406, o.Status)
				assert.Contains(t, o.Diagnostics, "JSON", "the 406 names what is served")
				assert.Contains(t, o.Diagnostics, tt.v.MIMEType)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.ct+"; charset=utf-8", f.ContentType)
			assert.Equal(t, tt.pretty, f.Pretty)
		})
	}
}

func TestWriteJSONNotAcceptable(t *testing.T) {
	rec := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/metadata?_format=xml", nil)
	WriteJSON(rec, r, fhir.DSTU2, 200, []byte(`{"resourceType":"Patient"}`))
	assert.Equal(t, 406, rec.Code)
	assert.Equal(t, "application/json+fhir; charset=utf-8", rec.Header().Get("Content-Type"))
	assert.Contains(t, rec.Body.String(), `"OperationOutcome"`)
}

type badMarshaler struct{}

func (badMarshaler) MarshalJSON() ([]byte, error) { return []byte(`{"broken"`), nil }

func TestWriteResourceInvalidJSON(t *testing.T) {
	rec := httptest.NewRecorder()
	WriteResource(rec, httptest.NewRequest("GET", "/Patient/1", nil), fhir.STU3, 200, badMarshaler{})
	assert.Equal(t, 500, rec.Code)
	assert.NotContains(t, rec.Body.String(), "broken", "the invalid JSON is not sent")
}
