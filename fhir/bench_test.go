package fhir

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// patientsAppQueries are the searches the Patients app sends (both versions).
var patientsAppQueries = []string{
	"id=1234&family:contains=chau&given=hugh&name=hugh&birthdate=1957-06-05&identifier=1234567&_count=10",
	"family=chau&given=hugh&birthdate=1957-06-05&gender=male&identifier=1234567&_count=10",
	"patient=1234&_sort:desc=date&category=vital-signs",
	"patient=1234&_sort=-date&category=vital-signs",
	"patient=1234&_count=10",
	"patient=1234&_sort:desc=date&_count=1",
	"patient=1234",
}

var appParams = []SearchParam{
	ParamID,
	{Name: "family", Type: TypeString, Modifiers: []Modifier{ModContains, ModExact}},
	{Name: "given", Type: TypeString, Modifiers: []Modifier{ModContains, ModExact}},
	{Name: "name", Type: TypeString, Modifiers: []Modifier{ModContains, ModExact}},
	{Name: "birthdate", Type: TypeDate},
	{Name: "gender", Type: TypeToken},
	{Name: "identifier", Type: TypeToken},
	{Name: "patient", Type: TypeReference, Targets: []string{"Patient"}},
	{Name: "category", Type: TypeToken},
	{Name: "date", Type: TypeDate},
}

// BenchmarkParsePatientsAppQueries parses each of the Patients app's
// searches from the raw query string (or form body) to a Query.
func BenchmarkParsePatientsAppQueries(b *testing.B) {
	p, err := NewParser(DSTU2, appParams, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, raw := range patientsAppQueries {
			pairs, err := ParsePairs(raw)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := p.Parse(pairs, false); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(patientsAppQueries)), "ns/query")
}

// BenchmarkParseRequestPOST parses the Patients app's POST _search request.
func BenchmarkParseRequestPOST(b *testing.B) {
	p, err := NewParser(STU3, appParams, nil)
	if err != nil {
		b.Fatal(err)
	}
	body := patientsAppQueries[1]
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest("POST", "/stu3/Patient/_search", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if _, err := p.ParseRequest(r); err != nil {
			b.Fatal(err)
		}
	}
}

func benchPatient(i int) json.RawMessage {
	return json.RawMessage(fmt.Sprintf(`{"resourceType":"Patient","id":"p%d","meta":{"lastUpdated":"2019-01-01T00:00:00Z"},`+
		`"identifier":[{"use":"official","type":{"coding":[{"system":"http://hl7.org/fhir/v2/0203","code":"MR"}]},"value":"%07d"}],`+
		`"active":true,"name":[{"use":"official","family":"Chau","given":["Hugh","C."]}],"telecom":[{"system":"phone","value":"555-0100","use":"home"}],`+
		`"gender":"male","birthDate":"1957-06-05","address":[{"line":["1 Main St"],"city":"Springfield","state":"IL","postalCode":"62701"}]}`, i, i))
}

// BenchmarkWriteSearchset50 streams a 50-entry searchset Bundle.
func BenchmarkWriteSearchset50(b *testing.B) {
	s := &Searchset{Total: 1234, Self: "https://fhir.example.com/stu3/Patient?family=chau&_count=50", Next: "https://fhir.example.com/stu3/Patient?family=chau&_count=50&_cursor=abc", Base: "https://fhir.example.com/stu3"}
	size := 0
	for i := range 50 {
		res := benchPatient(i)
		size += len(res)
		s.Entries = append(s.Entries, Entry{Type: "Patient", ID: fmt.Sprintf("p%d", i), Resource: res})
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		if err := EncodeSearchset(io.Discard, s); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBatch runs batches against a handler that sleeps 5 ms per entry:
// one entry, six entries concurrently, six entries one at a time. The
// target is six concurrent entries in under 2x the time of one.
func BenchmarkBatch(b *testing.B) {
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(5 * time.Millisecond)
		WriteJSON(w, r, STU3, 200, []byte(`{"resourceType":"Bundle","type":"searchset","total":0}`))
	})
	entries := func(n int) string {
		var e []string
		for i := range n {
			e = append(e, fmt.Sprintf(`{"request":{"method":"GET","url":"Observation?patient=%d&_sort:desc=date"}}`, i))
		}
		return `{"resourceType":"Bundle","type":"batch","entry":[` + strings.Join(e, ",") + `]}`
	}
	for _, c := range []struct {
		name        string
		n, parallel int
	}{{"1-entry", 1, 6}, {"6-entries", 6, 6}, {"6-entries-sequential", 6, 1}} {
		b.Run(c.name, func(b *testing.B) {
			bt := &Batch{Version: STU3, Handler: slow, Concurrency: c.parallel}
			body := entries(c.n)
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				bt.ServeHTTP(rec, httptest.NewRequest("POST", "/stu3", strings.NewReader(body)))
				if rec.Code != 200 {
					b.Fatal(rec.Code)
				}
			}
		})
	}
}
