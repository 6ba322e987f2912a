package fhirjson

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestDateTimeChecks(t *testing.T) {
	cases := []struct {
		check Check
		name  string
		good  []string
		bad   []string
	}{
		{CheckDate, "date",
			[]string{"2020", "2020-01", "2020-12-31", "-0400", "1905-08-23"},
			[]string{"", "20", "2020-13", "2020-00", "2020-1", "2020-01-32", "2020-01-01T10:00:00Z", "12/31/2020", "2020-01-01 "}},
		{CheckDateTime, "dateTime",
			[]string{"2020", "2020-01", "2020-01-02", "2015-02-07T13:28:17-05:00", "2015-02-07T13:28:17.239+02:00", "2017-01-01T00:00:00Z", "2017-01-01T00:00:60Z", "2017-01-01T10:00:00+14:00"},
			[]string{"2020-01T10:00:00Z", "2020-01-01T10:00Z", "2020-01-01T10:00:00", "2020-01-01T24:00:00Z", "2020-01-01T10:00:00+14:30", "2020-01-01T10:00:00.Z", "2020-01-01T10:00:00+0100"}},
		{CheckInstant, "instant",
			[]string{"2015-02-07T13:28:17.239+02:00", "2017-01-01T00:00:00Z"},
			[]string{"2015-02-07", "2015-02-07T13:28:17", "-2015-02-07T13:28:17Z", "2015-02T13:28:17Z"}},
		{CheckTime, "time",
			[]string{"00:00:00", "23:59:59", "12:30:00.5"},
			[]string{"24:00:00", "12:30", "12:60:00", "1:00:00", "12:30:00Z"}},
	}
	for _, c := range cases {
		for _, s := range c.good {
			assert.True(t, c.check(s), "%s: %q rejected", c.name, s)
		}
		for _, s := range c.bad {
			assert.False(t, c.check(s), "%s: %q accepted", c.name, s)
		}
	}
}

func TestCheckID(t *testing.T) {
	for _, s := range []string{"a", "example-1.2", strings.Repeat("x", 64)} {
		assert.True(t, CheckID(s), "%q rejected", s)
	}
	for _, s := range []string{"", "a b", "a/b", "é", strings.Repeat("x", 65)} {
		assert.False(t, CheckID(s), "%q accepted", s)
	}
}
