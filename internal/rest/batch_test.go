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
			if rec.Code != 200 || rec.Header().Get("Content-Type") != v.ContentType() {
				t.Fatalf("%d %s %s", rec.Code, rec.Header(), rec.Body)
			}
			for _, leak := range []string{"pq:", "10.0.0.7", "backend bug", "goroutine"} {
				if strings.Contains(rec.Body.String(), leak) {
					t.Errorf("response leaks %q", leak)
				}
			}
			var br batchResponse
			if err := json.Unmarshal(rec.Body.Bytes(), &br); err != nil {
				t.Fatal(err)
			}
			if br.ResourceType != "Bundle" || br.Type != "batch-response" {
				t.Fatalf("%+v", br)
			}
			want := []string{"200 OK", "404 Not Found", "200 OK", "200 OK", "500 Internal Server Error", "501 Not Implemented",
				"400 Bad Request", "200 OK", "400 Bad Request", "400 Bad Request", "500 Internal Server Error", "501 Not Implemented", "200 OK", "200 OK", "400 Bad Request"}
			if len(br.Entry) != len(want) {
				t.Fatalf("%d entries, want %d", len(br.Entry), len(want))
			}
			for i, e := range br.Entry {
				if e.Response.Status != want[i] {
					t.Errorf("entry %d: status %q, want %q", i, e.Response.Status, want[i])
				}
				res := e.Resource
				if strings.HasPrefix(want[i], "200") {
					if res == nil {
						t.Errorf("entry %d: no resource", i)
					}
					continue
				}
				// Errors carry an OperationOutcome: in response.outcome (STU3)
				// or as the entry's resource (DSTU2, which has no outcome).
				if v.ResponseOutcome {
					if res != nil {
						t.Errorf("entry %d: STU3 error has a resource", i)
					}
					res = e.Response.Outcome
				}
				if res["resourceType"] != "OperationOutcome" {
					t.Errorf("entry %d: %v", i, res)
				}
			}
			if br.Entry[0].Resource["id"] != "1" || br.Entry[7].Resource["id"] != "2" || br.Entry[12].Resource["id"] != "3" || br.Entry[13].Resource["id"] != "4" {
				t.Error("entries out of order")
			}
			if br.Entry[0].Response.Etag != `W/"3"` || br.Entry[0].Response.LastModified != "2015-10-21T07:28:00Z" {
				t.Errorf("etag/lastModified: %+v", br.Entry[0].Response)
			}
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
	if rec.Code != 401 {
		t.Fatalf("unauthenticated batch: %d", rec.Code)
	}
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
	if rec.Code != 200 {
		t.Fatal(rec.Code, rec.Body)
	}
	if got := maxSeen.Load(); got != bound {
		t.Fatalf("max entries in flight = %d, want exactly the bound %d", got, bound)
	}
	if strings.Count(rec.Body.String(), `"200 OK"`) != entries {
		t.Fatal("not every entry answered")
	}
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
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			var oo fhir.OperationOutcome
			if err := json.Unmarshal(rec.Body.Bytes(), &oo); err != nil || oo.ResourceType != "OperationOutcome" || string(oo.Issue[0].Code) != tt.code {
				t.Fatalf("outcome %s", rec.Body)
			}
			if rec.Header().Get("Content-Type") != fhir.STU3.ContentType() {
				t.Errorf("Content-Type %q", rec.Header().Get("Content-Type"))
			}
		})
	}
	// An empty batch is valid.
	rec := postBatch(t, h, batchOf(), nil)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"batch-response"`) {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
}

func TestBatchNested(t *testing.T) {
	b := &Batch{Version: fhir.STU3, Handler: http.NotFoundHandler()}
	r := httptest.NewRequest("POST", "/fhir", strings.NewReader(batchOf()))
	r = r.WithContext(context.WithValue(r.Context(), batchKey{}, 0))
	rec := httptest.NewRecorder()
	b.ServeHTTP(rec, r)
	if rec.Code != 400 {
		t.Fatalf("nested batch: %d", rec.Code)
	}
	// A plain-text 404 from a mux becomes an OperationOutcome entry.
	rec = httptest.NewRecorder()
	b.ServeHTTP(rec, httptest.NewRequest("POST", "/fhir", strings.NewReader(batchOf(get("Nope/1")))))
	if !strings.Contains(rec.Body.String(), `"404 Not Found"`) || !strings.Contains(rec.Body.String(), `"not-found"`) {
		t.Fatalf("%s", rec.Body)
	}
}

func TestBatchCancelled(t *testing.T) {
	h := testChain(t, fhir.STU3, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rec := postBatch(t, h, batchOf(get("Patient/1")), func(r *http.Request) { *r = *r.WithContext(ctx) })
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"503 Service Unavailable"`) {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
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
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"500 Internal Server Error"`) {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if !strings.Contains(logs.String(), "entry=0") {
		t.Errorf("panic not logged: %q", logs.String())
	}
	for _, s := range []string{"Hugh", "1957", "Chau"} {
		if strings.Contains(logs.String(), s) || strings.Contains(rec.Body.String(), s) {
			t.Errorf("patient data %q in log or response", s)
		}
	}
	// A Batch without a handler answers an OperationOutcome instead of panicking.
	rec = httptest.NewRecorder()
	(&Batch{Version: fhir.DSTU2}).ServeHTTP(rec, httptest.NewRequest("POST", "/fhir", strings.NewReader(batchOf())))
	if rec.Code != 500 || !strings.Contains(rec.Body.String(), "OperationOutcome") {
		t.Fatalf("unconfigured: %d", rec.Code)
	}
}
