package fhir

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testParams covers every type; it is shaped like the Patients app's needs.
var testParams = []SearchParam{
	ParamID,
	{Name: "family", Type: TypeString, Path: "Patient.name.family", Modifiers: []Modifier{ModExact, ModContains}},
	{Name: "given", Type: TypeString, Path: "Patient.name.given", Modifiers: []Modifier{ModExact, ModContains}},
	{Name: "name", Type: TypeString, Path: "Patient.name", Modifiers: []Modifier{ModContains, ModMissing}},
	{Name: "birthdate", Type: TypeDate, Path: "Patient.birthDate"},
	{Name: "gender", Type: TypeToken, Path: "Patient.gender", Modifiers: []Modifier{ModNot, ModMissing}},
	{Name: "identifier", Type: TypeToken, Path: "Patient.identifier", Modifiers: []Modifier{ModText}},
	{Name: "patient", Type: TypeReference, Path: "Observation.subject", Targets: []string{"Patient"}},
	{Name: "subject", Type: TypeReference, Path: "Observation.subject"},
	{Name: "date", Type: TypeDate, Path: "Observation.effective", Prefixes: []Prefix{PrefixGe, PrefixLe, PrefixGt, PrefixLt}},
	{Name: "value-quantity", Type: TypeQuantity, Path: "Observation.valueQuantity"},
	{Name: "length", Type: TypeNumber, Path: "Encounter.length"},
	{Name: "url", Type: TypeURI, Path: "ValueSet.url", Modifiers: []Modifier{ModBelow, ModAbove}},
}

func newTestParser(t testing.TB, v *Version) *Parser {
	t.Helper()
	p, err := NewParser(v, testParams, &ParserOptions{DefaultCount: 20, MaxCount: 100})
	require.NoError(t, err)
	return p
}

func parse(t *testing.T, p *Parser, query string, strict bool) (*Query, error) {
	t.Helper()
	pairs, err := ParsePairs(query)
	if err != nil {
		return nil, err
	}
	return p.Parse(pairs, strict)
}

func utc(y int, m time.Month, d, h, mi, s int) time.Time {
	return time.Date(y, m, d, h, mi, s, 0, time.UTC)
}

func TestParseValues(t *testing.T) {
	p := newTestParser(t, STU3)
	plus2 := time.FixedZone("", 2*3600)
	minus5 := time.FixedZone("", -5*3600)
	tests := []struct {
		query string
		check func(t *testing.T, q *Query)
	}{
		// string and its modifiers
		{"family=chau", func(t *testing.T, q *Query) {
			assert.EqualValues(t, [][]StringValue{{{Value: "chau"}}}, q.Strings("family"))
		}},
		{"family:contains=ha", func(t *testing.T, q *Query) {
			assert.EqualValues(t, [][]StringValue{{{Value: "ha", Modifier: ModContains}}}, q.Strings("family"))
		}},
		{"family:exact=Chau", func(t *testing.T, q *Query) {
			assert.EqualValues(t, [][]StringValue{{{Value: "Chau", Modifier: ModExact}}}, q.Strings("family"))
		}},
		{"name:missing=true", func(t *testing.T, q *Query) {
			m, ok := q.Missing("name")
			assert.Equal(t, []bool{true, true}, []bool{m, ok})
			assert.Equal(t, 0, len(q.Strings("name")))
		}},
		{"name:missing=false", func(t *testing.T, q *Query) {
			m, ok := q.Missing("name")
			assert.Equal(t, []bool{false, true}, []bool{m, ok})
		}},
		// AND and OR
		{"given=hugh,huw&given=h", func(t *testing.T, q *Query) {
			// AND clauses come back in canonical order (AND is commutative).
			assert.EqualValues(t, [][]StringValue{{{Value: "h"}}, {{Value: "hugh"}, {Value: "huw"}}}, q.Strings("given"))
		}},
		// escapes
		{`family=a\,b,c`, func(t *testing.T, q *Query) {
			assert.EqualValues(t, [][]StringValue{{{Value: "a,b"}, {Value: "c"}}}, q.Strings("family"))
		}},
		{`family=x\$y\\z`, func(t *testing.T, q *Query) {
			assert.EqualValues(t, [][]StringValue{{{Value: `x$y\z`}}}, q.Strings("family"))
		}},
		{`identifier=http://h.org/mrn\|x|12\|3`, func(t *testing.T, q *Query) {
			assert.EqualValues(t, [][]TokenValue{{{System: "http://h.org/mrn|x", Code: "12|3", HasSystem: true}}}, q.Tokens("identifier"))
		}},
		// token forms
		{"identifier=1234567", func(t *testing.T, q *Query) {
			assert.EqualValues(t, [][]TokenValue{{{Code: "1234567"}}}, q.Tokens("identifier"))
		}},
		{"identifier=http://hospital.smarthealthit.org|1234567", func(t *testing.T, q *Query) {
			assert.EqualValues(t, [][]TokenValue{{{System: "http://hospital.smarthealthit.org", Code: "1234567", HasSystem: true}}}, q.Tokens("identifier"))
		}},
		{"identifier=|1234567", func(t *testing.T, q *Query) {
			assert.EqualValues(t, [][]TokenValue{{{Code: "1234567", HasSystem: true}}}, q.Tokens("identifier"))
		}},
		{"identifier=http://h.org|", func(t *testing.T, q *Query) {
			assert.EqualValues(t, [][]TokenValue{{{System: "http://h.org", HasSystem: true}}}, q.Tokens("identifier"))
		}},
		{"identifier:text=medical,record", func(t *testing.T, q *Query) {
			assert.EqualValues(t, [][]TokenValue{{{Modifier: ModText, Text: "medical"}, {Modifier: ModText, Text: "record"}}}, q.Tokens("identifier"))
		}},
		{"gender:not=male", func(t *testing.T, q *Query) {
			assert.EqualValues(t, [][]TokenValue{{{Code: "male", Modifier: ModNot}}}, q.Tokens("gender"))
		}},
		{"gender=male,female", func(t *testing.T, q *Query) {
			assert.EqualValues(t, [][]TokenValue{{{Code: "male"}, {Code: "female"}}}, q.Tokens("gender"))
		}},
		// _id and its alias
		{"id=123", func(t *testing.T, q *Query) { assert.EqualValues(t, [][]string{{"123"}}, q.IDs()) }},
		{"_id=1,2", func(t *testing.T, q *Query) { assert.EqualValues(t, [][]string{{"1", "2"}}, q.IDs()) }},
		// dates: implicit ranges by precision
		{"birthdate=1957", func(t *testing.T, q *Query) {
			assert.EqualValues(t, [][]DateValue{{{Prefix: PrefixEq, Start: utc(1957, 1, 1, 0, 0, 0), End: utc(1958, 1, 1, 0, 0, 0), Precision: PrecisionYear}}}, q.Dates("birthdate"))
		}},
		{"birthdate=1957-02", func(t *testing.T, q *Query) {
			assert.EqualValues(t, [][]DateValue{{{Prefix: PrefixEq, Start: utc(1957, 2, 1, 0, 0, 0), End: utc(1957, 3, 1, 0, 0, 0), Precision: PrecisionMonth}}}, q.Dates("birthdate"))
		}},
		{"birthdate=1957-06-05", func(t *testing.T, q *Query) {
			assert.EqualValues(t, [][]DateValue{{{Prefix: PrefixEq, Start: utc(1957, 6, 5, 0, 0, 0), End: utc(1957, 6, 6, 0, 0, 0), Precision: PrecisionDay}}}, q.Dates("birthdate"))
		}},
		{"birthdate=2024-02-29", func(t *testing.T, q *Query) { assert.Equal(t, 1, len(q.Dates("birthdate"))) }},
		{"date=ge2019-03-01T10:30", func(t *testing.T, q *Query) {
			assert.EqualValues(t, [][]DateValue{{{Prefix: PrefixGe, Start: utc(2019, 3, 1, 10, 30, 0), End: utc(2019, 3, 1, 10, 31, 0), Precision: PrecisionMinute}}}, q.Dates("date"))
		}},
		{"date=lt2019-03-01T10:30:15Z", func(t *testing.T, q *Query) {
			assert.EqualValues(t, [][]DateValue{{{Prefix: PrefixLt, Start: utc(2019, 3, 1, 10, 30, 15), End: utc(2019, 3, 1, 10, 30, 16), Precision: PrecisionSecond}}}, q.Dates("date"))
		}},
		{"date=gt2019-03-01T10:30:15.5%2B02:00", func(t *testing.T, q *Query) {
			d := q.Dates("date")[0][0]
			want := time.Date(2019, 3, 1, 10, 30, 15, 500_000_000, plus2)
			assert.True(t, d.Start.Equal(want), "start %v", d.Start)
			assert.True(t, d.End.Equal(want.Add(100*time.Millisecond)), "end %v", d.End)
			assert.Equal(t, PrecisionFraction, d.Precision)
			assert.Equal(t, PrefixGt, d.Prefix)
			assert.True(t, d.Start.Equal(utc(2019, 3, 1, 8, 30, 15).Add(500*time.Millisecond)), "zone not applied: %v", d.Start.UTC())
		}},
		{"date=ge2019-03-01T10:30:00+02:00", func(t *testing.T, q *Query) {
			// An unencoded '+' arrives as a space; it is read as '+'.
			d := q.Dates("date")[0][0]
			assert.True(t, d.Start.Equal(time.Date(2019, 3, 1, 10, 30, 0, 0, plus2)), "%+v", d)
		}},
		{"date=le2019-03-01T10:30:00-05:00", func(t *testing.T, q *Query) {
			d := q.Dates("date")[0][0]
			assert.True(t, d.Start.Equal(time.Date(2019, 3, 1, 10, 30, 0, 0, minus5)), "%+v", d)
			assert.Equal(t, PrefixLe, d.Prefix)
		}},
		// number and quantity, every prefix
		{"length=100", func(t *testing.T, q *Query) {
			assert.EqualValues(t, [][]NumberValue{{{Prefix: PrefixEq, Text: "100", Value: 100, Low: 99.5, High: 100.5}}}, q.Numbers("length"))
		}},
		{"length=ap1.50", func(t *testing.T, q *Query) {
			n := q.Numbers("length")[0][0]
			assert.Equal(t, PrefixAp, n.Prefix)
			assert.Equal(t, "1.50", n.Text)
			assert.InDelta(t, 1.495, n.Low, 1e-9)
			assert.InDelta(t, 1.505, n.High, 1e-9)
		}},
		{"length=1e2", func(t *testing.T, q *Query) {
			n := q.Numbers("length")[0][0]
			assert.Equal(t, 100.0, n.Value)
			assert.InDelta(t, 50, n.Low, 1e-9)
			assert.InDelta(t, 150, n.High, 1e-9)
		}},
		{"length=eq1,ne2,gt3,lt4,ge5,le6,sa7,eb8,ap9", func(t *testing.T, q *Query) {
			var got []Prefix
			for _, n := range q.Numbers("length")[0] {
				got = append(got, n.Prefix)
			}
			assert.Equal(t, AllPrefixes, got)
		}},
		{"length=-3.5", func(t *testing.T, q *Query) { assert.Equal(t, -3.5, q.Numbers("length")[0][0].Value) }},
		{"value-quantity=le5.4|http://unitsofmeasure.org|mg", func(t *testing.T, q *Query) {
			v := q.Quantities("value-quantity")[0][0]
			assert.Equal(t, PrefixLe, v.Prefix)
			assert.Equal(t, "5.4", v.Text)
			assert.Equal(t, "http://unitsofmeasure.org", v.System)
			assert.Equal(t, "mg", v.Code)
		}},
		{"value-quantity=5.4||mg", func(t *testing.T, q *Query) {
			v := q.Quantities("value-quantity")[0][0]
			assert.Empty(t, v.System)
			assert.Equal(t, "mg", v.Code)
			assert.Equal(t, 5.4, v.Value)
		}},
		{"value-quantity=sa120", func(t *testing.T, q *Query) {
			v := q.Quantities("value-quantity")[0][0]
			assert.Equal(t, PrefixSa, v.Prefix)
			assert.Equal(t, 120.0, v.Value)
			assert.Empty(t, v.Code)
		}},
		// references
		{"patient=123", func(t *testing.T, q *Query) {
			assert.EqualValues(t, [][]ReferenceValue{{{ID: "123"}}}, q.References("patient"))
		}},
		{"patient=Patient/123", func(t *testing.T, q *Query) {
			assert.EqualValues(t, [][]ReferenceValue{{{Type: "Patient", ID: "123"}}}, q.References("patient"))
		}},
		{"subject:Patient=123", func(t *testing.T, q *Query) {
			assert.EqualValues(t, [][]ReferenceValue{{{Type: "Patient", ID: "123"}}}, q.References("subject"))
			assert.Equal(t, "Patient", q.Clauses[0].TargetType)
		}},
		{"subject=https://ehr.example/fhir/Patient/9/_history/2", func(t *testing.T, q *Query) {
			assert.EqualValues(t, [][]ReferenceValue{{{Type: "Patient", ID: "9", URL: "https://ehr.example/fhir/Patient/9/_history/2"}}}, q.References("subject"))
		}},
		// uri
		{"url:below=http://acme.org/fhir/", func(t *testing.T, q *Query) {
			assert.EqualValues(t, [][]URIValue{{{Value: "http://acme.org/fhir/", Modifier: ModBelow}}}, q.URIs("url"))
		}},
		{"url:above=http://acme.org/fhir/ValueSet/x", func(t *testing.T, q *Query) {
			assert.EqualValues(t, [][]URIValue{{{Value: "http://acme.org/fhir/ValueSet/x", Modifier: ModAbove}}}, q.URIs("url"))
		}},
		{"url=http://acme.org/a", func(t *testing.T, q *Query) {
			assert.EqualValues(t, [][]URIValue{{{Value: "http://acme.org/a"}}}, q.URIs("url"))
		}},
		// empty values are ignored
		{"family=&given=x", func(t *testing.T, q *Query) {
			assert.Equal(t, false, q.Has("family"))
			assert.Equal(t, true, q.Has("given"))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			q, err := parse(t, p, tt.query, true)
			require.NoError(t, err)
			tt.check(t, q)
		})
	}
}

func TestParseDateLocation(t *testing.T) {
	loc := time.FixedZone("EHR", 10*3600)
	p, err := NewParser(STU3, testParams, &ParserOptions{Location: loc})
	require.NoError(t, err)
	q, err := p.Parse([]Pair{{"birthdate", "1957"}, {"date", "ge2019-01-01T00:00Z"}}, true)
	require.NoError(t, err)
	d := q.Dates("birthdate")[0][0]
	assert.True(t, d.Start.Equal(time.Date(1957, 1, 1, 0, 0, 0, 0, loc)), "a date without zone uses the parser's location: %v", d.Start)
	d = q.Dates("date")[0][0]
	assert.True(t, d.Start.Equal(utc(2019, 1, 1, 0, 0, 0)), "an explicit zone wins: %v", d.Start)
}

func TestParseErrors(t *testing.T) {
	p := newTestParser(t, STU3)
	bad := []string{
		"family:text=x",              // modifier not declared for the parameter
		"family:bogus=x",             // unknown modifier
		"birthdate:exact=1957",       // modifier on a date
		"gender:contains=male",       // not declared
		"name:missing=maybe",         // :missing takes true/false
		"birthdate=1957-13",          // month out of range
		"birthdate=1957-02-30",       // day out of range
		"birthdate=57",               // too short
		"birthdate=1957-06-05T25:00", // hour out of range
		"birthdate=1957-06-05T10",    // needs minutes
		"birthdate=1957-06-05T10:00+1",
		"birthdate=xx1957",
		"date=ap2019",            // prefix not declared
		"length=abc",             // not a number
		"length=1..2",            // not a number
		"length=NaN",             // not a number
		"length=1e999",           // infinite
		"value-quantity=5|mg",    // two parts
		"identifier=a|b|c",       // too many bars
		"identifier=|",           // empty token
		"patient:Practitioner=1", // target not declared
		"patient=Practitioner/1", // target not declared
		"patient=Patient/",       // no id
		"_count=-1",
		"_count=ten",
		"_count:x=1",
		"_sort:up=date",
		"%zz=1", // bad escape
	}
	for _, query := range bad {
		t.Run(query, func(t *testing.T) {
			_, err := parse(t, p, query, false)
			require.ErrorIs(t, err, ErrInvalidSearch)
			o := Classify(err)
			assert.Equal(t, 400, o.Status)
			assert.Equal(t, IssueInvalid, o.Code)
		})
	}
}

func TestStrictLenient(t *testing.T) {
	p := newTestParser(t, STU3)
	for _, query := range []string{"foo=bar", "_sort=foo", "_summary=true", "_include=Patient:organization", "family=x&_elements=id"} {
		t.Run(query, func(t *testing.T) {
			q, err := parse(t, p, query, false)
			require.NoError(t, err, "lenient")
			assert.Len(t, q.Ignored, 1)
			for _, ignored := range []string{"foo", "_include", "_elements"} {
				assert.NotContains(t, q.Encode(), ignored, "an ignored parameter in the self link")
			}
			_, err = parse(t, p, query, true)
			assert.ErrorIs(t, err, ErrInvalidSearch, "strict")
		})
	}
	// _format, _pretty and the cursor are never unknown.
	_, err := parse(t, p, "_format=json&_pretty=true&_cursor=abc", true)
	assert.NoError(t, err)
}

func TestPreferHeader(t *testing.T) {
	p := newTestParser(t, STU3)
	r := httptest.NewRequest("GET", "/Patient?foo=1", nil)
	_, err := p.ParseRequest(r)
	require.NoError(t, err, "lenient by default")
	r.Header.Set("Prefer", "return=minimal, handling=strict")
	_, err = p.ParseRequest(r)
	require.ErrorIs(t, err, ErrInvalidSearch, "Prefer: handling=strict")
	sp, err := NewParser(STU3, testParams, &ParserOptions{Strict: true})
	require.NoError(t, err)
	r.Header.Set("Prefer", "handling=lenient")
	_, err = sp.ParseRequest(r)
	assert.NoError(t, err, "handling=lenient overrides a strict default")
}

func TestCount(t *testing.T) {
	p := newTestParser(t, STU3) // default 20, max 100
	tests := []struct {
		query   string
		count   int
		clamped bool
	}{
		{"", 20, false},
		{"_count=10", 10, false},
		{"_count=100", 100, false},
		{"_count=101", 100, true},
		{"_count=99999999", 100, true},
		{"_count=0", 0, false},
		{"_summary=count", 0, false},
		{"_summary=count&_count=5", 0, false},
		{"_summary=false&_count=5", 5, false},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			q, err := parse(t, p, tt.query, true)
			require.NoError(t, err)
			assert.Equal(t, tt.count, q.Count)
			assert.Equal(t, tt.clamped, q.CountClamped)
			assert.Equal(t, tt.count == 0, q.CountOnly())
		})
	}
}

func TestSort(t *testing.T) {
	tests := []struct {
		query string
		want  []SortKey
		dstu2 string
		stu3  string
	}{
		{"_sort=-date", []SortKey{{"date", true}}, "_sort%3Adesc=date", "_sort=-date"},
		{"_sort:desc=date", []SortKey{{"date", true}}, "_sort%3Adesc=date", "_sort=-date"},
		{"_sort=-date,family", []SortKey{{"date", true}, {"family", false}}, "_sort%3Adesc=date&_sort%3Aasc=family", "_sort=-date%2Cfamily"},
		{"_sort:desc=date&_sort:asc=family", []SortKey{{"date", true}, {"family", false}}, "_sort%3Adesc=date&_sort%3Aasc=family", "_sort=-date%2Cfamily"},
		{"_sort:asc=family&_sort:desc=date", []SortKey{{"family", false}, {"date", true}}, "_sort%3Aasc=family&_sort%3Adesc=date", "_sort=family%2C-date"},
		{"_sort=id", []SortKey{{"_id", false}}, "_sort%3Aasc=_id", "_sort=_id"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			for _, v := range []*Version{DSTU2, STU3} {
				q, err := parse(t, newTestParser(t, v), tt.query, true)
				require.NoError(t, err)
				assert.Equal(t, tt.want, q.Sort)
				want := tt.stu3
				if v == DSTU2 {
					want = tt.dstu2
				}
				assert.True(t, strings.HasSuffix(q.Encode(), want), "%s: Encode = %s, want the suffix %s", v.Name, q.Encode(), want)
			}
		})
	}
}

func TestEncodeCanonical(t *testing.T) {
	p := newTestParser(t, STU3)
	a, err := parse(t, p, "given=b&family:contains=chau&id=7&given=a&foo=1", false)
	require.NoError(t, err)
	b, err := parse(t, p, "_id=7&given=a&_count=20&family:contains=chau&given=b", true)
	require.NoError(t, err)
	require.Equal(t, a.Encode(), b.Encode(), "the same search")
	assert.Equal(t, "_id=7&family%3Acontains=chau&given=a&given=b&_count=20", a.Encode())
	// Re-parsing the canonical form gives the same query.
	c, err := parse(t, p, a.Encode(), true)
	require.NoError(t, err)
	assert.Equal(t, a.Encode(), c.Encode(), "round trip")
	// Escapes survive the round trip.
	d, err := parse(t, p, `family=a\,b`, true)
	require.NoError(t, err)
	e, err := parse(t, p, d.Encode(), true)
	require.NoError(t, err)
	assert.EqualValues(t, [][]StringValue{{{Value: "a,b"}}}, e.Strings("family"))
}

func TestParseRequestGETvsPOST(t *testing.T) {
	p := newTestParser(t, STU3)
	get := httptest.NewRequest("GET", "/Patient?given=hugh&family=chau", nil)
	post := httptest.NewRequest("POST", "/Patient/_search", strings.NewReader("given=hugh&family=chau"))
	post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	mixed := httptest.NewRequest("POST", "/Patient/_search?given=hugh", strings.NewReader("family=chau"))
	mixed.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8")
	var encs []string
	for _, r := range []*httptestReq{{get}, {post}, {mixed}} {
		q, err := p.ParseRequest(r.r)
		require.NoError(t, err)
		encs = append(encs, q.Encode())
	}
	assert.Equal(t, []string{encs[0], encs[0], encs[0]}, encs, "GET, POST and both")
	// A POST without body is a search with URL parameters only.
	q, err := p.ParseRequest(httptest.NewRequest("POST", "/Patient/_search?given=hugh", nil))
	require.NoError(t, err, "empty POST")
	assert.True(t, q.Has("given"))

	refused := []struct {
		ct, body string
		kind     error
	}{
		{"application/json", `{"given":"hugh"}`, ErrUnsupportedType},
		{"multipart/form-data; boundary=x", "--x--", ErrUnsupportedType},
		{"", "given=hugh", ErrUnsupportedType},
		{"application/x-www-form-urlencoded; charset=latin1", "given=hugh", ErrUnsupportedType},
		{"application/x-www-form-urlencoded", "given=" + strings.Repeat("a", 70<<10), ErrTooLarge},
		{"application/x-www-form-urlencoded", "given=%zz", ErrInvalidSearch},
	}
	for _, tt := range refused {
		r := httptest.NewRequest("POST", "/Patient/_search", strings.NewReader(tt.body))
		if tt.ct != "" {
			r.Header.Set("Content-Type", tt.ct)
		}
		_, err := p.ParseRequest(r)
		assert.ErrorIs(t, err, tt.kind, tt.ct)
	}
	_, err = p.ParseRequest(httptest.NewRequest("DELETE", "/Patient", nil))
	assert.ErrorIs(t, err, ErrMethodNotAllow, "DELETE")
}

type httptestReq struct{ r *http.Request }

func TestNewParserValidation(t *testing.T) {
	bad := [][]SearchParam{
		{{Name: "", Type: TypeString}},
		{{Name: "a b", Type: TypeString}},
		{{Name: "_count", Type: TypeNumber}},
		{{Name: "x", Type: "composite"}},
		{{Name: "x", Type: TypeDate, Modifiers: []Modifier{ModContains}}},
		{{Name: "x", Type: TypeString, Prefixes: []Prefix{PrefixGe}}},
		{{Name: "x", Type: TypeDate, Prefixes: []Prefix{"zz"}}},
		{{Name: "x", Type: TypeToken, Targets: []string{"Patient"}}},
		{{Name: "x", Type: TypeToken}, {Name: "x", Type: TypeString}},
	}
	for _, params := range bad {
		_, err := NewParser(STU3, params, nil)
		assert.Error(t, err, "%+v", params)
	}
	_, err := NewParser(STU3, nil, &ParserOptions{DefaultCount: 10, MaxCount: 5})
	assert.Error(t, err, "DefaultCount > MaxCount")
	_, err = NewParser(nil, nil, nil)
	assert.Error(t, err, "nil version")
}

func TestTooManyParams(t *testing.T) {
	p := newTestParser(t, STU3)
	pairs := make([]Pair, 101)
	for i := range pairs {
		pairs[i] = Pair{"given", "a"}
	}
	_, err := p.Parse(pairs, false)
	assert.ErrorIs(t, err, ErrTooCostly)
}

func TestParseNonUTF8(t *testing.T) {
	p := newTestParser(t, STU3)
	_, err := parse(t, p, "family=%ff", false)
	assert.ErrorIs(t, err, ErrInvalidSearch)
}
