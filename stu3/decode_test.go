package stu3

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/patientsfhir/patientsfhir/fhirjson"
)

const patientJSON = `{"resourceType":"Patient","id":"p1","meta":{"versionId":"2","lastUpdated":"2017-01-01T00:00:00Z"},` +
	`"text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">A &amp; B &lt;x&gt;</div>"},` +
	`"contained":[{"resourceType":"Organization","id":"o1","name":"Org"}],` +
	`"name":[{"family":"Chalmers","given":["Peter",null,"James"],"_given":[null,{"extension":[{"url":"http://example.org/x","valueString":"ext"}]},null]}],` +
	`"gender":"male","birthDate":"1974-12","_birthDate":{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/patient-birthTime","valueDateTime":"1974-12-25T14:35:45-05:00"}]},` +
	`"deceasedBoolean":false,"multipleBirthInteger":2}`

func TestPatientRoundTrip(t *testing.T) {
	r, err := UnmarshalResource([]byte(patientJSON))
	if err != nil {
		t.Fatal(err)
	}
	p, ok := r.(*Patient)
	if !ok {
		t.Fatalf("got %T", r)
	}
	if p.ResourceType() != "Patient" || p.GetID() != "p1" || p.GetMeta().VersionID != "2" {
		t.Fatalf("accessors: %q %q %+v", p.ResourceType(), p.GetID(), p.GetMeta())
	}
	if p.Gender != AdministrativeGenderMale || p.BirthDate != "1974-12" || p.BirthDateExt == nil {
		t.Fatalf("fields: %+v", p)
	}
	if g := p.Name[0].Given; len(g) != 3 || g[1] != "" || p.Name[0].GivenExt[1].Extension[0].ValueString != "ext" {
		t.Fatalf("given: %q %+v", g, p.Name[0].GivenExt)
	}
	if org, ok := p.Contained[0].(*Organization); !ok || org.Name != "Org" {
		t.Fatalf("contained: %#v", p.Contained[0])
	}
	if p.Deceased() != false || p.DeceasedType() != "boolean" || p.MultipleBirth() != 2 || p.MultipleBirthType() != "integer" {
		t.Fatalf("choices: %v %q %v", p.Deceased(), p.DeceasedType(), p.MultipleBirth())
	}
	out, err := p.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != patientJSON {
		t.Fatalf("re-encoded differently:\n%s\n%s", out, patientJSON)
	}
	if !strings.Contains(string(out), `<div xmlns=`) {
		t.Fatal("narrative was HTML-escaped")
	}
	// encoding/json works too, through the same methods.
	var q Patient
	if err := json.Unmarshal([]byte(patientJSON), &q); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(&q)
	if err != nil {
		t.Fatal(err)
	}
	var r2 Patient
	if err := json.Unmarshal(b, &r2); err != nil || r2.Name[0].Family != "Chalmers" {
		t.Fatalf("json.Marshal output does not decode: %v", err)
	}
}

func TestEncodingJSONUsesGeneratedMethodsForValues(t *testing.T) {
	type wrapper struct {
		P    Patient
		List []HumanName
	}
	b, err := json.Marshal(wrapper{P: Patient{ID: "x"}, List: []HumanName{{Family: "F"}}})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"P":{"resourceType":"Patient","id":"x"},"List":[{"family":"F"}]}`; string(b) != want {
		t.Fatalf("got %s, want %s", b, want)
	}
}

func TestDecimalsKeepLexicalForm(t *testing.T) {
	in := `{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":1.50,"unit":"mg"},` +
		`"component":[{"code":{"text":"y"},"valueQuantity":{"value":1e2}}]}`
	r, err := UnmarshalResource([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	o := r.(*Observation)
	if o.ValueQuantity.Value.String() != "1.50" || o.Component[0].ValueQuantity.Value.String() != "1e2" {
		t.Fatalf("decimals: %v %v", o.ValueQuantity.Value, o.Component[0].ValueQuantity.Value)
	}
	if v, ok := o.Value().(*Quantity); !ok || v != o.ValueQuantity || o.ValueType() != "Quantity" {
		t.Fatalf("Value() = %#v, ValueType() = %q", o.Value(), o.ValueType())
	}
	if o.Effective() != nil || o.EffectiveType() != "" {
		t.Fatal("unset choice reported as set")
	}
	out, _ := o.MarshalJSON()
	if string(out) != in {
		t.Fatalf("got  %s\nwant %s", out, in)
	}
}

func TestStrictDecodingErrors(t *testing.T) {
	cases := []struct {
		in, path string
		sentinel error
	}{
		{`{"resourceType":"Patient","foo":1}`, "Patient.foo", fhirjson.ErrUnknownElement},
		{`{"resourceType":"Patient","name":[{"given":["a",2]}]}`, "Patient.name[0].given[1]", fhirjson.ErrWrongType},
		{`{"resourceType":"Patient","active":"yes"}`, "Patient.active", fhirjson.ErrWrongType},
		{`{"resourceType":"Patient","birthDate":"12/31/2020"}`, "Patient.birthDate", fhirjson.ErrInvalidValue},
		{`{"resourceType":"Patient","contained":[{"resourceType":"Nope"}]}`, "Patient.contained[0].resourceType", fhirjson.ErrResourceType},
		{`{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient","id":5}}]}`, "Bundle.entry[0].resource.id", fhirjson.ErrWrongType},
		{`{"resourceType":"Nope"}`, "resourceType", fhirjson.ErrResourceType},
		{`{"id":"x"}`, "", fhirjson.ErrResourceType},
		{`{"resourceType":"Patient","id":"x"`, "Patient", fhirjson.ErrSyntax},
	}
	for _, c := range cases {
		_, err := UnmarshalResource([]byte(c.in))
		var de *fhirjson.DecodeError
		if !errors.As(err, &de) || !errors.Is(err, c.sentinel) || de.Path != c.path {
			t.Errorf("%s: got %v (path %q), want %v at %q", c.in, err, pathOf(de), c.sentinel, c.path)
		}
	}
	var p Patient
	err := json.Unmarshal([]byte(`{"resourceType":"Observation"}`), &p)
	if !errors.Is(err, fhirjson.ErrResourceType) {
		t.Errorf("resourceType mismatch: %v", err)
	}
}

func pathOf(de *fhirjson.DecodeError) string {
	if de == nil {
		return "<none>"
	}
	return de.Path
}

func TestLenientKeepsUnknownElements(t *testing.T) {
	in := `{"resourceType":"Patient","id":"p","name":[{"family":"F","nickname":"Bob"}],"futureElement":{"a":[1,2]}}`
	if _, err := UnmarshalResource([]byte(in)); !errors.Is(err, fhirjson.ErrUnknownElement) {
		t.Fatalf("strict: %v", err)
	}
	r, err := UnmarshalResource([]byte(in), fhirjson.Lenient())
	if err != nil {
		t.Fatal(err)
	}
	out, _ := r.MarshalJSON()
	if want := `{"resourceType":"Patient","id":"p","name":[{"family":"F","nickname":"Bob"}],"futureElement":{"a":[1,2]}}`; string(out) != want {
		t.Fatalf("got %s", out)
	}
	var p Patient
	if err := Unmarshal([]byte(in), &p, fhirjson.Lenient()); err != nil || len(p.Unknown) != 1 || p.Name[0].Unknown[0].Name != "nickname" {
		t.Fatalf("Unmarshal lenient: %v %+v", err, p.Unknown)
	}
}

func TestEveryResourceTypeIsRegistered(t *testing.T) {
	types := ResourceTypes()
	if len(types) != 117 {
		t.Fatalf("%d resource types, want 117", len(types))
	}
	for _, rt := range types {
		r := NewResource(rt)
		if r == nil || r.ResourceType() != rt {
			t.Fatalf("NewResource(%q) = %#v", rt, r)
		}
		r.SetID("x1")
		b, err := Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		back, err := UnmarshalResource(b)
		if err != nil || back.GetID() != "x1" || back.ResourceType() != rt {
			t.Fatalf("%s: %s -> %v", rt, b, err)
		}
	}
	if NewResource("Resource") != nil || NewResource("DomainResource") != nil {
		t.Fatal("abstract types are not concrete resources")
	}
}
