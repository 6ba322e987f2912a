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
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
			require.NoError(t, err)
			require.NoError(t, fhirschema.ValidateStrict(schemaVersion[v], h.JSON()), "schema: %s", h.JSON())
			var d doc
			require.NoError(t, json.Unmarshal(h.JSON(), &d))
			assert.Equal(t, v.CapabilityResource, d.ResourceType)
			assert.Equal(t, v.FHIRVersion, d.FHIRVersion)
			assert.Equal(t, "active", d.Status)
			assert.Equal(t, "instance", d.Kind)
			assert.Equal(t, "2026-11-25T12:00:00Z", d.Date)
			assert.NotEmpty(t, d.AcceptUnknown)
			assert.Equal(t, "patientsfhir", d.Software.Name)
			assert.Equal(t, "https://fhir.example.com/"+strings.ToLower(v.Name), d.Implementation.URL)
			require.NotEmpty(t, d.Format)
			assert.Equal(t, "json", d.Format[0])
			require.Len(t, d.Rest, 1)
			rest := d.Rest[0]
			assert.Equal(t, "server", rest.Mode)
			require.Len(t, rest.Interaction, 1, "system interactions")
			assert.Equal(t, v.BatchInteraction, rest.Interaction[0].Code)
			assert.Equal(t, v.TransactionModeBatch, rest.TransactionMode)
			sec := rest.Security
			require.Len(t, sec.Extension, 1, "oauth-uris")
			assert.Equal(t, capability.SMART, sec.Extension[0].URL)
			require.Len(t, sec.Extension[0].Extension, 2)
			assert.Equal(t, struct{ URL, ValueURI string }{"token", "https://fhir.example.com/token"}, sec.Extension[0].Extension[0])
			assert.Equal(t, "authorize", sec.Extension[0].Extension[1].URL)
			assert.Equal(t, capability.SecurityServiceSystem, sec.Service[0].Coding[0].System)
			assert.Equal(t, "OAuth", sec.Service[0].Coding[0].Code)
			require.Len(t, rest.Resource, 8)
			assert.Equal(t, "Patient", rest.Resource[0].Type)
			assert.Equal(t, "read", rest.Resource[0].Interaction[0].Code)
			fam := rest.Resource[0].SearchParam[1]
			assert.Equal(t, v.SearchParamModifiers, len(fam.Modifier) == 2, "modifiers of family: %v", fam.Modifier)
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
		require.NoError(t, err)
		var d doc
		require.NoError(t, json.Unmarshal(h.JSON(), &d))
		for i, res := range d.Rest[0].Resource {
			p, err := fhir.NewParser(v, cfg.Resources[i].SearchParams, nil)
			require.NoError(t, err)
			assert.Len(t, res.SearchParam, len(p.Params()), "%s: advertised and parsed", res.Type)
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
					_, err := p.Parse([]fhir.Pair{{Name: n, Value: val}}, true)
					assert.NoError(t, err, "%s %s: advertised %s=%s refused", v.Name, res.Type, n, val)
				}
			}
		}
	}
}

func TestServeMetadata(t *testing.T) {
	h, err := capability.Build(config(fhir.STU3))
	require.NoError(t, err)
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
	require.Equal(t, 200, rec.Code)
	assert.Equal(t, h.ETag(), rec.Header().Get("ETag"))
	assert.Equal(t, "application/fhir+json; charset=utf-8", rec.Header().Get("Content-Type"))
	assert.Equal(t, string(h.JSON()), rec.Body.String())
	for _, inm := range []string{h.ETag(), strings.TrimPrefix(h.ETag(), "W/"), `"x", ` + h.ETag(), "*"} {
		rec := do("GET", "/stu3/metadata", map[string]string{"If-None-Match": inm})
		assert.Equal(t, 304, rec.Code, "If-None-Match %s", inm)
		assert.Zero(t, rec.Body.Len(), "If-None-Match %s", inm)
		assert.Equal(t, h.ETag(), rec.Header().Get("ETag"), "If-None-Match %s", inm)
	}
	assert.Equal(t, 200, do("GET", "/stu3/metadata", map[string]string{"If-None-Match": `W/"other"`}).Code, "a stale ETag")
	rec = do("GET", "/stu3/metadata?_format=xml", nil)
	assert.Equal(t, 406, rec.Code, "XML")
	assert.Contains(t, rec.Body.String(), "OperationOutcome")
	rec = do("POST", "/stu3/metadata", nil)
	assert.Equal(t, 405, rec.Code, "POST")
	assert.NotEmpty(t, rec.Header().Get("Allow"))
	rec = do("HEAD", "/stu3/metadata", nil)
	assert.Equal(t, 200, rec.Code, "HEAD")
	assert.Zero(t, rec.Body.Len(), "HEAD has no body")
	rec = do("GET", "/stu3/metadata?_pretty=true", map[string]string{"Accept": "application/json"})
	assert.Equal(t, 200, rec.Code)
	assert.Contains(t, rec.Body.String(), "\n  ", "pretty")
	assert.Equal(t, "application/json; charset=utf-8", rec.Header().Get("Content-Type"))
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
			_, err := capability.Build(cfg)
			assert.Error(t, err)
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
	require.NoError(t, err)
	assert.Contains(t, string(h.JSON()), `"publisher":"Adjusted"`)
	assert.Contains(t, string(h.JSON()), "read-only facade")
	// The smallest statement (no security, no batch) is valid too.
	for _, v := range []*fhir.Version{fhir.DSTU2, fhir.STU3} {
		h, err := capability.Build(capability.Config{Version: v, Resources: []capability.Resource{{Type: "Patient", Interactions: []capability.Interaction{capability.Read}}}})
		require.NoError(t, err)
		require.NoError(t, fhirschema.ValidateStrict(schemaVersion[v], h.JSON()), "%s", v.Name)
		assert.NotContains(t, string(h.JSON()), "security")
		assert.NotContains(t, string(h.JSON()), "transactionMode")
	}
}

// TestVersionSpellings checks that the version data is what the schemas
// demand: DSTU2 has no "batch" system interaction code and no outcome in
// batch responses, STU3 has no transactionMode.
func TestVersionSpellings(t *testing.T) {
	h, err := capability.Build(config(fhir.DSTU2))
	require.NoError(t, err)
	wrong := strings.Replace(string(h.JSON()), `"code":"transaction"`, `"code":"batch"`, 1)
	assert.Error(t, fhirschema.ValidateStrict(fhirschema.DSTU2, []byte(wrong)), "the DSTU2 schema refuses a batch system interaction")
	h, err = capability.Build(config(fhir.STU3))
	require.NoError(t, err)
	wrong = strings.Replace(string(h.JSON()), `"mode":"server"`, `"mode":"server","transactionMode":"batch"`, 1)
	assert.Error(t, fhirschema.ValidateStrict(fhirschema.STU3, []byte(wrong)), "the STU3 schema refuses transactionMode")
}
