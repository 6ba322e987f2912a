package rest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/patientsfhir/patientsfhir/fhir"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type tenantKey struct{}

// testChain is a FHIR-like handler chain: an auth middleware that requires a
// bearer token and puts the tenant in the context, then a mux.
func testChain(t testing.TB, v *fhir.Version, batchOpts func(*Batch)) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /fhir/Patient/{id}", func(w http.ResponseWriter, r *http.Request) {
		switch id := r.PathValue("id"); id {
		case "missing":
			WriteError(w, r, v, fmt.Errorf("row: %w", fhir.ErrNotFound))
		case "boom":
			WriteError(w, r, v, errors.New("pq: connection refused to 10.0.0.7"))
		case "panic":
			panic("backend bug")
		default:
			w.Header().Set("ETag", `W/"3"`)
			w.Header().Set("Last-Modified", "Wed, 21 Oct 2015 07:28:00 GMT")
			WriteJSON(w, r, v, 200, []byte(`{"resourceType":"Patient","id":"`+id+`"}`))
		}
	})
	search := func(w http.ResponseWriter, r *http.Request) {
		tenant, _ := r.Context().Value(tenantKey{}).(string)
		outer, _ := r.Context().Value(outerKey{}).(string)
		body := fmt.Sprintf(`{"resourceType":"Bundle","type":"searchset","total":0,"meta":{"tag":[{"code":%q},{"code":%q},{"code":%q},{"code":%q},{"code":%q}]}}`,
			r.Method, r.URL.RawQuery, tenant, outer, r.Header.Get("Content-Type"))
		WriteJSON(w, r, v, 200, []byte(body))
	}
	mux.HandleFunc("GET /fhir/Observation", search)
	mux.HandleFunc("POST /fhir/Patient/_search", search)
	b := &Batch{Version: v}
	if batchOpts != nil {
		batchOpts(b)
	}
	var chain http.Handler
	mux.Handle("POST /fhir", b)
	chain = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer good" {
			WriteError(w, r, v, fhir.ErrUnauthorized)
			return
		}
		mux.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), tenantKey{}, "tenant-A")))
	})
	if b.Handler == nil {
		b.Handler = chain
	}
	return chain
}

type outerKey struct{}

func postBatch(t testing.TB, h http.Handler, body string, mutate func(*http.Request)) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest("POST", "/fhir", strings.NewReader(body))
	r.Header.Set("Authorization", "Bearer good")
	r.Header.Set("Content-Type", "application/fhir+json")
	r = r.WithContext(context.WithValue(r.Context(), outerKey{}, "principal-7"))
	if mutate != nil {
		mutate(r)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

type batchResponse struct {
	ResourceType, Type string
	Entry              []struct {
		Resource map[string]any
		Response struct {
			Status, Etag, LastModified string
			Outcome                    map[string]any
		}
	}
}

func batchOf(entries ...string) string {
	var parts []string
	for _, e := range entries {
		parts = append(parts, e)
	}
	return `{"resourceType":"Bundle","type":"batch","entry":[` + strings.Join(parts, ",") + `]}`
}

func get(u string) string { return `{"request":{"method":"GET","url":"` + u + `"}}` }

func TestBatchEntries(t *testing.T) {
	for _, v := range []*fhir.Version{fhir.STU3, fhir.DSTU2} {
		t.Run(v.Name, func(t *testing.T) {
			h := testChain(t, v, nil)
			body := batchOf(
				get("Patient/1"),
				get("Patient/missing"),
				get("Observation?patient=1&_sort:desc=date&category=vital-signs"),
				`{"request":{"method":"POST","url":"Patient/_search?given=hugh"}}`,
				get("Patient/boom"),
				`{"request":{"method":"PUT","url":"Patient/1"},"resource":{"resourceType":"Patient"}}`,
				get("https://other.example/fhir/Patient/1"),
				get("http://example.com/fhir/Patient/2"),
				`{"fullUrl":"x"}`,
				get("../admin/clients"),
				get("Patient/panic"),
				`{"request":{"method":"POST","url":"Patient"}}`,
				get("/Patient/3"),
				get("HTTP://EXAMPLE.com/fhir/Patient/4"),
				get("http://example.com/fhirx/Patient/5"),
			)
			rec := postBatch(t, h, body, nil)
			require.Equal(t, 200, rec.Code, "%s", rec.Body)
			assert.Equal(t, v.ContentType(), rec.Header().Get("Content-Type"))
			for _, leak := range []string{"pq:", "10.0.0.7", "backend bug", "goroutine"} {
				assert.NotContains(t, rec.Body.String(), leak, "the response leaks")
			}
			var br batchResponse
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &br))
			require.Equal(t, "Bundle", br.ResourceType)
			require.Equal(t, "batch-response", br.Type)
			want := []string{"200 OK", "404 Not Found", "200 OK", "200 OK", "500 Internal Server Error", "501 Not Implemented",
				"400 Bad Request", "200 OK", "400 Bad Request", "400 Bad Request", "500 Internal Server Error", "501 Not Implemented", "200 OK", "200 OK", "400 Bad Request"}
			var got []string
			for _, e := range br.Entry {
				got = append(got, e.Response.Status)
			}
			require.Equal(t, want, got, "entry statuses")
			for i, e := range br.Entry {
				res := e.Resource
				if strings.HasPrefix(want[i], "200") {
					assert.NotNil(t, res, "entry %d has its resource", i)
					continue
				}
				// Errors carry an OperationOutcome: in response.outcome (STU3)
				// or as the entry's resource (DSTU2, which has no outcome).
				if v.ResponseOutcome {
					assert.Nil(t, res, "entry %d: an STU3 error has no resource", i)
					res = e.Response.Outcome
				}
				assert.Equal(t, "OperationOutcome", res["resourceType"], "entry %d", i)
			}
			ids := []any{br.Entry[0].Resource["id"], br.Entry[7].Resource["id"], br.Entry[12].Resource["id"], br.Entry[13].Resource["id"]}
			assert.Equal(t, []any{"1", "2", "3", "4"}, ids, "entries in order")
			assert.Equal(t, `W/"3"`, br.Entry[0].Response.Etag)
			assert.Equal(t, "2015-10-21T07:28:00Z", br.Entry[0].Response.LastModified)
			tags := func(i int) []string {
				var out []string
				for _, tg := range br.Entry[i].Resource["meta"].(map[string]any)["tag"].([]any) {
					out = append(out, tg.(map[string]any)["code"].(string))
				}
				return out
			}
			// The search entry went through the chain with the parent's
			// context (outer principal) and headers (Authorization → tenant).
			assert.Equal(t, []string{"GET", "patient=1&_sort:desc=date&category=vital-signs", "tenant-A", "principal-7", ""}, tags(2))
			assert.Equal(t, []string{"POST", "given=hugh", "tenant-A", "principal-7", "application/x-www-form-urlencoded"}, tags(3))
		})
	}
}

func TestBatchUsesParentAuthorization(t *testing.T) {
	h := testChain(t, fhir.STU3, nil)
	// The parent is authenticated by the chain; entries run through the same
	// chain and are authenticated by the same header.
	rec := postBatch(t, h, batchOf(get("Patient/1")), func(r *http.Request) { r.Header.Set("Authorization", "Bearer bad") })
	assert.Equal(t, 401, rec.Code, "an unauthenticated batch")
}

func TestBatchConcurrencyBound(t *testing.T) {
	const bound, entries = 3, 10
	var inflight, maxSeen atomic.Int32
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inflight.Add(1)
		for {
			m := maxSeen.Load()
			if n <= m || maxSeen.CompareAndSwap(m, n) {
				break
			}
		}
		// Hold until the bound has been reached once (or a second passed),
		// so the measurement does not depend on scheduling luck.
		deadline := time.Now().Add(time.Second)
		for maxSeen.Load() < bound && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		time.Sleep(5 * time.Millisecond)
		inflight.Add(-1)
		WriteJSON(w, r, fhir.STU3, 200, []byte(`{"resourceType":"Patient"}`))
	})
	b := &Batch{Version: fhir.STU3, Handler: slow, Concurrency: bound}
	var list []string
	for i := 0; i < entries; i++ {
		list = append(list, get(fmt.Sprintf("Patient/%d", i)))
	}
	r := httptest.NewRequest("POST", "/fhir", strings.NewReader(batchOf(list...)))
	rec := httptest.NewRecorder()
	b.ServeHTTP(rec, r)
	require.Equal(t, 200, rec.Code, "%s", rec.Body)
	assert.EqualValues(t, bound, maxSeen.Load(), "the most entries in flight: exactly the bound")
	assert.Equal(t, entries, strings.Count(rec.Body.String(), `"200 OK"`), "every entry answered")
}

func TestBatchRefused(t *testing.T) {
	h := testChain(t, fhir.STU3, func(b *Batch) { b.MaxEntries = 3; b.MaxBodyBytes = 2048 })
	tests := []struct {
		name   string
		body   string
		mutate func(*http.Request)
		status int
		code   string
	}{
		{"not json", `{"resourceType":"Bundle",`, nil, 400, "structure"},
		{"array", `[]`, nil, 400, "structure"},
		{"not a bundle", `{"resourceType":"Patient","type":"batch"}`, nil, 400, "structure"},
		{"transaction", `{"resourceType":"Bundle","type":"transaction","entry":[]}`, nil, 501, "not-supported"},
		{"searchset", `{"resourceType":"Bundle","type":"searchset"}`, nil, 400, "structure"},
		{"no type", `{"resourceType":"Bundle"}`, nil, 400, "structure"},
		{"entry not object", `{"resourceType":"Bundle","type":"batch","entry":[1]}`, nil, 400, "structure"},
		{"too many entries", batchOf(get("Patient/1"), get("Patient/2"), get("Patient/3"), get("Patient/4")), nil, 413, "too-costly"},
		{"body too large", batchOf(get("Patient/" + strings.Repeat("x", 3000))), nil, 413, "too-costly"},
		{"xml body", `<Bundle/>`, func(r *http.Request) { r.Header.Set("Content-Type", "application/fhir+xml") }, 415, "not-supported"},
		{"xml wanted", batchOf(), func(r *http.Request) { r.Header.Set("Accept", "application/fhir+xml") }, 406, "not-supported"},
		{"GET base", ``, func(r *http.Request) { r.Method = "GET" }, 405, "not-supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			r := httptest.NewRequest("POST", "/fhir", strings.NewReader(tt.body))
			r.Header.Set("Content-Type", "application/fhir+json")
			if tt.mutate != nil {
				tt.mutate(r)
			}
			b := &Batch{Version: fhir.STU3, Handler: h, MaxEntries: 3, MaxBodyBytes: 2048}
			b.ServeHTTP(rec, r)
			assert.Equal(t, tt.status, rec.Code, "%s", rec.Body)
			var oo fhir.OperationOutcome
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &oo))
			assert.Equal(t, "OperationOutcome", oo.ResourceType)
			require.NotEmpty(t, oo.Issue)
			assert.Equal(t, tt.code, string(oo.Issue[0].Code))
			assert.Equal(t, fhir.STU3.ContentType(), rec.Header().Get("Content-Type"))
		})
	}
	// An empty batch is valid.
	rec := postBatch(t, h, batchOf(), nil)
	assert.Equal(t, 200, rec.Code, "an empty batch")
	assert.Contains(t, rec.Body.String(), `"batch-response"`)
}

func TestBatchNested(t *testing.T) {
	b := &Batch{Version: fhir.STU3, Handler: http.NotFoundHandler()}
	r := httptest.NewRequest("POST", "/fhir", strings.NewReader(batchOf()))
	r = r.WithContext(context.WithValue(r.Context(), batchKey{}, 0))
	rec := httptest.NewRecorder()
	b.ServeHTTP(rec, r)
	assert.Equal(t, 400, rec.Code, "a nested batch")
	// A plain-text 404 from a mux becomes an OperationOutcome entry.
	rec = httptest.NewRecorder()
	b.ServeHTTP(rec, httptest.NewRequest("POST", "/fhir", strings.NewReader(batchOf(get("Nope/1")))))
	assert.Contains(t, rec.Body.String(), `"404 Not Found"`)
	assert.Contains(t, rec.Body.String(), `"not-found"`)
}

func TestBatchCancelled(t *testing.T) {
	h := testChain(t, fhir.STU3, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rec := postBatch(t, h, batchOf(get("Patient/1")), func(r *http.Request) { *r = *r.WithContext(ctx) })
	assert.Equal(t, 200, rec.Code)
	assert.Contains(t, rec.Body.String(), `"503 Service Unavailable"`)
}

func TestBatchPanicLogNoData(t *testing.T) {
	var logs strings.Builder
	b := &Batch{
		Version: fhir.STU3,
		Handler: http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("patient Hugh Chau born 1957-06-05") }),
		Logger:  slog.New(slog.NewTextHandler(&logs, nil)),
	}
	rec := httptest.NewRecorder()
	b.ServeHTTP(rec, httptest.NewRequest("POST", "/fhir", strings.NewReader(batchOf(get("Patient/1")))))
	assert.Equal(t, 200, rec.Code)
	assert.Contains(t, rec.Body.String(), `"500 Internal Server Error"`)
	assert.Contains(t, logs.String(), "entry=0", "the panic is logged")
	for _, s := range []string{"Hugh", "1957", "Chau"} {
		assert.NotContains(t, logs.String(), s, "patient data in the log")
		assert.NotContains(t, rec.Body.String(), s, "patient data in the response")
	}
	// A Batch without a handler answers an OperationOutcome instead of panicking.
	rec = httptest.NewRecorder()
	(&Batch{Version: fhir.DSTU2}).ServeHTTP(rec, httptest.NewRequest("POST", "/fhir", strings.NewReader(batchOf())))
	assert.Equal(t, 500, rec.Code, "an unconfigured Batch")
	assert.Contains(t, rec.Body.String(), "OperationOutcome")
}
