package peers

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/patientsfhir/patientsfhir/bench/load"
	"github.com/patientsfhir/patientsfhir/examples/sampleehr/population"
)

// TestMain serves when the test binary is started as a Go server, and
// otherwise fails the tests when a goroutine outlives them.
func TestMain(m *testing.M) {
	load.ServeIfChild()
	goleak.VerifyTestMain(m)
}

func TestLuaStringQuotesEverything(t *testing.T) {
	assert.Equal(t, `"a\"b\\c"`, luaString(`a"b\c`))
	assert.Equal(t, `"\010\013\195\169"`, luaString("\n\ré"))
	assert.Equal(t, `"/stu3/Patient?family=x&given=y"`, luaString("/stu3/Patient?family=x&given=y"))
}

func TestWrkRequests(t *testing.T) {
	subjects := []Subject{{ID: "pat-1"}, {ID: "pat-2"}}
	ours := &Server{Name: "ours", Root: "http://127.0.0.1:1", Base: "http://127.0.0.1:1/stu3", ClientID: "app", Secret: "s", Token: "tok"}
	node := &Server{Name: "node", Root: "http://127.0.0.1:2", Base: "http://127.0.0.1:2/3_0_1", Node: true}
	var vitals, appPattern, tokenOnly, batch Search
	for _, q := range Searches {
		switch q.Name {
		case "Observation vital signs":
			vitals = q
		case "token + vital signs":
			appPattern = q
		case "token":
			tokenOnly = q
		case "batch of the six":
			batch = q
		}
	}
	got := wrkRequests(ours, vitals, subjects)
	require.Len(t, got, 2)
	assert.Equal(t, wrkRequest{method: "GET", path: "/stu3/Observation?patient=pat-1&_sort:desc=date&category=vital-signs", bearer: "tok"}, got[0])
	got = wrkRequests(node, vitals, subjects)
	assert.Equal(t, "/3_0_1/Observation?patient=pat-2&_sort:desc=date&category=vital-signs", got[1].path)

	got = wrkRequests(ours, appPattern, subjects)
	require.Len(t, got, 4, "a token before every search")
	assert.Equal(t, "/token", got[0].path)
	assert.Empty(t, got[0].bearer)
	assert.Contains(t, got[0].body, "client_secret=s")
	assert.Equal(t, "tok", got[1].bearer)

	got = wrkRequests(ours, tokenOnly, subjects)
	assert.Equal(t, "/token", got[0].path)
	assert.Empty(t, got[0].bearer, "a bearer token on a token request is a second client authentication")

	got = wrkRequests(ours, batch, subjects)
	assert.Equal(t, "/stu3", got[0].path)
	assert.True(t, json.Valid([]byte(got[0].body)))
	assert.Contains(t, wrkScript(got), `"POST", "/stu3"`)
}

func TestRequestsAreWhatTheFloorCaptures(t *testing.T) {
	reqs := Requests([]Subject{{ID: "pat-1", Family: "Lee", Given: "Sam", MRN: "m1"}})
	var uris []string
	for _, r := range reqs {
		uris = append(uris, r.Method+" "+r.URI)
		assert.True(t, strings.HasPrefix(r.URI, "/stu3"), r.URI)
	}
	assert.Contains(t, uris, "GET /stu3/Patient?family=Lee&given=Sam")
	assert.Contains(t, uris, "POST /stu3")
	assert.NotContains(t, uris, "POST /token", "the floor answers the token endpoint from one captured token")
}

func TestTableMedianAndRatios(t *testing.T) {
	var tb Table
	for _, tp := range []float64{100, 300, 200} {
		tb.Add(Run{Server: "a", Search: "s", Conns: 2, Throughput: tp, P99: time.Duration(tp) * time.Millisecond, CPU: time.Duration(tp)})
	}
	m, ok := tb.Median("s", "a", 2)
	require.True(t, ok)
	assert.Equal(t, 200.0, m.Throughput)
	assert.Equal(t, 200*time.Millisecond, m.P99)
	_, ok = tb.Median("s", "a", 16)
	assert.False(t, ok)
	assert.Equal(t, "2.00×", cpuRatio(200, 100))
	assert.Equal(t, "n/a", cpuRatio(0, 100))

	tb.Add(Run{Server: "node-fhir-server-core", Search: "Patient/{id}", Conns: 2, Throughput: 100, CPU: 1000 * time.Microsecond})
	tb.Add(Run{Server: "ours", Search: "Patient/{id}", Conns: 2, Throughput: 1000, CPU: 100 * time.Microsecond})
	var out bytes.Buffer
	tb.Write(&out, []*Server{{Name: "node-fhir-server-core", Node: true}, {Name: "ours"}}, []int{2})
	assert.Contains(t, out.String(), "| Patient/{id} | 100 (0.00; 1000 µs) | 1000 (0.00; 100 µs) | 10.0× (CPU 10.00×; p99 better) |")
}

func TestTreeCPUCountsThisProcess(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	end := time.Now().Add(50 * time.Millisecond)
	for time.Now().Before(end) {
	}
	assert.Positive(t, TreeCPU(os.Getpid()))
	assert.Zero(t, TreeCPU(-1))
}

func TestExportGroupsByType(t *testing.T) {
	pop, err := population.New(population.Options{Tenant: load.Tenant, Patients: 3})
	require.NoError(t, err)
	var b bytes.Buffer
	require.NoError(t, Export(pop, &b))
	var data map[string][]map[string]any
	require.NoError(t, json.Unmarshal(b.Bytes(), &data))
	require.Len(t, data["Patient"], 3)
	for typ, rs := range data {
		for _, r := range rs {
			assert.Equal(t, typ, r["resourceType"])
		}
	}
	assert.NotEmpty(t, data["Observation"])
	assert.Equal(t, Subjects(pop, 3)[0].ID, data["Patient"][0]["id"])
}
