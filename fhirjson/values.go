package fhirjson

import "strconv"

// Check validates the lexical form of a string-based primitive. The
// generated code passes one of CheckDate, CheckDateTime, CheckInstant,
// CheckTime, or nil for no check beyond non-emptiness.
type Check func(string) bool

// String decodes a non-empty JSON string into dst. check, if not nil,
// validates the lexical form in strict mode.
func (d *Decoder) String(dst *string, check Check) error {
	s, err := d.stringValue(check)
	if err != nil {
		return err
	}
	*dst = s
	return nil
}

func (d *Decoder) stringValue(check Check) (string, error) {
	c := d.peek()
	if c != '"' {
		if c == 'n' && d.lenient {
			_, err := d.IsNull()
			return "", err
		}
		return "", d.wrongType("a string", c)
	}
	start := d.pos
	s, err := d.str0()
	if err != nil {
		return "", err
	}
	if !d.lenient {
		if s == "" {
			d.pos = start
			return "", d.Invalid("empty strings are not allowed")
		}
		if check != nil && !check(s) {
			d.pos = start
			return "", d.Invalid("value does not match the FHIR date/time format")
		}
	}
	return s, nil
}

// lenientNull consumes a null in lenient mode, where a null single element
// counts as absent.
func (d *Decoder) lenientNull() (bool, error) {
	if !d.lenient {
		return false, nil
	}
	return d.IsNull()
}

// Code decodes a JSON string into a string-based code type.
func Code[T ~string](d *Decoder, dst *T) error {
	s, err := d.stringValue(nil)
	if err != nil {
		return err
	}
	*dst = T(s)
	return nil
}

// Strings decodes an array of strings; null elements (allowed when the
// matching "_name" array carries extensions) become "".
func (d *Decoder) Strings(dst *[]string, check Check) error {
	return Codes(d, dst, check)
}

// Codes decodes an array of string-based values; null elements become "".
func Codes[T ~string](d *Decoder, dst *[]T, check Check) error {
	var s []T
	err := d.Array(func(d *Decoder, _ int) error {
		if null, err := d.IsNull(); null || err != nil {
			s = append(s, "")
			return err
		}
		v, err := d.stringValue(check)
		s = append(s, T(v))
		return err
	})
	*dst = s
	return err
}

// Bool decodes a JSON boolean into a newly allocated *bool.
func (d *Decoder) Bool(dst **bool) error {
	if skip, err := d.lenientNull(); skip || err != nil {
		return err
	}
	b, err := d.RawBool()
	if err != nil {
		return err
	}
	*dst = &b
	return nil
}

// Bools decodes an array of booleans (null elements are not supported).
func (d *Decoder) Bools(dst *[]bool) error {
	var s []bool
	err := d.Array(func(d *Decoder, _ int) error {
		b, err := d.RawBool()
		s = append(s, b)
		return err
	})
	*dst = s
	return err
}

// IntKind selects the range check for integer primitives.
type IntKind uint8

// Integer kinds of FHIR.
const (
	Integer     IntKind = iota // integer: 32-bit signed
	PositiveInt                // positiveInt: 1 .. 2^31-1
	UnsignedInt                // unsignedInt: 0 .. 2^31-1
)

func (d *Decoder) intValue(k IntKind) (int, error) {
	start := d.pos
	s, err := d.RawNumber()
	if err != nil {
		return 0, err
	}
	n, perr := strconv.ParseInt(s, 10, 32)
	if perr != nil {
		d.pos = start
		return 0, d.Invalid("not a 32-bit integer")
	}
	if !d.lenient {
		if (k == PositiveInt && n < 1) || (k == UnsignedInt && n < 0) {
			d.pos = start
			return 0, d.Invalid("integer out of range")
		}
	}
	return int(n), nil
}

// Int decodes a JSON integer into a newly allocated *int.
func (d *Decoder) Int(dst **int, k IntKind) error {
	if skip, err := d.lenientNull(); skip || err != nil {
		return err
	}
	n, err := d.intValue(k)
	if err != nil {
		return err
	}
	*dst = &n
	return nil
}

// Ints decodes an array of integers (null elements are not supported).
func (d *Decoder) Ints(dst *[]int, k IntKind) error {
	var s []int
	err := d.Array(func(d *Decoder, _ int) error {
		n, err := d.intValue(k)
		s = append(s, n)
		return err
	})
	*dst = s
	return err
}

// Decimal decodes a JSON number keeping its lexical form.
func (d *Decoder) Decimal(dst *Decimal) error {
	if skip, err := d.lenientNull(); skip || err != nil {
		return err
	}
	s, err := d.RawNumber()
	if err != nil {
		return err
	}
	*dst = Decimal{lit: s}
	return nil
}

// Decimals decodes an array of numbers; null elements become absent
// Decimals.
func (d *Decoder) Decimals(dst *[]Decimal) error {
	var s []Decimal
	err := d.Array(func(d *Decoder, _ int) error {
		if null, err := d.IsNull(); null || err != nil {
			s = append(s, Decimal{})
			return err
		}
		n, err := d.RawNumber()
		s = append(s, Decimal{lit: n})
		return err
	})
	*dst = s
	return err
}

// Ptr decodes an object into a newly allocated T.
func Ptr[T any, P interface {
	*T
	Decodable
}](d *Decoder, dst **T) error {
	if skip, err := d.lenientNull(); skip || err != nil {
		return err
	}
	v := new(T)
	if err := P(v).DecodeJSON(d); err != nil {
		return err
	}
	*dst = v
	return nil
}

// Slice decodes an array of objects.
func Slice[T any, P interface {
	*T
	Decodable
}](d *Decoder, dst *[]T) error {
	var s []T
	err := d.Array(func(d *Decoder, _ int) error {
		var zero T
		s = append(s, zero)
		return P(&s[len(s)-1]).DecodeJSON(d)
	})
	*dst = s
	return err
}

// PtrSlice decodes an array of objects or nulls (the "_name" arrays of
// primitive extensions); nulls become nil.
func PtrSlice[T any, P interface {
	*T
	Decodable
}](d *Decoder, dst *[]*T) error {
	var s []*T
	err := d.Array(func(d *Decoder, _ int) error {
		if null, err := d.IsNull(); null || err != nil {
			s = append(s, nil)
			return err
		}
		v := new(T)
		s = append(s, v)
		return P(v).DecodeJSON(d)
	})
	*dst = s
	return err
}
