package memehr

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patientsfhir/patientsfhir/fhir"
)

var testPatients = []string{
	`{"resourceType":"Patient","id":"p1","identifier":[{"type":{"coding":[{"system":"http://hl7.org/fhir/v2/0203","code":"MR"}],"text":"MRN"},"system":"http://h/mrn","value":"111"}],"name":[{"family":"Chau","given":["Hugh"]}],"gender":"male","birthDate":"1957-06-05","active":true}`,
	`{"resourceType":"Patient","id":"p2","identifier":[{"system":"http://h/mrn","value":"222"},{"system":"http://dl","value":"111"}],"name":[{"family":"Black","given":["Ruth","C."]}],"gender":"female","birthDate":"1978-11"}`,
	`{"resourceType":"Patient","id":"p3","name":[{"family":"Blackwell","given":["Daniel"]},{"use":"usual","given":["Danny"]}],"gender":"male","birthDate":"1925-12-23"}`,
	`{"resourceType":"Patient","id":"p4","name":[{"family":"Chauvin","given":["Alex"]}],"gender":"other","birthDate":"2001"}`,
	`{"resourceType":"Patient","id":"p5","name":[{"family":"Ökafor","given":["Ruthanne"]}],"gender":"unknown"}`,
}

var patientParams = []fhir.SearchParam{
	fhir.ParamID,
	{Name: "family", Type: fhir.TypeString, Path: "Patient.name.family", Modifiers: []fhir.Modifier{fhir.ModContains, fhir.ModExact, fhir.ModMissing}},
	{Name: "given", Type: fhir.TypeString, Path: "Patient.name.given", Modifiers: []fhir.Modifier{fhir.ModContains, fhir.ModExact}},
	{Name: "name", Type: fhir.TypeString, Path: "Patient.name", Modifiers: []fhir.Modifier{fhir.ModContains}},
	{Name: "birthdate", Type: fhir.TypeDate, Path: "Patient.birthDate", Modifiers: []fhir.Modifier{fhir.ModMissing}},
	{Name: "gender", Type: fhir.TypeToken, Path: "Patient.gender", Modifiers: []fhir.Modifier{fhir.ModNot}},
	{Name: "identifier", Type: fhir.TypeToken, Path: "Patient.identifier", Modifiers: []fhir.Modifier{fhir.ModText}},
	{Name: "active", Type: fhir.TypeToken, Path: "Patient.active"},
}

var obs = []string{
	`{"resourceType":"Observation","id":"o1","status":"final","category":[{"coding":[{"system":"http://hl7.org/fhir/observation-category","code":"vital-signs"}]}],"code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"subject":{"reference":"Patient/p1"},"effectiveDateTime":"2019-06-11T10:15:00-05:00","valueQuantity":{"value":72,"unit":"/min","system":"http://unitsofmeasure.org","code":"/min"}}`,
	`{"resourceType":"Observation","id":"o2","status":"final","category":[{"coding":[{"system":"http://hl7.org/fhir/observation-category","code":"vital-signs"}]}],"code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"subject":{"reference":"Patient/p1"},"effectiveDateTime":"2016-02-01T09:00:00-05:00","valueQuantity":{"value":80.5,"unit":"/min"}}`,
	`{"resourceType":"Observation","id":"o3","status":"amended","category":[{"coding":[{"system":"http://hl7.org/fhir/observation-category","code":"laboratory"}]}],"code":{"coding":[{"system":"http://loinc.org","code":"2339-0"}]},"subject":{"reference":"http://other.example/fhir/Patient/p1"},"effectivePeriod":{"start":"2025-02-18T08:00:00-05:00","end":"2025-02-18T09:00:00-05:00"}}`,
	`{"resourceType":"Observation","id":"o4","status":"final","category":[{"coding":[{"system":"http://hl7.org/fhir/observation-category","code":"vital-signs"}]}],"code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"subject":{"reference":"Patient/p2"},"effectiveDateTime":"2021-01-01","valueQuantity":{"value":90}}`,
	`{"resourceType":"Observation","id":"o5","status":"final","code":{"text":"no date"},"subject":{"reference":"Group/p1"}}`,
}

var obsParams = []fhir.SearchParam{
	fhir.ParamID,
	{Name: "patient", Type: fhir.TypeReference, Path: "Observation.subject.where(resolve() is Patient)", Targets: []string{"Patient"}},
	{Name: "subject", Type: fhir.TypeReference, Path: "Observation.subject"},
	{Name: "category", Type: fhir.TypeToken, Path: "Observation.category"},
	{Name: "code", Type: fhir.TypeToken, Path: "Observation.code", Modifiers: []fhir.Modifier{fhir.ModText}},
	{Name: "date", Type: fhir.TypeDate, Path: "Observation.effective[x]"},
	{Name: "status", Type: fhir.TypeToken, Path: "Observation.status"},
	{Name: "value-quantity", Type: fhir.TypeQuantity, Path: "Observation.value.as(Quantity)"},
}

func load(t testing.TB, docs ...[]string) *Store {
	t.Helper()
	s := New()
	for _, d := range docs {
		for _, j := range d {
			_, err := s.Put([]byte(j), nil)
			require.NoError(t, err)
		}
	}
	return s
}

func search(t *testing.T, s *Store, typ string, params []fhir.SearchParam, query, cursor string) (Result, error) {
	t.Helper()
	p, err := fhir.NewParser(fhir.STU3, params, &fhir.ParserOptions{DefaultCount: 50})
	require.NoError(t, err)
	pairs, err := fhir.ParsePairs(query)
	require.NoError(t, err)
	q, err := p.Parse(pairs, true)
	require.NoError(t, err, "parse %q", query)
	return s.Search(context.Background(), Request{Type: typ, Params: params, Query: q, Cursor: cursor})
}

// ids returns the ids of a result's items, nil when it has none (so that it
// equals a nil want under assert.Equal, as it did under slices.Equal).
func ids(r Result) []string {
	var out []string
	for _, it := range r.Items {
		out = append(out, it.ID)
	}
	return out
}

func TestSearchSemantics(t *testing.T) {
	s := load(t, testPatients, obs)
	tests := []struct {
		typ, query string
		want       []string
	}{
		// _id and its alias id
		{"Patient", "_id=p2", []string{"p2"}},
		{"Patient", "id=p2,p3", []string{"p2", "p3"}},
		{"Patient", "_id=nope", nil},
		// string: starts-with by default, case- and accent-insensitive
		{"Patient", "family=chau", []string{"p1", "p4"}},
		{"Patient", "family=hau", nil},
		{"Patient", "family:contains=hau", []string{"p1", "p4"}},
		{"Patient", "family:contains=LACK", []string{"p2", "p3"}},
		{"Patient", "family:exact=Chau", []string{"p1"}},
		{"Patient", "family:exact=chau", nil},
		{"Patient", "family=okafor", []string{"p5"}},
		{"Patient", "given=dan", []string{"p3"}},
		{"Patient", "given:contains=uth", []string{"p2", "p5"}},
		{"Patient", "name=danny", []string{"p3"}},
		{"Patient", "name=black&given=ruth", []string{"p2"}},
		{"Patient", "family=chau,black", []string{"p1", "p2", "p3", "p4"}},
		// date: partial dates are ranges, prefixes compare ranges
		{"Patient", "birthdate=1957-06-05", []string{"p1"}},
		{"Patient", "birthdate=1957", []string{"p1"}},
		{"Patient", "birthdate=1978-11-05", nil}, // month-precision value is not inside one day
		{"Patient", "birthdate=1978", []string{"p2"}},
		{"Patient", "birthdate=lt1950", []string{"p3"}},
		{"Patient", "birthdate=ge2001-01-01", []string{"p4"}},
		{"Patient", "birthdate=gt1978-11-15", []string{"p2", "p4"}},
		{"Patient", "birthdate=sa1978-12-31", []string{"p4"}},
		{"Patient", "birthdate=eb1958", []string{"p1", "p3"}},
		{"Patient", "birthdate=ne1957-06-05&birthdate=lt1980", []string{"p2", "p3"}},
		{"Patient", "birthdate:missing=true", []string{"p5"}},
		// token: code, system|code, |code, system|, :not, :text, boolean
		{"Patient", "gender=male", []string{"p1", "p3"}},
		{"Patient", "gender=http://hl7.org/fhir/administrative-gender|female", []string{"p2"}},
		{"Patient", "gender:not=male", []string{"p2", "p4", "p5"}},
		{"Patient", "identifier=111", []string{"p1", "p2"}},
		{"Patient", "identifier=http://h/mrn|111", []string{"p1"}},
		{"Patient", "identifier=http://dl|", []string{"p2"}},
		{"Patient", "identifier=|111", nil},
		{"Patient", "identifier:text=mrn", []string{"p1"}},
		{"Patient", "active=true", []string{"p1"}},
		{"Patient", "family:missing=false&gender=male", []string{"p1", "p3"}},
		// reference: id, Type/id, absolute URL, type filter of the path
		{"Observation", "patient=p1", []string{"o1", "o2", "o3"}},
		{"Observation", "patient=Patient/p1", []string{"o1", "o2", "o3"}},
		{"Observation", "subject=p1", []string{"o1", "o2", "o3", "o5"}},
		{"Observation", "subject=Group/p1", []string{"o5"}},
		{"Observation", "patient=http://other.example/fhir/Patient/p1", []string{"o3"}},
		{"Observation", "patient:Patient=p2", []string{"o4"}},
		// choice elements and Periods
		{"Observation", "date=2019-06-11", []string{"o1"}},
		{"Observation", "date=2025-02-18", []string{"o3"}},
		{"Observation", "date=ge2020", []string{"o3", "o4"}},
		{"Observation", "patient=p1&category=vital-signs&date=lt2017", []string{"o2"}},
		{"Observation", "category=http://hl7.org/fhir/observation-category|laboratory", []string{"o3"}},
		{"Observation", "code=http://loinc.org|8867-4&status=final&patient=p1", []string{"o1", "o2"}},
		{"Observation", "code:text=no date", []string{"o5"}},
		// quantity
		{"Observation", "value-quantity=72", []string{"o1"}},
		{"Observation", "value-quantity=gt75", []string{"o2", "o4"}},
		{"Observation", "value-quantity=80.5|http://unitsofmeasure.org|/min", nil},
		{"Observation", "value-quantity=72|http://unitsofmeasure.org|/min", []string{"o1"}},
	}
	for _, tc := range tests {
		t.Run(tc.typ+"?"+tc.query, func(t *testing.T) {
			params := patientParams
			if tc.typ == "Observation" {
				params = obsParams
			}
			r, err := search(t, s, tc.typ, params, tc.query+"&_sort=_id", "")
			require.NoError(t, err)
			assert.Equal(t, tc.want, ids(r))
			assert.Equal(t, len(tc.want), r.Total, "total")
		})
	}
}

func TestSortAndPage(t *testing.T) {
	s := load(t, testPatients, obs)
	tests := []struct {
		typ, query string
		want       []string
	}{
		{"Observation", "_sort=-date", []string{"o3", "o4", "o1", "o2", "o5"}}, // missing last
		{"Observation", "_sort:desc=date", []string{"o3", "o4", "o1", "o2", "o5"}},
		{"Observation", "_sort=date", []string{"o2", "o1", "o4", "o3", "o5"}},
		{"Observation", "_sort:asc=date", []string{"o2", "o1", "o4", "o3", "o5"}},
		{"Patient", "_sort=family", []string{"p2", "p3", "p1", "p4", "p5"}},
		{"Patient", "_sort=-birthdate", []string{"p4", "p2", "p1", "p3", "p5"}},
		{"Patient", "_sort=gender,-_id", []string{"p2", "p3", "p1", "p4", "p5"}},
		{"Patient", "", []string{"p1", "p2", "p3", "p4", "p5"}}, // id order without _sort
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			params := patientParams
			if tc.typ == "Observation" {
				params = obsParams
			}
			r, err := search(t, s, tc.typ, params, tc.query, "")
			require.NoError(t, err)
			assert.Equal(t, tc.want, ids(r))
		})
	}

	// Paging walks every match exactly once, in order, with the total on every page.
	var got []string
	cursor := ""
	for page := 0; ; page++ {
		r, err := search(t, s, "Observation", obsParams, "_sort=-date&_count=2", cursor)
		require.NoError(t, err)
		require.Equal(t, 5, r.Total, "page %d: total", page)
		require.LessOrEqual(t, len(r.Items), 2, "page %d: items", page)
		got = append(got, ids(r)...)
		if r.Next == "" {
			break
		}
		cursor = r.Next
	}
	assert.Equal(t, []string{"o3", "o4", "o1", "o2", "o5"}, got, "paged")

	// _count=0 gives the total alone.
	r, err := search(t, s, "Patient", patientParams, "gender=male&_count=0", "")
	assert.NoError(t, err, "_count=0")
	assert.Equal(t, 2, r.Total, "_count=0: total")
	assert.Empty(t, r.Items, "_count=0: items")
	assert.Empty(t, r.Next, "_count=0: next")
}

func TestSearchErrors(t *testing.T) {
	s := load(t, testPatients)
	for _, bad := range []string{"x", "bWVtZWhyMTotMQ", "bWVtZWhyMTphYmM", "bm9wZTox"} {
		_, err := search(t, s, "Patient", patientParams, "", bad)
		assert.ErrorIs(t, err, ErrBadCursor, "cursor %q", bad)
		assert.ErrorIs(t, err, fhir.ErrInvalidSearch, "cursor %q", bad)
	}
	// A parameter without a path cannot be evaluated: not supported, not a silent match-all.
	params := append(slices.Clone(patientParams), fhir.SearchParam{Name: "phonetic", Type: fhir.TypeString})
	_, err := search(t, s, "Patient", params, "phonetic=x", "")
	assert.ErrorIs(t, err, fhir.ErrNotSupported, "no path")
	params[len(params)-1].Path = "Patient"
	_, err = search(t, s, "Patient", params, "phonetic=x", "")
	assert.ErrorIs(t, err, fhir.ErrNotSupported, "bad path")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p, _ := fhir.NewParser(fhir.STU3, patientParams, nil)
	q, _ := p.Parse(nil, false)
	_, err = s.Search(ctx, Request{Type: "Patient", Params: patientParams, Query: q})
	assert.ErrorIs(t, err, context.Canceled, "cancelled")
	_, err = s.Read(context.Background(), "Patient", "nope")
	assert.ErrorIs(t, err, fhir.ErrNotFound, "read")
	for _, bad := range []string{`[]`, `{"resourceType":"Patient"}`, `{"id":"x"}`, `not json`, `{"resourceType":"bad type","id":"x"}`} {
		_, err := s.Put([]byte(bad), nil)
		assert.ErrorIs(t, err, ErrInvalidResource, "Put(%s)", bad)
	}
}

func TestStoreBasics(t *testing.T) {
	s := load(t, testPatients, obs)
	assert.Equal(t, []string{"Observation", "Patient"}, s.Types(), "Types")
	assert.Equal(t, 5, s.Len("Patient"), "Len")
	it, err := s.Read(context.Background(), "Patient", "p1")
	require.NoError(t, err, "Read")
	require.Equal(t, "p1", it.ID, "Read: ID")
	require.Equal(t, "Patient", it.Type, "Read: Type")
	assert.True(t, s.Delete("Patient", "p1"), "Delete")
	assert.False(t, s.Delete("Patient", "p1"), "Delete again")
	assert.Equal(t, 4, s.Len("Patient"), "Len after Delete")
	// Put replaces.
	_, err = s.Put([]byte(`{"resourceType":"Patient","id":"p2","gender":"male"}`), "typed")
	require.NoError(t, err)
	it, _ = s.Read(context.Background(), "Patient", "p2")
	assert.Equal(t, "typed", it.Value, "Value")
}

func TestCompilePath(t *testing.T) {
	good := []string{
		"Patient.name.family", "Observation.effective[x]", "Observation.value.as(Quantity)",
		"(Condition.onset as dateTime) | Condition.onset.as(Period)", "f:Patient/f:name/f:family",
		"Observation.subject.where(resolve() is Patient)", "Resource.id",
	}
	for _, e := range good {
		_, err := compilePath(e)
		assert.NoError(t, err, e)
	}
	for _, e := range []string{"", "Patient", "Patient.name.family()", " | ", "Patient.as(X)"} {
		_, err := compilePath(e)
		assert.Error(t, err, "%q: compiled", e)
	}
}

func TestParseFHIRDate(t *testing.T) {
	for _, tc := range []struct {
		in     string
		ok     bool
		lo, hi string
	}{
		{"2019", true, "2019-01-01T00:00:00Z", "2020-01-01T00:00:00Z"},
		{"2019-02", true, "2019-02-01T00:00:00Z", "2019-03-01T00:00:00Z"},
		{"2019-02-28", true, "2019-02-28T00:00:00Z", "2019-03-01T00:00:00Z"},
		{"2019-02-28T10:15:00-05:00", true, "2019-02-28T15:15:00Z", "2019-02-28T15:15:01Z"},
		{"2019-02-28T10:15:00.5Z", true, "2019-02-28T10:15:00.5Z", "2019-02-28T10:15:00.6Z"},
		{"2019-02-28T10:15Z", true, "2019-02-28T10:15:00Z", "2019-02-28T10:16:00Z"},
		{"2019-02-30", false, "", ""},
		{"12/31/2020", false, "", ""},
		{"09/17/2018 1:00:00 PM", false, "", ""},
	} {
		lo, hi, ok := parseFHIRDate(tc.in, nil2utc())
		if !assert.Equal(t, tc.ok, ok, "%s: ok", tc.in) || !ok {
			continue
		}
		assert.Equal(t, tc.lo, lo.UTC().Format("2006-01-02T15:04:05.999999999Z07:00"), "%s: lo", tc.in)
		assert.Equal(t, tc.hi, hi.UTC().Format("2006-01-02T15:04:05.999999999Z07:00"), "%s: hi", tc.in)
	}
}

func nil2utc() *time.Location { return time.UTC }

// FuzzSearch: any query the parser accepts runs without panicking and
// returns at most _count matches with a consistent total.
func FuzzSearch(f *testing.F) {
	for _, q := range []string{"family:contains=hau&_sort=-birthdate", "birthdate=ap1957&gender:not=male", "identifier=|111,a|b", "_count=1&_sort=family,-_id", "name=%C3%96k&birthdate=sa2000-01-01T10:00Z"} {
		f.Add(q)
	}
	s := New()
	for _, j := range testPatients {
		if _, err := s.Put([]byte(j), nil); err != nil {
			f.Fatal(err)
		}
	}
	p, err := fhir.NewParser(fhir.STU3, patientParams, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, query string) {
		pairs, err := fhir.ParsePairs(query)
		if err != nil {
			return
		}
		q, err := p.Parse(pairs, false)
		if err != nil {
			return
		}
		r, err := s.Search(context.Background(), Request{Type: "Patient", Params: patientParams, Query: q})
		require.NoError(t, err, "%q", query)
		require.LessOrEqual(t, len(r.Items), q.Count, "%q: items vs count", query)
		require.GreaterOrEqual(t, r.Total, len(r.Items), "%q: total vs items", query)
		require.LessOrEqual(t, r.Total, len(testPatients), "%q: total vs patients", query)
	})
}

// FuzzCompilePath: any expression compiles or is refused, never panics.
func FuzzCompilePath(f *testing.F) {
	for _, e := range []string{"Patient.name.family", "(Condition.onset as dateTime) | Condition.onset.as(Period)", "Observation.subject.where(resolve() is Patient)", "f:Patient/f:name"} {
		f.Add(e)
	}
	tree := map[string]any{"name": []any{map[string]any{"family": "x"}}}
	f.Fuzz(func(t *testing.T, expr string) {
		if p, err := compilePath(expr); err == nil {
			_ = p.eval(tree)
		}
	})
}
