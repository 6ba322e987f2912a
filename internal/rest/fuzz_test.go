package rest

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/patientsfhir/patientsfhir/fhir"
	"github.com/stretchr/testify/require"
)

// internals are strings that would betray implementation details.
var internals = []string{"runtime", "goroutine", "panic", "strconv", ".go:", "encoding/json", "json:", "invalid character", "unexpected end"}

func checkNoLeak(t *testing.T, err error) {
	t.Helper()
	var fe *fhir.Error
	require.ErrorAs(t, err, &fe)
	o := fhir.Classify(err)
	require.True(t, o.Status >= 400 && (o.Status < 500 || o.Status == http.StatusNotImplemented), "status %d for %v", o.Status, err)
	for _, s := range internals {
		require.NotContains(t, o.Diagnostics, s, "diagnostics leak")
	}
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
			WriteError(w, r, fhir.STU3, errors.New("secret internal detail"))
			return
		}
		b, _ := json.Marshal(map[string]string{"resourceType": "Basic", "id": "x"})
		WriteJSON(w, r, fhir.STU3, 200, b)
	})
	b := &Batch{Version: fhir.STU3, Handler: echo, MaxEntries: 20, MaxBodyBytes: 1 << 16}
	f.Fuzz(func(t *testing.T, body []byte) {
		br, err := DecodeBatch(body, 20)
		if err != nil {
			checkNoLeak(t, err)
		}
		r := httptest.NewRequest("POST", "/fhir", strings.NewReader(string(body)))
		rec := httptest.NewRecorder()
		b.ServeHTTP(rec, r)
		require.Equal(t, err == nil, rec.Code == 200, "decode error %v, status %d", err, rec.Code)
		require.True(t, json.Valid(rec.Body.Bytes()), "invalid JSON response: %s", rec.Body)
		require.NotContains(t, rec.Body.String(), "secret internal detail", "leak")
		if err != nil {
			return
		}
		var resp struct{ Entry []json.RawMessage }
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &resp))
		require.Len(t, resp.Entry, len(br.Entries), "one entry out per entry in")
	})
}
