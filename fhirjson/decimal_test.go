package fhirjson

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseDecimalKeepsLexicalForm(t *testing.T) {
	for _, s := range []string{"0", "-0", "1.50", "100", "-12.000", "1e2", "1.0E-3", "6.02e+23", "0.0"} {
		d, err := ParseDecimal(s)
		require.NoError(t, err, "ParseDecimal(%q)", s)
		assert.Equal(t, s, d.String())
		assert.False(t, d.IsZero(), "ParseDecimal(%q).IsZero()", s)
		b, err := d.MarshalJSON()
		require.NoError(t, err)
		assert.Equal(t, s, string(b), "MarshalJSON")
	}
}

func TestParseDecimalRejects(t *testing.T) {
	for _, s := range []string{"", "01", "1.", ".5", "+1", "1e", "1e+", "--1", "0x10", "NaN", "1 ", " 1", "1.5.5"} {
		_, err := ParseDecimal(s)
		assert.ErrorIs(t, err, ErrInvalidDecimal, "ParseDecimal(%q)", s)
	}
}

func TestDecimalValues(t *testing.T) {
	assert.Equal(t, 1.5, MustDecimal("1.50").Float64())
	r := MustDecimal("1e2").Rat()
	require.NotNil(t, r)
	assert.Equal(t, "100", r.RatString())
	assert.Nil(t, (Decimal{}).Rat(), "the zero Decimal is absent")
	assert.True(t, (Decimal{}).IsZero(), "the zero Decimal is absent")
	assert.Equal(t, "-42", DecimalFromInt(-42).String())
	assert.Equal(t, "0.1", DecimalFromFloat(0.1).String())
	assert.Panics(t, func() { MustDecimal("x") }, "MustDecimal of invalid input")
}

func TestDecimalWithEncodingJSON(t *testing.T) {
	var v struct{ A, B Decimal }
	require.NoError(t, json.Unmarshal([]byte(`{"A":1.50,"B":null}`), &v))
	assert.Equal(t, "1.50", v.A.String())
	assert.True(t, v.B.IsZero(), "null is absent")
	b, err := json.Marshal(v)
	require.NoError(t, err)
	assert.Equal(t, `{"A":1.50,"B":null}`, string(b))
	assert.Error(t, json.Unmarshal([]byte(`{"A":"1"}`), &v), "a JSON string as a decimal")
}
