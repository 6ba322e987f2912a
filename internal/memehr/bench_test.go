package memehr

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/patientsfhir/patientsfhir/fhir"
)

// The Patients app's searches (STU3 spelling, the profile's contains reading
// of family and given) over a synthetic population, run by the indexed
// engine (engine=index) and by the full scan it replaced (engine=scan):
//
//	go test -run '^$' -bench PatientsApp -count 6 ./internal/memehr | tee new.txt
//	benchstat -col /engine new.txt
//
// The default population is 1,000 patients. MEMEHR_BENCH_PATIENTS lists
// others ("1000,100000"); every patient has the same records (see
// benchPatient), so the per-patient searches return the same pages at every
// size and only the population grows. Each search runs at every size before
// the next search, so that a ratio between sizes sees the same machine
// load (benchstat -col /patients). MEMEHR_BENCH_ENGINES=index leaves out the
// scan, which takes tens of seconds per search at 100,000 patients.
func BenchmarkPatientsApp(b *testing.B) {
	pops := benchPopulations(b)
	stores := make([]*Store, len(pops))
	for i, n := range pops {
		stores[i] = benchStore(b, n)
	}
	for _, bs := range benchSearches {
		parser, err := fhir.NewParser(fhir.STU3, bs.params, &fhir.ParserOptions{DefaultCount: 50})
		if err != nil {
			b.Fatal(err)
		}
		for i, n := range pops {
			s := stores[i]
			// Probe the same 256 patients, spread over the population, at every size.
			queries := make([]*fhir.Query, 256)
			for i := range queries {
				p := i * n / len(queries)
				pairs, err := fhir.ParsePairs(bs.query(p))
				if err != nil {
					b.Fatal(err)
				}
				if queries[i], err = parser.Parse(pairs, true); err != nil {
					b.Fatalf("%s: %v", bs.query(p), err)
				}
			}
			for _, eng := range benchEngines(s) {
				b.Run(fmt.Sprintf("search=%s/patients=%d/engine=%s", bs.name, n, eng.name), func(b *testing.B) {
					ctx := context.Background()
					b.ReportAllocs()
					i := 0
					for b.Loop() {
						r, err := eng.run(ctx, Request{Type: bs.typ, Params: bs.params, Query: queries[i%len(queries)]})
						if err != nil || r.Total < bs.min || len(r.Items) < min(r.Total, bs.min) {
							b.Fatalf("%s: %v, total %d, %d items", bs.name, err, r.Total, len(r.Items))
						}
						i++
					}
				})
			}
		}
	}
}

type benchEngine struct {
	name string
	run  func(context.Context, Request) (Result, error)
}

// benchEngines reads MEMEHR_BENCH_ENGINES (default "index,scan").
func benchEngines(s *Store) []benchEngine {
	all := []benchEngine{{"index", s.Search}, {"scan", s.scanSearch}}
	env := os.Getenv("MEMEHR_BENCH_ENGINES")
	if env == "" {
		return all
	}
	var out []benchEngine
	for _, e := range all {
		if strings.Contains(env, e.name) {
			out = append(out, e)
		}
	}
	return out
}

// benchPopulations reads MEMEHR_BENCH_PATIENTS (default 1000).
func benchPopulations(b *testing.B) []int {
	env := os.Getenv("MEMEHR_BENCH_PATIENTS")
	if env == "" {
		return []int{1000}
	}
	var out []int
	for _, f := range strings.Split(env, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 256 {
			b.Fatalf("MEMEHR_BENCH_PATIENTS: %q is not a population of at least 256", f)
		}
		out = append(out, n)
	}
	return out
}

type benchSearch struct {
	name   string
	typ    string
	params []fhir.SearchParam
	query  func(patient int) string
	min    int // the least total and page size every probe must return
}

// The declared parameters, with the paths of package stu3.
var (
	benchPatientParams = []fhir.SearchParam{
		fhir.ParamID,
		{Name: "name", Type: fhir.TypeString, Path: "Patient.name", Modifiers: []fhir.Modifier{fhir.ModContains, fhir.ModExact}},
		{Name: "family", Type: fhir.TypeString, Path: "Patient.name.family", Modifiers: []fhir.Modifier{fhir.ModContains, fhir.ModExact}},
		{Name: "given", Type: fhir.TypeString, Path: "Patient.name.given", Modifiers: []fhir.Modifier{fhir.ModContains, fhir.ModExact}},
		{Name: "birthdate", Type: fhir.TypeDate, Path: "Patient.birthDate"},
		{Name: "gender", Type: fhir.TypeToken, Path: "Patient.gender"},
		{Name: "identifier", Type: fhir.TypeToken, Path: "Patient.identifier"},
	}
	benchObsParams = []fhir.SearchParam{
		fhir.ParamID,
		{Name: "patient", Type: fhir.TypeReference, Path: "Observation.subject", Targets: []string{"Patient"}},
		{Name: "category", Type: fhir.TypeToken, Path: "Observation.category"},
		{Name: "code", Type: fhir.TypeToken, Path: "Observation.code"},
		{Name: "date", Type: fhir.TypeDate, Path: "Observation.effective[x]"},
	}
	benchCondParams = []fhir.SearchParam{fhir.ParamID, {Name: "patient", Type: fhir.TypeReference, Path: "Condition.subject", Targets: []string{"Patient"}}}
	benchEncParams  = []fhir.SearchParam{
		fhir.ParamID,
		{Name: "patient", Type: fhir.TypeReference, Path: "Encounter.subject", Targets: []string{"Patient"}},
		{Name: "date", Type: fhir.TypeDate, Path: "Encounter.period"},
	}
	benchAllergyParams = []fhir.SearchParam{fhir.ParamID, {Name: "patient", Type: fhir.TypeReference, Path: "AllergyIntolerance.patient", Targets: []string{"Patient"}}}
	benchMedParams     = []fhir.SearchParam{fhir.ParamID, {Name: "patient", Type: fhir.TypeReference, Path: "MedicationRequest.subject", Targets: []string{"Patient"}}}
	benchCovParams     = []fhir.SearchParam{fhir.ParamID, {Name: "patient", Type: fhir.TypeReference, Path: "Coverage.beneficiary", Targets: []string{"Patient"}}}
)

var benchSearches = []benchSearch{
	{"patient-name", "Patient", benchPatientParams, func(p int) string {
		return "family:contains=" + strings.ToLower(benchFamily(p)) + "&given:contains=" + benchGiven(p)[:3] + "&_count=10"
	}, 1},
	{"patient-identifier", "Patient", benchPatientParams, func(p int) string {
		return fmt.Sprintf("identifier=http://hospital.example/mrn|%08d", p)
	}, 1},
	{"vitals", "Observation", benchObsParams, func(p int) string {
		return fmt.Sprintf("patient=pat-%d&category=vital-signs&_sort=-date&_count=10", p)
	}, 10},
	{"conditions", "Condition", benchCondParams, func(p int) string {
		return fmt.Sprintf("patient=pat-%d&_count=10", p)
	}, 3},
	{"encounter-last", "Encounter", benchEncParams, func(p int) string {
		return fmt.Sprintf("patient=pat-%d&_sort:desc=date&_count=1", p)
	}, 1},
	{"allergies", "AllergyIntolerance", benchAllergyParams, func(p int) string {
		return fmt.Sprintf("patient=Patient/pat-%d", p)
	}, 2},
	{"medications", "MedicationRequest", benchMedParams, func(p int) string {
		return fmt.Sprintf("patient=pat-%d&_count=10", p)
	}, 3},
	{"coverage", "Coverage", benchCovParams, func(p int) string {
		return fmt.Sprintf("patient=pat-%d", p)
	}, 1},
}

var (
	benchFamilies = []string{"Chaudhry", "Blackwell", "Okafor", "Nguyen", "Smithers", "Garcia", "Kowalski", "Haddad", "Johansson", "Tanaka", "Moreau", "Fischer", "Rossi", "Silva", "Novak", "Brennan"}
	benchGivens   = []string{"Hugh", "Ruth", "Daniel", "Amara", "Lucas", "Mei", "Omar", "Sofia", "Jonas", "Priya", "Mateo", "Ingrid"}
)

// benchFamily gives patient p one of 16 surnames with a number, so a name
// search matches about one patient in 16 × 100 whatever the population.
func benchFamily(p int) string {
	return fmt.Sprintf("%s%02d", benchFamilies[p%len(benchFamilies)], p/len(benchFamilies)%100)
}

func benchGiven(p int) string { return benchGivens[p%len(benchGivens)] }

// benchPatient returns the 36 resources of patient p: the Patient, 22
// Observations (16 vital signs: 4 codes on 4 days; 6 laboratory results),
// 3 Conditions, 4 Encounters, 2 AllergyIntolerances, 3 MedicationRequests
// and a Coverage.
func benchPatient(p int) []string {
	pid := fmt.Sprintf("pat-%d", p)
	subj := fmt.Sprintf(`{"reference":"Patient/%s"}`, pid)
	day := func(d int) string {
		return time.Date(2015, 1, 1, 9, 0, 0, 0, time.UTC).AddDate(0, 0, (p*7+d*41)%3000).Format(time.RFC3339)
	}
	out := []string{fmt.Sprintf(`{"resourceType":"Patient","id":%q,"identifier":[{"type":{"coding":[{"system":"http://hl7.org/fhir/v2/0203","code":"MR"}]},"system":"http://hospital.example/mrn","value":"%08d"}],"name":[{"use":"official","family":%q,"given":[%q]}],"gender":%q,"birthDate":"%d-%02d-%02d"}`,
		pid, p, benchFamily(p), benchGiven(p), []string{"male", "female"}[p%2], 1930+p%80, 1+p%12, 1+p%28)}
	vitals := []struct{ code, unit string }{{"8867-4", "/min"}, {"8480-6", "mm[Hg]"}, {"8310-5", "Cel"}, {"29463-7", "kg"}}
	for d := range 4 {
		for i, v := range vitals {
			out = append(out, fmt.Sprintf(`{"resourceType":"Observation","id":"%s-v%d-%d","status":"final","category":[{"coding":[{"system":"http://hl7.org/fhir/observation-category","code":"vital-signs"}]}],"code":{"coding":[{"system":"http://loinc.org","code":%q}]},"subject":%s,"effectiveDateTime":%q,"valueQuantity":{"value":%d,"unit":%q,"system":"http://unitsofmeasure.org","code":%q}}`,
				pid, d, i, v.code, subj, day(d), 60+d+i, v.unit, v.unit))
		}
	}
	for i := range 6 {
		out = append(out, fmt.Sprintf(`{"resourceType":"Observation","id":"%s-l%d","status":"final","category":[{"coding":[{"system":"http://hl7.org/fhir/observation-category","code":"laboratory"}]}],"code":{"coding":[{"system":"http://loinc.org","code":"2339-0"}]},"subject":%s,"effectiveDateTime":%q,"valueQuantity":{"value":%d,"unit":"mg/dL"}}`,
			pid, i, subj, day(10+i), 80+i))
	}
	for i := range 3 {
		out = append(out, fmt.Sprintf(`{"resourceType":"Condition","id":"%s-c%d","clinicalStatus":"active","verificationStatus":"confirmed","code":{"text":"condition %d"},"subject":%s,"onsetDateTime":%q}`, pid, i, i, subj, day(20+i)))
	}
	for i := range 4 {
		out = append(out, fmt.Sprintf(`{"resourceType":"Encounter","id":"%s-e%d","status":"finished","class":{"code":"AMB"},"subject":%s,"period":{"start":%q,"end":%q},"location":[{"location":{"reference":"Location/loc-%d","display":"Ward %d"}}]}`,
			pid, i, subj, day(30+i), day(30+i), i, i))
	}
	for i := range 2 {
		out = append(out, fmt.Sprintf(`{"resourceType":"AllergyIntolerance","id":"%s-a%d","verificationStatus":"confirmed","code":{"text":"allergy %d"},"patient":%s}`, pid, i, i, subj))
	}
	for i := range 3 {
		out = append(out, fmt.Sprintf(`{"resourceType":"MedicationRequest","id":"%s-m%d","status":"active","intent":"order","medicationCodeableConcept":{"text":"medication %d"},"subject":%s,"authoredOn":%q}`, pid, i, i, subj, day(40+i)))
	}
	out = append(out, fmt.Sprintf(`{"resourceType":"Coverage","id":"%s-cov","status":"active","beneficiary":%s,"payor":[{"display":"Payer"}]}`, pid, subj))
	return out
}

// benchStores keeps the populations across -count runs: 100,000 patients
// take minutes to load.
var benchStores = map[int]*Store{}

// benchStore loads n patients and runs each search once, which makes the
// indexes; it logs how long that took.
func benchStore(b *testing.B, n int) *Store {
	b.Helper()
	if s := benchStores[n]; s != nil {
		return s
	}
	start := time.Now()
	s := New()
	for p := range n {
		for _, doc := range benchPatient(p) {
			if _, err := s.Put([]byte(doc), nil); err != nil {
				b.Fatal(err)
			}
		}
	}
	loaded := time.Since(start)
	start = time.Now()
	for _, bs := range benchSearches {
		parser, _ := fhir.NewParser(fhir.STU3, bs.params, nil)
		pairs, _ := fhir.ParsePairs(bs.query(0))
		q, err := parser.Parse(pairs, true)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.Search(context.Background(), Request{Type: bs.typ, Params: bs.params, Query: q}); err != nil {
			b.Fatal(err)
		}
	}
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	b.Logf("%d patients: loaded in %v, indexed in %v, heap %d MiB", n, loaded.Round(time.Millisecond), time.Since(start).Round(time.Millisecond), ms.HeapAlloc>>20)
	benchStores[n] = s
	return s
}
