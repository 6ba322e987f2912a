package observe_test

import (
	"os"
	"regexp"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patientsfhir/patientsfhir/observe"
)

// The queries docs/operations.md offers operators (queries.promql) name
// only metrics the module registers, so a renamed metric breaks this test
// rather than an operator's dashboard.
func TestQueriesNameRegisteredMetrics(t *testing.T) {
	src, err := os.ReadFile("queries.promql")
	require.NoError(t, err)
	reg := prometheus.NewRegistry()
	m, err := observe.NewMetrics(reg)
	require.NoError(t, err)
	// Touch every vector so that Gather lists it.
	m.Requests.WithLabelValues("stu3", "read", "Patient", "200").Inc()
	m.RequestDuration.WithLabelValues("stu3", "search-type", "Patient").Observe(0.01)
	m.WatchCache("verifier", func() (uint64, uint64) { return 1, 0 })
	families, err := reg.Gather()
	require.NoError(t, err)
	known := map[string]bool{}
	for _, f := range families {
		known[f.GetName()] = true
		known[f.GetName()+"_bucket"] = true
	}
	names := regexp.MustCompile(`patientsfhir_[a-z_]+`).FindAllString(string(src), -1)
	require.NotEmpty(t, names)
	for _, n := range names {
		assert.True(t, known[n], "queries.promql names %s, which no metric is", n)
	}
}
