package mutation

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/patientsfhir/patientsfhir/internal/kit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDel(t *testing.T) {
	doc, ok := kit.DecodeObject([]byte(`{"identifier":[{"type":{"coding":[{"code":"DL"}]},"value":"d1"},{"type":{"coding":[{"code":"MR"}]},"value":"m1"}],
		"type":[{"coding":[{"display":"a"},{"display":"b"}]}],"name":[{"family":"Chau","given":["Hugh"]},{"family":"Other"}]}`))
	require.True(t, ok)
	del(doc, strings.Split("identifier[MR].value", "."))
	del(doc, strings.Split("type.0.coding.0.display", "."))
	del(doc, strings.Split("name.family", "."))
	del(doc, strings.Split("missing.path", "."))
	got, err := json.Marshal(doc)
	require.NoError(t, err)
	assert.JSONEq(t, `{"identifier":[{"type":{"coding":[{"code":"DL"}]},"value":"d1"},{"type":{"coding":[{"code":"MR"}]}}],
		"type":[{"coding":[{},{"display":"b"}]}],"name":[{"given":["Hugh"]},{}]}`, string(got))
}

// The middleware rewrites the query of a GET, of a POST _search form and of
// every batch entry, and alters the resources of every answer, batch
// entries included.
func TestWrapRewritesEveryForm(t *testing.T) {
	var seen []string
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		seen = append(seen, r.Method+" "+r.URL.Path+"?"+r.URL.RawQuery+" "+string(body))
		w.Header().Set("Content-Type", "application/fhir+json")
		w.Header().Set("Content-Length", "999")
		if strings.HasSuffix(r.URL.Path, "/stu3") {
			_, _ = w.Write([]byte(`{"resourceType":"Bundle","type":"batch-response","entry":[{"resource":{"resourceType":"Bundle","type":"searchset","total":1,
				"entry":[{"resource":{"resourceType":"Patient","id":"p","gender":"male"}}]},"response":{"status":"200 OK"}}]}`))
			return
		}
		_, _ = w.Write([]byte(`{"resourceType":"Patient","id":"p","gender":"male","birthDate":1957}`))
	})
	m := Mutation{Rule: "test", Name: "test", f: fault{
		query:    strip("family").query,
		resource: func(c *call, res obj) { res["gender"] = c.typ },
	}}
	h := m.Wrap(inner, Env{Base: "/stu3", Version: kit.STU3(nil), Data: kit.TestData{PatientID: "p"}})

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/stu3/Patient/p?family=chau&given=hugh", nil))
	assert.JSONEq(t, `{"resourceType":"Patient","id":"p","gender":"Patient","birthDate":1957}`, rec.Body.String())
	assert.Empty(t, rec.Header().Get("Content-Length"), "the body changed length")
	assert.Equal(t, "application/fhir+json", rec.Header().Get("Content-Type"))

	post := httptest.NewRequest("POST", "/stu3/Patient/_search", strings.NewReader("family:contains=chau&given=hugh"))
	post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	h.ServeHTTP(httptest.NewRecorder(), post)

	batch := httptest.NewRequest("POST", "/stu3", strings.NewReader(`{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","url":"Patient?family=chau&given=hugh"}}]}`))
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, batch)
	assert.JSONEq(t, `{"resourceType":"Bundle","type":"batch-response","entry":[{"resource":{"resourceType":"Bundle","type":"searchset","total":1,
		"entry":[{"resource":{"resourceType":"Patient","id":"p","gender":"Patient"}}]},"response":{"status":"200 OK"}}]}`, rec.Body.String())

	require.Len(t, seen, 3)
	assert.Equal(t, "GET /stu3/Patient/p?given=hugh ", seen[0])
	assert.Equal(t, "POST /stu3/Patient/_search? given=hugh", seen[1])
	assert.JSONEq(t, `{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","url":"Patient?given=hugh"}}]}`,
		strings.TrimPrefix(seen[2], "POST /stu3? "))
}

// A body that is not JSON passes through untouched.
func TestWrapLeavesOtherBodies(t *testing.T) {
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
		_, _ = w.Write([]byte("not json"))
	})
	m := Mutation{f: fault{resource: func(*call, obj) { assert.Fail(t, "called on a body that is not JSON") }}}
	rec := httptest.NewRecorder()
	m.Wrap(inner, Env{Base: "/stu3", Version: kit.STU3(nil)}).ServeHTTP(rec, httptest.NewRequest("POST", "/stu3", strings.NewReader("{")))
	assert.Equal(t, http.StatusTeapot, rec.Code)
	assert.Equal(t, "not json", rec.Body.String())
}
