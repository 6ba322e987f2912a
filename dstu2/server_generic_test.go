package dstu2_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/patientsfhir/patientsfhir/dstu2"
	"github.com/patientsfhir/patientsfhir/fhir"
)

// orgEHR serves Organization through the generic fallback, and (wrongly)
// a Patient when asked for Organization "imposter".
type orgEHR struct{ orgs []*dstu2.Organization }

func (o orgEHR) GenericTypes() []dstu2.GenericType {
	return []dstu2.GenericType{{Type: "Organization", Read: true, Search: true,
		Params: []fhir.SearchParam{{Name: "name", Type: fhir.TypeString, Path: "Organization.name"}}}}
}

func (o orgEHR) ReadGeneric(ctx context.Context, typ, id string) (dstu2.Resource, error) {
	if id == "imposter" {
		return &dstu2.Patient{ID: id}, nil
	}
	for _, r := range o.orgs {
		if r.ID == id {
			return r, nil
		}
	}
	return nil, fhir.ErrNotFound
}

func (o orgEHR) SearchGeneric(ctx context.Context, q dstu2.GenericQuery) (dstu2.Page[dstu2.Resource], error) {
	var out []dstu2.Resource
	for _, r := range o.orgs {
		if q.IDs.Match(r.ID) && q.Strings("name").Match(r.Name) {
			out = append(out, r)
		}
	}
	return dstu2.Page[dstu2.Resource]{Resources: out, Total: len(out), TotalKnown: true}, nil
}

func TestGenericFallback(t *testing.T) {
	h, err := dstu2.NewHandler(dstu2.Config{Backend: orgEHR{load[dstu2.Organization](t, "Organization")}})
	if err != nil {
		t.Fatal(err)
	}
	if res := get(t, h, "/Organization/org-contoso"); res.Status != 200 || res.JSON["name"] != "Contoso Health Insurance" {
		t.Errorf("read: %d %s", res.Status, res.Body)
	}
	res := get(t, h, "/Organization?name=fab")
	if got := ids(t, res); len(got) != 1 || got[0] != "org-fabrikam" {
		t.Errorf("search: %v", got)
	}
	validate(t, res)
	if res := get(t, h, "/Organization/imposter"); res.Status != http.StatusInternalServerError || issueCode(t, res) != "exception" {
		t.Errorf("a Patient served as Organization: %d %s", res.Status, res.Body)
	}
	if res := get(t, h, "/Patient/pat-1"); res.Status != http.StatusNotImplemented {
		t.Errorf("Patient without an interface: %d", res.Status)
	}
	if _, err := dstu2.NewHandler(dstu2.Config{Backend: badGeneric{}}); err == nil {
		t.Error("a generic type that is not a DSTU2 type was accepted")
	}
}

type badGeneric struct{ orgEHR }

func (badGeneric) GenericTypes() []dstu2.GenericType {
	return []dstu2.GenericType{{Type: "MedicationRequest", Read: true}}
}
