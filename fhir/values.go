package fhir

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// StringValue is one value of a string parameter.
type StringValue struct {
	// Value is the unescaped search text.
	Value string
	// Modifier is ModNone (starts-with, case-insensitive by FHIR default),
	// ModExact or ModContains.
	Modifier Modifier
}

// TokenValue is one value of a token parameter: "code", "system|code",
// "|code" (code without a system) or "system|" (any code in the system).
type TokenValue struct {
	// System is the code system; meaningful when HasSystem is true.
	System string
	// Code is the code or value; empty for "system|".
	Code string
	// HasSystem reports whether the value contained a "|": then System ""
	// means "no system" rather than "any system".
	HasSystem bool
	// Modifier is ModNone, ModNot or ModText.
	Modifier Modifier
	// Text is the search text when Modifier is ModText.
	Text string
}

// DatePrecision is the precision a date value was given with.
type DatePrecision int

// Date precisions, from the coarsest.
const (
	PrecisionYear DatePrecision = iota + 1
	PrecisionMonth
	PrecisionDay
	PrecisionMinute
	PrecisionSecond
	PrecisionFraction
)

// DateValue is one value of a date parameter. A partial date stands for the
// implicit range it covers: "1957" is [1957-01-01, 1958-01-01), in the time
// zone given or, without one, the parser's location.
type DateValue struct {
	// Prefix is the comparison prefix (PrefixEq when absent).
	Prefix Prefix
	// Start is the inclusive start of the implicit range.
	Start time.Time
	// End is the exclusive end of the implicit range.
	End time.Time
	// Precision is the precision the value was given with.
	Precision DatePrecision
}

// NumberValue is one value of a number parameter. Text keeps the lexical
// form; Low and High are the implicit range given by its significant digits
// ("100" is [99.5, 100.5)).
type NumberValue struct {
	// Prefix is the comparison prefix (PrefixEq when absent).
	Prefix Prefix
	// Text is the number as written, without the prefix.
	Text string
	// Value is the number.
	Value float64
	// Low is the inclusive low end of the implicit range.
	Low float64
	// High is the exclusive high end of the implicit range.
	High float64
}

// QuantityValue is one value of a quantity parameter:
// "[prefix]number|system|code", "number||code" or "number".
type QuantityValue struct {
	// NumberValue is the number part, with prefix and implicit range.
	NumberValue
	// System is the unit system (empty when not given).
	System string
	// Code is the unit code (empty when not given).
	Code string
}

// ReferenceValue is one value of a reference parameter: "id", "Type/id" or
// an absolute URL.
type ReferenceValue struct {
	// Type is the resource type, from the value or the :[type] modifier.
	Type string
	// ID is the logical id.
	ID string
	// URL is the absolute URL when the value was one.
	URL string
}

// URIValue is one value of a uri parameter.
type URIValue struct {
	// Value is the URI.
	Value string
	// Modifier is ModNone, ModBelow or ModAbove.
	Modifier Modifier
}

// value is the parsed form of one OR element, whatever its type.
type value struct {
	str   StringValue
	token TokenValue
	date  DateValue
	num   QuantityValue
	ref   ReferenceValue
	uri   URIValue
}

// splitEscaped splits s on sep where sep is not escaped by a backslash.
func splitEscaped(s string, sep byte) []string {
	if strings.IndexByte(s, sep) < 0 {
		return []string{s}
	}
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case sep:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// unescape removes the search escapes \, \| \$ and \\.
func unescape(s string) string {
	if strings.IndexByte(s, '\\') < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) {
			switch s[i+1] {
			case ',', '|', '$', '\\':
				b.WriteByte(s[i+1])
				i++
				continue
			}
		}
		b.WriteByte(c)
	}
	return b.String()
}

// splitPrefix removes a two-letter comparison prefix from s.
func splitPrefix(s string) (Prefix, string) {
	if len(s) >= 3 {
		p := Prefix(s[:2])
		switch p {
		case PrefixEq, PrefixNe, PrefixGt, PrefixLt, PrefixGe, PrefixLe, PrefixSa, PrefixEb, PrefixAp:
			if c := s[2]; c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' {
				return p, s[2:]
			}
		}
	}
	return PrefixEq, s
}

// parseNumber parses a FHIR search number and its implicit range.
func parseNumber(s string) (NumberValue, bool) {
	if s == "" || len(s) > 64 {
		return NumberValue{}, false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E') {
			return NumberValue{}, false
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return NumberValue{}, false
	}
	mant, exp := s, 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		mant = s[:i]
		e, err := strconv.Atoi(s[i+1:])
		if err != nil {
			return NumberValue{}, false
		}
		exp = e
	}
	decimals := 0
	if i := strings.IndexByte(mant, '.'); i >= 0 {
		decimals = len(mant) - i - 1
	}
	half := 0.5 * math.Pow10(exp-decimals)
	return NumberValue{Prefix: PrefixEq, Text: s, Value: f, Low: f - half, High: f + half}, true
}

// digits parses exactly n ASCII digits at s[i:].
func digits(s string, i, n int) (int, bool) {
	if i+n > len(s) {
		return 0, false
	}
	v := 0
	for _, c := range []byte(s[i : i+n]) {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

// parseDate parses a FHIR search date (yyyy, yyyy-mm, yyyy-mm-dd, or a
// dateTime with minutes, seconds or a fraction, and an optional zone) into
// its implicit range. Values without a zone use loc.
func parseDate(s string, loc *time.Location) (DateValue, bool) {
	var dv DateValue
	year, ok := digits(s, 0, 4)
	if !ok {
		return dv, false
	}
	month, day := 1, 1
	var hour, min, sec, nsec int
	i := 4
	dv.Precision = PrecisionYear
	if i < len(s) && s[i] == '-' {
		if month, ok = digits(s, i+1, 2); !ok || month < 1 || month > 12 {
			return dv, false
		}
		i += 3
		dv.Precision = PrecisionMonth
		if i < len(s) && s[i] == '-' {
			if day, ok = digits(s, i+1, 2); !ok || day < 1 || day > daysIn(year, month) {
				return dv, false
			}
			i += 3
			dv.Precision = PrecisionDay
		}
	}
	fracDigits := 0
	if dv.Precision == PrecisionDay && i < len(s) && s[i] == 'T' {
		if hour, ok = digits(s, i+1, 2); !ok || hour > 23 || i+3 >= len(s) || s[i+3] != ':' {
			return dv, false
		}
		if min, ok = digits(s, i+4, 2); !ok || min > 59 {
			return dv, false
		}
		i += 6
		dv.Precision = PrecisionMinute
		if i < len(s) && s[i] == ':' {
			if sec, ok = digits(s, i+1, 2); !ok || sec > 59 {
				return dv, false
			}
			i += 3
			dv.Precision = PrecisionSecond
			if i < len(s) && s[i] == '.' {
				j := i + 1
				for j < len(s) && s[j] >= '0' && s[j] <= '9' {
					j++
				}
				fracDigits = j - i - 1
				if fracDigits == 0 || fracDigits > 9 {
					return dv, false
				}
				f, _ := digits(s, i+1, fracDigits)
				nsec = f * int(math.Pow10(9-fracDigits))
				i = j
				dv.Precision = PrecisionFraction
			}
		}
		// Zone: Z, +hh:mm or -hh:mm; absent means the server's location.
		if i < len(s) {
			switch s[i] {
			case 'Z':
				loc = time.UTC
				i++
			case '+', '-', ' ': // ' ' is a '+' that the client did not URL-encode
				zh, ok1 := digits(s, i+1, 2)
				zm, ok2 := digits(s, i+4, 2)
				if !ok1 || !ok2 || s[i+3] != ':' || zh > 14 || zm > 59 {
					return dv, false
				}
				off := zh*3600 + zm*60
				if s[i] == '-' {
					off = -off
				}
				loc = time.FixedZone("", off)
				i += 6
			}
		}
	}
	if i != len(s) {
		return dv, false
	}
	dv.Prefix = PrefixEq
	dv.Start = time.Date(year, time.Month(month), day, hour, min, sec, nsec, loc)
	switch dv.Precision {
	case PrecisionYear:
		dv.End = dv.Start.AddDate(1, 0, 0)
	case PrecisionMonth:
		dv.End = dv.Start.AddDate(0, 1, 0)
	case PrecisionDay:
		dv.End = dv.Start.AddDate(0, 0, 1)
	case PrecisionMinute:
		dv.End = dv.Start.Add(time.Minute)
	case PrecisionSecond:
		dv.End = dv.Start.Add(time.Second)
	case PrecisionFraction:
		dv.End = dv.Start.Add(time.Duration(math.Pow10(9 - fracDigits)))
	}
	return dv, true
}

func daysIn(year, month int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// parseReference splits a reference search value.
func parseReference(s, targetType string) (ReferenceValue, bool) {
	if s == "" {
		return ReferenceValue{}, false
	}
	rv := ReferenceValue{Type: targetType}
	rest := s
	if strings.Contains(s, "://") {
		rv.URL = s
		rest = s[strings.Index(s, "://")+3:]
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			rest = rest[i+1:]
		} else {
			return rv, true
		}
	}
	if i := strings.Index(rest, "/_history/"); i >= 0 {
		rest = rest[:i]
	}
	parts := strings.Split(rest, "/")
	switch {
	case len(parts) == 1:
		rv.ID = parts[0]
	case len(parts) >= 2:
		typ, id := parts[len(parts)-2], parts[len(parts)-1]
		if rv.Type != "" && rv.Type != typ && rv.URL == "" {
			return rv, false
		}
		rv.Type, rv.ID = typ, id
	}
	if rv.ID == "" && rv.URL == "" {
		return rv, false
	}
	return rv, true
}
