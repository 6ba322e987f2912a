package fhirschema_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/patientsfhir/patientsfhir/internal/fhirschema"
)

// TestOfficialExamples: official HL7 examples (copied into testdata) pass
// both the published schema and the strict variant.
func TestOfficialExamples(t *testing.T) {
	for _, version := range []string{fhirschema.DSTU2, fhirschema.STU3} {
		files, err := filepath.Glob(filepath.Join("testdata", version, "*.json"))
		if err != nil {
			t.Fatal(err)
		}
		if len(files) < 8 {
			t.Fatalf("%s: only %d examples in testdata", version, len(files))
		}
		for _, f := range files {
			doc, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if err := fhirschema.Validate(version, doc); err != nil {
				t.Errorf("Validate(%s): %v", f, err)
			}
			if err := fhirschema.ValidateStrict(version, doc); err != nil {
				t.Errorf("ValidateStrict(%s): %v", f, err)
			}
		}
	}
}

// example loads a testdata example as a generic map to be broken by a test.
func example(t *testing.T, version, name string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", version, name))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
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
				if c.laxOK && lax != nil {
					t.Errorf("Validate: want the published schema to accept this, got %v", lax)
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
	if err == nil {
		t.Fatalf("want an error at %q containing %q, got nil", path, contains)
	}
	if !errors.Is(err, fhirschema.ErrInvalid) {
		t.Errorf("error %v does not match ErrInvalid", err)
	}
	var ve *fhirschema.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("want *ValidationError, got %T: %v", err, err)
	}
	if ve.Version != version || ve.ResourceType != resourceType {
		t.Errorf("got version %q type %q, want %q %q", ve.Version, ve.ResourceType, version, resourceType)
	}
	for _, p := range ve.Problems {
		if p.Path == path && strings.Contains(p.Message, contains) {
			if !strings.Contains(err.Error(), p.String()) && len(ve.Problems) <= 5 {
				t.Errorf("Error() %q does not mention %q", err, p)
			}
			return
		}
	}
	t.Errorf("no problem at %q containing %q in %v", path, contains, ve.Problems)
}

// TestErrorsDoNotEchoValues: messages must not carry patient data.
func TestErrorsDoNotEchoValues(t *testing.T) {
	for _, version := range []string{fhirschema.DSTU2, fhirschema.STU3} {
		p := patient(t, version)
		p["birthDate"] = "31/12/1961"
		p["deceasedDateTime"] = "1999-02-31T10:00:00Z"
		delete(p, "deceasedBoolean")
		err := fhirschema.ValidateStrict(version, mustJSON(t, p))
		if err == nil {
			t.Fatalf("%s: want an error", version)
		}
		for _, secret := range []string{"1961", "1999"} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("%s: error echoes the value %q: %v", version, secret, err)
			}
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
		if idx < 0 {
			t.Fatalf("%s: no Patient entry in the transaction example", version)
		}
		err := fhirschema.Validate(version, mustJSON(t, b))
		var ve *fhirschema.ValidationError
		if !errors.As(err, &ve) {
			t.Fatalf("%s: want *ValidationError, got %v", version, err)
		}
		want := "/entry/" + strconv.Itoa(idx) + "/resource/gender"
		if len(ve.Problems) != 1 || ve.Problems[0].Path != want {
			t.Errorf("%s: want exactly one problem at %s, got %v", version, want, ve.Problems)
		}

		// A nested resource of an unknown type.
		entries[idx].(map[string]any)["resource"] = map[string]any{"resourceType": "Spaceship"}
		err = fhirschema.Validate(version, mustJSON(t, b))
		if !errors.As(err, &ve) || len(ve.Problems) != 1 || !strings.Contains(ve.Problems[0].Message, "resourceType") {
			t.Errorf("%s: unknown nested type: got %v", version, err)
		}
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
		if errors.As(err, &ve) && len(ve.Problems) != 1 {
			t.Errorf("%s: want one problem, got %v", version, ve.Problems)
		}
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
	if err := fhirschema.ValidateStrict(fhirschema.STU3, claim); err != nil {
		t.Errorf("STU3 Claim.payee.resourceType: %v", err)
	}
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
			if err := fhirschema.Validate(version, []byte(c.doc)); err != nil && !strings.Contains(c.name, "empty string") {
				t.Errorf("%s/%s: Validate: %v", version, c.name, err)
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
				if !errors.Is(err, fhirschema.ErrInvalid) || !strings.Contains(err.Error(), c.contains) {
					t.Errorf("%s/%s: got %v, want ErrInvalid containing %q", version, c.name, err, c.contains)
				}
			}
		}
	}
	// Version-specific types: MedicationOrder is DSTU2 only, MedicationRequest STU3 only.
	if err := fhirschema.Validate(fhirschema.STU3, []byte(`{"resourceType":"MedicationOrder"}`)); !errors.Is(err, fhirschema.ErrInvalid) {
		t.Errorf("STU3 MedicationOrder: got %v", err)
	}
	if err := fhirschema.Validate(fhirschema.DSTU2, []byte(`{"resourceType":"MedicationRequest"}`)); !errors.Is(err, fhirschema.ErrInvalid) {
		t.Errorf("DSTU2 MedicationRequest: got %v", err)
	}
}

func TestUnknownVersion(t *testing.T) {
	for _, v := range []string{"", "r4", "STU3", "dstu"} {
		if err := fhirschema.Validate(v, []byte(`{"resourceType":"Patient"}`)); !errors.Is(err, fhirschema.ErrUnknownVersion) {
			t.Errorf("Validate(%q): got %v, want ErrUnknownVersion", v, err)
		}
		if _, err := fhirschema.ResourceTypes(v); !errors.Is(err, fhirschema.ErrUnknownVersion) {
			t.Errorf("ResourceTypes(%q): got %v, want ErrUnknownVersion", v, err)
		}
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
		if err != nil {
			t.Fatal(err)
		}
		set := map[string]bool{}
		for _, n := range types {
			set[n] = true
		}
		for _, n := range names {
			if !set[n] {
				t.Errorf("%s: %s missing from %v", version, n, types)
			}
		}
		if set[absent[version]] {
			t.Errorf("%s: has %s", version, absent[version])
		}
		types[0] = "mutated"
		again, _ := fhirschema.ResourceTypes(version)
		if again[0] == "mutated" {
			t.Errorf("%s: ResourceTypes returns shared state", version)
		}
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
		if err != nil {
			t.Error(err)
		}
	}
}
