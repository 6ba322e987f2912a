package fhir

import (
	"errors"
	"net/http"
	"strings"
	"testing"
)

// internals are strings that would betray implementation details.
var internals = []string{"runtime", "goroutine", "panic", "strconv", ".go:", "encoding/json", "json:", "invalid character", "unexpected end"}

func checkNoLeak(t *testing.T, err error) {
	t.Helper()
	var fe *Error
	if !errors.As(err, &fe) {
		t.Fatalf("error %v is not a *fhir.Error", err)
	}
	o := Classify(err)
	if o.Status < 400 || o.Status >= 500 && o.Status != http.StatusNotImplemented {
		t.Fatalf("status %d for %v", o.Status, err)
	}
	for _, s := range internals {
		if strings.Contains(o.Diagnostics, s) {
			t.Fatalf("diagnostics leak %q: %s", s, o.Diagnostics)
		}
	}
}

func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{
		"family:contains=chau&given=hugh&_count=10",
		"id=1&birthdate=1957-06-05&gender=male&identifier=http://h.org|123",
		"patient=Patient/1&_sort:desc=date&category=vital-signs",
		"date=ge2019-03-01T10:30:15.5%2B02:00&value-quantity=le5.4|http://unitsofmeasure.org|mg",
		`family=a\,b,c&identifier=|x&url:below=http://x&length=ap1e2&subject:Patient=9`,
		"_summary=count&_sort=-date,family&name:missing=true&_cursor=abc",
		"%zz&&=&:=&_count=99999999999999999999",
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	p, err := NewParser(STU3, testParams, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw string, strict bool) {
		pairs, err := ParsePairs(raw)
		if err != nil {
			checkNoLeak(t, err)
			return
		}
		q, err := p.Parse(pairs, strict)
		if err != nil {
			checkNoLeak(t, err)
			return
		}
		// The canonical encoding is a fixed point: it parses strictly and
		// encodes to itself.
		enc := q.Encode()
		pairs2, err := ParsePairs(enc)
		if err != nil {
			t.Fatalf("canonical %q does not decode: %v", enc, err)
		}
		q2, err := p.Parse(pairs2, true)
		if err != nil {
			t.Fatalf("canonical %q does not parse strictly: %v", enc, err)
		}
		if q2.Encode() != enc {
			t.Fatalf("canonical encoding not stable:\n%s\n%s", enc, q2.Encode())
		}
		if q.Count < 0 || q.Count > p.opts.MaxCount {
			t.Fatalf("count %d out of bounds", q.Count)
		}
	})
}

// TestValuesNeverEchoed checks that refused values (which may be patient
// data) do not appear in the error message.
func TestValuesNeverEchoed(t *testing.T) {
	p := newTestParser(t, STU3)
	const marker = "Zyxwvut1957"
	for _, name := range []string{"birthdate", "length", "value-quantity", "patient", "identifier", "name:missing", "_count", "date"} {
		val := marker + "|a|b|c"
		if name == "patient" {
			val = "Other/" + marker
		}
		_, err := p.Parse([]Pair{{name, val}}, true)
		if err == nil {
			t.Fatalf("%s=%s accepted", name, val)
		}
		if strings.Contains(Classify(err).Diagnostics, marker) {
			t.Errorf("%s: value echoed: %s", name, Classify(err).Diagnostics)
		}
	}
}
