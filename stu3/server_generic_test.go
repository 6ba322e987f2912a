package stu3_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/patientsfhir/patientsfhir/fhir"
	"github.com/patientsfhir/patientsfhir/stu3"
)

// orgEHR serves Organization through the generic fallback, and (wrongly)
// a Patient when asked for Organization "imposter".
type orgEHR struct {
	noPatients
	orgs []*stu3.Organization
}

// noPatients is the Patient half of stu3.Backend for a backend that holds
// none.
type noPatients struct{}

func (noPatients) ReadPatient(context.Context, string) (*stu3.Patient, error) {
	return nil, fhir.ErrNotFound
}

func (noPatients) SearchPatients(context.Context, stu3.PatientQuery) (fhir.Page[*stu3.Patient], error) {
	return fhir.Page[*stu3.Patient]{TotalKnown: true}, nil
}

func (o orgEHR) GenericTypes() []stu3.GenericType {
	return []stu3.GenericType{{Type: "Organization", Read: true, Search: true,
		Params: []fhir.SearchParam{{Name: "name", Type: fhir.TypeString, Path: "Organization.name"}}}}
}

func (o orgEHR) ReadGeneric(ctx context.Context, typ, id string) (stu3.Resource, error) {
	if id == "imposter" {
		return &stu3.Patient{ID: id}, nil
	}
	for _, r := range o.orgs {
		if r.ID == id {
			return r, nil
		}
	}
	return nil, fhir.ErrNotFound
}

func (o orgEHR) SearchGeneric(ctx context.Context, q stu3.GenericQuery) (fhir.Page[stu3.Resource], error) {
	var out []stu3.Resource
	for _, r := range o.orgs {
		if q.IDs.Match(r.ID) && q.Query.Strings("name").Match(r.Name) {
			out = append(out, r)
		}
	}
	return fhir.Page[stu3.Resource]{Resources: out, Total: len(out), TotalKnown: true}, nil
}

func TestGenericFallback(t *testing.T) {
	h, err := stu3.NewHandler(stu3.Config{Backend: orgEHR{orgs: load[stu3.Organization](t, "Organization")}})
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
	if res := get(t, h, "/Patient/pat-1"); res.Status != http.StatusNotFound {
		t.Errorf("Patient of a backend that holds none: %d", res.Status)
	}
	if _, err := stu3.NewHandler(stu3.Config{Backend: badGeneric{}}); err == nil {
		t.Error("a generic type that is not an STU3 type was accepted")
	}
}

type badGeneric struct{ orgEHR }

func (badGeneric) GenericTypes() []stu3.GenericType {
	return []stu3.GenericType{{Type: "MedicationOrder", Read: true}}
}
