package upstream_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patientsfhir/patientsfhir/auth"
	"github.com/patientsfhir/patientsfhir/capability"
	"github.com/patientsfhir/patientsfhir/dstu2"
	"github.com/patientsfhir/patientsfhir/dstu2/dstu2mem"
	"github.com/patientsfhir/patientsfhir/dstu2/dstu2proxy"
	"github.com/patientsfhir/patientsfhir/dstu2/dstu2test"
	"github.com/patientsfhir/patientsfhir/internal/fhirschema"
	"github.com/patientsfhir/patientsfhir/stu3"
	"github.com/patientsfhir/patientsfhir/stu3/stu3mem"
	"github.com/patientsfhir/patientsfhir/stu3/stu3proxy"
	"github.com/patientsfhir/patientsfhir/stu3/stu3test"
	"github.com/patientsfhir/patientsfhir/upstream"
)

// The two demo tenants.
const (
	tenantA = "11111111-2222-4333-8444-555555555555"
	tenantB = "66666666-7777-4888-9999-000000000000"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// flavor is what the tests need of one FHIR version.
type flavor struct {
	name, base, mime, schema string
	// upstream serves the fixture patients (all without any) from the
	// in-memory backend, without authentication, at base.
	upstream func(t testing.TB, patients ...string) http.Handler
	// proxy serves each tenant from the upstream its Config names, at
	// base; with one upstream and no tenants it serves every request from
	// it (no authentication).
	proxy func(t testing.TB, upstreams map[string]upstream.Config, tenants map[string]string) http.Handler
	// kit runs the version's conformance kit against h.
	kit func(t *testing.T, h http.Handler)
}

var flavors = []flavor{
	{name: "STU3", base: "/stu3", mime: "application/fhir+json", schema: fhirschema.STU3,
		upstream: func(t testing.TB, patients ...string) http.Handler {
			b, err := stu3mem.NewWithFixtures(patients...)
			require.NoError(t, err)
			if len(patients) == 0 {
				_, err = b.LoadExamples()
				require.NoError(t, err)
			}
			h, err := stu3.NewHandler(stu3.Config{Backend: b, BasePath: "/stu3", Profile: stu3.PatientsApp(), Logger: quiet})
			require.NoError(t, err)
			return h
		},
		proxy: func(t testing.TB, ups map[string]upstream.Config, tenants map[string]string) http.Handler {
			set, err := stu3proxy.NewSet(ups)
			require.NoError(t, err)
			t.Cleanup(set.Close)
			cfg := stu3.Config{BasePath: "/stu3", Profile: stu3.PatientsApp(), Logger: quiet,
				Security: &capability.Security{TokenURL: "https://proxy.example.org/token"}}
			if tenants == nil {
				cfg.Backend, _ = set.Backend(set.Names()[0])
			} else {
				cfg.Router, err = set.Static(tenants)
				require.NoError(t, err)
			}
			h, err := stu3.NewHandler(cfg)
			require.NoError(t, err)
			return h
		},
		kit: func(t *testing.T, h http.Handler) {
			stu3test.Run(t, h, stu3test.TestData{PatientID: "pat-1", Family: "Chau", Given: "Hugh", BirthDate: "1957-06-05",
				Gender: "male", MRN: "1234567", MRNSystem: "http://hospital.example.org/mrn"}, stu3test.Options{
				Base: "/stu3", Authorize: func(r *http.Request) { r.Header.Set("Authorization", "Bearer test") },
				Schema: func(b []byte) error { return fhirschema.ValidateStrict(fhirschema.STU3, b) }})
		}},
	{name: "DSTU2", base: "/dstu2", mime: "application/json+fhir", schema: fhirschema.DSTU2,
		upstream: func(t testing.TB, patients ...string) http.Handler {
			b, err := dstu2mem.NewWithFixtures(patients...)
			require.NoError(t, err)
			if len(patients) == 0 {
				_, err = b.LoadExamples()
				require.NoError(t, err)
			}
			h, err := dstu2.NewHandler(dstu2.Config{Backend: b, BasePath: "/dstu2", Profile: dstu2.PatientsApp(), Logger: quiet})
			require.NoError(t, err)
			return h
		},
		proxy: func(t testing.TB, ups map[string]upstream.Config, tenants map[string]string) http.Handler {
			set, err := dstu2proxy.NewSet(ups)
			require.NoError(t, err)
			t.Cleanup(set.Close)
			cfg := dstu2.Config{BasePath: "/dstu2", Profile: dstu2.PatientsApp(), Logger: quiet,
				Security: &capability.Security{TokenURL: "https://proxy.example.org/token"}}
			if tenants == nil {
				cfg.Backend, _ = set.Backend(set.Names()[0])
			} else {
				cfg.Router, err = set.Static(tenants)
				require.NoError(t, err)
			}
			h, err := dstu2.NewHandler(cfg)
			require.NoError(t, err)
			return h
		},
		kit: func(t *testing.T, h http.Handler) {
			dstu2test.Run(t, h, dstu2test.TestData{PatientID: "pat-1", Family: "Chau", Given: "Hugh", BirthDate: "1957-06-05",
				Gender: "male", MRN: "1234567", MRNSystem: "http://hospital.example.org/mrn"}, dstu2test.Options{
				Base: "/dstu2", Authorize: func(r *http.Request) { r.Header.Set("Authorization", "Bearer test") },
				Schema: func(b []byte) error { return fhirschema.ValidateStrict(fhirschema.DSTU2, b) }})
		}},
}

// serve starts h on loopback and returns the base URL of the FHIR
// endpoint (server URL + base path).
func serve(t testing.TB, h http.Handler, base string) (*httptest.Server, string) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, srv.URL + base
}

// single is a proxy serving every request from one upstream.
func (f flavor) single(t testing.TB, cfg upstream.Config) http.Handler {
	return f.proxy(t, map[string]upstream.Config{"up": cfg}, nil)
}

// as sends requests to h as a tenant's verified token would.
func as(tenant string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(auth.ContextWithPrincipal(r.Context(), &auth.Principal{TenantID: tenant})))
	})
}

// result is a response, decoded.
type result struct {
	status int
	ctype  string
	body   []byte
	json   map[string]any
}

func get(t testing.TB, h http.Handler, target string) result {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
	res := result{status: rec.Code, ctype: rec.Header().Get("Content-Type"), body: rec.Body.Bytes()}
	_ = json.Unmarshal(res.body, &res.json)
	return res
}

func ids(res result) []string {
	var out []string
	entries, _ := res.json["entry"].([]any)
	for _, e := range entries {
		r, _ := e.(map[string]any)["resource"].(map[string]any)
		out = append(out, r["id"].(string))
	}
	return out
}

func link(res result, rel string) string {
	links, _ := res.json["link"].([]any)
	for _, l := range links {
		m := l.(map[string]any)
		if m["relation"] == rel {
			return m["url"].(string)
		}
	}
	return ""
}

// The conformance kit of each version passes against the proxy in front of
// the module's own server with the in-memory backend: every response valid
// against the official schema, paging through the proxy's own links.
func TestConformanceKitsPassThroughTheProxy(t *testing.T) {
	for _, f := range flavors {
		t.Run(f.name, func(t *testing.T) {
			_, base := serve(t, f.upstream(t), f.base)
			f.kit(t, f.single(t, upstream.Config{BaseURL: base}))
		})
	}
}

// Two tenants, two upstreams: each tenant reads its own upstream's
// patients and no other's.
func TestTenantsReachTheirOwnUpstream(t *testing.T) {
	for _, f := range flavors {
		t.Run(f.name, func(t *testing.T) {
			_, a := serve(t, f.upstream(t, "pat-1", "pat-2"), f.base)
			_, b := serve(t, f.upstream(t, "pat-3", "pat-4", "pat-5"), f.base)
			h := f.proxy(t, map[string]upstream.Config{"hospital-a": {BaseURL: a}, "hospital-b": {BaseURL: b}},
				map[string]string{tenantA: "hospital-a", tenantB: "hospital-b"})
			assert.Equal(t, 200, get(t, as(tenantA, h), f.base+"/Patient/pat-1").status)
			assert.Equal(t, 404, get(t, as(tenantA, h), f.base+"/Patient/pat-3").status)
			assert.Equal(t, 200, get(t, as(tenantB, h), f.base+"/Patient/pat-3").status)
			assert.Equal(t, 404, get(t, as(tenantB, h), f.base+"/Patient/pat-1").status)
			assert.Equal(t, 403, get(t, as("99999999-2222-4333-8444-555555555555", h), f.base+"/Patient/pat-1").status)

			res := get(t, as(tenantA, h), f.base+"/Patient?family=chau")
			require.Equal(t, 200, res.status)
			assert.Equal(t, []string{"pat-1"}, ids(res), "pat-4 Chauvin lives on the other upstream")
			res = get(t, as(tenantB, h), f.base+"/Patient?family=chau")
			assert.Equal(t, []string{"pat-4"}, ids(res))
		})
	}
}

// Paging goes through the proxy's own cursors: every link is on the
// proxy's base, carries nothing of the upstream, and walks the whole
// search; a cursor is bound to its tenant.
func TestPagingThroughTheProxy(t *testing.T) {
	for _, f := range flavors {
		t.Run(f.name, func(t *testing.T) {
			upSrv, a := serve(t, f.upstream(t, "pat-1", "pat-2"), f.base)
			_, b := serve(t, f.upstream(t, "pat-1", "pat-2"), f.base)
			h := f.proxy(t, map[string]upstream.Config{"hospital-a": {BaseURL: a}, "hospital-b": {BaseURL: b}},
				map[string]string{tenantA: "hospital-a", tenantB: "hospital-b"})
			search := "/Observation?patient=pat-1&category=vital-signs&_sort=-date"
			full := get(t, as(tenantA, h), f.base+search+"&_count=200")
			require.Equal(t, 200, full.status)
			want := ids(full)
			require.Len(t, want, 48)

			upHost := strings.TrimPrefix(upSrv.URL, "http://")
			var got []string
			next := f.base + search + "&_count=5"
			for page := 0; next != ""; page++ {
				require.Less(t, page, 20)
				res := get(t, as(tenantA, h), next)
				require.Equal(t, 200, res.status, string(res.body))
				assert.NoError(t, fhirschema.ValidateStrict(f.schema, res.body))
				assert.NotContains(t, string(res.body), upHost, "nothing of the upstream's address")
				assert.EqualValues(t, 48, res.json["total"])
				got = append(got, ids(res)...)
				next = link(res, "next")
				if next != "" {
					u, err := url.Parse(next)
					require.NoError(t, err)
					assert.Equal(t, "example.com", u.Host, "the proxy's own base")
					next = u.RequestURI()
					if page == 1 {
						// The same cursor for another tenant is refused.
						other := get(t, as(tenantB, h), next)
						assert.Equal(t, 400, other.status)
						// So is a tampered one.
						tampered := strings.Replace(next, "_cursor=", "_cursor=A", 1)
						assert.Equal(t, 400, get(t, as(tenantA, h), tampered).status)
					}
				}
			}
			assert.Equal(t, want, got, "the pages give the unpaged search, in order")
		})
	}
}

// misbehaving is one kind of broken upstream and what the client must get.
type misbehaving struct {
	name    string
	handler func(f flavor, other string) http.HandlerFunc
	target  string
	status  int
	hidden  []string // never in the response
}

// answer writes body as the version's FHIR JSON.
func answer(f flavor, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", f.mime)
		_, _ = io.WriteString(w, body)
	}
}

const stackTrace = "java.lang.NullPointerException\n\tat org.hospital.fhir.PatientDao.search(PatientDao.java:42)\n\tat db01.internal.hospital.org"

func searchset(entries ...string) string {
	return `{"resourceType":"Bundle","type":"searchset","total":` + string(rune('0'+len(entries))) + `,"entry":[` + strings.Join(entries, ",") + `]}`
}

func observation(id, patient string) string {
	return `{"resource":{"resourceType":"Observation","id":"` + id + `","status":"final","code":{"text":"Heart rate"},"subject":{"reference":"Patient/` + patient + `"}}}`
}

var misbehavings = []misbehaving{
	{name: "500 with a stack trace", target: "/Patient?family=chau", status: 502, hidden: []string{"NullPointer", "PatientDao", "db01"},
		handler: func(f flavor, _ string) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/plain")
				w.WriteHeader(500)
				_, _ = io.WriteString(w, stackTrace)
			}
		}},
	{name: "50 MB body", target: "/Patient?family=chau", status: 502,
		handler: func(f flavor, _ string) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", f.mime)
				_, _ = io.WriteString(w, `{"resourceType":"Bundle","type":"searchset","entry":[`)
				chunk := bytes.Repeat([]byte(observation("o", "pat-1")+","), 1000)
				for n := 0; n < 50<<20; n += len(chunk) {
					if _, err := w.Write(chunk); err != nil {
						return
					}
				}
			}
		}},
	{name: "another patient's data", target: "/Observation?patient=pat-1", status: 500, hidden: []string{"pat-2"},
		handler: func(f flavor, _ string) http.HandlerFunc {
			return answer(f, searchset(observation("o1", "pat-1"), observation("o2", "pat-2")))
		}},
	{name: "another patient on a read", target: "/Patient/pat-1", status: 500, hidden: []string{"Ruth"},
		handler: func(f flavor, _ string) http.HandlerFunc {
			return answer(f, `{"resourceType":"Patient","id":"pat-2","name":[{"given":["Ruth"]}]}`)
		}},
	{name: "an invalid resource", target: "/Observation?patient=pat-1", status: 500,
		handler: func(f flavor, _ string) http.HandlerFunc {
			return answer(f, searchset(`{"resource":{"resourceType":"Observation","id":"o1","code":{"text":"x"},"subject":{"reference":"Patient/pat-1"}}}`))
		}},
	{name: "an element the models do not know", target: "/Observation?patient=pat-1", status: 502, hidden: []string{"secretField"},
		handler: func(f flavor, _ string) http.HandlerFunc {
			return answer(f, searchset(`{"resource":{"resourceType":"Observation","id":"o1","status":"final","secretField":1,"code":{"text":"x"},"subject":{"reference":"Patient/pat-1"}}}`))
		}},
	{name: "a resource of another type", target: "/Observation?patient=pat-1", status: 502,
		handler: func(f flavor, _ string) http.HandlerFunc {
			return answer(f, searchset(`{"resource":{"resourceType":"Patient","id":"pat-1"}}`))
		}},
	{name: "next link to another host", target: "/Observation?patient=pat-1", status: 502,
		handler: func(f flavor, other string) http.HandlerFunc {
			return answer(f, `{"resourceType":"Bundle","type":"searchset","total":2,"link":[{"relation":"next","url":"`+other+`/Observation?page=2"}],"entry":[`+observation("o1", "pat-1")+`]}`)
		}},
	{name: "redirect to another host", target: "/Patient/pat-1", status: 502,
		handler: func(f flavor, other string) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, other+"/Patient/pat-1", http.StatusFound)
			}
		}},
	{name: "HTML", target: "/Patient/pat-1", status: 502, hidden: []string{"Login"},
		handler: func(f flavor, _ string) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html")
				_, _ = io.WriteString(w, "<h1>Login</h1>")
			}
		}},
	{name: "absolute references", target: "/Observation?patient=pat-1", status: 200, // the upstream's address is in every reference
		handler: func(f flavor, _ string) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				base := "http://" + r.Host + "/fhir"
				answer(f, `{"resourceType":"Bundle","type":"searchset","total":1,"link":[{"relation":"self","url":"`+base+`/Observation"}],"entry":[{"fullUrl":"`+base+`/Observation/o1","resource":{"resourceType":"Observation","id":"o1","status":"final","code":{"text":"x"},"subject":{"reference":"`+base+`/Patient/pat-1"},"performer":[{"reference":"`+base+`/Practitioner/prac-doe"}]}}]}`)(w, r)
			}
		}},
}

// Broken upstreams give OperationOutcomes that show nothing of them:
// neither their address nor what they said.
func TestMisbehavingUpstreams(t *testing.T) {
	for _, f := range flavors {
		for _, m := range misbehavings {
			t.Run(f.name+" "+m.name, func(t *testing.T) {
				var otherHits atomic.Int32
				other, _ := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { otherHits.Add(1) }), "")
				up, _ := serve(t, m.handler(f, other.URL+"/fhir"), "")
				h := f.single(t, upstream.Config{BaseURL: up.URL + "/fhir", MaxResponseBytes: 1 << 20})
				start := time.Now()
				res := get(t, h, f.base+m.target)
				assert.Less(t, time.Since(start), 5*time.Second)
				assert.Equal(t, m.status, res.status, string(res.body))
				assert.True(t, strings.HasPrefix(res.ctype, f.mime), res.ctype)
				assert.NoError(t, fhirschema.ValidateStrict(f.schema, res.body))
				body := string(res.body)
				for _, s := range append(m.hidden, strings.TrimPrefix(up.URL, "http://"), strings.TrimPrefix(other.URL, "http://"), "127.0.0.1") {
					assert.NotContains(t, body, s)
				}
				if m.status != 200 {
					assert.Equal(t, "OperationOutcome", res.json["resourceType"])
				} else {
					assert.Contains(t, body, `"reference":"Patient/pat-1"`)
					assert.Contains(t, body, `"reference":"Practitioner/prac-doe"`)
					assert.Contains(t, body, `"fullUrl":"http://example.com`+f.base+`/Observation/o1"`)
				}
				assert.Zero(t, otherHits.Load(), "the other host is never contacted")
			})
		}
	}
}

// A slow upstream answers 504 within its timeout and ties up only its own
// connections: the other tenant's upstream answers meanwhile.
func TestSlowUpstreamDoesNotHoldUpOthers(t *testing.T) {
	for _, f := range flavors {
		t.Run(f.name, func(t *testing.T) {
			release := make(chan struct{})
			slow, _ := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				select {
				case <-release:
				case <-r.Context().Done():
				}
			}), "")
			defer close(release)
			_, fast := serve(t, f.upstream(t, "pat-3"), f.base)
			h := f.proxy(t, map[string]upstream.Config{
				"slow": {BaseURL: slow.URL + "/fhir", Timeout: 1500 * time.Millisecond, MaxConns: 2},
				"fast": {BaseURL: fast},
			}, map[string]string{tenantA: "slow", tenantB: "fast"})

			var wg sync.WaitGroup
			statuses := make(chan int, 6)
			for range 6 {
				wg.Go(func() { statuses <- get(t, as(tenantA, h), f.base+"/Patient?family=chau").status })
			}
			time.Sleep(50 * time.Millisecond)
			start := time.Now()
			assert.Equal(t, 200, get(t, as(tenantB, h), f.base+"/Patient/pat-3").status)
			assert.Less(t, time.Since(start), time.Second, "the fast upstream answers while the slow one hangs")
			assert.Empty(t, statuses, "the slow requests are still waiting")
			wg.Wait()
			assert.Less(t, time.Since(start), 5*time.Second, "every slow request ends with its timeout")
			close(statuses)
			for s := range statuses {
				assert.Equal(t, 504, s)
			}
		})
	}
}

// The upstream sees this server's credentials, never the client's.
func TestUpstreamSeesOnlyTheProxysCredentials(t *testing.T) {
	for _, f := range flavors {
		t.Run(f.name, func(t *testing.T) {
			inner := f.upstream(t)
			var seen []http.Header
			var mu sync.Mutex
			_, base := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				seen = append(seen, r.Header.Clone())
				mu.Unlock()
				if r.Header.Get("Authorization") != "Bearer upstream-token" {
					w.WriteHeader(http.StatusUnauthorized)
					return
				}
				inner.ServeHTTP(w, r)
			}), f.base)
			h := f.single(t, upstream.Config{BaseURL: base, Auth: upstream.Bearer{Token: "upstream-token"}})
			req := httptest.NewRequest(http.MethodGet, f.base+"/Patient?family=chau", nil)
			req.Header.Set("Authorization", "Bearer client-token")
			req.Header.Set("Cookie", "session=client")
			req.Header.Set("X-Forwarded-For", "10.0.0.1")
			req.Header.Set("Connection", "keep-alive, X-Secret")
			req.Header.Set("X-Secret", "hop")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req.WithContext(context.Background()))
			require.Equal(t, 200, rec.Code, rec.Body.String())
			require.Len(t, seen, 1)
			assert.Equal(t, "Bearer upstream-token", seen[0].Get("Authorization"))
			for _, k := range []string{"Cookie", "X-Forwarded-For", "X-Secret"} {
				assert.Empty(t, seen[0].Get(k), k)
			}
		})
	}
}
