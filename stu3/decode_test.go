package stu3

import (
	"encoding/json"
	"testing"

	"github.com/patientsfhir/patientsfhir/fhirjson"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const patientJSON = `{"resourceType":"Patient","id":"p1","meta":{"versionId":"2","lastUpdated":"2017-01-01T00:00:00Z"},` +
	`"text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">A &amp; B &lt;x&gt;</div>"},` +
	`"contained":[{"resourceType":"Organization","id":"o1","name":"Org"}],` +
	`"name":[{"family":"Chalmers","given":["Peter",null,"James"],"_given":[null,{"extension":[{"url":"http://example.org/x","valueString":"ext"}]},null]}],` +
	`"gender":"male","birthDate":"1974-12","_birthDate":{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/patient-birthTime","valueDateTime":"1974-12-25T14:35:45-05:00"}]},` +
	`"deceasedBoolean":false,"multipleBirthInteger":2}`

func TestPatientRoundTrip(t *testing.T) {
	r, err := UnmarshalResource([]byte(patientJSON))
	require.NoError(t, err)
	require.IsType(t, &Patient{}, r)
	p := r.(*Patient)
	assert.Equal(t, "Patient", p.ResourceType())
	assert.Equal(t, "p1", p.GetID())
	assert.Equal(t, "2", p.GetMeta().VersionID)
	assert.Equal(t, AdministrativeGenderMale, p.Gender)
	assert.Equal(t, "1974-12", p.BirthDate)
	assert.NotNil(t, p.BirthDateExt)
	assert.Equal(t, []string{"Peter", "", "James"}, p.Name[0].Given)
	assert.Equal(t, "ext", p.Name[0].GivenExt[1].Extension[0].ValueString)
	require.IsType(t, &Organization{}, p.Contained[0])
	assert.Equal(t, "Org", p.Contained[0].(*Organization).Name)
	assert.Equal(t, false, p.Deceased())
	assert.Equal(t, "boolean", p.DeceasedType())
	assert.Equal(t, 2, p.MultipleBirth())
	assert.Equal(t, "integer", p.MultipleBirthType())
	out, err := p.MarshalJSON()
	require.NoError(t, err)
	assert.Equal(t, patientJSON, string(out), "re-encoded byte for byte, narrative not HTML-escaped")
	// encoding/json works too, through the same methods.
	var q Patient
	require.NoError(t, json.Unmarshal([]byte(patientJSON), &q))
	b, err := json.Marshal(&q)
	require.NoError(t, err)
	var r2 Patient
	require.NoError(t, json.Unmarshal(b, &r2), "json.Marshal output decodes")
	assert.Equal(t, "Chalmers", r2.Name[0].Family)
}

func TestEncodingJSONUsesGeneratedMethodsForValues(t *testing.T) {
	type wrapper struct {
		P    Patient
		List []HumanName
	}
	b, err := json.Marshal(wrapper{P: Patient{ID: "x"}, List: []HumanName{{Family: "F"}}})
	require.NoError(t, err)
	assert.Equal(t, `{"P":{"resourceType":"Patient","id":"x"},"List":[{"family":"F"}]}`, string(b))
}

func TestDecimalsKeepLexicalForm(t *testing.T) {
	in := `{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":1.50,"unit":"mg"},` +
		`"component":[{"code":{"text":"y"},"valueQuantity":{"value":1e2}}]}`
	r, err := UnmarshalResource([]byte(in))
	require.NoError(t, err)
	o := r.(*Observation)
	assert.Equal(t, "1.50", o.ValueQuantity.Value.String())
	assert.Equal(t, "1e2", o.Component[0].ValueQuantity.Value.String())
	assert.Same(t, o.ValueQuantity, o.Value())
	assert.Equal(t, "Quantity", o.ValueType())
	assert.Nil(t, o.Effective(), "an unset choice")
	assert.Empty(t, o.EffectiveType())
	out, err := o.MarshalJSON()
	require.NoError(t, err)
	assert.Equal(t, in, string(out))
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
		if assert.ErrorAs(t, err, &de, c.in) {
			assert.ErrorIs(t, err, c.sentinel, c.in)
			assert.Equal(t, c.path, de.Path, c.in)
		}
	}
	var p Patient
	assert.ErrorIs(t, json.Unmarshal([]byte(`{"resourceType":"Observation"}`), &p), fhirjson.ErrResourceType)
}

func TestLenientKeepsUnknownElements(t *testing.T) {
	in := `{"resourceType":"Patient","id":"p","name":[{"family":"F","nickname":"Bob"}],"futureElement":{"a":[1,2]}}`
	_, err := UnmarshalResource([]byte(in))
	require.ErrorIs(t, err, fhirjson.ErrUnknownElement, "strict")
	r, err := UnmarshalResource([]byte(in), fhirjson.Lenient())
	require.NoError(t, err)
	out, err := r.MarshalJSON()
	require.NoError(t, err)
	assert.Equal(t, in, string(out))
	var p Patient
	require.NoError(t, Unmarshal([]byte(in), &p, fhirjson.Lenient()))
	require.Len(t, p.Unknown, 1)
	assert.Equal(t, "nickname", p.Name[0].Unknown[0].Name)
}
