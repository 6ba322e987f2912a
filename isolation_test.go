package patientsfhir_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/patientsfhir/patientsfhir"
	"github.com/patientsfhir/patientsfhir/auth"
	"github.com/patientsfhir/patientsfhir/dstu2"
	"github.com/patientsfhir/patientsfhir/dstu2/dstu2mem"
	"github.com/patientsfhir/patientsfhir/routing"
	"github.com/patientsfhir/patientsfhir/stu3"
	"github.com/patientsfhir/patientsfhir/stu3/stu3mem"
)

// isoTenant is one tenant of the isolation test: its GUID and the marker
// word every one of its resources carries (in names, identifiers and
// codes), so a response that holds another tenant's data is found by a
// substring search of the body.
type isoTenant struct {
	id, marker string
}

var isoTenants = []isoTenant{
	{"a0000000-0000-4000-8000-00000000000a", "amberwolf"},
	{"b0000000-0000-4000-8000-00000000000b", "cobaltowl"},
	{"c0000000-0000-4000-8000-00000000000c", "crimsonfox"},
}

// Every tenant has the same patient ids (p-1 ... p-isoPatients) and the
// same observation ids: only the tenant tells them apart.
const isoPatients = 12

// isoData loads one tenant's population into both versions' in-memory
// backends: patients named "Lee<marker>" with MRN "<marker>-<n>", and
// n+2 vital signs each.
func isoData(t *testing.T, tn isoTenant) (*stu3mem.Backend, *dstu2mem.Backend) {
	t.Helper()
	b3, b2 := stu3mem.New(), dstu2mem.New()
	for n := 1; n <= isoPatients; n++ {
		id := fmt.Sprintf("p-%d", n)
		ident := fmt.Sprintf(`"identifier":[{"type":{"coding":[{"system":"http://hl7.org/fhir/v2/0203","code":"MR"}]},"system":"urn:mrn","value":"%s-%d"}]`, tn.marker, n)
		require.NoError(t, b3.Load(fmt.Appendf(nil, `{"resourceType":"Patient","id":"%s",%s,"name":[{"family":"Lee%s","given":["Sam"]}],"gender":"female","birthDate":"1980-01-%02d"}`, id, ident, tn.marker, n)))
		require.NoError(t, b2.Load(fmt.Appendf(nil, `{"resourceType":"Patient","id":"%s",%s,"name":[{"family":["Lee%s"],"given":["Sam"]}],"gender":"female","birthDate":"1980-01-%02d"}`, id, ident, tn.marker, n)))
		for k := 1; k <= n+2; k++ {
			code := fmt.Sprintf(`"code":{"coding":[{"system":"http://loinc.org","code":"8867-4","display":"Heart rate"}],"text":"heart rate %s"}`, tn.marker)
			when := fmt.Sprintf(`"effectiveDateTime":"20%02d-03-01T10:00:00Z"`, 10+k)
			value := fmt.Sprintf(`"valueQuantity":{"value":%d,"unit":"/min","system":"http://unitsofmeasure.org","code":"/min"}`, 60+k)
			cat := `{"coding":[{"system":"http://hl7.org/fhir/observation-category","code":"vital-signs"}]}`
			require.NoError(t, b3.Load(fmt.Appendf(nil, `{"resourceType":"Observation","id":"o-%d-%d","status":"final","category":[%s],%s,"subject":{"reference":"Patient/%s"},%s,%s}`, n, k, cat, code, id, when, value)))
			require.NoError(t, b2.Load(fmt.Appendf(nil, `{"resourceType":"Observation","id":"o-%d-%d","status":"final","category":%s,%s,"subject":{"reference":"Patient/%s"},%s,%s}`, n, k, cat, code, id, when, value)))
		}
	}
	return b3, b2
}

// isoServer is the service under test: three tenants behind the real token
// endpoint, each routed to its own backends through the tenant registry
// (routing.Directory and routing.Registry), the one tenant truth of tokens
// and data.
type isoServer struct {
	srv *patientsfhir.Server
	ts  *httptest.Server
	dir *routing.Directory
	now atomic.Pointer[time.Time]
}

func newIsoServer(t *testing.T) *isoServer {
	t.Helper()
	s := &isoServer{}
	start := time.Now()
	s.now.Store(&start)
	ctx := context.Background()
	var err error
	s.dir, err = routing.NewDirectory(ctx, routing.DirectoryConfig{Store: routing.NewMemoryStore()})
	require.NoError(t, err)
	p3, p2 := map[string]routing.Provider[stu3.Backend]{}, map[string]routing.Provider[dstu2.Backend]{}
	for _, tn := range isoTenants {
		b3, b2 := isoData(t, tn)
		p3["ehr-"+tn.marker], p2["ehr-"+tn.marker] = routing.Fixed[stu3.Backend](b3), routing.Fixed[dstu2.Backend](b2)
		_, err := s.dir.Add(ctx, routing.Tenant{ID: tn.id, Name: tn.marker, Backend: "ehr-" + tn.marker, State: routing.StateActive})
		require.NoError(t, err)
	}
	r3, err := routing.NewRegistry(s.dir, p3)
	require.NoError(t, err)
	r2, err := routing.NewRegistry(s.dir, p2)
	require.NoError(t, err)
	s.ts = httptest.NewUnstartedServer(nil)
	s.ts.Start()
	t.Cleanup(s.ts.Close)
	s.srv, err = patientsfhir.New(ctx, patientsfhir.Config{
		PublicURL: s.ts.URL,
		Auth:      auth.Config{SealKey: bytes.Repeat([]byte{9}, 32), Insecure: true, Now: func() time.Time { return *s.now.Load() }},
		Store:     auth.NewMemoryStore(),
		STU3:      &stu3.Config{Profile: stu3.PatientsApp(), Serve: []string{"Patient", "Observation"}, Router: r3},
		DSTU2:     &dstu2.Config{Profile: dstu2.PatientsApp(), Serve: []string{"Patient", "Observation"}, Router: r2},
		Logger:    quiet(),
	})
	require.NoError(t, err)
	s.ts.Config.Handler = s.srv
	return s
}

// token gets a tenant's access token through the real token endpoint with
// golang.org/x/oauth2's client-credentials flow.
func (s *isoServer) token(t *testing.T, clientID, secret, tenant string) string {
	t.Helper()
	cc := clientcredentials.Config{ClientID: clientID, ClientSecret: secret, TokenURL: s.ts.URL + "/token", Scopes: []string{tenant}}
	tok, err := cc.Token(context.Background())
	require.NoError(t, err)
	return tok.AccessToken
}

// isoResult is one response.
type isoResult struct {
	status int
	body   string
	json   map[string]any
	header http.Header
}

func (s *isoServer) do(method, target, token, ctype, body string) isoResult {
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	if ctype != "" {
		r.Header.Set("Content-Type", ctype)
	}
	w := httptest.NewRecorder()
	s.srv.ServeHTTP(w, r)
	res := isoResult{status: w.Code, body: w.Body.String(), header: w.Header()}
	_ = json.Unmarshal(w.Body.Bytes(), &res.json)
	return res
}

// forge returns tok with its payload's tenant replaced by another's and
// the signature kept: a token no key signed.
func forge(tok, from, to string) string {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return tok + "x"
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return tok + "x"
	}
	parts[1] = base64.RawURLEncoding.EncodeToString(bytes.ReplaceAll(payload, []byte(from), []byte(to)))
	return strings.Join(parts, ".")
}

// TestTenantIsolation drives the whole service (token endpoint, verifier,
// router, both versions) with a random mix of at least 10,000 requests
// from three tenants whose patients and observations have the same ids:
// reads, GET and POST searches, batches, next links followed by their own
// tenant and replayed by another, tampered cursors, tokens of each tenant,
// expired and forged tokens, and a tenant disabled half-way. No response
// may carry another tenant's data, and every refusal must have the right
// status and an OperationOutcome.
func TestTenantIsolation(t *testing.T) {
	n := 10000
	if testing.Short() {
		n = 2000
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	s := newIsoServer(t)
	ctx := context.Background()

	// One client per tenant, registered for that tenant only.
	tokens := map[string]string{}
	secrets := map[string]string{}
	for _, tn := range isoTenants {
		_, secret, err := s.srv.Auth().Registry().CreateClient(ctx, auth.NewClient{ID: "app-" + tn.marker, Tenants: []string{tn.id}}, "test")
		require.NoError(t, err)
		secrets[tn.id] = secret
		tokens[tn.id] = s.token(t, "app-"+tn.marker, secret, tn.id)
	}
	// A client may not ask for another tenant's scope.
	_, err := (&clientcredentials.Config{ClientID: "app-amberwolf", ClientSecret: secrets[isoTenants[0].id],
		TokenURL: s.ts.URL + "/token", Scopes: []string{isoTenants[1].id}}).Token(ctx)
	assert.ErrorContains(t, err, "invalid_scope")

	// An expired token: minted an hour ago with the clock of that time.
	past := time.Now().Add(-time.Hour)
	s.now.Store(&past)
	expired := s.token(t, "app-amberwolf", secrets[isoTenants[0].id], isoTenants[0].id)
	now := time.Now()
	s.now.Store(&now)

	markerOf := map[string]string{}
	for _, tn := range isoTenants {
		markerOf[tn.id] = tn.marker
	}
	// nextLinks remembers next links per tenant, to follow and to replay.
	nextLinks := map[string][]string{}
	bases := []string{"/stu3", "/dstu2"}
	mime := map[string]string{"/stu3": "application/fhir+json", "/dstu2": "application/json+fhir"}
	disabledTenant := isoTenants[2].id
	stats := map[string]int{}

	// Links echo the caller's own query (a search for another tenant's
	// word is the caller's input, not data): scan the body without them.
	links := regexp.MustCompile(`"url":"[^"]*"`)
	leak := func(res isoResult, self string) {
		t.Helper()
		body := links.ReplaceAllString(res.body, "")
		for _, tn := range isoTenants {
			if tn.id != self {
				require.NotContains(t, body, tn.marker, "LEAK: a response (%d) to tenant %s holds data of %s", res.status, markerOf[self], tn.marker)
			}
		}
	}
	outcome := func(res isoResult, status int, code, what string) {
		t.Helper()
		require.Equal(t, status, res.status, "%s: %.300s", what, res.body)
		assert.Equal(t, "OperationOutcome", res.json["resourceType"], "%s: %.300s", what, res.body)
		issues, _ := res.json["issue"].([]any)
		if assert.Len(t, issues, 1, what) {
			assert.Equal(t, code, issues[0].(map[string]any)["code"], "%s: %.300s", what, res.body)
		}
	}

	for i := range n {
		if i == n/2 {
			// The operator disables a tenant: its existing tokens stop
			// working at once (401), and it gets no new ones.
			require.NoError(t, s.dir.Disable(ctx, disabledTenant))
			_, err := (&clientcredentials.Config{ClientID: "app-crimsonfox", ClientSecret: secrets[disabledTenant],
				TokenURL: s.ts.URL + "/token", Scopes: []string{disabledTenant}}).Token(ctx)
			assert.ErrorContains(t, err, "invalid_scope", "a disabled tenant gets no token")
		}
		tn := isoTenants[rng.IntN(len(isoTenants))]
		tok := tokens[tn.id]
		base := bases[rng.IntN(2)]
		off := i >= n/2 && tn.id == disabledTenant
		k := 1 + rng.IntN(isoPatients+3) // p-13 ... p-15 exist in no tenant
		pid, exists := fmt.Sprintf("p-%d", k), k <= isoPatients

		switch rng.IntN(10) {
		case 0, 1: // read
			stats["read"]++
			res := s.do("GET", base+"/Patient/"+pid, tok, "", "")
			leak(res, tn.id)
			switch {
			case off:
				outcome(res, 401, "login", "read by a disabled tenant")
			case exists:
				require.Equal(t, 200, res.status, res.body)
				assert.Contains(t, res.body, tn.marker)
			default:
				outcome(res, 404, "not-found", "read of a missing patient")
			}
		case 2: // GET search by family (contains) or identifier
			stats["search"]++
			q := "family=lee"
			if rng.IntN(2) == 0 {
				q = "identifier=" + url.QueryEscape(fmt.Sprintf("%s-%d", tn.marker, 1+rng.IntN(isoPatients)))
			}
			res := s.do("GET", base+"/Patient?"+q, tok, "", "")
			leak(res, tn.id)
			if off {
				outcome(res, 401, "login", "search by a disabled tenant")
				continue
			}
			require.Equal(t, 200, res.status, res.body)
			assert.Equal(t, "searchset", res.json["type"])
		case 3: // POST _search naming another tenant's marker finds nothing
			stats["post"]++
			other := isoTenants[rng.IntN(len(isoTenants))]
			res := s.do("POST", base+"/Patient/_search", tok, "application/x-www-form-urlencoded", "family="+other.marker)
			leak(res, tn.id)
			if off {
				outcome(res, 401, "login", "POST search by a disabled tenant")
				continue
			}
			require.Equal(t, 200, res.status, res.body)
			want := 0.0
			if other.id == tn.id {
				want = isoPatients
			}
			assert.Equal(t, want, res.json["total"], "family=%s for %s", other.marker, tn.marker)
		case 4, 5: // vitals, newest first, a page of 2; remember the next link
			stats["vitals"]++
			res := s.do("GET", base+"/Observation?patient="+pid+"&_sort=-date&_count=2", tok, "", "")
			leak(res, tn.id)
			if off {
				outcome(res, 401, "login", "vitals of a disabled tenant")
				continue
			}
			require.Equal(t, 200, res.status, res.body)
			if next := nextLink(res.json); next != "" {
				nextLinks[tn.id] = append(nextLinks[tn.id], strings.TrimPrefix(next, s.ts.URL))
			}
		case 6: // follow a next link: by its tenant, by another, tampered
			links := nextLinks[tn.id]
			if len(links) == 0 {
				continue
			}
			link := links[rng.IntN(len(links))]
			switch rng.IntN(3) {
			case 0:
				stats["next-own"]++
				res := s.do("GET", link, tok, "", "")
				leak(res, tn.id)
				if off {
					outcome(res, 401, "login", "next page of a disabled tenant")
					continue
				}
				require.Equal(t, 200, res.status, res.body)
				assert.Contains(t, res.body, tn.marker)
			case 1:
				stats["next-replayed"]++
				other := isoTenants[rng.IntN(len(isoTenants))]
				if other.id == tn.id || other.id == disabledTenant && i >= n/2 {
					continue
				}
				res := s.do("GET", link, tokens[other.id], "", "")
				leak(res, other.id)
				outcome(res, 400, "invalid", "a next link replayed by another tenant")
			default:
				stats["next-tampered"]++
				u, err := url.Parse(link)
				require.NoError(t, err)
				q := u.Query()
				c := []byte(q.Get("_cursor"))
				if len(c) == 0 {
					continue
				}
				c[rng.IntN(len(c))] ^= 0x01
				q.Set("_cursor", string(c))
				u.RawQuery = q.Encode()
				res := s.do("GET", u.String(), tok, "", "")
				leak(res, tn.id)
				if off {
					continue // refused either way; the status depends on which check runs first
				}
				outcome(res, 400, "invalid", "a tampered cursor")
			}
		case 7: // a batch of a read and two searches
			stats["batch"]++
			batch := `{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","url":"Patient/` + pid + `"}},` +
				`{"request":{"method":"GET","url":"Observation?patient=` + pid + `&_sort:desc=date&_count=3"}},` +
				`{"request":{"method":"POST","url":"Patient/_search?family=lee"}}]}`
			res := s.do("POST", base, tok, mime[base], batch)
			leak(res, tn.id)
			if off {
				outcome(res, 401, "login", "batch of a disabled tenant")
				continue
			}
			require.Equal(t, 200, res.status, res.body)
			assert.Equal(t, "batch-response", res.json["type"])
		case 8: // an expired or a forged token, or none
			stats["bad-token"]++
			other := isoTenants[rng.IntN(len(isoTenants))]
			var bad string
			switch rng.IntN(4) {
			case 0:
				bad = expired
			case 1:
				bad = forge(tok, tn.id, other.id)
				if other.id == tn.id {
					bad = forge(tok, `"exp":`, `"exp":1`)
				}
			case 2:
				h := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"at+jwt"}`))
				bad = h + "." + strings.Split(tok, ".")[1] + "."
			default:
				bad = ""
			}
			res := s.do("GET", base+"/Patient/"+pid, bad, "", "")
			leak(res, "")
			outcome(res, 401, "login", "a bad token")
			assert.Contains(t, res.header.Get("WWW-Authenticate"), "Bearer")
		default: // the capability statement needs no token and holds no data
			stats["metadata"]++
			res := s.do("GET", base+"/metadata", "", "", "")
			leak(res, "")
			require.Equal(t, 200, res.status)
		}
	}
	t.Logf("%d requests: %v", n, stats)
	for _, k := range []string{"read", "search", "post", "vitals", "next-own", "next-replayed", "next-tampered", "batch", "bad-token"} {
		assert.Positive(t, stats[k], "the mix covered %s", k)
	}
}

func nextLink(bundle map[string]any) string {
	links, _ := bundle["link"].([]any)
	for _, l := range links {
		if m, _ := l.(map[string]any); m["relation"] == "next" {
			s, _ := m["url"].(string)
			return s
		}
	}
	return ""
}
