package fhirjson

import (
	"encoding/json"
	"testing"
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
		if got := string(e.Bytes()); got != want {
			t.Errorf("String(%q) = %s, want %s", in, got, want)
		}
		var back string
		if err := json.Unmarshal(e.Bytes(), &back); err != nil {
			t.Errorf("String(%q) is not valid JSON: %v", in, err)
		}
	}
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
	if got, want := string(e.Bytes()), `{"a":[1,null,{},true],"b":null,"c":[false],"d":[2,3],"code":"x"}`; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}

func TestPaddingAndExtensionArrays(t *testing.T) {
	r := rec{Given: []string{"a"}, GivenX: []*rec{nil, {Name: "e"}}}
	if got, want := string(Marshal(&r)), `{"given":["a",null],"_given":[null,{"name":"e"}]}`; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	// Only extensions, no values: the value array is left out.
	r = rec{GivenX: []*rec{{Name: "e"}}}
	if got, want := string(Marshal(&r)), `{"_given":[{"name":"e"}]}`; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	// All-nil extension arrays are not written.
	r = rec{Given: []string{"a"}, GivenX: []*rec{nil}}
	if got, want := string(Marshal(&r)), `{"given":["a"]}`; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}
