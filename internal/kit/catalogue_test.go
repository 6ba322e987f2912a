package kit_test

import (
	"strings"
	"testing"

	"github.com/patientsfhir/patientsfhir/dstu2"
	"github.com/patientsfhir/patientsfhir/fhir"
	"github.com/patientsfhir/patientsfhir/internal/kit"
	"github.com/patientsfhir/patientsfhir/stu3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var data = kit.TestData{PatientID: "pat-1", Family: "Chau", Given: "Hugh", BirthDate: "1957-06-05", Gender: "male", MRN: "1234567", MRNSystem: "http://hospital.example.org/mrn"}

// The catalogue covers every request line, each search in GET and POST
// _search form, and both _sort syntaxes where the app sorts.
func TestCatalogueCoversTheInterface(t *testing.T) {
	for _, v := range []*kit.Version{kit.DSTU2(nil), kit.STU3(nil)} {
		cat := kit.Catalogue(v)
		lines := map[string]int{}
		methods := map[string]map[string]bool{}
		var all string
		for _, r := range cat {
			lines[r.Line]++
			if methods[r.Line] == nil {
				methods[r.Line] = map[string]bool{}
			}
			methods[r.Line][r.Method] = true
			all += r.Query + "\n" + r.Form + "\n" + strings.Join(r.Batch, "\n") + "\n"
		}
		for i := 0; i <= 9; i++ {
			l := v.Line + string(rune('0'+i))
			assert.NotZero(t, lines[l], "%s: no request for line %s", v.FHIR.Name, l)
			if i >= 2 && i <= 8 {
				assert.True(t, methods[l]["GET"] && methods[l]["POST"], "%s: line %s lacks GET or POST _search", v.FHIR.Name, l)
			}
		}
		for _, want := range []string{"_sort:desc=date", "_sort=-date", "id={patient}", "_id={patient}", "identifier={mrn}", "identifier={mrnSystem}|{mrn}", "_count=1", "_count=10"} {
			assert.Contains(t, all, want, "%s: no request with %s", v.FHIR.Name, want)
		}
	}
}

// Every catalogue search parses strictly against the parameters the dstu2
// and stu3 packages declare, after expansion (the A6 typo aside, which a
// lenient server ignores).
func TestCatalogueParsesStrictly(t *testing.T) {
	declared := map[string]map[string][]fhir.SearchParam{
		"D": {"Patient": dstu2.PatientParams, "Observation": dstu2.ObservationParams, "Condition": dstu2.ConditionParams,
			"Encounter": dstu2.EncounterParams, "AllergyIntolerance": dstu2.AllergyIntoleranceParams,
			"MedicationOrder": dstu2.MedicationOrderParams, "Coverage": dstu2.CoverageParams},
		"S": {"Patient": stu3.PatientParams, "Observation": stu3.ObservationParams, "Condition": stu3.ConditionParams,
			"Encounter": stu3.EncounterParams, "AllergyIntolerance": stu3.AllergyIntoleranceParams,
			"MedicationRequest": stu3.MedicationRequestParams, "Coverage": stu3.CoverageParams},
	}
	for _, v := range []*kit.Version{kit.DSTU2(nil), kit.STU3(nil)} {
		for _, r := range kit.Catalogue(v) {
			r = r.Expand(data)
			assert.NotContains(t, r.Query+r.Form+strings.Join(r.Batch, ""), "{", "%s: placeholder left after Expand", r.Name)
			queries := []string{r.Query, r.Form}
			types := []string{r.Expect.Type, r.Expect.Type}
			for _, u := range r.Batch {
				typ, q, ok := strings.Cut(u, "?")
				if ok {
					queries, types = append(queries, q), append(types, typ)
				}
			}
			for i, q := range queries {
				params := declared[v.Line][types[i]]
				if q == "" || params == nil || strings.Contains(r.Name, "A6") {
					continue
				}
				p, err := fhir.NewParser(v.FHIR, params, nil)
				require.NoError(t, err)
				pairs, err := fhir.ParsePairs(q)
				if !assert.NoError(t, err, r.Name) {
					continue
				}
				pq, err := p.Parse(pairs, true)
				if !assert.NoError(t, err, "%s: %q does not parse strictly", r.Name, q) {
					continue
				}
				if strings.Contains(q, "_sort") {
					require.Len(t, pq.Sort, 1, r.Name)
					assert.True(t, pq.Sort[0].Descending, r.Name)
					assert.Equal(t, "date", pq.Sort[0].Name, r.Name)
				}
			}
		}
	}
}

func TestExpandEncodes(t *testing.T) {
	r := kit.Request{Path: "Patient/{patient}", Query: "identifier={mrnSystem}|{mrn}&family={familyMid}", Batch: []string{"Patient/{patient}", "Coverage?patient={patient}"}}
	got := r.Expand(data)
	assert.Equal(t, "Patient/pat-1", got.Path)
	assert.Equal(t, "identifier=http%3A%2F%2Fhospital.example.org%2Fmrn%7C1234567&family=hau", got.Query)
	assert.Equal(t, []string{"Patient/pat-1", "Coverage?patient=pat-1"}, got.Batch)
}

// Every request that must find the test patient names the rule it checks,
// and that rule exists in its version.
func TestCatalogueRules(t *testing.T) {
	for _, v := range []*kit.Version{kit.DSTU2(nil), kit.STU3(nil)} {
		for _, r := range kit.Catalogue(v) {
			if !r.Expect.MustFind || r.Expect.Kind != kit.KindSearchset {
				continue
			}
			_, ok := v.Rule(r.Expect.Rule)
			assert.True(t, ok, "%s: rule %q", r.Name, r.Expect.Rule)
		}
	}
}
