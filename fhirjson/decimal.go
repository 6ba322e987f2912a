package fhirjson

import (
	"errors"
	"math/big"
	"strconv"
)

// Decimal is a FHIR decimal that keeps the exact lexical form it was decoded
// from or built with, so that "1.50" is re-encoded as 1.50 and not 1.5.
//
// The rule for exponents: any number that is valid JSON is accepted and
// preserved byte for byte, so "1e2" and "1.0E-3" are kept as written (FHIR
// STU3 allows exponents; DSTU2 examples use them too). Nothing is ever
// normalised. The zero Decimal is "absent" and is not encoded.
type Decimal struct {
	lit string
}

// ErrInvalidDecimal is returned by ParseDecimal for text that is not a JSON
// number.
var ErrInvalidDecimal = errors.New("fhirjson: invalid decimal")

// ParseDecimal returns the Decimal with lexical form s, which must follow the
// JSON number grammar (for example "0.5", "-12", "1.50", "6.02e23").
func ParseDecimal(s string) (Decimal, error) {
	if !validNumber(s) {
		return Decimal{}, ErrInvalidDecimal
	}
	return Decimal{lit: s}, nil
}

// MustDecimal is like ParseDecimal but panics on invalid input. It is meant
// for constants in code and tests.
func MustDecimal(s string) Decimal {
	d, err := ParseDecimal(s)
	if err != nil {
		panic(err)
	}
	return d
}

// DecimalFromInt returns the Decimal for the integer i.
func DecimalFromInt(i int64) Decimal {
	return Decimal{lit: strconv.FormatInt(i, 10)}
}

// DecimalFromFloat returns the Decimal for f written with the shortest
// representation that reads back as f, without exponent for ordinary
// magnitudes. It panics if f is NaN or infinite.
func DecimalFromFloat(f float64) Decimal {
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !validNumber(s) {
		panic("fhirjson: DecimalFromFloat of a non-finite number")
	}
	return Decimal{lit: s}
}

// String returns the lexical form, or "" for the zero (absent) Decimal.
func (d Decimal) String() string { return d.lit }

// IsZero reports whether d is absent (has no lexical form). A present zero,
// such as "0.0", is not IsZero.
func (d Decimal) IsZero() bool { return d.lit == "" }

// Float64 returns the nearest float64 value of d (0 for an absent Decimal).
func (d Decimal) Float64() float64 {
	f, _ := strconv.ParseFloat(d.lit, 64)
	return f
}

// Rat returns the exact value of d as a rational number, or nil for an absent
// Decimal.
func (d Decimal) Rat() *big.Rat {
	if d.lit == "" {
		return nil
	}
	r, ok := new(big.Rat).SetString(d.lit)
	if !ok {
		return nil
	}
	return r
}

// MarshalJSON writes the lexical form as a JSON number ("null" when absent).
func (d Decimal) MarshalJSON() ([]byte, error) {
	if d.lit == "" {
		return []byte("null"), nil
	}
	return []byte(d.lit), nil
}

// UnmarshalJSON keeps the lexical form of a JSON number.
func (d *Decimal) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" {
		*d = Decimal{}
		return nil
	}
	v, err := ParseDecimal(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// validNumber reports whether s follows the JSON number grammar.
func validNumber(s string) bool {
	n, ok := scanNumber(s, 0)
	return ok && n == len(s)
}

// scanNumber scans a JSON number starting at s[i] and returns the index just
// after it.
func scanNumber(s string, i int) (int, bool) {
	if i < len(s) && s[i] == '-' {
		i++
	}
	if i >= len(s) {
		return i, false
	}
	switch {
	case s[i] == '0':
		i++
	case s[i] >= '1' && s[i] <= '9':
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	default:
		return i, false
	}
	if i < len(s) && s[i] == '.' {
		i++
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == start {
			return i, false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == start {
			return i, false
		}
	}
	return i, true
}
