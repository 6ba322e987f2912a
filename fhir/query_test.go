package fhir

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"
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
	if err != nil {
		t.Fatal(err)
	}
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
			eq(t, q.Strings("family"), [][]StringValue{{{Value: "chau"}}})
		}},
		{"family:contains=ha", func(t *testing.T, q *Query) {
			eq(t, q.Strings("family"), [][]StringValue{{{Value: "ha", Modifier: ModContains}}})
		}},
		{"family:exact=Chau", func(t *testing.T, q *Query) {
			eq(t, q.Strings("family"), [][]StringValue{{{Value: "Chau", Modifier: ModExact}}})
		}},
		{"name:missing=true", func(t *testing.T, q *Query) {
			m, ok := q.Missing("name")
			eq(t, []bool{m, ok}, []bool{true, true})
			eq(t, len(q.Strings("name")), 0)
		}},
		{"name:missing=false", func(t *testing.T, q *Query) {
			m, ok := q.Missing("name")
			eq(t, []bool{m, ok}, []bool{false, true})
		}},
		// AND and OR
		{"given=hugh,huw&given=h", func(t *testing.T, q *Query) {
			// AND clauses come back in canonical order (AND is commutative).
			eq(t, q.Strings("given"), [][]StringValue{{{Value: "h"}}, {{Value: "hugh"}, {Value: "huw"}}})
		}},
		// escapes
		{`family=a\,b,c`, func(t *testing.T, q *Query) {
			eq(t, q.Strings("family"), [][]StringValue{{{Value: "a,b"}, {Value: "c"}}})
		}},
		{`family=x\$y\\z`, func(t *testing.T, q *Query) {
			eq(t, q.Strings("family"), [][]StringValue{{{Value: `x$y\z`}}})
		}},
		{`identifier=http://h.org/mrn\|x|12\|3`, func(t *testing.T, q *Query) {
			eq(t, q.Tokens("identifier"), [][]TokenValue{{{System: "http://h.org/mrn|x", Code: "12|3", HasSystem: true}}})
		}},
		// token forms
		{"identifier=1234567", func(t *testing.T, q *Query) {
			eq(t, q.Tokens("identifier"), [][]TokenValue{{{Code: "1234567"}}})
		}},
		{"identifier=http://hospital.smarthealthit.org|1234567", func(t *testing.T, q *Query) {
			eq(t, q.Tokens("identifier"), [][]TokenValue{{{System: "http://hospital.smarthealthit.org", Code: "1234567", HasSystem: true}}})
		}},
		{"identifier=|1234567", func(t *testing.T, q *Query) {
			eq(t, q.Tokens("identifier"), [][]TokenValue{{{Code: "1234567", HasSystem: true}}})
		}},
		{"identifier=http://h.org|", func(t *testing.T, q *Query) {
			eq(t, q.Tokens("identifier"), [][]TokenValue{{{System: "http://h.org", HasSystem: true}}})
		}},
		{"identifier:text=medical,record", func(t *testing.T, q *Query) {
			eq(t, q.Tokens("identifier"), [][]TokenValue{{{Modifier: ModText, Text: "medical"}, {Modifier: ModText, Text: "record"}}})
		}},
		{"gender:not=male", func(t *testing.T, q *Query) {
			eq(t, q.Tokens("gender"), [][]TokenValue{{{Code: "male", Modifier: ModNot}}})
		}},
		{"gender=male,female", func(t *testing.T, q *Query) {
			eq(t, q.Tokens("gender"), [][]TokenValue{{{Code: "male"}, {Code: "female"}}})
		}},
		// _id and its alias
		{"id=123", func(t *testing.T, q *Query) { eq(t, q.IDs(), [][]string{{"123"}}) }},
		{"_id=1,2", func(t *testing.T, q *Query) { eq(t, q.IDs(), [][]string{{"1", "2"}}) }},
		// dates: implicit ranges by precision
		{"birthdate=1957", func(t *testing.T, q *Query) {
			eq(t, q.Dates("birthdate"), [][]DateValue{{{Prefix: PrefixEq, Start: utc(1957, 1, 1, 0, 0, 0), End: utc(1958, 1, 1, 0, 0, 0), Precision: PrecisionYear}}})
		}},
		{"birthdate=1957-02", func(t *testing.T, q *Query) {
			eq(t, q.Dates("birthdate"), [][]DateValue{{{Prefix: PrefixEq, Start: utc(1957, 2, 1, 0, 0, 0), End: utc(1957, 3, 1, 0, 0, 0), Precision: PrecisionMonth}}})
		}},
		{"birthdate=1957-06-05", func(t *testing.T, q *Query) {
			eq(t, q.Dates("birthdate"), [][]DateValue{{{Prefix: PrefixEq, Start: utc(1957, 6, 5, 0, 0, 0), End: utc(1957, 6, 6, 0, 0, 0), Precision: PrecisionDay}}})
		}},
		{"birthdate=2024-02-29", func(t *testing.T, q *Query) { eq(t, len(q.Dates("birthdate")), 1) }},
		{"date=ge2019-03-01T10:30", func(t *testing.T, q *Query) {
			eq(t, q.Dates("date"), [][]DateValue{{{Prefix: PrefixGe, Start: utc(2019, 3, 1, 10, 30, 0), End: utc(2019, 3, 1, 10, 31, 0), Precision: PrecisionMinute}}})
		}},
		{"date=lt2019-03-01T10:30:15Z", func(t *testing.T, q *Query) {
			eq(t, q.Dates("date"), [][]DateValue{{{Prefix: PrefixLt, Start: utc(2019, 3, 1, 10, 30, 15), End: utc(2019, 3, 1, 10, 30, 16), Precision: PrecisionSecond}}})
		}},
		{"date=gt2019-03-01T10:30:15.5%2B02:00", func(t *testing.T, q *Query) {
			d := q.Dates("date")[0][0]
			want := time.Date(2019, 3, 1, 10, 30, 15, 500_000_000, plus2)
			if !d.Start.Equal(want) || !d.End.Equal(want.Add(100*time.Millisecond)) || d.Precision != PrecisionFraction || d.Prefix != PrefixGt {
				t.Errorf("got %+v", d)
			}
			if !d.Start.Equal(utc(2019, 3, 1, 8, 30, 15).Add(500 * time.Millisecond)) {
				t.Errorf("zone not applied: %v", d.Start.UTC())
			}
		}},
		{"date=ge2019-03-01T10:30:00+02:00", func(t *testing.T, q *Query) {
			// An unencoded '+' arrives as a space; it is read as '+'.
			d := q.Dates("date")[0][0]
			if !d.Start.Equal(time.Date(2019, 3, 1, 10, 30, 0, 0, plus2)) {
				t.Errorf("got %+v", d)
			}
		}},
		{"date=le2019-03-01T10:30:00-05:00", func(t *testing.T, q *Query) {
			d := q.Dates("date")[0][0]
			if !d.Start.Equal(time.Date(2019, 3, 1, 10, 30, 0, 0, minus5)) || d.Prefix != PrefixLe {
				t.Errorf("got %+v", d)
			}
		}},
		// number and quantity, every prefix
		{"length=100", func(t *testing.T, q *Query) {
			eq(t, q.Numbers("length"), [][]NumberValue{{{Prefix: PrefixEq, Text: "100", Value: 100, Low: 99.5, High: 100.5}}})
		}},
		{"length=ap1.50", func(t *testing.T, q *Query) {
			n := q.Numbers("length")[0][0]
			if n.Prefix != PrefixAp || n.Text != "1.50" || !near(n.Low, 1.495) || !near(n.High, 1.505) {
				t.Errorf("got %+v", n)
			}
		}},
		{"length=1e2", func(t *testing.T, q *Query) {
			n := q.Numbers("length")[0][0]
			if n.Value != 100 || !near(n.Low, 50) || !near(n.High, 150) {
				t.Errorf("got %+v", n)
			}
		}},
		{"length=eq1,ne2,gt3,lt4,ge5,le6,sa7,eb8,ap9", func(t *testing.T, q *Query) {
			var got []Prefix
			for _, n := range q.Numbers("length")[0] {
				got = append(got, n.Prefix)
			}
			eq(t, got, AllPrefixes)
		}},
		{"length=-3.5", func(t *testing.T, q *Query) { eq(t, q.Numbers("length")[0][0].Value, -3.5) }},
		{"value-quantity=le5.4|http://unitsofmeasure.org|mg", func(t *testing.T, q *Query) {
			v := q.Quantities("value-quantity")[0][0]
			if v.Prefix != PrefixLe || v.Text != "5.4" || v.System != "http://unitsofmeasure.org" || v.Code != "mg" {
				t.Errorf("got %+v", v)
			}
		}},
		{"value-quantity=5.4||mg", func(t *testing.T, q *Query) {
			v := q.Quantities("value-quantity")[0][0]
			if v.System != "" || v.Code != "mg" || v.Value != 5.4 {
				t.Errorf("got %+v", v)
			}
		}},
		{"value-quantity=sa120", func(t *testing.T, q *Query) {
			v := q.Quantities("value-quantity")[0][0]
			if v.Prefix != PrefixSa || v.Value != 120 || v.Code != "" {
				t.Errorf("got %+v", v)
			}
		}},
		// references
		{"patient=123", func(t *testing.T, q *Query) {
			eq(t, q.References("patient"), [][]ReferenceValue{{{ID: "123"}}})
		}},
		{"patient=Patient/123", func(t *testing.T, q *Query) {
			eq(t, q.References("patient"), [][]ReferenceValue{{{Type: "Patient", ID: "123"}}})
		}},
		{"subject:Patient=123", func(t *testing.T, q *Query) {
			eq(t, q.References("subject"), [][]ReferenceValue{{{Type: "Patient", ID: "123"}}})
			eq(t, q.Clauses[0].TargetType, "Patient")
		}},
		{"subject=https://ehr.example/fhir/Patient/9/_history/2", func(t *testing.T, q *Query) {
			eq(t, q.References("subject"), [][]ReferenceValue{{{Type: "Patient", ID: "9", URL: "https://ehr.example/fhir/Patient/9/_history/2"}}})
		}},
		// uri
		{"url:below=http://acme.org/fhir/", func(t *testing.T, q *Query) {
			eq(t, q.URIs("url"), [][]URIValue{{{Value: "http://acme.org/fhir/", Modifier: ModBelow}}})
		}},
		{"url:above=http://acme.org/fhir/ValueSet/x", func(t *testing.T, q *Query) {
			eq(t, q.URIs("url"), [][]URIValue{{{Value: "http://acme.org/fhir/ValueSet/x", Modifier: ModAbove}}})
		}},
		{"url=http://acme.org/a", func(t *testing.T, q *Query) {
			eq(t, q.URIs("url"), [][]URIValue{{{Value: "http://acme.org/a"}}})
		}},
		// empty values are ignored
		{"family=&given=x", func(t *testing.T, q *Query) {
			eq(t, q.Has("family"), false)
			eq(t, q.Has("given"), true)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			q, err := parse(t, p, tt.query, true)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, q)
		})
	}
}

func TestParseDateLocation(t *testing.T) {
	loc := time.FixedZone("EHR", 10*3600)
	p, err := NewParser(STU3, testParams, &ParserOptions{Location: loc})
	if err != nil {
		t.Fatal(err)
	}
	q, err := p.Parse([]Pair{{"birthdate", "1957"}, {"date", "ge2019-01-01T00:00Z"}}, true)
	if err != nil {
		t.Fatal(err)
	}
	if d := q.Dates("birthdate")[0][0]; !d.Start.Equal(time.Date(1957, 1, 1, 0, 0, 0, 0, loc)) {
		t.Errorf("a date without zone uses the parser's location: %v", d.Start)
	}
	if d := q.Dates("date")[0][0]; !d.Start.Equal(utc(2019, 1, 1, 0, 0, 0)) {
		t.Errorf("an explicit zone wins: %v", d.Start)
	}
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
			if !errors.Is(err, ErrInvalidSearch) {
				t.Fatalf("err = %v, want ErrInvalidSearch", err)
			}
			if o := Classify(err); o.Status != 400 || o.Code != IssueInvalid {
				t.Errorf("outcome %+v", o)
			}
		})
	}
}

func TestStrictLenient(t *testing.T) {
	p := newTestParser(t, STU3)
	for _, query := range []string{"foo=bar", "_sort=foo", "_summary=true", "_include=Patient:organization", "family=x&_elements=id"} {
		t.Run(query, func(t *testing.T) {
			q, err := parse(t, p, query, false)
			if err != nil {
				t.Fatalf("lenient: %v", err)
			}
			if len(q.Ignored) != 1 {
				t.Errorf("Ignored = %v", q.Ignored)
			}
			if strings.Contains(q.Encode(), "foo") || strings.Contains(q.Encode(), "_include") || strings.Contains(q.Encode(), "_elements") {
				t.Errorf("ignored parameter in self link: %s", q.Encode())
			}
			if _, err := parse(t, p, query, true); !errors.Is(err, ErrInvalidSearch) {
				t.Errorf("strict: err = %v", err)
			}
		})
	}
	// _format, _pretty and the cursor are never unknown.
	if _, err := parse(t, p, "_format=json&_pretty=true&_cursor=abc", true); err != nil {
		t.Fatal(err)
	}
}

func TestPreferHeader(t *testing.T) {
	p := newTestParser(t, STU3)
	r := httptest.NewRequest("GET", "/Patient?foo=1", nil)
	if _, err := p.ParseRequest(r); err != nil {
		t.Fatalf("lenient by default: %v", err)
	}
	r.Header.Set("Prefer", "return=minimal, handling=strict")
	if _, err := p.ParseRequest(r); !errors.Is(err, ErrInvalidSearch) {
		t.Fatalf("Prefer: handling=strict: err = %v", err)
	}
	sp, err := NewParser(STU3, testParams, &ParserOptions{Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Prefer", "handling=lenient")
	if _, err := sp.ParseRequest(r); err != nil {
		t.Fatalf("handling=lenient overrides a strict default: %v", err)
	}
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
			if err != nil {
				t.Fatal(err)
			}
			if q.Count != tt.count || q.CountClamped != tt.clamped || q.CountOnly() != (tt.count == 0) {
				t.Errorf("Count=%d clamped=%v", q.Count, q.CountClamped)
			}
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
				if err != nil {
					t.Fatal(err)
				}
				eq(t, q.Sort, tt.want)
				want := tt.stu3
				if v == DSTU2 {
					want = tt.dstu2
				}
				if got := q.Encode(); !strings.HasSuffix(got, want) {
					t.Errorf("%s: Encode = %s, want suffix %s", v.Name, got, want)
				}
			}
		})
	}
}

func TestEncodeCanonical(t *testing.T) {
	p := newTestParser(t, STU3)
	a, err := parse(t, p, "given=b&family:contains=chau&id=7&given=a&foo=1", false)
	if err != nil {
		t.Fatal(err)
	}
	b, err := parse(t, p, "_id=7&given=a&_count=20&family:contains=chau&given=b", true)
	if err != nil {
		t.Fatal(err)
	}
	if a.Encode() != b.Encode() {
		t.Fatalf("same search, different encodings:\n%s\n%s", a.Encode(), b.Encode())
	}
	want := "_id=7&family%3Acontains=chau&given=a&given=b&_count=20"
	if a.Encode() != want {
		t.Errorf("Encode = %s, want %s", a.Encode(), want)
	}
	// Re-parsing the canonical form gives the same query.
	c, err := parse(t, p, a.Encode(), true)
	if err != nil || c.Encode() != a.Encode() {
		t.Fatalf("round trip: %v %s", err, c.Encode())
	}
	// Escapes survive the round trip.
	d, err := parse(t, p, `family=a\,b`, true)
	if err != nil {
		t.Fatal(err)
	}
	e, err := parse(t, p, d.Encode(), true)
	if err != nil {
		t.Fatal(err)
	}
	eq(t, e.Strings("family"), [][]StringValue{{{Value: "a,b"}}})
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
		if err != nil {
			t.Fatal(err)
		}
		encs = append(encs, q.Encode())
	}
	if encs[0] != encs[1] || encs[1] != encs[2] {
		t.Fatalf("GET and POST differ: %v", encs)
	}
	// A POST without body is a search with URL parameters only.
	nobody := httptest.NewRequest("POST", "/Patient/_search?given=hugh", nil)
	if q, err := p.ParseRequest(nobody); err != nil || !q.Has("given") {
		t.Fatalf("empty POST: %v", err)
	}

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
		if _, err := p.ParseRequest(r); !errors.Is(err, tt.kind) {
			t.Errorf("%s: err = %v, want %v", tt.ct, err, tt.kind)
		}
	}
	if _, err := p.ParseRequest(httptest.NewRequest("DELETE", "/Patient", nil)); !errors.Is(err, ErrMethodNotAllow) {
		t.Errorf("DELETE: %v", err)
	}
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
	for i, params := range bad {
		if _, err := NewParser(STU3, params, nil); err == nil {
			t.Errorf("case %d: want a start-up error", i)
		}
	}
	if _, err := NewParser(STU3, nil, &ParserOptions{DefaultCount: 10, MaxCount: 5}); err == nil {
		t.Error("DefaultCount > MaxCount must fail")
	}
	if _, err := NewParser(nil, nil, nil); err == nil {
		t.Error("nil version must fail")
	}
}

func TestTooManyParams(t *testing.T) {
	p := newTestParser(t, STU3)
	pairs := make([]Pair, 101)
	for i := range pairs {
		pairs[i] = Pair{"given", "a"}
	}
	if _, err := p.Parse(pairs, false); !errors.Is(err, ErrTooCostly) {
		t.Fatalf("err = %v", err)
	}
}

func TestParseNonUTF8(t *testing.T) {
	p := newTestParser(t, STU3)
	if _, err := parse(t, p, "family=%ff", false); !errors.Is(err, ErrInvalidSearch) {
		t.Fatalf("err = %v", err)
	}
}

func eq[T any](t *testing.T, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func near(a, b float64) bool { d := a - b; return d < 1e-9 && d > -1e-9 }
