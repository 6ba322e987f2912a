package fhir

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
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

func FuzzDecodeBatch(f *testing.F) {
	for _, s := range []string{
		`{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","url":"Patient/1"}},{"request":{"method":"POST","url":"Patient/_search?given=a"}}]}`,
		`{"resourceType":"Bundle","type":"transaction","entry":[]}`,
		`{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","url":"http://other/x/Patient/1"}},{"fullUrl":"x"},{"request":{"method":"GET","url":"../../etc"}}]}`,
		`{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"get","url":"%zz"}}]}`,
		`[]`, `null`, `{`, ``,
	} {
		f.Add([]byte(s))
	}
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "boom") {
			WriteError(w, r, STU3, errors.New("secret internal detail"))
			return
		}
		b, _ := json.Marshal(map[string]string{"resourceType": "Basic", "id": "x"})
		WriteJSON(w, r, STU3, 200, b)
	})
	b := &Batch{Version: STU3, Handler: echo, MaxEntries: 20, MaxBodyBytes: 1 << 16}
	f.Fuzz(func(t *testing.T, body []byte) {
		br, err := DecodeBatch(body, 20)
		if err != nil {
			checkNoLeak(t, err)
		}
		r := httptest.NewRequest("POST", "/fhir", strings.NewReader(string(body)))
		rec := httptest.NewRecorder()
		b.ServeHTTP(rec, r)
		if (err == nil) != (rec.Code == 200) {
			t.Fatalf("decode err %v but status %d", err, rec.Code)
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("invalid JSON response: %s", rec.Body)
		}
		if strings.Contains(rec.Body.String(), "secret internal detail") {
			t.Fatal("leak")
		}
		if err != nil {
			return
		}
		var resp struct{ Entry []json.RawMessage }
		if json.Unmarshal(rec.Body.Bytes(), &resp) != nil || len(resp.Entry) != len(br.Entries) {
			t.Fatalf("%d entries in, %d out", len(br.Entries), len(resp.Entry))
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
