package fhirschema

import (
	"errors"
	"regexp"
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
