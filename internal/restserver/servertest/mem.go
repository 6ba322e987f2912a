package servertest

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/patientsfhir/patientsfhir/fhir"
	"github.com/patientsfhir/patientsfhir/internal/restserver"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// MemBackend tests v's in-memory backend (stu3mem, dstu2mem) loaded with
// the fixtures: typed reads and searches that filter, sort and page,
// through the handler with and without the Patients-app profile, the
// official examples and the generic types, and a refused invalid resource.
func MemBackend[B any](t *testing.T, v Version[B]) {
	ctx := context.Background()
	b, err := v.NewMem()
	require.NoError(t, err)
	n := v.Neutral(b)

	p, err := n.Read(ctx, "Patient", "pat-1")
	require.NoError(t, err)
	assert.Equal(t, "pat-1", p.GetID())
	_, err = n.Read(ctx, "Patient", "nope")
	assert.ErrorIs(t, err, fhir.ErrNotFound)

	obs, err := n.Search(ctx, Query{Type: "Observation", Patient: "pat-1",
		Search: parse(t, v, "Observation", "patient=pat-1&category=vital-signs&_sort=-date&_count=5")})
	require.NoError(t, err)
	assert.Equal(t, 48, obs.Total)
	assert.True(t, obs.TotalKnown)
	assert.NotEmpty(t, obs.Next, "a next page")
	require.Len(t, obs.Resources, 5)
	assert.GreaterOrEqual(t, member(t, obs.Resources[0], "effectiveDateTime"), "2025", "the newest vital sign first")

	cov, err := n.Search(ctx, Query{Type: "Coverage", Patient: "pat-1", Search: parse(t, v, "Coverage", "patient=pat-1")})
	require.NoError(t, err)
	assert.Equal(t, 2, cov.Total)

	// Through the handler: the Patients-app profile reads plain family as
	// contains, FHIR's default is starts-with.
	for _, c := range []struct {
		profile bool
		total   int
	}{{true, 2}, {false, 0}} {
		h, err := v.NewHandler(Config[B]{Backend: b, PatientsApp: c.profile, Options: restserver.Options{Logger: Discard()}})
		require.NoError(t, err)
		res := Get(t, h, "/Patient?family=hau")
		assert.Equal(t, http.StatusOK, res.Status, "%s", res.Body)
		assert.Equal(t, c.total, Total(res), "profile %v", c.profile)
	}

	m, ok := any(b).(Mem)
	require.True(t, ok, "%T lacks LoadExamples, Load or Delete", b)
	loaded, err := m.LoadExamples("Patient", "Organization")
	require.NoError(t, err)
	assert.Positive(t, loaded)
	var generic []string
	for _, gt := range n.GenericTypes() {
		generic = append(generic, gt.Type)
	}
	assert.Contains(t, generic, "Organization")
	assert.NotContains(t, generic, "Patient", "a typed type declared generic")
	org, err := n.Read(ctx, "Organization", "org-hospital")
	require.NoError(t, err)
	assert.Equal(t, "Organization", org.ResourceType())

	assert.Error(t, m.Load([]byte(`{"resourceType":"Patient","id":"bad","gender":"f"}`)), "an invalid resource was loaded")
	assert.True(t, m.Delete("Patient", "pat-5"))
	_, err = n.Read(ctx, "Patient", "pat-5")
	assert.ErrorIs(t, err, fhir.ErrNotFound, "a deleted patient")
}

// parse parses query against typ's declared parameters as the server does.
func parse[B any](t testing.TB, v Version[B], typ, query string) fhir.Search {
	t.Helper()
	p, err := fhir.NewParser(v.FHIR, v.Params(typ), nil)
	require.NoError(t, err)
	pairs, err := fhir.ParsePairs(query)
	require.NoError(t, err)
	q, err := p.Parse(pairs, true)
	require.NoError(t, err)
	return fhir.Search{Count: q.Count, CountOnly: q.CountOnly(), Sort: q.Sort, Query: q}
}

// member returns a top-level member of r's JSON.
func member(t testing.TB, r restserver.Resource, name string) any {
	t.Helper()
	b, err := r.MarshalJSON()
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	return m[name]
}
