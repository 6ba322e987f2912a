package fhirschema

import (
	"bytes"
	"encoding/json"
	"errors"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Format names registered by the strict compiler.
const (
	formatPrefix   = "fhir-"
	formatDate     = formatPrefix + "date"
	formatDateTime = formatPrefix + "dateTime"
	formatInstant  = formatPrefix + "instant"
)

var strictFormats = []*jsonschema.Format{
	{Name: formatDate, Validate: func(v any) error { return checkString(v, checkDate) }},
	{Name: formatDateTime, Validate: func(v any) error { return checkString(v, checkDateTime) }},
	{Name: formatInstant, Validate: func(v any) error { return checkString(v, checkInstant) }},
}

var (
	errNotCalendar = errors.New("not a calendar date or time")
	errInstant     = errors.New("an instant needs date, time to the second and time zone")
)

// dateRE and dateTimeRE are the calendar-checkable shapes (non-negative
// years); anything else is left to the anchored pattern.
var (
	dateRE     = regexp.MustCompile(`^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$`)
	dateTimeRE = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$`)
)

// instantRE is the FHIR instant shape (the STU3 schema gives none).
var instantRE = regexp.MustCompile(`^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?(Z|[+-]((0[0-9]|1[0-3]):[0-5][0-9]|14:00))$`)

// checkString applies check to strings; other types are the type keyword's
// business.
func checkString(v any, check func(string) error) error {
	s, ok := v.(string)
	if !ok {
		return nil
	}
	return check(s)
}

// checkDate rejects YYYY-MM and YYYY-MM-DD that do not exist in the
// calendar. Other shapes are the anchored pattern's job (negative years,
// which the pattern allows, are not calendar-checked).
func checkDate(s string) error {
	if !dateRE.MatchString(s) {
		return nil
	}
	var layout string
	switch len(s) {
	case 4:
		layout = "2006"
	case 7:
		layout = "2006-01"
	case 10:
		layout = "2006-01-02"
	}
	if _, err := time.Parse(layout, s); err != nil {
		return errNotCalendar
	}
	return nil
}

// checkDateTime calendar-checks a date (see checkDate) or a full date-time.
func checkDateTime(s string) error {
	if !dateTimeRE.MatchString(s) {
		return checkDate(s)
	}
	if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
		return errNotCalendar
	}
	return nil
}

// checkInstant requires the full shape and a real calendar date-time.
func checkInstant(s string) error {
	if !instantRE.MatchString(s) {
		return errInstant
	}
	if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
		return errNotCalendar
	}
	return nil
}

// emptyValues reports empty strings, arrays and objects below v. FHIR JSON
// never has them: every element needs a value or children (constraint
// ele-1 in DSTU2 and STU3), and the schemas do not say so.
func emptyValues(v any, loc []string, out []Problem) []Problem {
	switch v := v.(type) {
	case map[string]any:
		if len(v) == 0 {
			return append(out, Problem{Path: pointer(loc), Message: "is an empty object (FHIR elements need a value or children)"})
		}
		for _, k := range slices.Sorted(maps.Keys(v)) {
			out = emptyValues(v[k], append(slices.Clip(loc), k), out)
		}
	case []any:
		if len(v) == 0 {
			return append(out, Problem{Path: pointer(loc), Message: "is an empty array (leave the element out instead)"})
		}
		for i, e := range v {
			out = emptyValues(e, append(slices.Clip(loc), strconv.Itoa(i)), out)
		}
	case string:
		if v == "" {
			return append(out, Problem{Path: pointer(loc), Message: "is an empty string (leave the element out instead)"})
		}
	}
	return out
}

// duplicateKeys reports object members whose name repeats within the same
// object: decoding silently keeps the last one, so the schema never sees the
// others. doc is known to be well-formed JSON.
func duplicateKeys(doc []byte) []Problem {
	type frame struct {
		object bool
		keys   map[string]bool
		index  int    // next array index
		key    string // pending member name
	}
	var out []Problem
	var stack []*frame
	var loc []string
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	// enter pushes the location of a value about to be read into its parent.
	enter := func() {
		if len(stack) == 0 {
			return
		}
		top := stack[len(stack)-1]
		if top.object {
			loc = append(loc, top.key)
		} else {
			loc = append(loc, strconv.Itoa(top.index))
			top.index++
		}
	}
	leave := func() {
		if len(stack) > 0 {
			loc = loc[:len(loc)-1]
		}
	}
	expectKey := false
	for {
		tok, err := dec.Token()
		if err != nil {
			return out
		}
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{', '[':
				enter()
				stack = append(stack, &frame{object: d == '{', keys: map[string]bool{}})
				expectKey = d == '{'
			case '}', ']':
				stack = stack[:len(stack)-1]
				leave()
				expectKey = len(stack) > 0 && stack[len(stack)-1].object
			}
			continue
		}
		if expectKey {
			top := stack[len(stack)-1]
			key := tok.(string)
			if top.keys[key] {
				out = append(out, Problem{Path: pointer(append(slices.Clip(loc), key)), Message: "is a duplicate member name"})
			}
			top.keys[key] = true
			top.key = key
			expectKey = false
			continue
		}
		// A scalar value: its location is entered and left at once.
		enter()
		leave()
		expectKey = len(stack) > 0 && stack[len(stack)-1].object
	}
}
