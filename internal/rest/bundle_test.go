package rest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
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
	// A backend of 5 patients, pages of 2, that says its total.
	all := []string{"a", "b", "c", "d", "e"}
	backend := func(token string, n int) Page {
		start := 0
		if token != "" {
			fmt.Sscan(token, &start)
		}
		end := min(start+n, len(all))
		pg := Page{Total: len(all), TotalKnown: true}
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
		assert.Equal(t, 5, *b.Total, "page %d: the total of the whole search", pageNo)
		if len(b.Link) == 1 {
			break
		}
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
	q, err := p.Parse(nil, false)
	require.NoError(t, err)
	cur, err := NewCursors(testKey, 0)
	require.NoError(t, err)
	two := []Entry{patient("1"), patient("2")}
	ctx := context.Background()
	var logs bytes.Buffer
	o := SearchOptions{Base: "http://x", Type: "Patient", Cursors: cur, Offset: 4,
		Logger: slog.New(slog.NewJSONHandler(&logs, nil))}

	s, err := BuildSearchset(ctx, q, Page{Entries: two, Total: 42, TotalKnown: true, Next: "n"}, o)
	require.NoError(t, err)
	assert.Equal(t, 42, s.Total, "the backend's total")
	assert.NotEmpty(t, s.Next)

	s, err = BuildSearchset(ctx, q, Page{Entries: two}, o)
	require.NoError(t, err)
	assert.Equal(t, 6, s.Total, "last page without a total: offset + entries, exact")
	assert.Empty(t, s.Next)

	s, err = BuildSearchset(ctx, q, Page{Total: 0, TotalKnown: true}, o)
	require.NoError(t, err)
	assert.Equal(t, 0, s.Total, "an empty last page whose backend says 0")

	// The opt-in count is asked for a page with a next link and no total.
	calls := 0
	o.Count = func(context.Context) (int, error) { calls++; return 99, nil }
	s, err = BuildSearchset(ctx, q, Page{Entries: two, Next: "n"}, o)
	require.NoError(t, err)
	assert.Equal(t, 99, s.Total)
	_, err = BuildSearchset(ctx, q, Page{Entries: two, Total: 7, TotalKnown: true, Next: "n"}, o)
	require.NoError(t, err)
	assert.Equal(t, 1, calls, "Count is asked only when the backend does not know the total")
	o.Count = func(context.Context) (int, error) { return 0, fhir.ErrUnavailable }
	_, err = BuildSearchset(ctx, q, Page{Entries: two, Next: "n"}, o)
	assert.ErrorIs(t, err, fhir.ErrUnavailable)
	o.Count = nil
	assert.Empty(t, logs.String(), "nothing refused so far")

	// Never an invented total: a next page without the total is refused.
	_, err = BuildSearchset(ctx, q, Page{Entries: two, Next: "n"}, o)
	require.ErrorIs(t, err, ErrTotalUnknown)
	assert.ErrorIs(t, err, fhir.ErrInternal)
	var line map[string]any
	require.NoError(t, json.Unmarshal(logs.Bytes(), &line), logs.String())
	assert.Equal(t, "rest: backend output refused", line["msg"])
	assert.Equal(t, RuleTotal, line["rule"])
	assert.Equal(t, "Patient", line["type"])
	assert.EqualValues(t, 4, line["offset"])
	assert.EqualValues(t, 2, line["entries"])
	assert.Equal(t, true, line["next"])

	// A total below the page's own entries is known to be wrong: refused.
	logs.Reset()
	_, err = BuildSearchset(ctx, q, Page{Entries: two, Total: 1, TotalKnown: true}, o)
	require.ErrorIs(t, err, ErrTotalTooLow)
	assert.Contains(t, logs.String(), `"rule":"total.exact"`)
	o.Count = func(context.Context) (int, error) { return 1, nil }
	_, err = BuildSearchset(ctx, q, Page{Entries: two, Next: "n"}, o)
	assert.ErrorIs(t, err, ErrTotalTooLow)
	o.Count = nil

	o.Cursors = nil
	_, err = BuildSearchset(ctx, q, Page{Total: 3, TotalKnown: true, Next: "n"}, o)
	assert.Error(t, err, "a next token without Cursors must fail")

	// _count=0: total only, no next link.
	q0, err := p.Parse([]fhir.Pair{{Name: "_count", Value: "0"}}, false)
	require.NoError(t, err)
	s, err = BuildSearchset(ctx, q0, Page{Total: 7, TotalKnown: true, Next: "n"}, o)
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, EncodeSearchset(&buf, s))
	b := decodeBundle(t, buf.Bytes())
	require.NotNil(t, b.Total)
	assert.Equal(t, 7, *b.Total)
	assert.Empty(t, b.Entry)
	assert.Len(t, b.Link, 1)
	assert.Contains(t, buf.String(), `"total":7`)
}

// A backend page without its total reaches the client as a 500
// OperationOutcome whose message names the rule, never as a made-up total.
func TestSearchsetRefusesUnknownTotal(t *testing.T) {
	p := newTestParser(t, fhir.STU3)
	cur, err := NewCursors(testKey, 0)
	require.NoError(t, err)
	var logs bytes.Buffer
	o := SearchOptions{Base: "https://x.org/stu3", Type: "Patient", Cursors: cur, Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	r := httptest.NewRequest("GET", "/stu3/Patient?family=chau&_count=1", nil)
	q, err := p.ParseRequest(r)
	require.NoError(t, err)
	_, err = BuildSearchset(r.Context(), q, Page{Entries: []Entry{patient("chau-1")}, Next: "more"}, o)
	require.Error(t, err)
	rec := httptest.NewRecorder()
	WriteError(rec, r, fhir.STU3, err)
	require.Equal(t, 500, rec.Code, rec.Body.String())
	assert.JSONEq(t, `{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"exception",
		"diagnostics":"The backend returned a page with a next link but without its total; a backend that pages must report Page.Total (rule total.exact, Patients-app interface §3.6)."}]}`, rec.Body.String())
	assert.Contains(t, logs.String(), "rule=total.exact")
	assert.NotContains(t, logs.String(), "chau", "no search value or data in the log")
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
