package memehr

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/patientsfhir/patientsfhir/fhir"
)

// BenchmarkVitalsNewestFirst: the Patients app's vital-signs search (one
// patient, category, newest first, a page of 10) over stores of 100 and
// 1,000 patients with 20 observations each. The engine scans linearly, so
// the ratio of the two is about 10.
func BenchmarkVitalsNewestFirst(b *testing.B) {
	for _, patients := range []int{100, 1000} {
		b.Run(fmt.Sprintf("patients=%d", patients), func(b *testing.B) {
			s := New()
			t0 := time.Date(2016, 1, 1, 9, 0, 0, 0, time.UTC)
			for p := range patients {
				for o := range 20 {
					doc := fmt.Sprintf(`{"resourceType":"Observation","id":"o-%d-%d","status":"final","category":[{"coding":[{"system":"http://hl7.org/fhir/observation-category","code":"vital-signs"}]}],"code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"subject":{"reference":"Patient/p-%d"},"effectiveDateTime":"%s","valueQuantity":{"value":%d}}`,
						p, o, p, t0.Add(time.Duration(o*37%20)*24*time.Hour).Format(time.RFC3339), 60+o)
					if _, err := s.Put([]byte(doc), nil); err != nil {
						b.Fatal(err)
					}
				}
			}
			parser, _ := fhir.NewParser(fhir.STU3, obsParams, nil)
			pairs, _ := fhir.ParsePairs("patient=p-7&category=vital-signs&_sort=-date&_count=10")
			q, err := parser.Parse(pairs, true)
			if err != nil {
				b.Fatal(err)
			}
			req := Request{Type: "Observation", Params: obsParams, Query: q}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				r, err := s.Search(context.Background(), req)
				if err != nil || r.Total != 20 || len(r.Items) != 10 {
					b.Fatalf("%v %d %d", err, r.Total, len(r.Items))
				}
			}
		})
	}
}
