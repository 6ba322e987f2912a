package fhirschema_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/patientsfhir/patientsfhir/internal/fhirschema"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOfficialExamples: official HL7 examples (copied into testdata) pass
// both the published schema and the strict variant.
func TestOfficialExamples(t *testing.T) {
	for _, version := range []string{fhirschema.DSTU2, fhirschema.STU3} {
		files, err := filepath.Glob(filepath.Join("testdata", version, "*.json"))
		require.NoError(t, err)
		require.GreaterOrEqual(t, len(files), 8, "%s: examples in testdata", version)
		for _, f := range files {
			doc, err := os.ReadFile(f)
			require.NoError(t, err)
			assert.NoError(t, fhirschema.Validate(version, doc), "Validate(%s)", f)
			assert.NoError(t, fhirschema.ValidateStrict(version, doc), "ValidateStrict(%s)", f)
		}
	}
}

// example loads a testdata example as a generic map to be broken by a test.
func example(t *testing.T, version, name string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", version, name))
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m))
	return m
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

func patient(t *testing.T, version string) map[string]any {
	if version == fhirschema.DSTU2 {
		return example(t, version, "Patient-example.json")
	}
	return example(t, version, "patient-example.json")
}

func TestRejectsBrokenResources(t *testing.T) {
	type tc struct {
		name string
		// break mutates a valid Patient of the version.
		mutate func(p map[string]any)
		// laxOK: the published (unanchored) schema accepts it; only strict rejects.
		laxOK    bool
		path     string
		contains string
	}
	cases := []tc{
		{"birthDate as number", func(p map[string]any) { p["birthDate"] = 19610412 }, false, "/birthDate", "got number, want string"},
		{"gender not in value set", func(p map[string]any) { p["gender"] = "boy" }, false, "/gender", "value must be one of 'male'"},
		{"unknown element", func(p map[string]any) { p["favouriteColour"] = "blue" }, false, "", "additional properties 'favouriteColour' not allowed"},
		{"name not an array", func(p map[string]any) { p["name"] = map[string]any{"text": "x"} }, false, "/name", "got object, want array"},
		{"active as string", func(p map[string]any) { p["active"] = "yes" }, false, "/active", "got string, want boolean"},
		{"US date", func(p map[string]any) { p["birthDate"] = "12/31/1961" }, true, "/birthDate", "is not a valid FHIR date"},
		{"impossible date", func(p map[string]any) { p["birthDate"] = "1961-02-30" }, true, "/birthDate", "not a calendar date"},
		{"day zero", func(p map[string]any) { p["birthDate"] = "1961-02-00" }, true, "/birthDate", "not a calendar date"},
		{"id too long", func(p map[string]any) { p["id"] = strings.Repeat("a", 65) }, true, "/id", "is not a valid FHIR id"},
		{"id with slash", func(p map[string]any) { p["id"] = "a/b" }, true, "/id", "is not a valid FHIR id"},
		{"dateTime without zone", func(p map[string]any) { p["deceasedDateTime"] = "2015-02-07T13:28:17" }, true, "/deceasedDateTime", "is not a valid FHIR dateTime"},
		{"lastUpdated not an instant", func(p map[string]any) { p["meta"] = map[string]any{"lastUpdated": "2015-02-07"} }, true, "/meta/lastUpdated", "instant needs date, time"},
		{"multipleBirth fraction", func(p map[string]any) { delete(p, "multipleBirthBoolean"); p["multipleBirthInteger"] = 1.5 }, true, "/multipleBirthInteger", "want integer"},
		{"code with double space", func(p map[string]any) { p["language"] = "en  US" }, true, "/language", "is not a valid FHIR code"},
	}
	for _, version := range []string{fhirschema.DSTU2, fhirschema.STU3} {
		for _, c := range cases {
			t.Run(version+"/"+c.name, func(t *testing.T) {
				p := patient(t, version)
				c.mutate(p)
				doc := mustJSON(t, p)
				lax := fhirschema.Validate(version, doc)
				strict := fhirschema.ValidateStrict(version, doc)
				if c.laxOK {
					assert.NoError(t, lax, "the published schema accepts this")
				}
				errs := []error{strict}
				if !c.laxOK {
					errs = append(errs, lax)
				}
				for _, err := range errs {
					assertProblem(t, err, version, "Patient", c.path, c.contains)
				}
			})
		}
	}
}

func assertProblem(t *testing.T, err error, version, resourceType, path, contains string) {
	t.Helper()
	require.Error(t, err, "want an error at %q containing %q", path, contains)
	assert.ErrorIs(t, err, fhirschema.ErrInvalid)
	var ve *fhirschema.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, version, ve.Version)
	assert.Equal(t, resourceType, ve.ResourceType)
	i := slices.IndexFunc(ve.Problems, func(p fhirschema.Problem) bool { return p.Path == path && strings.Contains(p.Message, contains) })
	if assert.GreaterOrEqual(t, i, 0, "no problem at %q containing %q in %v", path, contains, ve.Problems) && len(ve.Problems) <= 5 {
		assert.ErrorContains(t, err, ve.Problems[i].String(), "Error() names the problem")
	}
}

// TestErrorsDoNotEchoValues: messages must not carry patient data.
func TestErrorsDoNotEchoValues(t *testing.T) {
	for _, version := range []string{fhirschema.DSTU2, fhirschema.STU3} {
		p := patient(t, version)
		p["birthDate"] = "31/12/1961"
		p["deceasedDateTime"] = "1999-02-31T10:00:00Z"
		delete(p, "deceasedBoolean")
		err := fhirschema.ValidateStrict(version, mustJSON(t, p))
		require.Error(t, err, version)
		for _, secret := range []string{"1961", "1999"} {
			assert.NotContains(t, err.Error(), secret, "%s: the error echoes the value", version)
		}
	}
}

// TestBundleErrorsNameTheNestedResource: a broken resource inside a Bundle
// is reported at its own path against its own type, not as ~100 failed
// oneOf branches.
func TestBundleErrorsNameTheNestedResource(t *testing.T) {
	for _, version := range []string{fhirschema.DSTU2, fhirschema.STU3} {
		b := example(t, version, "Bundle-bundle-transaction.json")
		entries := b["entry"].([]any)
		var idx = -1
		for i, e := range entries {
			r, _ := e.(map[string]any)["resource"].(map[string]any)
			if r != nil && r["resourceType"] == "Patient" {
				r["gender"] = "boy"
				idx = i
				break
			}
		}
		require.GreaterOrEqual(t, idx, 0, "%s: a Patient entry in the transaction example", version)
		err := fhirschema.Validate(version, mustJSON(t, b))
		var ve *fhirschema.ValidationError
		require.ErrorAs(t, err, &ve)
		require.Len(t, ve.Problems, 1, "%s: exactly one problem", version)
		assert.Equal(t, "/entry/"+strconv.Itoa(idx)+"/resource/gender", ve.Problems[0].Path)

		// A nested resource of an unknown type.
		entries[idx].(map[string]any)["resource"] = map[string]any{"resourceType": "Spaceship"}
		err = fhirschema.Validate(version, mustJSON(t, b))
		require.ErrorAs(t, err, &ve)
		require.Len(t, ve.Problems, 1, "%s: an unknown nested type", version)
		assert.Contains(t, ve.Problems[0].Message, "resourceType")
	}
}

// TestNestedResources: contained resources, resources nested in Bundle
// entries and resources contained in those are each checked against their
// own definition, at their own path.
func TestNestedResources(t *testing.T) {
	for _, version := range []string{fhirschema.DSTU2, fhirschema.STU3} {
		contained := map[string]any{"resourceType": "Practitioner", "id": "pr1", "gender": "robot"}
		p := patient(t, version)
		p["contained"] = []any{contained}
		bundle := map[string]any{
			"resourceType": "Bundle", "type": "collection",
			"entry": []any{
				map[string]any{"resource": map[string]any{"resourceType": "Patient", "id": "ok"}},
				map[string]any{"resource": p},
			},
		}
		err := fhirschema.Validate(version, mustJSON(t, bundle))
		assertProblem(t, err, version, "Bundle", "/entry/1/resource/contained/0/gender", "value must be one of")
		var ve *fhirschema.ValidationError
		require.ErrorAs(t, err, &ve)
		assert.Len(t, ve.Problems, 1, version)
		// A nested resource without a valid resourceType is the parent's problem.
		p["contained"] = []any{map[string]any{"resourceType": 1}}
		err = fhirschema.Validate(version, mustJSON(t, p))
		assertProblem(t, err, version, "Patient", "/contained/0/resourceType", "want string")
		p["contained"] = []any{map[string]any{"id": "x"}}
		err = fhirschema.Validate(version, mustJSON(t, p))
		assertProblem(t, err, version, "Patient", "/contained/0", "missing property 'resourceType'")
	}
	// STU3 Claim.payee.resourceType is a Coding, not a nested resource.
	claim := []byte(`{"resourceType":"Claim","id":"c","payee":{"type":{"text":"provider"},"resourceType":{"system":"http://hl7.org/fhir/resource-type-link","code":"organization"}}}`)
	assert.NoError(t, fhirschema.ValidateStrict(fhirschema.STU3, claim), "STU3 Claim.payee.resourceType")
}

// TestStrictShape: empty values and duplicate member names pass the
// published schema but not ValidateStrict.
func TestStrictShape(t *testing.T) {
	cases := []struct{ name, doc, path, contains string }{
		{"empty string", `{"resourceType":"Patient","gender":""}`, "/gender", "empty string"},
		{"empty array", `{"resourceType":"Patient","name":[]}`, "/name", "empty array"},
		{"empty object", `{"resourceType":"Patient","name":[{}]}`, "/name/0", "empty object"},
		{"nested empty", `{"resourceType":"Patient","name":[{"given":["Ann",""]}]}`, "/name/0/given/1", "empty string"},
		{"duplicate member", `{"resourceType":"Patient","gender":"male","name":[{"family":["A"],"given":["B"]}],"gender":"female"}`, "/gender", "duplicate"},
		{"nested duplicate", `{"resourceType":"Patient","name":[{"use":"official"},{"use":"usual","use":"old"}]}`, "/name/1/use", "duplicate"},
	}
	for _, version := range []string{fhirschema.DSTU2, fhirschema.STU3} {
		for _, c := range cases {
			if c.name == "nested empty" || c.name == "duplicate member" {
				if version == fhirschema.STU3 {
					c.doc = strings.ReplaceAll(c.doc, `"family":["A"]`, `"family":"A"`)
				}
			}
			if !strings.Contains(c.name, "empty string") {
				assert.NoError(t, fhirschema.Validate(version, []byte(c.doc)), "%s/%s: the published schema", version, c.name)
			}
			assertProblem(t, fhirschema.ValidateStrict(version, []byte(c.doc)), version, "Patient", c.path, c.contains)
		}
	}
}

func TestRejectsNonResources(t *testing.T) {
	cases := []struct {
		name, doc, contains string
	}{
		{"empty", ``, "malformed JSON"},
		{"syntax", `{"resourceType":`, "malformed JSON"},
		{"trailing data", `{"resourceType":"Patient"} {}`, "malformed JSON"},
		{"array", `[{"resourceType":"Patient"}]`, "JSON object"},
		{"no resourceType", `{"id":"x"}`, "missing resourceType"},
		{"resourceType not a string", `{"resourceType":1}`, "missing resourceType"},
		{"unknown type", `{"resourceType":"Spaceship"}`, `no resource type "Spaceship"`},
	}
	for _, version := range []string{fhirschema.DSTU2, fhirschema.STU3} {
		for _, c := range cases {
			for _, validate := range []func(string, []byte) error{fhirschema.Validate, fhirschema.ValidateStrict} {
				err := validate(version, []byte(c.doc))
				assert.ErrorIs(t, err, fhirschema.ErrInvalid, "%s/%s", version, c.name)
				assert.ErrorContains(t, err, c.contains, "%s/%s", version, c.name)
			}
		}
	}
	// Version-specific types: MedicationOrder is DSTU2 only, MedicationRequest STU3 only.
	assert.ErrorIs(t, fhirschema.Validate(fhirschema.STU3, []byte(`{"resourceType":"MedicationOrder"}`)), fhirschema.ErrInvalid, "STU3 MedicationOrder")
	assert.ErrorIs(t, fhirschema.Validate(fhirschema.DSTU2, []byte(`{"resourceType":"MedicationRequest"}`)), fhirschema.ErrInvalid, "DSTU2 MedicationRequest")
}

func TestUnknownVersion(t *testing.T) {
	for _, v := range []string{"", "r4", "STU3", "dstu"} {
		assert.ErrorIs(t, fhirschema.Validate(v, []byte(`{"resourceType":"Patient"}`)), fhirschema.ErrUnknownVersion, "Validate(%q)", v)
		_, err := fhirschema.ResourceTypes(v)
		assert.ErrorIs(t, err, fhirschema.ErrUnknownVersion, "ResourceTypes(%q)", v)
	}
}

func TestResourceTypes(t *testing.T) {
	want := map[string][]string{
		fhirschema.DSTU2: {"Patient", "Observation", "MedicationOrder", "Conformance", "Coverage", "Location"},
		fhirschema.STU3:  {"Patient", "Observation", "MedicationRequest", "MedicationStatement", "CapabilityStatement", "Coverage"},
	}
	absent := map[string]string{fhirschema.DSTU2: "CapabilityStatement", fhirschema.STU3: "Conformance"}
	for version, names := range want {
		types, err := fhirschema.ResourceTypes(version)
		require.NoError(t, err)
		assert.Subset(t, types, names, version)
		assert.NotContains(t, types, absent[version], version)
		types[0] = "mutated"
		again, err := fhirschema.ResourceTypes(version)
		require.NoError(t, err)
		assert.NotEqual(t, "mutated", again[0], "%s: ResourceTypes returns shared state", version)
	}
}

// TestConcurrentValidation exercises the lazy compilation and the compiled
// schemas from many goroutines (meaningful under -race).
func TestConcurrentValidation(t *testing.T) {
	docs := map[string][]byte{}
	for _, version := range []string{fhirschema.DSTU2, fhirschema.STU3} {
		docs[version] = mustJSON(t, patient(t, version))
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Go(func() {
			version := fhirschema.DSTU2
			if i%2 == 1 {
				version = fhirschema.STU3
			}
			validate := fhirschema.Validate
			if i%4 >= 2 {
				validate = fhirschema.ValidateStrict
			}
			errs <- validate(version, docs[version])
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		assert.NoError(t, err)
	}
}
