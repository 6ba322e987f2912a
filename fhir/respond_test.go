package fhir

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestNegotiate(t *testing.T) {
	tests := []struct {
		name   string
		v      *Version
		query  string
		accept string
		ct     string // expected media type, "" for 406
		pretty bool
	}{
		{"no accept", STU3, "", "", "application/fhir+json", false},
		{"stu3 own type", STU3, "", "application/fhir+json", "application/fhir+json", false},
		{"stu3 dstu2 spelling", STU3, "", "application/json+fhir", "application/fhir+json", false},
		{"dstu2 own type", DSTU2, "", "application/json+fhir", "application/json+fhir", false},
		{"dstu2 stu3 spelling", DSTU2, "", "application/fhir+json;q=0.9", "application/json+fhir", false},
		{"plain json", STU3, "", "application/json", "application/json", false},
		{"wildcard", DSTU2, "", "*/*", "application/json+fhir", false},
		{"browser", STU3, "", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "application/fhir+json", false},
		{"xml only", STU3, "", "application/fhir+xml", "", false},
		{"xml plain", DSTU2, "", "application/xml", "", false},
		{"text plain", STU3, "", "text/plain", "", false},
		{"json refused q=0", STU3, "", "application/fhir+json;q=0", "", false},
		{"_format json beats xml accept", STU3, "_format=json", "application/fhir+xml", "application/fhir+json", false},
		{"_format xml beats json accept", STU3, "_format=xml", "application/fhir+json", "", false},
		{"_format mime", DSTU2, "_format=application%2Fjson%2Bfhir", "", "application/json+fhir", false},
		{"_format other spelling", DSTU2, "_format=application%2Ffhir%2Bjson", "", "application/json+fhir", false},
		{"_format application/json", STU3, "_format=application%2Fjson", "", "application/json", false},
		{"_format with charset", STU3, "_format=application%2Ffhir%2Bjson%3Bcharset%3Dutf-8", "", "application/fhir+json", false},
		{"_format xml mime", STU3, "_format=application%2Ffhir%2Bxml", "", "", false},
		{"_format garbage", STU3, "_format=%3B%3B", "", "", false},
		{"pretty", STU3, "_pretty=true", "", "application/fhir+json", true},
		{"empty _format falls back to Accept", STU3, "_format=", "application/json", "application/json", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/Patient?"+tt.query, nil)
			if tt.accept != "" {
				r.Header.Set("Accept", tt.accept)
			}
			f, err := Negotiate(r, tt.v)
			if tt.ct == "" {
				if !errors.Is(err, ErrNotAcceptable) {
					t.Fatalf("err = %v, want ErrNotAcceptable", err)
				}
				if o := Classify(err); o.Status != 406 || !strings.Contains(o.Diagnostics, "JSON") || !strings.Contains(o.Diagnostics, tt.v.MIMEType) {
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
	WriteJSON(rec, r, DSTU2, 200, []byte(`{"resourceType":"Patient"}`))
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
	WriteResource(rec, httptest.NewRequest("GET", "/Patient/1", nil), STU3, 200, badMarshaler{})
	if rec.Code != 500 || strings.Contains(rec.Body.String(), "broken") {
		t.Fatalf("got %d %s", rec.Code, rec.Body)
	}
}
