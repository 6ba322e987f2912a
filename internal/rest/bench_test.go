package rest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/patientsfhir/patientsfhir/fhir"
)

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
		if err := EncodeSearchset(io.Discard, s); err != nil { // not require: it would weigh on the loop
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
		WriteJSON(w, r, fhir.STU3, 200, []byte(`{"resourceType":"Bundle","type":"searchset","total":0}`))
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
			bt := &Batch{Version: fhir.STU3, Handler: slow, Concurrency: c.parallel}
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
