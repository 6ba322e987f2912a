package rest

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/patientsfhir/patientsfhir/fhir"
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
				if !errors.Is(err, fhir.ErrNotAcceptable) {
					t.Fatalf("err = %v, want ErrNotAcceptable", err)
				}
				if o := fhir.Classify(err); o.Status != 406 || !strings.Contains(o.Diagnostics, "JSON") || !strings.Contains(o.Diagnostics, tt.v.MIMEType) {
					t.Errorf("406 outcome %+v must name JSON and %s", o, tt.v.MIMEType)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if f.ContentType != tt.ct+"; charset=utf-8" || f.Pretty != tt.pretty {
				t.Errorf("got %+v, want %s pretty=%v", f, tt.ct, tt.pretty)
			}
		})
	}
}

func TestWriteJSONNotAcceptable(t *testing.T) {
	rec := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/metadata?_format=xml", nil)
	WriteJSON(rec, r, fhir.DSTU2, 200, []byte(`{"resourceType":"Patient"}`))
	if rec.Code != 406 || rec.Header().Get("Content-Type") != "application/json+fhir; charset=utf-8" {
		t.Fatalf("got %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	if !strings.Contains(rec.Body.String(), `"OperationOutcome"`) {
		t.Fatal(rec.Body.String())
	}
}

type badMarshaler struct{}

func (badMarshaler) MarshalJSON() ([]byte, error) { return []byte(`{"broken"`), nil }

func TestWriteResourceInvalidJSON(t *testing.T) {
	rec := httptest.NewRecorder()
	WriteResource(rec, httptest.NewRequest("GET", "/Patient/1", nil), fhir.STU3, 200, badMarshaler{})
	if rec.Code != 500 || strings.Contains(rec.Body.String(), "broken") {
		t.Fatalf("got %d %s", rec.Code, rec.Body)
	}
}
