package fhirsql_test

import (
	"math/rand/v2"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patientsfhir/patientsfhir/fhir"
	"github.com/patientsfhir/patientsfhir/fhirsql"
)

// fuzzQuery builds a query from fuzzed values.
func fuzzQuery(value string, mod uint8, system, code string, form uint8, at int64, prefix uint8) *query {
	q := &query{}
	sm := []fhir.Modifier{fhir.ModNone, fhir.ModContains, fhir.ModExact}[int(mod)%3]
	q.given = []fhir.StringParam{{{{Value: value, Modifier: sm}}}}
	if mod&4 != 0 {
		q.name = []fhir.StringParam{{{{Value: value, Modifier: sm}}}}
	}
	v := fhir.TokenValue{Code: code}
	switch form % 5 {
	case 1:
		v.System, v.HasSystem = system, true
	case 2:
		v.HasSystem = true
	case 3:
		v.System, v.HasSystem, v.Code = system, true, ""
	case 4:
		v = fhir.TokenValue{Modifier: fhir.ModText, Text: value}
	}
	if form&8 != 0 && v.Modifier == fhir.ModNone {
		v.Modifier = fhir.ModNot
	}
	q.coding = fhir.TokenParam{{v}}
	start := time.Unix(at%(4e9), 0).UTC()
	q.date = fhir.DateParam{{{Prefix: prefixes[int(prefix)%len(prefixes)], Start: start, End: start.Add(24 * time.Hour)}}}
	return q
}

// skeleton replaces every value of q by a fixed one with the same shape, so
// that the SQL text of both must be the same.
func skeleton(q *query) *query {
	s := *q
	fix := func(p []fhir.StringParam) []fhir.StringParam {
		var out []fhir.StringParam
		for _, sp := range p {
			v := sp[0][0]
			v.Value = sameBound(v.Value)
			out = append(out, fhir.StringParam{{v}})
		}
		return out
	}
	s.given, s.name = fix(q.given), fix(q.name)
	v := q.coding[0][0]
	if v.System != "" {
		v.System = "s"
	}
	if v.Code != "" {
		v.Code = "c"
	}
	if v.Text != "" {
		v.Text = sameBound(v.Text)
	}
	s.coding = fhir.TokenParam{{v}}
	return &s
}

// sameBound returns a fixed value of the same shape as s: "" when s
// normalises to "" (contains "" is a range on the normalised column), one
// U+10FFFF when s is made of them (a prefix range without upper bound), "v"
// otherwise.
func sameBound(s string) string {
	n := fhirsql.Normalize(s)
	if n == "" {
		return ""
	}
	for _, r := range n {
		if r != utf8.MaxRune {
			return "v"
		}
	}
	return string(utf8.MaxRune)
}

func pageSQL(t *testing.T, q *query) (string, []any) {
	sel, err := fhirsql.NewSelect(fhirsql.SQLite, items(false), fhir.Search{Count: 5}, "A")
	require.NoError(t, err)
	q.apply(sel)
	s, args, err := sel.PageSQL("id")
	require.NoError(t, err)
	return s, args
}

// Fuzzed values never reach the SQL text (it is the text of a query of the
// same shape with other values), and what the SQL selects on SQLite is
// what the fhir package's rules select, the fuzzed values being in the
// data too.
func FuzzSelect(f *testing.F) {
	f.Add("chau", uint8(1), "http://loinc.org", "8867-4", uint8(1), int64(1_600_000_000), uint8(0))
	f.Add("50%_off\\", uint8(0), "", "", uint8(2), int64(0), uint8(3))
	f.Add("É'; DROP TABLE item; --", uint8(2), "s1|", "a,b", uint8(4), int64(-5), uint8(8))
	f.Add("\U0010FFFF", uint8(0), "s2", "c", uint8(11), int64(1e9), uint8(5))
	x := openSQLite(f)
	base := genItems(rand.New(rand.NewPCG(3, 4)), "A", 40)
	x.load(f, base)
	f.Fuzz(func(t *testing.T, value string, mod uint8, system, code string, form uint8, at int64, prefix uint8) {
		if !utf8.ValidString(value) || !utf8.ValidString(system) || !utf8.ValidString(code) {
			return // the parser refuses what is not UTF-8
		}
		q := fuzzQuery(value, mod, system, code, form, at, prefix)
		got, args := pageSQL(t, q)
		want, _ := pageSQL(t, skeleton(q))
		require.Equal(t, want, got, "a value changed the SQL text")
		require.Equal(t, len(args), countPlaceholders(got))

		// The fuzzed values as data: an item named and coded with them.
		start := time.Unix(at%(4e9), 0).UTC()
		fz := item{scope: "A", id: "fz", name: value, rank: 1, label: "x", given: []string{value},
			codings: []fhir.TokenCode{{System: system, Code: code, Text: value}}, start: start, end: start.Add(time.Hour), hasDate: true}
		if value == "" {
			fz.name, fz.given = "", nil
		}
		tx, err := x.sql.Begin()
		require.NoError(t, err)
		defer tx.Rollback()
		x.loadInto(t, tx, []item{fz})
		all := append(append([]item(nil), base...), fz)
		ids, err := fetchAllFrom(t, x.d, tx, items(false), q, "A", 7)
		require.NoError(t, err)
		assert.Equal(t, q.expected(all, "A"), ids)
	})
}

func countPlaceholders(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '?' {
			n++
		}
	}
	return n
}
