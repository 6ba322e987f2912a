package sampleehr

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/patientsfhir/patientsfhir/examples/sampleehr/ehr"
	"github.com/patientsfhir/patientsfhir/examples/sampleehr/population"
	"github.com/patientsfhir/patientsfhir/fhir"
	"github.com/patientsfhir/patientsfhir/stu3"
)

const tenant = "7f2c1d9e-0b4a-4c55-9a21-3e8d6f1b2a01"

// small is the default population; large comes from SAMPLEEHR_LARGE.
const small = 1000

func sizes() []int {
	v := os.Getenv("SAMPLEEHR_LARGE")
	switch v {
	case "", "0":
		return []int{small}
	case "1":
		return []int{small, 100_000}
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= small {
		panic("SAMPLEEHR_LARGE must be 1 or a size above 1000, not " + strconv.Quote(v))
	}
	return []int{small, n}
}

var dbs struct {
	sync.Mutex
	dir   string
	open  map[int]*ehr.DB
	pops  map[int]*population.Population
	seeds map[int]ehr.SeedStats // the seedings of this run, by size
}

// seeded returns the database of a population of n patients, seeding it
// (or reusing it from SAMPLEEHR_DIR).
func seeded(b *testing.B, n int) (*ehr.DB, *population.Population) {
	b.Helper()
	dbs.Lock()
	defer dbs.Unlock()
	if db := dbs.open[n]; db != nil {
		return db, dbs.pops[n]
	}
	ctx := context.Background()
	p, err := population.New(population.Options{Tenant: tenant, Patients: n})
	if err != nil {
		b.Fatal(err)
	}
	db, err := ehr.Open(ctx, filepath.Join(dbs.dir, fmt.Sprintf("sampleehr-%d.db", n)))
	if err != nil {
		b.Fatal(err)
	}
	st, err := db.Seed(ctx, p)
	switch {
	case errors.Is(err, ehr.ErrSeeded):
		fmt.Printf("reusing the population of %d patients in %s\n", n, dbs.dir)
	case err != nil:
		b.Fatal(err)
	default:
		dbs.seeds[n] = st
	}
	dbs.open[n], dbs.pops[n] = db, p
	return db, p
}

func TestMain(m *testing.M) {
	dir := os.Getenv("SAMPLEEHR_DIR")
	keep := dir != ""
	if !keep {
		var err error
		if dir, err = os.MkdirTemp("", "sampleehr-bench-"); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	dbs.dir, dbs.open, dbs.pops, dbs.seeds = dir, map[int]*ehr.DB{}, map[int]*population.Population{}, map[int]ehr.SeedStats{}
	code := m.Run()
	summary()
	for _, db := range dbs.open {
		db.Close()
	}
	if !keep {
		os.RemoveAll(dir)
	}
	os.Exit(code)
}

// BenchmarkSeed seeds a fresh population of 1,000 patients per iteration
// and reports the rate.
func BenchmarkSeed(b *testing.B) {
	ctx := context.Background()
	p, err := population.New(population.Options{Tenant: tenant, Patients: small})
	if err != nil {
		b.Fatal(err)
	}
	var resources int
	var elapsed time.Duration
	for i := 0; b.Loop(); i++ {
		db, err := ehr.Open(ctx, filepath.Join(b.TempDir(), "seed-"+strconv.Itoa(i)+".db"))
		if err != nil {
			b.Fatal(err)
		}
		st, err := db.Seed(ctx, p)
		if err != nil {
			b.Fatal(err)
		}
		resources += st.Resources
		elapsed += st.Duration
		db.Close()
	}
	b.ReportMetric(float64(resources)/elapsed.Seconds(), "resources/s")
	b.ReportMetric(float64(small*b.N)/elapsed.Seconds(), "patients/s")
}

// search is one search of the Patients app, run on the backend.
type search struct {
	name string
	run  func(ctx context.Context, b *ehr.STU3Backend, d population.Summary, next string) (string, error)
}

func contains(v string) fhir.StringParam {
	return fhir.StringParam{{{Value: v, Modifier: fhir.ModContains}}}
}

var vitalSigns = fhir.TokenParam{{{Code: "vital-signs"}}}

var newest = []fhir.SortKey{{Name: "date", Descending: true}}

// patientSearch runs a Patient search with the profile's page size.
func patientSearch(name string, q func(d population.Summary) stu3.PatientQuery) search {
	return search{name, func(ctx context.Context, b *ehr.STU3Backend, d population.Summary, _ string) (string, error) {
		pq := q(d)
		pq.Count = 20
		p, err := b.SearchPatients(ctx, pq)
		if err == nil && p.Total != 1 {
			err = fmt.Errorf("%s: %d patients, want the designated one", name, p.Total)
		}
		return "", err
	}}
}

var searches = []search{
	patientSearch("patient family contains", func(d population.Summary) stu3.PatientQuery {
		return stu3.PatientQuery{Family: contains(d.Family)}
	}),
	patientSearch("patient given & family", func(d population.Summary) stu3.PatientQuery {
		return stu3.PatientQuery{Given: contains(d.Given), Family: contains(d.Family)}
	}),
	patientSearch("patient identifier (MRN)", func(d population.Summary) stu3.PatientQuery {
		return stu3.PatientQuery{Identifier: fhir.TokenParam{{{Code: d.MRN}}}}
	}),
	patientSearch("patient identifier system|MRN", func(d population.Summary) stu3.PatientQuery {
		return stu3.PatientQuery{Identifier: fhir.TokenParam{{{System: d.MRNSystem, HasSystem: true, Code: d.MRN}}}}
	}),
	patientSearch("patient birthdate & family", func(d population.Summary) stu3.PatientQuery {
		lo, hi, _ := fhir.DateRange(d.BirthDate)
		return stu3.PatientQuery{Family: contains(d.Family), Birthdate: fhir.DateParam{{{Start: lo, End: hi, Prefix: fhir.PrefixEq}}}}
	}),
	{"patient read", func(ctx context.Context, b *ehr.STU3Backend, d population.Summary, _ string) (string, error) {
		_, err := b.ReadPatient(ctx, d.ID)
		return "", err
	}},
	{"vitals newest first", func(ctx context.Context, b *ehr.STU3Backend, d population.Summary, _ string) (string, error) {
		p, err := b.SearchObservations(ctx, stu3.ObservationQuery{Search: fhir.Search{Count: 50, Sort: newest}, Patient: d.ID, Category: vitalSigns})
		return p.Next, err
	}},
	{"vitals next page", func(ctx context.Context, b *ehr.STU3Backend, d population.Summary, next string) (string, error) {
		_, err := b.SearchObservations(ctx, stu3.ObservationQuery{Search: fhir.Search{Count: 50, Sort: newest, Cursor: next}, Patient: d.ID, Category: vitalSigns})
		return next, err
	}},
	{"condition _count=10", func(ctx context.Context, b *ehr.STU3Backend, d population.Summary, _ string) (string, error) {
		_, err := b.SearchConditions(ctx, stu3.ConditionQuery{Search: fhir.Search{Count: 10}, Patient: d.ID})
		return "", err
	}},
	{"encounter newest _count=1", func(ctx context.Context, b *ehr.STU3Backend, d population.Summary, _ string) (string, error) {
		_, err := b.SearchEncounters(ctx, stu3.EncounterQuery{Search: fhir.Search{Count: 1, Sort: newest}, Patient: d.ID})
		return "", err
	}},
	{"allergyintolerance", func(ctx context.Context, b *ehr.STU3Backend, d population.Summary, _ string) (string, error) {
		_, err := b.SearchAllergyIntolerances(ctx, stu3.AllergyIntoleranceQuery{Search: fhir.Search{Count: 50}, Patient: d.ID})
		return "", err
	}},
	{"medicationrequest _count=10", func(ctx context.Context, b *ehr.STU3Backend, d population.Summary, _ string) (string, error) {
		_, err := b.SearchMedicationRequests(ctx, stu3.MedicationRequestQuery{Search: fhir.Search{Count: 10}, Patient: d.ID})
		return "", err
	}},
	{"medicationstatement", func(ctx context.Context, b *ehr.STU3Backend, d population.Summary, _ string) (string, error) {
		_, err := b.SearchMedicationStatements(ctx, stu3.MedicationStatementQuery{Search: fhir.Search{Count: 50}, Patient: d.ID})
		return "", err
	}},
	{"coverage", func(ctx context.Context, b *ehr.STU3Backend, d population.Summary, _ string) (string, error) {
		_, err := b.SearchCoverages(ctx, stu3.CoverageQuery{Search: fhir.Search{Count: 50}, Patient: d.ID})
		return "", err
	}},
}

// percentiles of each search per size, for the summary.
var results = struct {
	sync.Mutex
	p50, p99 map[string]map[int]time.Duration
}{p50: map[string]map[int]time.Duration{}, p99: map[string]map[int]time.Duration{}}

// BenchmarkSearch runs each search on every population size, the sizes
// interleaved query by query so that the load of a shared machine weighs
// on both alike, and reports the p50 and p99 latency at each size (ns/op
// is the sum of one query at each size) and the ratio of the p50s.
func BenchmarkSearch(b *testing.B) {
	type env struct {
		n    int
		be   *ehr.STU3Backend
		d    population.Summary
		next string // the cursor of the vitals' second page
	}
	ctx := context.Background()
	var envs []env
	for _, n := range sizes() {
		db, p := seeded(b, n)
		e := env{n: n, be: db.STU3(tenant), d: p.Designated()}
		var err error
		if e.next, err = searches[6].run(ctx, e.be, e.d, ""); err != nil || e.next == "" {
			b.Fatalf("no next page of vitals: %v", err)
		}
		envs = append(envs, e)
	}
	for _, s := range searches {
		b.Run(s.name, func(b *testing.B) {
			for _, e := range envs {
				for range 50 { // warm the caches
					if _, err := s.run(ctx, e.be, e.d, e.next); err != nil {
						b.Fatal(err)
					}
				}
			}
			lat := make([][]time.Duration, len(envs))
			for b.Loop() {
				for i, e := range envs {
					t0 := time.Now()
					if _, err := s.run(ctx, e.be, e.d, e.next); err != nil {
						b.Fatal(err)
					}
					lat[i] = append(lat[i], time.Since(t0))
				}
			}
			results.Lock()
			defer results.Unlock()
			if results.p50[s.name] == nil {
				results.p50[s.name], results.p99[s.name] = map[int]time.Duration{}, map[int]time.Duration{}
			}
			for i, e := range envs {
				l := lat[i]
				slices.Sort(l)
				p50, p99 := l[len(l)/2], l[min(len(l)-1, len(l)*99/100)]
				b.ReportMetric(float64(p50.Nanoseconds())/1e3, "p50-µs/n="+strconv.Itoa(e.n))
				b.ReportMetric(float64(p99.Nanoseconds())/1e3, "p99-µs/n="+strconv.Itoa(e.n))
				results.p50[s.name][e.n], results.p99[s.name][e.n] = p50, p99
			}
			if len(envs) == 2 {
				b.ReportMetric(float64(results.p50[s.name][envs[1].n])/float64(results.p50[s.name][envs[0].n]), "p50-ratio")
			}
		})
	}
}

// summary prints p50/p99 per search and size and, with two sizes, the
// ratio of the large size's p50 to the small one's.
func summary() {
	ns := sizes()
	for _, n := range ns {
		if st, ok := dbs.seeds[n]; ok {
			fmt.Printf("seeded %d patients, %d resources (%d rows) in %s: %.0f resources/s, %.0f patients/s\n",
				n, st.Resources, st.Rows, st.Duration.Round(time.Second), st.ResourcesPerSecond(), st.PatientsPerSecond())
		}
	}
	if len(results.p50) == 0 {
		return
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(w, "search\t")
	for _, n := range ns {
		fmt.Fprintf(w, "p50 n=%d\tp99 n=%d\t", n, n)
	}
	if len(ns) > 1 {
		fmt.Fprintf(w, "p50 ratio %d/%d\t", ns[1], ns[0])
	}
	fmt.Fprintln(w)
	for _, s := range searches {
		p50, p99 := results.p50[s.name], results.p99[s.name]
		if p50 == nil {
			continue
		}
		fmt.Fprintf(w, "%s\t", s.name)
		for _, n := range ns {
			fmt.Fprintf(w, "%s\t%s\t", p50[n].Round(time.Microsecond), p99[n].Round(time.Microsecond))
		}
		if len(ns) > 1 && p50[ns[0]] > 0 {
			fmt.Fprintf(w, "%.2f\t", float64(p50[ns[1]])/float64(p50[ns[0]]))
		}
		fmt.Fprintln(w)
	}
	w.Flush()
}
