package fhir

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// patientsAppQueries are the searches the Patients app sends (both versions).
var patientsAppQueries = []string{
	"id=1234&family:contains=chau&given=hugh&name=hugh&birthdate=1957-06-05&identifier=1234567&_count=10",
	"family=chau&given=hugh&birthdate=1957-06-05&gender=male&identifier=1234567&_count=10",
	"patient=1234&_sort:desc=date&category=vital-signs",
	"patient=1234&_sort=-date&category=vital-signs",
	"patient=1234&_count=10",
	"patient=1234&_sort:desc=date&_count=1",
	"patient=1234",
}

var appParams = []SearchParam{
	ParamID,
	{Name: "family", Type: TypeString, Modifiers: []Modifier{ModContains, ModExact}},
	{Name: "given", Type: TypeString, Modifiers: []Modifier{ModContains, ModExact}},
	{Name: "name", Type: TypeString, Modifiers: []Modifier{ModContains, ModExact}},
	{Name: "birthdate", Type: TypeDate},
	{Name: "gender", Type: TypeToken},
	{Name: "identifier", Type: TypeToken},
	{Name: "patient", Type: TypeReference, Targets: []string{"Patient"}},
	{Name: "category", Type: TypeToken},
	{Name: "date", Type: TypeDate},
}

// BenchmarkParsePatientsAppQueries parses each of the Patients app's
// searches from the raw query string (or form body) to a Query.
func BenchmarkParsePatientsAppQueries(b *testing.B) {
	p, err := NewParser(DSTU2, appParams, nil)
	require.NoError(b, err)
	b.ReportAllocs()
	for b.Loop() {
		for _, raw := range patientsAppQueries {
			pairs, err := ParsePairs(raw)
			if err != nil { // not require: it would weigh on the loop
				b.Fatal(err)
			}
			if _, err := p.Parse(pairs, false); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(patientsAppQueries)), "ns/query")
}

// BenchmarkParseRequestPOST parses the Patients app's POST _search request.
func BenchmarkParseRequestPOST(b *testing.B) {
	p, err := NewParser(STU3, appParams, nil)
	require.NoError(b, err)
	body := patientsAppQueries[1]
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest("POST", "/stu3/Patient/_search", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if _, err := p.ParseRequest(r); err != nil {
			b.Fatal(err)
		}
	}
}
