package rest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/patientsfhir/patientsfhir/fhir"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
	require.NoError(t, json.Unmarshal(b, &out), "%s", b)
	return out
}

func TestSearchsetPaging(t *testing.T) {
	p := newTestParser(t, fhir.STU3)
	cur, err := NewCursors(testKey, time.Hour)
	require.NoError(t, err)
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
		require.NoError(t, err)
		st, err := cur.Resume(q, "tenant-1")
		require.NoError(t, err)
		s, err := BuildSearchset(context.Background(), q, backend(st.Backend, q.Count), SearchOptions{Base: base, Type: "Patient", Tenant: "tenant-1", Cursors: cur, Offset: st.Offset})
		require.NoError(t, err)
		rec := httptest.NewRecorder()
		WriteSearchset(rec, httptest.NewRequest("GET", "/stu3/Patient?"+query, nil), fhir.STU3, s)
		require.Equal(t, 200, rec.Code)
		assert.Equal(t, "application/fhir+json; charset=utf-8", rec.Header().Get("Content-Type"))
		b := decodeBundle(t, rec.Body.Bytes())
		require.Equal(t, "Bundle", b.ResourceType)
		require.Equal(t, "searchset", b.Type)
		require.NotNil(t, b.Total, "a searchset always has its total")
		assert.Equal(t, "self", b.Link[0].Relation)
		assert.True(t, strings.HasPrefix(b.Link[0].URL, base+"/Patient?family=chau&_count=2"), "self link %q", b.Link[0].URL)
		for _, e := range b.Entry {
			assert.Equal(t, "match", e.Search.Mode)
			assert.Equal(t, base+"/Patient/"+e.Resource["id"].(string), e.FullURL)
			got = append(got, e.Resource["id"].(string))
		}
		if len(b.Link) == 1 {
			assert.Equal(t, 5, *b.Total, "the last page's total is exact")
			break
		}
		assert.Equal(t, len(got), *b.Total, "page %d: the total is a lower bound", pageNo)
		require.Equal(t, "next", b.Link[1].Relation)
		next, err := url.Parse(b.Link[1].URL)
		require.NoError(t, err)
		query = next.RawQuery
		assert.Contains(t, query, "family=chau", "the next link keeps the search")
		require.LessOrEqual(t, pageNo, 5, "paging does not end")
	}
	assert.Equal(t, []string{"a", "b", "c", "d", "e"}, got)
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
	assert.NotEmpty(t, s.Next, "the next link")
	o.Count = func(context.Context) (int, error) { return 99, nil }
	s, _ = BuildSearchset(ctx, q, Page{Entries: two, Next: "n"}, o)
	assert.Equal(t, 99, s.Total) // asked
	o.Count = func(context.Context) (int, error) { return 0, fhir.ErrUnavailable }
	_, err := BuildSearchset(ctx, q, Page{Entries: two, Next: "n"}, o)
	assert.ErrorIs(t, err, fhir.ErrUnavailable, "the count's error")
	o.Cursors = nil
	o.Count = nil
	_, err = BuildSearchset(ctx, q, Page{Next: "n"}, o)
	assert.Error(t, err, "a next token without Cursors")
	// _count=0: total only, no next link.
	q0, _ := p.Parse([]fhir.Pair{{Name: "_count", Value: "0"}}, false)
	s, _ = BuildSearchset(ctx, q0, Page{Total: 7, TotalKnown: true, Next: "n"}, o)
	var buf bytes.Buffer
	require.NoError(t, EncodeSearchset(&buf, s))
	b := decodeBundle(t, buf.Bytes())
	require.NotNil(t, b.Total)
	assert.Equal(t, 7, *b.Total, "count only")
	assert.Empty(t, b.Entry, "count only")
	assert.Len(t, b.Link, 1, "count only: no next link")
}

func TestCursorBinding(t *testing.T) {
	c, err := NewCursors(testKey, time.Minute)
	require.NoError(t, err)
	tok, err := c.Seal("t1", "family=a&_count=2", CursorState{Backend: "offset=10", Offset: 10})
	require.NoError(t, err)
	st, err := c.Open(tok, "t1", "family=a&_count=2")
	require.NoError(t, err)
	assert.Equal(t, CursorState{Backend: "offset=10", Offset: 10}, st)
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
		_, err := tt.c.Open(tt.tok, tt.tenant, tt.query)
		assert.ErrorIs(t, err, fhir.ErrInvalidSearch, tt.name)
	}
	// Expiry.
	c.now = func() time.Time { return time.Now().Add(2 * time.Minute) }
	_, err = c.Open(tok, "t1", "family=a&_count=2")
	assert.ErrorIs(t, err, fhir.ErrInvalidSearch, "expired")
	_, err = NewCursors([]byte("short"), 0)
	assert.Error(t, err, "a short key")
	_, err = c.Seal("t", "q", CursorState{Backend: strings.Repeat("x", MaxCursorBytes+1)})
	assert.Error(t, err, "an oversized backend token")
}

func TestWriteSearchsetErrors(t *testing.T) {
	s := &Searchset{Self: "http://x/Patient?_count=1", Base: "http://x", Entries: []Entry{{Type: "Patient", ID: "1", Resource: badMarshaler{}}}}
	rec := httptest.NewRecorder()
	WriteSearchset(rec, httptest.NewRequest("GET", "/Patient", nil), fhir.DSTU2, s)
	assert.Equal(t, 500, rec.Code, "an entry that does not marshal")
	assert.Contains(t, rec.Body.String(), "OperationOutcome")
	rec = httptest.NewRecorder()
	WriteSearchset(rec, httptest.NewRequest("GET", "/Patient?_format=xml", nil), fhir.DSTU2, &Searchset{})
	assert.Equal(t, 406, rec.Code, "XML")
	rec = httptest.NewRecorder()
	WriteSearchset(rec, httptest.NewRequest("GET", "/Patient?_pretty=true", nil), fhir.DSTU2, &Searchset{Self: "http://x/\"q\u2028", Entries: []Entry{patient("1")}})
	b := decodeBundle(t, rec.Body.Bytes())
	assert.Equal(t, "http://x/\"q\u2028", b.Link[0].URL, "escaping")
	assert.Contains(t, rec.Body.String(), "\n  ", "indent")
}
