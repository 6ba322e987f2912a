package memehr

import (
	"encoding/json"
	"math"
	"strings"
	"time"
)

// str returns a JSON string value.
func str(v any) (string, bool) {
	s, ok := v.(string)
	return s, ok
}

// strings of a HumanName, an Address or a plain string, for string search.
func stringsOf(n node) []string {
	switch v := n.v.(type) {
	case string:
		return []string{v}
	case obj:
		var out []string
		for _, k := range []string{"text", "family", "given", "prefix", "suffix", "line", "city", "district", "state", "postalCode", "country", "display", "value"} {
			x, _ := v.get(k)
			switch x := x.(type) {
			case string:
				out = append(out, x)
			case []any:
				for _, e := range x {
					if s, ok := e.(string); ok {
						out = append(out, s)
					}
				}
			}
		}
		return out
	}
	return nil
}

// coding is a system/code pair with the texts a :text search reads.
type coding struct {
	system, code string
	plain        bool // a primitive code: its system is implicit
	texts        [2]string
}

// eachCoding calls fn with each coded value of a token-typed value (code,
// boolean, Coding, CodeableConcept, Identifier or ContactPoint) until fn
// returns true, and reports whether it did.
func eachCoding(n node, fn func(coding) bool) bool {
	switch v := n.v.(type) {
	case string:
		return fn(coding{code: v, plain: true, texts: [2]string{v}})
	case bool:
		if v {
			return fn(coding{code: "true", plain: true})
		}
		return fn(coding{code: "false", plain: true})
	case json.Number:
		return fn(coding{code: v.String(), plain: true})
	case obj:
		cv, _ := v.get("coding")
		tv, _ := v.get("text")
		if cs, ok := cv.([]any); ok || tv != nil {
			text := v.str("text")
			some := false
			for _, c := range cs {
				if cm, ok := c.(obj); ok {
					some = true
					if fn(coding{system: cm.str("system"), code: cm.str("code"), texts: [2]string{cm.str("display"), text}}) {
						return true
					}
				}
			}
			if !some && text != "" {
				return fn(coding{texts: [2]string{text}})
			}
			return false
		}
		if _, ok := v.get("code"); ok { // Coding
			return fn(coding{system: v.str("system"), code: v.str("code"), texts: [2]string{v.str("display")}})
		}
		if _, ok := v.get("value"); ok { // Identifier or ContactPoint
			c := coding{system: v.str("system"), code: v.str("value")}
			if t, _ := v.get("type"); t != nil {
				if t, ok := t.(obj); ok {
					c.texts[0] = t.str("text")
				}
			}
			return fn(c)
		}
	}
	return false
}

// interval is a time range [lo, hi); hi is +inf for an open period.
type interval struct {
	lo, hi   time.Time
	openLo   bool
	openHi   bool
	hasValue bool
}

var (
	minTime = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)
)

// dateOf returns the range covered by a date, dateTime, instant or Period.
func dateOf(n node, loc *time.Location) (interval, bool) {
	switch v := n.v.(type) {
	case string:
		lo, hi, ok := parseFHIRDate(v, loc)
		return interval{lo: lo, hi: hi, hasValue: true}, ok
	case obj:
		sv, _ := v.get("start")
		ev, _ := v.get("end")
		s, hasS := sv.(string)
		e, hasE := ev.(string)
		if !hasS && !hasE {
			return interval{}, false
		}
		iv := interval{lo: minTime, hi: maxTime, openLo: !hasS, openHi: !hasE, hasValue: true}
		if hasS {
			lo, _, ok := parseFHIRDate(s, loc)
			if !ok {
				return interval{}, false
			}
			iv.lo = lo
		}
		if hasE {
			_, hi, ok := parseFHIRDate(e, loc)
			if !ok {
				return interval{}, false
			}
			iv.hi = hi
		}
		return iv, true
	}
	return interval{}, false
}

// parseFHIRDate parses a FHIR date, dateTime or instant into the range it
// covers at its precision. Values without a zone use loc.
func parseFHIRDate(s string, loc *time.Location) (lo, hi time.Time, ok bool) {
	layouts := []struct {
		layout string
		step   func(time.Time) time.Time
	}{
		{"2006", func(t time.Time) time.Time { return t.AddDate(1, 0, 0) }},
		{"2006-01", func(t time.Time) time.Time { return t.AddDate(0, 1, 0) }},
		{"2006-01-02", func(t time.Time) time.Time { return t.AddDate(0, 0, 1) }},
	}
	for _, l := range layouts {
		if len(s) == len(l.layout) {
			t, err := time.ParseInLocation(l.layout, s, loc)
			if err != nil {
				return lo, hi, false
			}
			return t, l.step(t), true
		}
	}
	if len(s) < len("2006-01-02T15:04") || s[10] != 'T' {
		return lo, hi, false
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04Z07:00", "2006-01-02T15:04"} {
		t, err := time.ParseInLocation(layout, s, loc)
		if err != nil {
			continue
		}
		// The precision: minutes, seconds or the fraction's digits.
		body := s[11:]
		if i := strings.IndexAny(body, "Z+-"); i >= 0 {
			body = body[:i]
		}
		width := time.Minute
		if len(body) > 5 {
			width = time.Second
			if dot := strings.IndexByte(body, '.'); dot >= 0 {
				width = time.Duration(math.Pow10(9 - min(9, len(body)-dot-1)))
			}
		}
		return t, t.Add(width), true
	}
	return lo, hi, false
}

// number of a number or Quantity value, with its unit system and code.
func numberOf(n node) (val float64, system, code, unit string, ok bool) {
	switch v := n.v.(type) {
	case json.Number:
		f, err := v.Float64()
		return f, "", "", "", err == nil
	case obj:
		nv, _ := v.get("value")
		num, isNum := nv.(json.Number)
		if !isNum {
			return 0, "", "", "", false
		}
		f, err := num.Float64()
		return f, v.str("system"), v.str("code"), v.str("unit"), err == nil
	}
	return 0, "", "", "", false
}

// reference of a Reference value (or a uri/canonical string).
func referenceOf(n node) (string, bool) {
	switch v := n.v.(type) {
	case obj:
		rv, _ := v.get("reference")
		r, ok := rv.(string)
		return r, ok
	case string:
		return v, true
	}
	return "", false
}

// fold normalises text for case- and accent-insensitive string search.
func fold(s string) string {
	s = strings.ToLower(s)
	if isASCII(s) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if f, ok := accents[r]; ok {
			b.WriteRune(f)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// accents folds the common Latin letters with diacritics (lower case).
var accents = func() map[rune]rune {
	m := map[rune]rune{}
	for base, list := range map[rune]string{
		'a': "àáâãäåāăą", 'c': "çćĉċč", 'd': "ďđ", 'e': "èéêëēĕėęě", 'g': "ĝğġģ", 'h': "ĥħ",
		'i': "ìíîïĩīĭįı", 'j': "ĵ", 'k': "ķ", 'l': "ĺļľŀł", 'n': "ñńņňŉ", 'o': "òóôõöøōŏő",
		'r': "ŕŗř", 's': "śŝşšß", 't': "ţťŧ", 'u': "ùúûüũūŭůűų", 'w': "ŵ", 'y': "ýÿŷ", 'z': "źżž",
	} {
		for _, r := range list {
			m[r] = base
		}
	}
	return m
}()
