package fhir

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// internals are strings that would betray implementation details.
var internals = []string{"runtime", "goroutine", "panic", "strconv", ".go:", "encoding/json", "json:", "invalid character", "unexpected end"}

func checkNoLeak(t *testing.T, err error) {
	t.Helper()
	var fe *Error
	require.ErrorAs(t, err, &fe)
	o := Classify(err)
	require.True(t, o.Status >= 400 && (o.Status < 500 || o.Status == http.StatusNotImplemented), "status %d for %v", o.Status, err)
	for _, s := range internals {
		require.NotContains(t, o.Diagnostics, s, "diagnostics leak")
	}
}

func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{
		"family:contains=chau&given=hugh&_count=10",
		"id=1&birthdate=1957-06-05&gender=male&identifier=http://h.org|123",
		"patient=Patient/1&_sort:desc=date&category=vital-signs",
		"date=ge2019-03-01T10:30:15.5%2B02:00&value-quantity=le5.4|http://unitsofmeasure.org|mg",
		`family=a\,b,c&identifier=|x&url:below=http://x&length=ap1e2&subject:Patient=9`,
		"_summary=count&_sort=-date,family&name:missing=true&_cursor=abc",
		"%zz&&=&:=&_count=99999999999999999999",
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	p, err := NewParser(STU3, testParams, nil)
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, raw string, strict bool) {
		pairs, err := ParsePairs(raw)
		if err != nil {
			checkNoLeak(t, err)
			return
		}
		q, err := p.Parse(pairs, strict)
		if err != nil {
			checkNoLeak(t, err)
			return
		}
		// The canonical encoding is a fixed point: it parses strictly and
		// encodes to itself.
		enc := q.Encode()
		pairs2, err := ParsePairs(enc)
		require.NoError(t, err, "canonical %q does not decode", enc)
		q2, err := p.Parse(pairs2, true)
		require.NoError(t, err, "canonical %q does not parse strictly", enc)
		require.Equal(t, enc, q2.Encode(), "the canonical encoding is stable")
		require.True(t, q.Count >= 0 && q.Count <= p.opts.MaxCount, "count %d out of bounds", q.Count)
	})
}

// TestValuesNeverEchoed checks that refused values (which may be patient
// data) do not appear in the error message.
func TestValuesNeverEchoed(t *testing.T) {
	p := newTestParser(t, STU3)
	const marker = "Zyxwvut1957"
	for _, name := range []string{"birthdate", "length", "value-quantity", "patient", "identifier", "name:missing", "_count", "date"} {
		val := marker + "|a|b|c"
		if name == "patient" {
			val = "Other/" + marker
		}
		_, err := p.Parse([]Pair{{name, val}}, true)
		require.Error(t, err, "%s=%s accepted", name, val)
		assert.NotContains(t, Classify(err).Diagnostics, marker, "%s: the value is echoed", name)
	}
}
