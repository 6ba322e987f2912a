package capability_test

import (
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/patientsfhir/patientsfhir/capability"
	"github.com/patientsfhir/patientsfhir/fhir"
	"github.com/patientsfhir/patientsfhir/internal/fhirschema"
)

// patientsApp registers what the Patients app uses.
func patientsApp(v *fhir.Version) []capability.Resource {
	patient := []fhir.SearchParam{
		fhir.ParamID,
		{Name: "family", Type: fhir.TypeString, Path: "Patient.name.family", Modifiers: []fhir.Modifier{fhir.ModContains, fhir.ModExact}},
		{Name: "given", Type: fhir.TypeString, Path: "Patient.name.given", Modifiers: []fhir.Modifier{fhir.ModContains, fhir.ModExact}},
		{Name: "birthdate", Type: fhir.TypeDate, Path: "Patient.birthDate"},
		{Name: "gender", Type: fhir.TypeToken, Path: "Patient.gender", Modifiers: []fhir.Modifier{fhir.ModNot}},
		{Name: "identifier", Type: fhir.TypeToken, Path: "Patient.identifier"},
	}
	ref := fhir.SearchParam{Name: "patient", Type: fhir.TypeReference, Targets: []string{"Patient"}, Documentation: "The patient's logical id."}
	date := fhir.SearchParam{Name: "date", Type: fhir.TypeDate, Prefixes: []fhir.Prefix{fhir.PrefixGe, fhir.PrefixLe}}
	med := "MedicationRequest"
	if v == fhir.DSTU2 {
		med = "MedicationOrder"
	}
	rs := capability.Interaction("search-type")
	return []capability.Resource{
		{Type: "Patient", Interactions: []capability.Interaction{capability.Read, rs}, SearchParams: patient},
		{Type: "Observation", Interactions: []capability.Interaction{rs}, SearchParams: []fhir.SearchParam{ref, date, {Name: "category", Type: fhir.TypeToken}}},
		{Type: "Condition", Interactions: []capability.Interaction{rs}, SearchParams: []fhir.SearchParam{ref}},
		{Type: "Encounter", Interactions: []capability.Interaction{rs}, SearchParams: []fhir.SearchParam{ref, date}},
		{Type: "AllergyIntolerance", Interactions: []capability.Interaction{rs}, SearchParams: []fhir.SearchParam{ref}},
		{Type: med, Interactions: []capability.Interaction{rs}, SearchParams: []fhir.SearchParam{ref}},
		{Type: "Coverage", Interactions: []capability.Interaction{rs}, SearchParams: []fhir.SearchParam{ref}},
		{Type: "Location", Interactions: []capability.Interaction{capability.Read}},
	}
}

func config(v *fhir.Version) capability.Config {
	return capability.Config{
		Version:   v,
		BaseURL:   "https://fhir.example.com/" + strings.ToLower(v.Name),
		Name:      "ExampleEHR",
		Publisher: "Example Interop",
		Software:  capability.Software{Name: "patientsfhir", Version: "0.1.0"},
		Date:      time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC),
		Resources: patientsApp(v),
		Batch:     true,
		Security: &capability.Security{
			TokenURL:     "https://fhir.example.com/token",
			AuthorizeURL: "https://fhir.example.com/authorize",
			Description:  "OAuth2 client credentials; scope carries the tenant.",
		},
	}
}

var schemaVersion = map[*fhir.Version]string{fhir.DSTU2: fhirschema.DSTU2, fhir.STU3: fhirschema.STU3}

type doc struct {
	ResourceType, FHIRVersion, Status, Kind, Date, AcceptUnknown string
	Format                                                       []string
	Software                                                     struct{ Name, Version string }
	Implementation                                               struct{ URL, Description string }
	Rest                                                         []struct {
		Mode            string
		TransactionMode string
		Interaction     []struct{ Code string }
		Security        struct {
			Extension []struct {
				URL       string
				Extension []struct{ URL, ValueURI string }
			}
			Service []struct {
				Coding []struct{ System, Code string }
			}
		}
		Resource []struct {
			Type        string
			Interaction []struct{ Code string }
			SearchParam []struct {
				Name, Type string
				Modifier   []string
				Target     []string
			}
		}
	}
}

func TestStatementValidatesAndSaysWhatMatters(t *testing.T) {
	for _, v := range []*fhir.Version{fhir.DSTU2, fhir.STU3} {
		t.Run(v.Name, func(t *testing.T) {
			h, err := capability.Build(config(v))
			if err != nil {
				t.Fatal(err)
			}
			if err := fhirschema.ValidateStrict(schemaVersion[v], h.JSON()); err != nil {
				t.Fatalf("schema: %v\n%s", err, h.JSON())
			}
			var d doc
			if err := json.Unmarshal(h.JSON(), &d); err != nil {
				t.Fatal(err)
			}
			if d.ResourceType != v.CapabilityResource || d.FHIRVersion != v.FHIRVersion || d.Status != "active" || d.Kind != "instance" ||
				d.Date != "2026-11-25T12:00:00Z" || d.AcceptUnknown == "" || d.Software.Name != "patientsfhir" ||
				d.Implementation.URL != "https://fhir.example.com/"+strings.ToLower(v.Name) {
				t.Errorf("top level: %+v", d)
			}
			if len(d.Format) == 0 || d.Format[0] != "json" {
				t.Errorf("format %v", d.Format)
			}
			if len(d.Rest) != 1 || d.Rest[0].Mode != "server" {
				t.Fatalf("rest %+v", d.Rest)
			}
			rest := d.Rest[0]
			if len(rest.Interaction) != 1 || rest.Interaction[0].Code != v.BatchInteraction {
				t.Errorf("system interactions %+v", rest.Interaction)
			}
			if rest.TransactionMode != v.TransactionModeBatch {
				t.Errorf("transactionMode %q", rest.TransactionMode)
			}
			sec := rest.Security
			if len(sec.Extension) != 1 || sec.Extension[0].URL != capability.SMART ||
				sec.Extension[0].Extension[0].URL != "token" || sec.Extension[0].Extension[0].ValueURI != "https://fhir.example.com/token" ||
				sec.Extension[0].Extension[1].URL != "authorize" {
				t.Errorf("oauth-uris %+v", sec.Extension)
			}
			if sec.Service[0].Coding[0].System != capability.SecurityServiceSystem || sec.Service[0].Coding[0].Code != "OAuth" {
				t.Errorf("service %+v", sec.Service)
			}
			if len(rest.Resource) != 8 || rest.Resource[0].Type != "Patient" || rest.Resource[0].Interaction[0].Code != "read" {
				t.Errorf("resources %+v", rest.Resource)
			}
			fam := rest.Resource[0].SearchParam[1]
			if v.SearchParamModifiers != (len(fam.Modifier) == 2) {
				t.Errorf("modifiers of family: %v", fam.Modifier)
			}
		})
	}
}

// TestStatementTellsTheTruth exercises every advertised search parameter
// (and, in DSTU2, every advertised modifier) against the parser built from
// the same registration: anything advertised must be accepted strictly.
func TestStatementTellsTheTruth(t *testing.T) {
	sample := map[string]string{
		"string": "chau", "token": "http://x.org|a", "date": "ge1957-06", "reference": "Patient/1",
		"number": "1", "quantity": "5||mg", "uri": "http://x.org",
	}
	for _, v := range []*fhir.Version{fhir.DSTU2, fhir.STU3} {
		cfg := config(v)
		h, err := capability.Build(cfg)
		if err != nil {
			t.Fatal(err)
		}
		var d doc
		if err := json.Unmarshal(h.JSON(), &d); err != nil {
			t.Fatal(err)
		}
		for i, res := range d.Rest[0].Resource {
			p, err := fhir.NewParser(v, cfg.Resources[i].SearchParams, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Params()) != len(res.SearchParam) {
				t.Errorf("%s: %d advertised, %d parsed", res.Type, len(res.SearchParam), len(p.Params()))
			}
			for _, sp := range res.SearchParam {
				names := []string{sp.Name}
				for _, m := range sp.Modifier {
					switch m {
					case "type":
						names = append(names, sp.Name+":"+sp.Target[0])
					case "missing":
						continue
					default:
						names = append(names, sp.Name+":"+m)
					}
				}
				for _, n := range names {
					val := sample[sp.Type]
					if strings.HasSuffix(n, ":Patient") {
						val = "1"
					}
					if _, err := p.Parse([]fhir.Pair{{Name: n, Value: val}}, true); err != nil {
						t.Errorf("%s %s: advertised %s=%s refused: %v", v.Name, res.Type, n, val, err)
					}
				}
			}
		}
	}
}

func TestServeMetadata(t *testing.T) {
	h, err := capability.Build(config(fhir.STU3))
	if err != nil {
		t.Fatal(err)
	}
	do := func(method, target string, hdr map[string]string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, target, nil)
		for k, v := range hdr {
			r.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		return rec
	}
	rec := do("GET", "/stu3/metadata", nil)
	if rec.Code != 200 || rec.Header().Get("ETag") != h.ETag() || rec.Header().Get("Content-Type") != "application/fhir+json; charset=utf-8" {
		t.Fatalf("%d %v", rec.Code, rec.Header())
	}
	if rec.Body.String() != string(h.JSON()) {
		t.Fatal("body differs from JSON()")
	}
	for _, inm := range []string{h.ETag(), strings.TrimPrefix(h.ETag(), "W/"), `"x", ` + h.ETag(), "*"} {
		if rec := do("GET", "/stu3/metadata", map[string]string{"If-None-Match": inm}); rec.Code != 304 || rec.Body.Len() != 0 || rec.Header().Get("ETag") != h.ETag() {
			t.Errorf("If-None-Match %s: %d", inm, rec.Code)
		}
	}
	if rec := do("GET", "/stu3/metadata", map[string]string{"If-None-Match": `W/"other"`}); rec.Code != 200 {
		t.Errorf("stale ETag: %d", rec.Code)
	}
	if rec := do("GET", "/stu3/metadata?_format=xml", nil); rec.Code != 406 || !strings.Contains(rec.Body.String(), "OperationOutcome") {
		t.Errorf("xml: %d", rec.Code)
	}
	if rec := do("POST", "/stu3/metadata", nil); rec.Code != 405 || rec.Header().Get("Allow") == "" {
		t.Errorf("POST: %d", rec.Code)
	}
	if rec := do("HEAD", "/stu3/metadata", nil); rec.Code != 200 || rec.Body.Len() != 0 {
		t.Errorf("HEAD: %d", rec.Code)
	}
	if rec := do("GET", "/stu3/metadata?_pretty=true", map[string]string{"Accept": "application/json"}); rec.Code != 200 ||
		!strings.Contains(rec.Body.String(), "\n  ") || rec.Header().Get("Content-Type") != "application/json; charset=utf-8" {
		t.Errorf("pretty/json: %d %s", rec.Code, rec.Header())
	}
}

func TestBuildErrors(t *testing.T) {
	mut := []struct {
		name string
		f    func(*capability.Config)
	}{
		{"no version", func(c *capability.Config) { c.Version = nil }},
		{"relative base", func(c *capability.Config) { c.BaseURL = "/stu3" }},
		{"bad type", func(c *capability.Config) { c.Resources[0].Type = "patient" }},
		{"duplicate type", func(c *capability.Config) { c.Resources[1].Type = "Patient" }},
		{"no interactions", func(c *capability.Config) { c.Resources[7].Interactions = nil }},
		{"unknown interaction", func(c *capability.Config) { c.Resources[7].Interactions = []capability.Interaction{"frobnicate"} }},
		{"duplicate interaction", func(c *capability.Config) {
			c.Resources[7].Interactions = []capability.Interaction{capability.Read, capability.Read}
		}},
		{"params without search", func(c *capability.Config) { c.Resources[0].Interactions = []capability.Interaction{capability.Read} }},
		{"bad param", func(c *capability.Config) {
			c.Resources[0].SearchParams = append(c.Resources[0].SearchParams, fhir.SearchParam{Name: "x", Type: fhir.TypeDate, Modifiers: []fhir.Modifier{fhir.ModContains}})
		}},
		{"relative token url", func(c *capability.Config) { c.Security.TokenURL = "/token" }},
		{"bad authorize url", func(c *capability.Config) { c.Security.AuthorizeURL = "ftp://x" }},
		{"adjust fails", func(c *capability.Config) { c.Adjust = func(*capability.Statement) error { return errors.New("no") } }},
		{"adjust lies about version", func(c *capability.Config) {
			c.Adjust = func(s *capability.Statement) error { s.FHIRVersion = "4.0.1"; return nil }
		}},
	}
	for _, tt := range mut {
		t.Run(tt.name, func(t *testing.T) {
			cfg := config(fhir.STU3)
			tt.f(&cfg)
			if _, err := capability.Build(cfg); err == nil {
				t.Fatal("want a start-up error")
			}
		})
	}
}

func TestAdjustAndMinimal(t *testing.T) {
	cfg := config(fhir.DSTU2)
	cfg.Adjust = func(s *capability.Statement) error {
		s.Publisher = "Adjusted"
		s.Rest[0].Documentation = "read-only facade"
		return nil
	}
	h, err := capability.Build(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(h.JSON()), `"publisher":"Adjusted"`) || !strings.Contains(string(h.JSON()), "read-only facade") {
		t.Fatal(string(h.JSON()))
	}
	// The smallest statement (no security, no batch) is valid too.
	for _, v := range []*fhir.Version{fhir.DSTU2, fhir.STU3} {
		h, err := capability.Build(capability.Config{Version: v, Resources: []capability.Resource{{Type: "Patient", Interactions: []capability.Interaction{capability.Read}}}})
		if err != nil {
			t.Fatal(err)
		}
		if err := fhirschema.ValidateStrict(schemaVersion[v], h.JSON()); err != nil {
			t.Fatalf("%s: %v", v.Name, err)
		}
		if strings.Contains(string(h.JSON()), "security") || strings.Contains(string(h.JSON()), "transactionMode") {
			t.Errorf("unexpected elements: %s", h.JSON())
		}
	}
}

// TestVersionSpellings checks that the version data is what the schemas
// demand: DSTU2 has no "batch" system interaction code and no outcome in
// batch responses, STU3 has no transactionMode.
func TestVersionSpellings(t *testing.T) {
	h, err := capability.Build(config(fhir.DSTU2))
	if err != nil {
		t.Fatal(err)
	}
	wrong := strings.Replace(string(h.JSON()), `"code":"transaction"`, `"code":"batch"`, 1)
	if err := fhirschema.ValidateStrict(fhirschema.DSTU2, []byte(wrong)); err == nil {
		t.Error("the DSTU2 schema must refuse a batch system interaction")
	}
	h, err = capability.Build(config(fhir.STU3))
	if err != nil {
		t.Fatal(err)
	}
	wrong = strings.Replace(string(h.JSON()), `"mode":"server"`, `"mode":"server","transactionMode":"batch"`, 1)
	if err := fhirschema.ValidateStrict(fhirschema.STU3, []byte(wrong)); err == nil {
		t.Error("the STU3 schema must refuse transactionMode")
	}
}
