package servertest

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/patientsfhir/patientsfhir/fhir"
	"github.com/patientsfhir/patientsfhir/internal/fixtures"
	"github.com/patientsfhir/patientsfhir/internal/restserver"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// orgEHR holds Organizations only, served through the generic fallback
// with a name parameter, and (wrongly) answers a read of Organization
// "imposter" with a Patient.
type orgEHR struct {
	types    []restserver.GenericType
	orgs     []restserver.Resource
	names    map[string]string
	imposter restserver.Resource
}

func newOrgEHR[B any](t testing.TB, v Version[B]) *orgEHR {
	t.Helper()
	o := &orgEHR{names: map[string]string{},
		types: []restserver.GenericType{{Type: "Organization", Read: true, Search: true,
			Params: []fhir.SearchParam{{Name: "name", Type: fhir.TypeString, Path: "Organization.name"}}}}}
	rs, err := fixtures.OfType(v.Fixtures, "Organization")
	require.NoError(t, err)
	for _, r := range rs {
		res, err := v.Decode(r.JSON)
		require.NoError(t, err)
		var named struct{ Name string }
		require.NoError(t, json.Unmarshal(r.JSON, &named))
		o.orgs, o.names[r.ID] = append(o.orgs, res), named.Name
	}
	o.imposter, err = v.Decode([]byte(`{"resourceType":"Patient","id":"imposter"}`))
	require.NoError(t, err)
	return o
}

func (o *orgEHR) GenericTypes() []restserver.GenericType { return o.types }

func (o *orgEHR) Read(ctx context.Context, typ, id string) (restserver.Resource, error) {
	if typ == "Organization" && id == "imposter" {
		return o.imposter, nil
	}
	for _, r := range o.orgs {
		if r.ResourceType() == typ && r.GetID() == id {
			return r, nil
		}
	}
	return nil, fhir.ErrNotFound
}

func (o *orgEHR) Search(ctx context.Context, q Query) (fhir.Page[restserver.Resource], error) {
	out := fhir.Page[restserver.Resource]{TotalKnown: true}
	for _, r := range o.orgs {
		if r.ResourceType() == q.Type && q.IDs.Match(r.GetID()) && q.Query.Strings("name").Match(o.names[r.GetID()]) {
			out.Resources = append(out.Resources, r)
		}
	}
	out.Total = len(out.Resources)
	return out, nil
}

// genericFallback: a type without a typed interface is served by the
// backend's GenericBackend, with its declared parameters and the same
// output checks; a generic type the version does not have is refused at
// start-up.
func genericFallback[B any](t *testing.T, v Version[B]) {
	orgs := newOrgEHR(t, v)
	h, err := v.NewHandler(Config[B]{Backend: v.Typed(orgs), Options: restserver.Options{Logger: Discard()}})
	require.NoError(t, err)
	res := Get(t, h, "/Organization/org-contoso")
	assert.Equal(t, http.StatusOK, res.Status, "%s", res.Body)
	assert.Equal(t, "Contoso Health Insurance", res.JSON["name"])
	res = Get(t, h, "/Organization?name=fab")
	assert.Equal(t, []string{"org-fabrikam"}, IDs(t, res))
	v.Validate(t, res)
	res = Get(t, h, "/Organization/imposter")
	assert.Equal(t, http.StatusInternalServerError, res.Status, "a Patient served as Organization: %s", res.Body)
	assert.Equal(t, "exception", v.IssueCode(t, res))
	assert.Equal(t, http.StatusNotFound, Get(t, h, "/Patient/pat-1").Status, "Patient of a backend that holds none")

	orgs.types = []restserver.GenericType{{Type: v.OtherType, Read: true}}
	_, err = v.NewHandler(Config[B]{Backend: v.Typed(orgs)})
	assert.ErrorContains(t, err, v.OtherType, "a generic type of the other version was accepted")
}
