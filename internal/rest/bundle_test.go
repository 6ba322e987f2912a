package rest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/patientsfhir/patientsfhir/fhir"
	"github.com/stretchr/testify/assert"
)

var testKey = []byte("0123456789abcdef0123456789abcdef")

func patient(id string) Entry {
	return Entry{Type: "Patient", ID: id, Resource: json.RawMessage(`{"resourceType":"Patient","id":"` + id + `"}`)}
}

type bundleJSON struct {
	ResourceType string
	Type         string
	Total        *int
	Link         []struct{ Relation, URL string }
	Entry        []struct {
		FullURL  string
		Resource map[string]any
		Search   struct{ Mode string }
	}
}

func decodeBundle(t *testing.T, b []byte) bundleJSON {
	t.Helper()
	var out bundleJSON
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return out
}

func TestSearchsetPaging(t *testing.T) {
	p := newTestParser(t, fhir.STU3)
	cur, err := NewCursors(testKey, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	const base = "https://fhir.example.com/stu3"
	// A backend of 5 patients, pages of 2, that does not know its total.
	all := []string{"a", "b", "c", "d", "e"}
	backend := func(token string, n int) Page {
		start := 0
		if token != "" {
			fmt.Sscan(token, &start)
		}
		end := min(start+n, len(all))
		var pg Page
		for _, id := range all[start:end] {
			pg.Entries = append(pg.Entries, patient(id))
		}
		if end < len(all) {
			pg.Next = fmt.Sprint(end)
		}
		return pg
	}
	query := "family=chau&_count=2"
	var got []string
	for pageNo := 0; ; pageNo++ {
		pairs, _ := fhir.ParsePairs(query)
		q, err := p.Parse(pairs, true)
		if err != nil {
			t.Fatal(err)
		}
		st, err := cur.Resume(q, "tenant-1")
		if err != nil {
			t.Fatal(err)
		}
		s, err := BuildSearchset(context.Background(), q, backend(st.Backend, q.Count), SearchOptions{Base: base, Type: "Patient", Tenant: "tenant-1", Cursors: cur, Offset: st.Offset})
		if err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		WriteSearchset(rec, httptest.NewRequest("GET", "/stu3/Patient?"+query, nil), fhir.STU3, s)
		if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/fhir+json; charset=utf-8" {
			t.Fatalf("%d %s", rec.Code, rec.Header())
		}
		b := decodeBundle(t, rec.Body.Bytes())
		if b.ResourceType != "Bundle" || b.Type != "searchset" || b.Total == nil {
			t.Fatalf("bundle %+v", b)
		}
		if b.Link[0].Relation != "self" || !strings.HasPrefix(b.Link[0].URL, base+"/Patient?family=chau&_count=2") {
			t.Errorf("self link %q", b.Link[0].URL)
		}
		for _, e := range b.Entry {
			if e.Search.Mode != "match" || e.FullURL != base+"/Patient/"+e.Resource["id"].(string) {
				t.Errorf("entry %+v", e)
			}
			got = append(got, e.Resource["id"].(string))
		}
		if len(b.Link) == 1 {
			if *b.Total != 5 {
				t.Errorf("last page: total %d, want exact 5", *b.Total)
			}
			break
		}
		if *b.Total != len(got) {
			t.Errorf("page %d: lower-bound total %d, want %d", pageNo, *b.Total, len(got))
		}
		next, err := url.Parse(b.Link[1].URL)
		if err != nil || b.Link[1].Relation != "next" {
			t.Fatal(b.Link)
		}
		query = next.RawQuery
		if !strings.Contains(query, "family=chau") {
			t.Errorf("next link must keep the search: %s", query)
		}
		if pageNo > 5 {
			t.Fatal("paging does not end")
		}
	}
	if strings.Join(got, "") != "abcde" {
		t.Fatalf("pages gave %v", got)
	}
}

func TestSearchsetTotal(t *testing.T) {
	p := newTestParser(t, fhir.STU3)
	q, _ := p.Parse(nil, false)
	cur, _ := NewCursors(testKey, 0)
	o := SearchOptions{Base: "http://x", Type: "Patient", Cursors: cur, Offset: 4}
	two := []Entry{patient("1"), patient("2")}
	ctx := context.Background()

	s, _ := BuildSearchset(ctx, q, Page{Entries: two, Total: 42, TotalKnown: true, Next: "n"}, o)
	assert.Equal(t, 42, s.Total)
	s, _ = BuildSearchset(ctx, q, Page{Entries: two}, o)
	assert.Equal(t, 6, s.Total) // last page: offset + entries, exact
	s, _ = BuildSearchset(ctx, q, Page{Entries: two, Next: "n"}, o)
	assert.Equal(t, 6, s.Total) // lower bound, next link present
	if s.Next == "" {
		t.Error("next link missing")
	}
	o.Count = func(context.Context) (int, error) { return 99, nil }
	s, _ = BuildSearchset(ctx, q, Page{Entries: two, Next: "n"}, o)
	assert.Equal(t, 99, s.Total) // asked
	o.Count = func(context.Context) (int, error) { return 0, fhir.ErrUnavailable }
	if _, err := BuildSearchset(ctx, q, Page{Entries: two, Next: "n"}, o); !errors.Is(err, fhir.ErrUnavailable) {
		t.Errorf("count error: %v", err)
	}
	o.Cursors = nil
	o.Count = nil
	if _, err := BuildSearchset(ctx, q, Page{Next: "n"}, o); err == nil {
		t.Error("a next token without Cursors must fail")
	}
	// _count=0: total only, no next link.
	q0, _ := p.Parse([]fhir.Pair{{Name: "_count", Value: "0"}}, false)
	s, _ = BuildSearchset(ctx, q0, Page{Total: 7, TotalKnown: true, Next: "n"}, o)
	var buf bytes.Buffer
	if err := EncodeSearchset(&buf, s); err != nil {
		t.Fatal(err)
	}
	b := decodeBundle(t, buf.Bytes())
	if *b.Total != 7 || len(b.Entry) != 0 || len(b.Link) != 1 {
		t.Errorf("count only: %s", buf.Bytes())
	}
	if !strings.Contains(buf.String(), `"total":7`) {
		t.Error("total must be present")
	}
}

func TestCursorBinding(t *testing.T) {
	c, err := NewCursors(testKey, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := c.Seal("t1", "family=a&_count=2", CursorState{Backend: "offset=10", Offset: 10})
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.Open(tok, "t1", "family=a&_count=2")
	if err != nil || st.Backend != "offset=10" || st.Offset != 10 {
		t.Fatalf("%+v %v", st, err)
	}
	other, _ := NewCursors([]byte("ffffffffffffffffffffffffffffffff"), 0)
	flipped := []byte(tok)
	flipped[3] ^= 1
	bad := []struct {
		name, tok, tenant, query string
		c                        *Cursors
	}{
		{"other tenant", tok, "t2", "family=a&_count=2", c},
		{"other query", tok, "t1", "family=b&_count=2", c},
		{"other key", tok, "t1", "family=a&_count=2", other},
		{"tampered", string(flipped), "t1", "family=a&_count=2", c},
		{"truncated", tok[:len(tok)-2], "t1", "family=a&_count=2", c},
		{"garbage", "!!!", "t1", "family=a&_count=2", c},
		{"empty", "", "t1", "family=a&_count=2", c},
		{"huge", strings.Repeat("A", 5000), "t1", "family=a&_count=2", c},
	}
	for _, tt := range bad {
		if _, err := tt.c.Open(tt.tok, tt.tenant, tt.query); !errors.Is(err, fhir.ErrInvalidSearch) {
			t.Errorf("%s: err = %v", tt.name, err)
		}
	}
	// Expiry.
	c.now = func() time.Time { return time.Now().Add(2 * time.Minute) }
	if _, err := c.Open(tok, "t1", "family=a&_count=2"); !errors.Is(err, fhir.ErrInvalidSearch) {
		t.Errorf("expired: %v", err)
	}
	if _, err := NewCursors([]byte("short"), 0); err == nil {
		t.Error("short key must fail")
	}
	if _, err := c.Seal("t", "q", CursorState{Backend: strings.Repeat("x", MaxCursorBytes+1)}); err == nil {
		t.Error("oversized backend token must fail")
	}
}

func TestWriteSearchsetErrors(t *testing.T) {
	s := &Searchset{Self: "http://x/Patient?_count=1", Base: "http://x", Entries: []Entry{{Type: "Patient", ID: "1", Resource: badMarshaler{}}}}
	rec := httptest.NewRecorder()
	WriteSearchset(rec, httptest.NewRequest("GET", "/Patient", nil), fhir.DSTU2, s)
	if rec.Code != 500 || !strings.Contains(rec.Body.String(), "OperationOutcome") {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	rec = httptest.NewRecorder()
	WriteSearchset(rec, httptest.NewRequest("GET", "/Patient?_format=xml", nil), fhir.DSTU2, &Searchset{})
	if rec.Code != 406 {
		t.Fatalf("%d", rec.Code)
	}
	rec = httptest.NewRecorder()
	WriteSearchset(rec, httptest.NewRequest("GET", "/Patient?_pretty=true", nil), fhir.DSTU2, &Searchset{Self: "http://x/\"q\u2028", Entries: []Entry{patient("1")}})
	b := decodeBundle(t, rec.Body.Bytes())
	if b.Link[0].URL != "http://x/\"q\u2028" || !strings.Contains(rec.Body.String(), "\n  ") {
		t.Fatalf("escaping or indent: %s", rec.Body)
	}
}
