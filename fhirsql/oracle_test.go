package fhirsql_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patientsfhir/patientsfhir/fhir"
)

func randString(r *rand.Rand) fhir.StringParam {
	mod := []fhir.Modifier{fhir.ModNone, fhir.ModContains, fhir.ModExact}[r.IntN(3)]
	var or []fhir.StringValue
	for n := 1 + r.IntN(2); n > 0; n-- {
		or = append(or, fhir.StringValue{Value: word(r), Modifier: mod})
	}
	return fhir.StringParam{or}
}

func randToken(r *rand.Rand) fhir.TokenParam {
	var p fhir.TokenParam
	for n := r.IntN(3); n > 0; n-- {
		var or []fhir.TokenValue
		for k := 1 + r.IntN(2); k > 0; k-- {
			c := coding(r)
			v := fhir.TokenValue{Code: c.Code}
			switch r.IntN(6) {
			case 1:
				v.System, v.HasSystem = c.System, true
			case 2:
				v.HasSystem = true // |code
			case 3:
				v.System, v.HasSystem, v.Code = c.System, true, "" // system|
			case 4:
				v.Modifier = fhir.ModNot
			case 5:
				v = fhir.TokenValue{Modifier: fhir.ModText, Text: word(r)}
			}
			or = append(or, v)
		}
		p = append(p, or)
	}
	return p
}

func randLabel(r *rand.Rand) fhir.TokenParam {
	switch r.IntN(4) {
	case 0:
		return fhir.TokenParam{{{Code: "x"}, {Code: "y"}}}
	case 1:
		return fhir.TokenParam{{{System: "http://example.org/label", HasSystem: true, Code: "z"}}}
	case 2:
		return fhir.TokenParam{{{System: "other", HasSystem: true, Code: "z"}}}
	}
	return nil
}

var prefixes = fhir.AllPrefixes

func randDateParam(r *rand.Rand) fhir.DateParam {
	var p fhir.DateParam
	for n := r.IntN(3); n > 0; n-- {
		var or []fhir.DateValue
		for k := 1 + r.IntN(2); k > 0; k-- {
			start, end, _ := mustRange(randDate(r))
			or = append(or, fhir.DateValue{Prefix: prefixes[r.IntN(len(prefixes))], Start: start, End: end})
		}
		p = append(p, or)
	}
	return p
}

func randQuery(r *rand.Rand) *query {
	q := &query{}
	// Each kind of condition appears in about one query in three, so that
	// most queries still find something.
	if r.IntN(3) == 0 {
		q.name = append(q.name, randString(r))
	}
	for n := r.IntN(5) - 2; n > 0; n-- {
		q.given = append(q.given, randString(r))
	}
	if r.IntN(3) == 0 {
		q.any = append(q.any, randString(r))
	}
	if r.IntN(3) == 0 {
		q.code = randToken(r)
	}
	if r.IntN(3) == 0 {
		q.coding = randToken(r)
	}
	if r.IntN(2) == 0 {
		q.label = randLabel(r)
	}
	if r.IntN(3) == 0 {
		q.date = randDateParam(r)
	}
	if r.IntN(8) == 0 {
		q.ids = fhir.IDParam{{fmt.Sprintf("i%03d", r.IntN(60)), fmt.Sprintf("i%03d", r.IntN(60))}}
	}
	switch r.IntN(5) {
	case 1:
		q.sort = []fhir.SortKey{{Name: "rank", Descending: r.IntN(2) == 0}}
	case 2:
		q.sort = []fhir.SortKey{{Name: "label"}, {Name: "rank", Descending: true}}
	case 3:
		q.sort = []fhir.SortKey{{Name: "_id", Descending: true}}
	case 4:
		q.sort = []fhir.SortKey{{Name: "rank", Descending: true}, {Name: "label", Descending: true}}
	}
	return q
}

// The SQL the package writes selects exactly what the fhir package's Match
// functions select, in the order asked, on every page, with the total of
// every match; with side tables collected (IN) and probed (EXISTS); and a
// scope never sees another scope's rows (both scopes have the same ids).
func testOracle(t *testing.T, x *db, queries int) {
	r := rand.New(rand.NewPCG(1, 2))
	its := append(genItems(r, "A", 60), genItems(r, "B", 60)...)
	x.load(t, its)
	nonEmpty := 0
	for i := 0; i < queries; i++ {
		q := randQuery(r)
		want := q.expected(its, "A")
		if len(want) > 0 {
			nonEmpty++
		}
		for _, probe := range []bool{false, true} {
			got, err := fetchAll(t, x, items(probe), q, "A", 1+r.IntN(7))
			require.NoError(t, err, "query %d %+v", i, q)
			if !assert.Equal(t, want, got, "query %d (probe %v): %+v", i, probe, q) {
				return
			}
		}
	}
	assert.Greater(t, nonEmpty, queries/3, "too few queries find something: the test proves little")
}

func TestOracleSQLite(t *testing.T) {
	testOracle(t, openSQLite(t), oracleQueries)
}

func TestOraclePostgreSQL(t *testing.T) {
	testOracle(t, openPostgres(t), oracleQueries)
}
