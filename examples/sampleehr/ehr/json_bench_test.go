package ehr

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/patientsfhir/patientsfhir/stu3"
)

// typedOnly is the sample EHR's STU3 backend without its JSON searchers:
// the engine then decodes, checks and encodes every resource.
type typedOnly struct {
	stu3.PatientReader
	stu3.PatientSearcher
	stu3.ObservationSearcher
	stu3.ConditionSearcher
	stu3.EncounterSearcher
	stu3.AllergyIntoleranceSearcher
	stu3.MedicationRequestSearcher
	stu3.MedicationStatementSearcher
	stu3.CoverageSearcher
}

func newTypedOnly(b *STU3Backend) typedOnly {
	return typedOnly{b, b, b, b, b, b, b, b, b}
}

// BenchmarkJSONSearchers compares a search served through the JSON
// searchers (stored JSON copied into the Bundle) with the same search
// through the typed searchers (decoded, Validate()d, encoded), over the
// STU3 handler, for both dialects:
//
//	go test -run '^$' -bench JSONSearchers -count 5 ./examples/sampleehr/ehr
func BenchmarkJSONSearchers(b *testing.B) {
	eachDialect(b, func(b *testing.B, dialect string) {
		db, _ := seeded(b, dialect)
		be := db.STU3(tenantA)
		for _, s := range []struct{ name, target string }{
			{"vitals", "/stu3/Observation?patient=pat-1&category=vital-signs&_sort=-date"},
			{"conditions", "/stu3/Condition?patient=pat-1&_count=10"},
		} {
			for _, p := range []struct {
				name string
				h    http.Handler
			}{
				{"typed", stu3HandlerOf(b, newTypedOnly(be))},
				{"json", stu3Handler(b, be)},
			} {
				b.Run(s.name+"/path="+p.name, func(b *testing.B) {
					r := httptest.NewRequest(http.MethodGet, s.target, nil)
					r.Header.Set("Authorization", "Bearer test")
					w := httptest.NewRecorder()
					p.h.ServeHTTP(w, r)
					require.Equal(b, http.StatusOK, w.Code, "%s", w.Body)
					b.SetBytes(int64(w.Body.Len()))
					b.ReportAllocs()
					for b.Loop() {
						w := httptest.NewRecorder()
						p.h.ServeHTTP(w, r)
					}
				})
			}
		}
	})
}
