package proxy

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patientsfhir/patientsfhir/fhir"
	"github.com/patientsfhir/patientsfhir/upstream"
)

// patientParams are the Patient parameters as package stu3 declares them.
var patientParams = []fhir.SearchParam{
	fhir.ParamID,
	{Name: "name", Type: fhir.TypeString, Modifiers: []fhir.Modifier{fhir.ModContains, fhir.ModExact}},
	{Name: "family", Type: fhir.TypeString, Modifiers: []fhir.Modifier{fhir.ModContains, fhir.ModExact}},
	{Name: "given", Type: fhir.TypeString, Modifiers: []fhir.Modifier{fhir.ModContains, fhir.ModExact}},
	{Name: "birthdate", Type: fhir.TypeDate},
	{Name: "gender", Type: fhir.TypeToken, Modifiers: []fhir.Modifier{fhir.ModNot, fhir.ModText}},
	{Name: "identifier", Type: fhir.TypeToken, Modifiers: []fhir.Modifier{fhir.ModNot, fhir.ModText}},
}

// parse parses a Patient query string as the server does under the
// Patients-app profile (family, given and name read as :contains).
func parse(t *testing.T, v *fhir.Version, query string) *fhir.Query {
	t.Helper()
	p, err := fhir.NewParser(v, patientParams, &fhir.ParserOptions{DefaultCount: 20, Contains: []string{"name", "family", "given"}})
	require.NoError(t, err)
	pairs, err := fhir.ParsePairs(query)
	require.NoError(t, err)
	q, err := p.Parse(pairs, true)
	require.NoError(t, err)
	return q
}

// forward builds the upstream query of a parsed Patient query, as the
// generated SearchPatients does.
func forward(c *Client, q *fhir.Query) *Query {
	u := c.NewQuery("Patient", fhir.Search{IDs: q.IDs(), Count: q.Count, CountOnly: q.CountOnly(), Sort: q.Sort, Query: q})
	u.Strings("name", q.Strings("name"))
	u.Strings("family", q.Strings("family"))
	u.Strings("given", q.Strings("given"))
	u.Dates("birthdate", q.Dates("birthdate"))
	u.Tokens("gender", q.Tokens("gender"))
	u.Tokens("identifier", q.Tokens("identifier"))
	return u
}

func newTestClient(t *testing.T, v *fhir.Version, cfg upstream.Config) *Client {
	t.Helper()
	if cfg.BaseURL == "" {
		cfg.BaseURL = "http://127.0.0.1:1/fhir"
	}
	c, err := New(cfg, v)
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c
}

func TestQueryEncodesWhatTheUpstreamReads(t *testing.T) {
	tests := []struct {
		name, query string
		v           *fhir.Version
		cfg         upstream.Config
		want        string
	}{
		{"contains reading of family and given", "given=Hugh&family=Chau", fhir.STU3, upstream.Config{},
			"_count=20&family:contains=Chau&given:contains=Hugh"},
		{"explicit modifiers kept", "family:exact=Chau&name:contains=au", fhir.STU3, upstream.Config{},
			"_count=20&name:contains=au&family:exact=Chau"},
		{"identifier without a system", "identifier=1234567", fhir.STU3, upstream.Config{},
			"_count=20&identifier=1234567"},
		{"identifier with a system", "identifier=http://hospital.example.org/mrn|1234567", fhir.STU3, upstream.Config{},
			"_count=20&identifier=http%3A%2F%2Fhospital.example.org%2Fmrn%7C1234567"},
		{"identifier without any system, any code of a system", "identifier=|77&identifier=urn:sys|", fhir.STU3, upstream.Config{},
			"_count=20&identifier=urn%3Asys%7C&identifier=%7C77"},
		{"token modifiers", "gender:not=male&identifier:text=MRN", fhir.STU3, upstream.Config{},
			"_count=20&gender:not=male&identifier:text=MRN"},
		{"OR and AND lists, escapes kept", `family=a\,b,c&family=d`, fhir.STU3, upstream.Config{},
			"_count=20&family:contains=a%5C%2Cb%2Cc&family:contains=d"},
		{"dates at their precision, with prefixes and zones", "birthdate=1957-06-05&birthdate=ge1950&birthdate=lt2019-03-01T10:30:00-05:00", fhir.STU3, upstream.Config{},
			"_count=20&birthdate=1957-06-05&birthdate=ge1950&birthdate=lt2019-03-01T10%3A30%3A00-05%3A00"},
		{"a date without a zone goes in the server's zone", "birthdate=2019-03-01T10:30", fhir.STU3, upstream.Config{},
			"_count=20&birthdate=2019-03-01T10%3A30Z"},
		{"fraction digits kept", "birthdate=2019-03-01T10:30:00.120Z", fhir.STU3, upstream.Config{},
			"_count=20&birthdate=2019-03-01T10%3A30%3A00.120Z"},
		{"id as _id, OR list", "id=p1,p2", fhir.STU3, upstream.Config{}, "_id=p1%2Cp2&_count=20"},
		{"_count", "family=x&_count=7", fhir.STU3, upstream.Config{}, "_count=7&family:contains=x"},
		{"count only", "family=x&_summary=count", fhir.STU3, upstream.Config{}, "_summary=count&family:contains=x"},
		{"STU3 writes the prefix sort", "family=x&_sort:desc=birthdate&_sort:asc=family", fhir.STU3, upstream.Config{},
			"_count=20&_sort=-birthdate%2Cfamily&family:contains=x"},
		{"DSTU2 writes the modifier sort", "family=x&_sort=-birthdate,family", fhir.DSTU2, upstream.Config{},
			"_count=20&_sort:desc=birthdate&_sort:asc=family&family:contains=x"},
		{"sort syntax chosen per upstream", "family=x&_sort=-birthdate", fhir.STU3, upstream.Config{SortSyntax: upstream.SortModifier},
			"_count=20&_sort:desc=birthdate&family:contains=x"},
		{"parameters renamed per upstream", "family=x&_sort=-birthdate", fhir.STU3,
			upstream.Config{Params: map[string]string{"Patient.family": "family-name", "Patient.birthdate": "dob"}},
			"_count=20&_sort=-dob&family-name:contains=x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestClient(t, tt.v, tt.cfg)
			assert.Equal(t, tt.want, forward(c, parse(t, tt.v, tt.query)).encode())
		})
	}
}

// What the upstream parses from the forwarded query is the search the
// client asked for: parsing it again gives the same canonical query.
func TestQueryRoundTrips(t *testing.T) {
	for _, query := range []string{
		"given=Hugh&family=Chau",
		"family:exact=Chau&name=Hu,Ch&name=au",
		`identifier=http://x.org/mrn|12\|34&identifier=|9,urn:a|`,
		"gender:not=male,female&identifier:text=Medical record",
		"birthdate=ge1950-01&birthdate=le1960-12-31&birthdate=ap2019-03-01T10:30:00.5%2B01:00",
		"_id=a,b&_id=c&_count=3&_sort=-birthdate,_id",
		"family=x&_summary=count",
		"family=10%24%20%26%2020%25%20%C3%BCn%C3%AF",
	} {
		for _, v := range []*fhir.Version{fhir.STU3, fhir.DSTU2} {
			t.Run(v.Name+" "+query, func(t *testing.T) {
				c := newTestClient(t, v, upstream.Config{})
				q := parse(t, v, query)
				again := parse(t, v, forward(c, q).encode())
				assert.Equal(t, q.Encode(), again.Encode())
			})
		}
	}
}

// A search that resumes from a cursor sends no parameters of its own.
func TestQueryWithCursorSendsNothing(t *testing.T) {
	c := newTestClient(t, fhir.STU3, upstream.Config{})
	u := c.NewQuery("Patient", fhir.Search{Count: 5, Cursor: "tok"})
	u.Strings("family", fhir.StringParam{{{Value: "Chau"}}})
	u.Patient("patient", "p1")
	assert.Empty(t, u.encode())
	assert.Equal(t, "Patient", u.Type())
	n, only := u.Count()
	assert.Equal(t, 5, n)
	assert.False(t, only)
}
