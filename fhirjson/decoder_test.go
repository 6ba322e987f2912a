package fhirjson

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rec is a small hand-written type driven the same way as generated code.
type rec struct {
	Name    string
	Given   []string
	GivenX  []*rec
	Flag    *bool
	Count   *int
	Pos     *int
	Value   Decimal
	Values  []Decimal
	When    string
	Child   *rec
	Items   []rec
	Unknown Unknown
}

func (x *rec) DecodeJSON(d *Decoder) error { return d.Object(x.field) }

func (x *rec) field(d *Decoder, k string) error {
	switch k {
	case "name":
		return d.String(&x.Name, nil)
	case "given":
		return d.Strings(&x.Given, nil)
	case "_given":
		return PtrSlice(d, &x.GivenX)
	case "flag":
		return d.Bool(&x.Flag)
	case "count":
		return d.Int(&x.Count, Integer)
	case "pos":
		return d.Int(&x.Pos, PositiveInt)
	case "value":
		return d.Decimal(&x.Value)
	case "values":
		return d.Decimals(&x.Values)
	case "when":
		return d.String(&x.When, CheckDateTime)
	case "child":
		return Ptr(d, &x.Child)
	case "items":
		return Slice(d, &x.Items)
	}
	return d.Unknown(k, &x.Unknown)
}

func (x *rec) EncodeJSON(e *Encoder) {
	e.BeginObject()
	e.StringField("name", x.Name)
	CodesField(e, "given", x.Given, len(x.GivenX))
	PtrSliceField(e, "_given", x.GivenX)
	e.BoolField("flag", x.Flag)
	e.IntField("count", x.Count)
	e.IntField("pos", x.Pos)
	e.DecimalField("value", x.Value)
	e.DecimalsField("values", x.Values, 0)
	e.StringField("when", x.When)
	PtrField(e, "child", x.Child)
	SliceField(e, "items", x.Items)
	e.Unknown(x.Unknown)
	e.EndObject()
}

func TestDecodeEncodeRoundTrip(t *testing.T) {
	in := `{"name":"a\"b\\c\u00e9\ud83d\ude00<&>","given":["x",null],"_given":[null,{"name":"ext"}],` +
		`"flag":false,"count":-3,"pos":7,"value":1.50,"values":[1e2,null,0.0],"when":"2020-02-03T04:05:06Z",` +
		`"child":{"items":[{"name":"i0"},{"name":"i1"}]}}`
	var r rec
	require.NoError(t, Unmarshal([]byte(in), &r, "Rec"))
	assert.Equal(t, "a\"b\\cé😀<&>", r.Name)
	assert.Equal(t, []string{"x", ""}, r.Given)
	assert.Equal(t, "ext", r.GivenX[1].Name)
	assert.Equal(t, false, *r.Flag)
	assert.Equal(t, -3, *r.Count)
	assert.Equal(t, "1.50", r.Value.String())
	assert.Equal(t, "1e2", r.Values[0].String())
	want := `{"name":"a\"b\\cé😀<&>","given":["x",null],"_given":[null,{"name":"ext"}],` +
		`"flag":false,"count":-3,"pos":7,"value":1.50,"values":[1e2,null,0.0],"when":"2020-02-03T04:05:06Z",` +
		`"child":{"items":[{"name":"i0"},{"name":"i1"}]}}`
	assert.Equal(t, want, string(Marshal(&r)))
	assert.Equal(t, `x{"name":"n"}`, string(AppendJSON([]byte("x"), &rec{Name: "n"})))
}

func TestDecodeErrors(t *testing.T) {
	cases := []struct {
		in       string
		path     string
		sentinel error
	}{
		{`{"name":1}`, "Rec.name", ErrWrongType},
		{`{"given":["a",2]}`, "Rec.given[1]", ErrWrongType},
		{`{"child":{"items":[{},{"bogus":1}]}}`, "Rec.child.items[1].bogus", ErrUnknownElement},
		{`{"name":""}`, "Rec.name", ErrInvalidValue},
		{`{"name":null}`, "Rec.name", ErrWrongType},
		{`{"when":"2020-02-30T10:00"}`, "Rec.when", ErrInvalidValue},
		{`{"pos":0}`, "Rec.pos", ErrInvalidValue},
		{`{"count":1.5}`, "Rec.count", ErrInvalidValue},
		{`{"count":99999999999}`, "Rec.count", ErrInvalidValue},
		{`{"flag":"true"}`, "Rec.flag", ErrWrongType},
		{`{"items":[]}`, "Rec.items", ErrInvalidValue},
		{`{"child":[]}`, "Rec.child", ErrWrongType},
		{`{"name":"a"`, "Rec", ErrSyntax},
		{`{"name":"a"}x`, "", ErrSyntax},
		{`{"name" "a"}`, "Rec", ErrSyntax},
		{`{"name":"a\x01"}`, "Rec.name", ErrSyntax},
		{`{"name":"\xff"}`, "Rec.name", ErrSyntax},
		{`{"name":"\q"}`, "Rec.name", ErrSyntax},
		{`{"name":"\u12"}`, "Rec.name", ErrSyntax},
		{`{"value":01}`, "Rec.value", ErrSyntax},
		{`{"value":-}`, "Rec.value", ErrSyntax},
		{`{"flag":tru}`, "Rec.flag", ErrSyntax},
		{`{"given":[nul]}`, "Rec.given[0]", ErrSyntax},
		{``, "Rec", ErrSyntax},
		{`{"` + strings.Repeat("k", 100) + `":1}`, "Rec." + strings.Repeat("k", 64) + "...", ErrUnknownElement},
		{`[]`, "Rec", ErrWrongType},
		{strings.Repeat(`{"child":`, 600) + "{}" + strings.Repeat("}", 600), "", ErrSyntax},
	}
	for _, c := range cases {
		var r rec
		err := Unmarshal([]byte(c.in), &r, "Rec")
		var de *DecodeError
		if !assert.ErrorAs(t, err, &de, "%.40q", c.in) {
			continue
		}
		assert.ErrorIs(t, err, c.sentinel, "%.40q", c.in)
		if c.path != "" {
			assert.Equal(t, c.path, de.Path, "%.40q", c.in)
		}
		assert.ErrorContains(t, err, de.Msg, "Error() carries the message")
		assert.NotContains(t, de.Msg, "2020", "the message echoes the input value")
	}
}

func TestLenientKeepsUnknownMembers(t *testing.T) {
	in := `{"name":"a","extra":{"x":[1,{"y":null}],"z":[ ]},"child":{"more":true},"flag":true}`
	spaced := "{\"name\":\"a\",\"extra\" : { \"x\" : [ 1 , {\"y\":null} ],\n\t\"z\":[ ] } ,\"child\":{\"more\": true},\"flag\":true}"
	var r rec
	require.ErrorIs(t, Unmarshal([]byte(in), &r, "Rec"), ErrUnknownElement, "strict decoding")
	r = rec{}
	require.NoError(t, Unmarshal([]byte(in), &r, "Rec", Lenient()))
	want := `{"name":"a","flag":true,"child":{"more":true},"extra":{"x":[1,{"y":null}],"z":[]}}`
	assert.Equal(t, want, string(Marshal(&r)))
	// Kept members are compacted; whitespace inside their strings is not touched.
	r = rec{}
	require.NoError(t, Unmarshal([]byte(spaced), &r, "Rec", Lenient()))
	assert.Equal(t, want, string(Marshal(&r)))
	assert.Equal(t, `["a b\" c",1]`, compact(`[ "a b\" c" , 1 ]`))
	r = rec{}
	require.NoError(t, Unmarshal([]byte(`{"name":"","items":[]}`), &r, "Rec", Lenient()), "lenient empty values")
	r = rec{}
	nulls := `{"name":null,"flag":null,"count":null,"value":null,"child":null,"when":"2020-02-30x","pos":0}`
	require.NoError(t, Unmarshal([]byte(nulls), &r, "Rec", Lenient()), "lenient nulls")
	assert.Equal(t, `{"pos":0,"when":"2020-02-30x"}`, string(Marshal(&r)), "lenient nulls re-encoded")
	assert.ErrorIs(t, Unmarshal([]byte(`{"flag":1}`), &r, "Rec", Lenient()), ErrWrongType, "lenient wrong kind")
}

func TestKeepComments(t *testing.T) {
	in := `{"fhir_comments":["c"],"name":"a"}`
	var r rec
	require.ErrorIs(t, Unmarshal([]byte(in), &r, "Rec"), ErrUnknownElement, "without KeepComments")
	require.NoError(t, Unmarshal([]byte(in), &r, "Rec", KeepComments()))
	assert.Equal(t, `{"name":"a","fhir_comments":["c"]}`, string(Marshal(&r)))
	assert.ErrorIs(t, Unmarshal([]byte(`{"other":1}`), &r, "Rec", KeepComments()), ErrUnknownElement, "KeepComments keeps only fhir_comments")
}

func TestResourceTypeScan(t *testing.T) {
	d := NewDecoder([]byte(` {"id":"x","nested":{"resourceType":"No"},"resourceType":"Patient","z":[1]}`))
	rt, err := d.ResourceType()
	require.NoError(t, err)
	assert.Equal(t, "Patient", rt)
	_, err = d.Skip()
	require.NoError(t, err, "the scan consumed no input")
	require.NoError(t, d.End())
	for _, in := range []string{`{"id":"x"}`, `{"resourceType":1}`, `[1]`, `{"a":`} {
		_, err := NewDecoder([]byte(in)).ResourceType()
		assert.Error(t, err, in)
	}
	d = NewDecoder([]byte(`"Observation"`))
	assert.ErrorIs(t, d.CheckResourceType("Patient"), ErrResourceType, "CheckResourceType mismatch")
}

func TestEscapedStrings(t *testing.T) {
	cases := map[string]string{
		`"\ud800x"`:                "\ufffdx",
		`"\ud83d\ude00\n\t\/\b\f"`: "😀\n\t/\b\f",
		`"plain then \\ escape é"`: `plain then \ escape é`,
		`"\u0041\u00e9\u20ac"`:     "Aé€",
		`"\"\""`:                   `""`,
		`"tail\\"`:                 `tail\`,
		`"\ud83d\u0041"`:           "\ufffdA",
		`"long ` + strings.Repeat("x\\n", 100) + `"`: "long " + strings.Repeat("x\n", 100),
	}
	for in, want := range cases {
		d := NewDecoder([]byte(in))
		got, err := d.RawString()
		if assert.NoError(t, err, in) {
			assert.Equal(t, want, got, "RawString(%s)", in)
		}
	}
	for _, in := range []string{`"\`, `"abc\"`, `"\u00"`, `"a\x"`} {
		_, err := NewDecoder([]byte(in)).RawString()
		assert.ErrorIs(t, err, ErrSyntax, "RawString(%s)", in)
	}
}
