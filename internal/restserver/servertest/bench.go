package servertest

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Bench measures whole requests through v's handler over the Fake (parse,
// backend, checks, Bundle) against a floor: a bare net/http handler
// writing the very same bytes. The ratio handler/floor is the cost of the
// server. The cases: a Patient search by POST _search, and the Patients
// app's view of one patient, six clinical searches in one batch.
func Bench[B any](b *testing.B, v Version[B]) {
	_, backend := fake(b, v)
	h := v.Handler(b, backend, nil)
	batch := `{"resourceType":"Bundle","type":"batch","entry":[
{"request":{"method":"GET","url":"Observation?patient=pat-2&_sort:desc=date&category=vital-signs"}},
{"request":{"method":"GET","url":"Condition?patient=pat-2&_count=10"}},
{"request":{"method":"GET","url":"Encounter?patient=pat-2&_sort:desc=date&_count=1"}},
{"request":{"method":"GET","url":"AllergyIntolerance?patient=pat-2"}},
{"request":{"method":"GET","url":"` + v.Medication + `?patient=pat-2&_count=10"}},
{"request":{"method":"GET","url":"Coverage?patient=pat-2"}}]}`
	cases := []struct {
		name, method, target, ct, body string
	}{
		{"PatientSearch", "POST", v.Base + "/Patient/_search", Form, "family=chau&given=hugh"},
		{"Batch6", "POST", v.Base, v.FHIR.MIMEType, batch},
	}
	for _, c := range cases {
		req := func() *http.Request {
			r := httptest.NewRequest(c.method, c.target, strings.NewReader(c.body))
			r.Header.Set("Content-Type", c.ct)
			return r
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req())
		require.Equal(b, http.StatusOK, w.Code, "%s: %s", c.name, w.Body)
		body, ct := w.Body.Bytes(), w.Header().Get("Content-Type")
		floor := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", ct)
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write(body)
		})
		for _, run := range []struct {
			name string
			h    http.Handler
		}{{"handler", h}, {"floor", floor}} {
			b.Run(c.name+"/"+run.name, func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(body)))
				for b.Loop() {
					w := httptest.NewRecorder()
					run.h.ServeHTTP(w, req())
					if w.Code != http.StatusOK { // not require: it would weigh on the loop
						b.Fatal(w.Code)
					}
				}
			})
		}
	}
}
