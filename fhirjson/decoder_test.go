package fhirjson

import (
	"errors"
	"strings"
	"testing"
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
	if err := Unmarshal([]byte(in), &r, "Rec"); err != nil {
		t.Fatal(err)
	}
	if r.Name != "a\"b\\cé😀<&>" || len(r.Given) != 2 || r.Given[1] != "" || r.GivenX[1].Name != "ext" {
		t.Fatalf("decoded %+v", r)
	}
	if *r.Flag || *r.Count != -3 || r.Value.String() != "1.50" || r.Values[0].String() != "1e2" {
		t.Fatalf("decoded %+v", r)
	}
	want := `{"name":"a\"b\\cé😀<&>","given":["x",null],"_given":[null,{"name":"ext"}],` +
		`"flag":false,"count":-3,"pos":7,"value":1.50,"values":[1e2,null,0.0],"when":"2020-02-03T04:05:06Z",` +
		`"child":{"items":[{"name":"i0"},{"name":"i1"}]}}`
	if got := string(Marshal(&r)); got != want {
		t.Fatalf("encoded\n%s\nwant\n%s", got, want)
	}
	if got := string(AppendJSON([]byte("x"), &rec{Name: "n"})); got != `x{"name":"n"}` {
		t.Fatalf("AppendJSON = %s", got)
	}
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
		if !errors.As(err, &de) {
			t.Errorf("%.40q: error %v is not a *DecodeError", c.in, err)
			continue
		}
		if !errors.Is(err, c.sentinel) {
			t.Errorf("%.40q: error %v, want %v", c.in, err, c.sentinel)
		}
		if c.path != "" && de.Path != c.path {
			t.Errorf("%.40q: path %q, want %q", c.in, de.Path, c.path)
		}
		if !strings.Contains(err.Error(), de.Msg) {
			t.Errorf("Error() = %q lacks the message", err.Error())
		}
		if strings.Contains(de.Msg, "2020") {
			t.Errorf("message %q echoes the input value", de.Msg)
		}
	}
}

func TestLenientKeepsUnknownMembers(t *testing.T) {
	in := `{"name":"a","extra":{"x":[1,{"y":null}],"z":[ ]},"child":{"more":true},"flag":true}`
	spaced := "{\"name\":\"a\",\"extra\" : { \"x\" : [ 1 , {\"y\":null} ],\n\t\"z\":[ ] } ,\"child\":{\"more\": true},\"flag\":true}"
	var r rec
	if err := Unmarshal([]byte(in), &r, "Rec"); !errors.Is(err, ErrUnknownElement) {
		t.Fatalf("strict decoding: %v", err)
	}
	r = rec{}
	if err := Unmarshal([]byte(in), &r, "Rec", Lenient()); err != nil {
		t.Fatal(err)
	}
	want := `{"name":"a","flag":true,"child":{"more":true},"extra":{"x":[1,{"y":null}],"z":[]}}`
	if got := string(Marshal(&r)); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	// Kept members are compacted; whitespace inside their strings is not touched.
	r = rec{}
	if err := Unmarshal([]byte(spaced), &r, "Rec", Lenient()); err != nil {
		t.Fatal(err)
	}
	if got := string(Marshal(&r)); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	if got := compact(`[ "a b\" c" , 1 ]`); got != `["a b\" c",1]` {
		t.Fatalf("compact = %s", got)
	}
	r = rec{}
	if err := Unmarshal([]byte(`{"name":"","items":[]}`), &r, "Rec", Lenient()); err != nil {
		t.Fatalf("lenient empty values: %v", err)
	}
	r = rec{}
	nulls := `{"name":null,"flag":null,"count":null,"value":null,"child":null,"when":"2020-02-30x","pos":0}`
	if err := Unmarshal([]byte(nulls), &r, "Rec", Lenient()); err != nil {
		t.Fatalf("lenient nulls: %v", err)
	}
	if got := string(Marshal(&r)); got != `{"pos":0,"when":"2020-02-30x"}` {
		t.Fatalf("lenient nulls re-encoded as %s", got)
	}
	if err := Unmarshal([]byte(`{"flag":1}`), &r, "Rec", Lenient()); !errors.Is(err, ErrWrongType) {
		t.Fatalf("lenient wrong kind: %v", err)
	}
}

func TestKeepComments(t *testing.T) {
	in := `{"fhir_comments":["c"],"name":"a"}`
	var r rec
	if err := Unmarshal([]byte(in), &r, "Rec"); !errors.Is(err, ErrUnknownElement) {
		t.Fatalf("without KeepComments: %v", err)
	}
	if err := Unmarshal([]byte(in), &r, "Rec", KeepComments()); err != nil {
		t.Fatal(err)
	}
	if got := string(Marshal(&r)); got != `{"name":"a","fhir_comments":["c"]}` {
		t.Fatalf("got %s", got)
	}
	if err := Unmarshal([]byte(`{"other":1}`), &r, "Rec", KeepComments()); !errors.Is(err, ErrUnknownElement) {
		t.Fatalf("KeepComments accepted another member: %v", err)
	}
}

func TestResourceTypeScan(t *testing.T) {
	d := NewDecoder([]byte(` {"id":"x","nested":{"resourceType":"No"},"resourceType":"Patient","z":[1]}`))
	rt, err := d.ResourceType()
	if err != nil || rt != "Patient" {
		t.Fatalf("ResourceType = %q, %v", rt, err)
	}
	if _, err := d.Skip(); err != nil {
		t.Fatalf("the scan consumed input: %v", err)
	}
	if err := d.End(); err != nil {
		t.Fatal(err)
	}
	for _, in := range []string{`{"id":"x"}`, `{"resourceType":1}`, `[1]`, `{"a":`} {
		if _, err := NewDecoder([]byte(in)).ResourceType(); err == nil {
			t.Errorf("%s: no error", in)
		}
	}
	d = NewDecoder([]byte(`"Observation"`))
	if err := d.CheckResourceType("Patient"); !errors.Is(err, ErrResourceType) {
		t.Errorf("CheckResourceType mismatch: %v", err)
	}
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
		if err != nil || got != want {
			t.Errorf("RawString(%s) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{`"\`, `"abc\"`, `"\u00"`, `"a\x"`} {
		if _, err := NewDecoder([]byte(in)).RawString(); !errors.Is(err, ErrSyntax) {
			t.Errorf("RawString(%s): %v", in, err)
		}
	}
}
