package fhirjson

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEncoderStringEscaping(t *testing.T) {
	cases := map[string]string{
		`<div xmlns="http://www.w3.org/1999/xhtml">a &amp; b</div>`: `"<div xmlns=\"http://www.w3.org/1999/xhtml\">a &amp; b</div>"`,
		"tab\there\nnl\r\x01\\": `"tab\there\nnl\r\u0001\\"`,
		"bad\xffutf8":           `"bad\ufffdutf8"`,
		"é😀":                    `"é😀"`,
	}
	for in, want := range cases {
		var e Encoder
		e.String(in)
		assert.Equal(t, want, string(e.Bytes()), "String(%q)", in)
		var back string
		assert.NoError(t, json.Unmarshal(e.Bytes(), &back), "String(%q) is valid JSON", in)
	}
}

// A kept member's name comes from the input: it is escaped, so a name
// holding a control character or a quote can neither break the JSON nor
// add members to it (FuzzUnmarshalResource found "\b").
func TestEncoderUnknownNamesEscaped(t *testing.T) {
	var e Encoder
	e.BeginObject()
	e.Key("resourceType")
	e.String("Patient")
	e.Unknown(Unknown{{Name: "\b", Value: "{}"}, {Name: `k":{},"id":"evil","z`, Value: "1"}, {Name: "ok", Value: "[]"}})
	e.EndObject()
	out := e.Bytes()
	require.True(t, json.Valid(out), "%s", out)
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(out, &m))
	assert.NotContains(t, m, "id", "no member injected")
	assert.Equal(t, json.RawMessage("{}"), m["\b"])
	assert.Equal(t, json.RawMessage("1"), m[`k":{},"id":"evil","z`])
	assert.Equal(t, json.RawMessage("[]"), m["ok"])
}

func TestEncoderSeparators(t *testing.T) {
	var e Encoder
	e.BeginObject()
	e.Key("a")
	e.BeginArray()
	e.Int(1)
	e.Null()
	e.BeginObject()
	e.EndObject()
	e.Bool(true)
	e.EndArray()
	e.Key("b")
	e.Decimal(Decimal{})
	e.BoolsField("c", []bool{false})
	e.IntsField("d", []int{2, 3})
	e.BoolsField("none", nil)
	e.IntsField("none", nil)
	CodeField(&e, "code", "x")
	e.EndObject()
	assert.Equal(t, `{"a":[1,null,{},true],"b":null,"c":[false],"d":[2,3],"code":"x"}`, string(e.Bytes()))
}

func TestPaddingAndExtensionArrays(t *testing.T) {
	r := rec{Given: []string{"a"}, GivenX: []*rec{nil, {Name: "e"}}}
	assert.Equal(t, `{"given":["a",null],"_given":[null,{"name":"e"}]}`, string(Marshal(&r)))
	// Only extensions, no values: the value array is left out.
	r = rec{GivenX: []*rec{{Name: "e"}}}
	assert.Equal(t, `{"_given":[{"name":"e"}]}`, string(Marshal(&r)))
	// All-nil extension arrays are not written.
	r = rec{Given: []string{"a"}, GivenX: []*rec{nil}}
	assert.Equal(t, `{"given":["a"]}`, string(Marshal(&r)))
}
