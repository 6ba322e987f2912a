package rest

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/patientsfhir/patientsfhir/fhir"
	"github.com/stretchr/testify/assert"
)

func TestServeSearch(t *testing.T) {
	p := newTestParser(t, fhir.DSTU2)
	cur, _ := NewCursors(testKey, 0)
	var gotCursor []string
	search := func(ctx context.Context, q *fhir.Query, cursor string) (Page, error) {
		gotCursor = append(gotCursor, cursor)
		if q.Has("given") {
			return Page{}, errors.New("sql: syntax error near given")
		}
		if cursor == "" {
			return Page{Entries: []Entry{patient("1")}, Total: 2, TotalKnown: true, Next: "p2"}, nil
		}
		return Page{Entries: []Entry{patient("2")}, Total: 2, TotalKnown: true}, nil
	}
	o := SearchOptions{Base: "https://x.org/dstu2", Type: "Patient", Tenant: "t1", Cursors: cur}
	do := func(r *http.Request) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		ServeSearch(rec, r, p, o, search)
		return rec
	}
	post := httptest.NewRequest("POST", "/dstu2/Patient/_search", strings.NewReader("family:contains=chau&_sort:desc=birthdate&_count=1"))
	post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := do(post)
	if rec.Code != 200 || rec.Header().Get("Content-Type") != fhir.DSTU2.ContentType() {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	b := decodeBundle(t, rec.Body.Bytes())
	if *b.Total != 2 || len(b.Link) != 2 || b.Link[0].URL != "https://x.org/dstu2/Patient?family%3Acontains=chau&_count=1&_sort%3Adesc=birthdate" {
		t.Fatalf("%+v", b)
	}
	next, _ := url.Parse(b.Link[1].URL)
	rec = do(httptest.NewRequest("GET", next.RequestURI(), nil))
	b = decodeBundle(t, rec.Body.Bytes())
	if rec.Code != 200 || *b.Total != 2 || len(b.Link) != 1 || b.Entry[0].FullURL != "https://x.org/dstu2/Patient/2" {
		t.Fatalf("page 2: %d %s", rec.Code, rec.Body)
	}
	assert.Equal(t, []string{"", "p2"}, gotCursor)

	// The cursor of another tenant is refused before the backend runs.
	o.Tenant = "t2"
	rec = do(httptest.NewRequest("GET", next.RequestURI(), nil))
	if rec.Code != 400 || len(gotCursor) != 2 {
		t.Fatalf("other tenant: %d", rec.Code)
	}
	o.Tenant = "t1"
	// Backend errors are 500 without their text; bad requests are 400; XML 406.
	for target, status := range map[string]int{
		"/dstu2/Patient?given=x":           500,
		"/dstu2/Patient?birthdate=notdate": 400,
		"/dstu2/Patient?_format=xml":       406,
	} {
		rec := do(httptest.NewRequest("GET", target, nil))
		if rec.Code != status || strings.Contains(rec.Body.String(), "sql") || !strings.Contains(rec.Body.String(), "OperationOutcome") {
			t.Errorf("%s: %d %s", target, rec.Code, rec.Body)
		}
	}
	// A backend that ignores the page size is caught.
	rec = httptest.NewRecorder()
	ServeSearch(rec, httptest.NewRequest("GET", "/dstu2/Patient?_count=1", nil), p, o, func(context.Context, *fhir.Query, string) (Page, error) {
		return Page{Entries: []Entry{patient("1"), patient("2")}}, nil
	})
	if rec.Code != 500 {
		t.Fatalf("oversized page: %d", rec.Code)
	}
	// Count only: a backend that returns entries anyway is tolerated; the
	// Bundle carries the total alone.
	rec = httptest.NewRecorder()
	ServeSearch(rec, httptest.NewRequest("GET", "/dstu2/Patient?_summary=count", nil), p, o, func(context.Context, *fhir.Query, string) (Page, error) {
		return Page{Entries: []Entry{patient("1"), patient("2")}}, nil
	})
	if b := decodeBundle(t, rec.Body.Bytes()); rec.Code != 200 || *b.Total != 2 || len(b.Entry) != 0 {
		t.Fatalf("count only: %d %s", rec.Code, rec.Body)
	}
	// Without Cursors, a cursor parameter is refused.
	o.Cursors = nil
	rec = do(httptest.NewRequest("GET", "/dstu2/Patient?_cursor=abc", nil))
	if rec.Code != 400 {
		t.Fatalf("cursor without Cursors: %d", rec.Code)
	}
}
