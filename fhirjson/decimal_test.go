package fhirjson

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestParseDecimalKeepsLexicalForm(t *testing.T) {
	for _, s := range []string{"0", "-0", "1.50", "100", "-12.000", "1e2", "1.0E-3", "6.02e+23", "0.0"} {
		d, err := ParseDecimal(s)
		if err != nil {
			t.Fatalf("ParseDecimal(%q): %v", s, err)
		}
		if d.String() != s {
			t.Errorf("ParseDecimal(%q).String() = %q", s, d.String())
		}
		if d.IsZero() {
			t.Errorf("ParseDecimal(%q).IsZero() = true", s)
		}
		b, _ := d.MarshalJSON()
		if string(b) != s {
			t.Errorf("MarshalJSON(%q) = %s", s, b)
		}
	}
}

func TestParseDecimalRejects(t *testing.T) {
	for _, s := range []string{"", "01", "1.", ".5", "+1", "1e", "1e+", "--1", "0x10", "NaN", "1 ", " 1", "1.5.5"} {
		if _, err := ParseDecimal(s); !errors.Is(err, ErrInvalidDecimal) {
			t.Errorf("ParseDecimal(%q) error = %v, want ErrInvalidDecimal", s, err)
		}
	}
}

func TestDecimalValues(t *testing.T) {
	if got := MustDecimal("1.50").Float64(); got != 1.5 {
		t.Errorf("Float64 = %v", got)
	}
	if r := MustDecimal("1e2").Rat(); r == nil || r.RatString() != "100" {
		t.Errorf("Rat(1e2) = %v", r)
	}
	if (Decimal{}).Rat() != nil || !(Decimal{}).IsZero() {
		t.Error("zero Decimal should be absent")
	}
	if got := DecimalFromInt(-42).String(); got != "-42" {
		t.Errorf("DecimalFromInt = %q", got)
	}
	if got := DecimalFromFloat(0.1).String(); got != "0.1" {
		t.Errorf("DecimalFromFloat = %q", got)
	}
	defer func() {
		if recover() == nil {
			t.Error("MustDecimal of invalid input did not panic")
		}
	}()
	MustDecimal("x")
}

func TestDecimalWithEncodingJSON(t *testing.T) {
	var v struct{ A, B Decimal }
	if err := json.Unmarshal([]byte(`{"A":1.50,"B":null}`), &v); err != nil {
		t.Fatal(err)
	}
	if v.A.String() != "1.50" || !v.B.IsZero() {
		t.Fatalf("got %+v", v)
	}
	b, err := json.Marshal(v)
	if err != nil || string(b) != `{"A":1.50,"B":null}` {
		t.Fatalf("Marshal = %s, %v", b, err)
	}
	if err := json.Unmarshal([]byte(`{"A":"1"}`), &v); err == nil {
		t.Error("a JSON string was accepted as a decimal")
	}
}
