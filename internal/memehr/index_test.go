package memehr

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patientsfhir/patientsfhir/fhir"
)

// encParams reach the patient through a union path, as Encounter's do.
var encParams = []fhir.SearchParam{
	fhir.ParamID,
	{Name: "patient", Type: fhir.TypeReference, Path: "Encounter.patient | Encounter.subject", Targets: []string{"Patient"}},
	{Name: "date", Type: fhir.TypeDate, Path: "Encounter.period"},
	{Name: "status", Type: fhir.TypeToken, Path: "Encounter.status"},
}

func paramsOf(typ string) []fhir.SearchParam {
	switch typ {
	case "Observation":
		return obsParams
	case "Encounter":
		return encParams
	}
	return patientParams
}

func parse(t testing.TB, typ, query string) (*fhir.Query, error) {
	t.Helper()
	p, err := fhir.NewParser(fhir.STU3, paramsOf(typ), &fhir.ParserOptions{DefaultCount: 50})
	require.NoError(t, err)
	pairs, err := fhir.ParsePairs(query)
	if err != nil {
		return nil, err
	}
	return p.Parse(pairs, true)
}

// walk runs a search through its pages (at most pages) with one engine and
// returns the ids in order, the total of each page and the last cursor.
func walk(t testing.TB, run func(context.Context, Request) (Result, error), typ string, q *fhir.Query, pages int) (ids []string, totals []int, next string) {
	t.Helper()
	cursor := ""
	for range pages {
		r, err := run(context.Background(), Request{Type: typ, Params: paramsOf(typ), Query: q, Cursor: cursor})
		require.NoError(t, err)
		for _, it := range r.Items {
			ids = append(ids, it.ID)
		}
		totals = append(totals, r.Total)
		if r.Next == "" {
			return ids, totals, ""
		}
		cursor = r.Next
	}
	return ids, totals, cursor
}

// sameAsScan checks that Search and the scan reference agree on a query:
// the same ids in the same order on every page, the same totals.
func sameAsScan(t *testing.T, s *Store, typ, query string) {
	t.Helper()
	q, err := parse(t, typ, query)
	if err != nil {
		return // the parser refuses it; nothing to compare
	}
	gotIDs, gotTotals, gotNext := walk(t, s.Search, typ, q, 5)
	wantIDs, wantTotals, wantNext := walk(t, s.scanSearch, typ, q, 5)
	assert.Equal(t, wantIDs, gotIDs, "%s?%s: ids", typ, query)
	assert.Equal(t, wantTotals, gotTotals, "%s?%s: totals", typ, query)
	assert.Equal(t, wantNext, gotNext, "%s?%s: cursor", typ, query)
	if len(wantTotals) > 0 && q.Count > 0 && wantTotals[0] > 2 {
		// A page deep in the results, and one past them.
		for _, off := range []int{wantTotals[0] - 2, wantTotals[0] + 1} {
			req := Request{Type: typ, Params: paramsOf(typ), Query: q, Cursor: sealCursor(off)}
			got, err := s.Search(context.Background(), req)
			require.NoError(t, err)
			want, err := s.scanSearch(context.Background(), req)
			require.NoError(t, err)
			assert.Equal(t, idsOf(want.Items), idsOf(got.Items), "%s?%s at %d", typ, query, off)
			assert.Equal(t, want.Total, got.Total)
			assert.Equal(t, want.Next, got.Next)
		}
	}
}

// population is a store with awkward data: references of every shape
// (relative, absolute, versioned, to a Group, bare id, none), codes with and
// without systems, dates, periods and missing dates, shared identifiers.
type population struct {
	rnd      *rand.Rand
	patients int
	nextObs  int
}

var (
	families = []string{"Chau", "Chauvin", "Black", "Blackwell", "Ökafor", "Nguyễn", "O'Brien", "Smith", "Smithers", "chau"}
	givens   = []string{"Hugh", "Ruth", "Ruthanne", "Daniel", "Danny", "Alex", "Zoë"}
)

func (pop *population) patient(i int) string {
	r := pop.rnd
	ident := fmt.Sprintf(`{"system":"http://h/mrn","value":"%d"}`, 100+i)
	if r.IntN(4) == 0 { // shared driving-licence numbers
		ident += fmt.Sprintf(`,{"system":"http://dl","value":"%d"}`, 100+r.IntN(pop.patients))
	}
	name := fmt.Sprintf(`{"family":%q,"given":[%q]}`, families[r.IntN(len(families))], givens[r.IntN(len(givens))])
	if r.IntN(5) == 0 {
		name = fmt.Sprintf(`{"given":[%q]}`, givens[r.IntN(len(givens))])
	}
	birth := ""
	if r.IntN(6) != 0 {
		birth = fmt.Sprintf(`,"birthDate":"%d-%02d-%02d"`, 1920+r.IntN(90), 1+r.IntN(12), 1+r.IntN(28))
	}
	return fmt.Sprintf(`{"resourceType":"Patient","id":"p%d","identifier":[%s],"name":[%s],"gender":%q%s}`,
		i, ident, name, []string{"male", "female", "other", "unknown"}[r.IntN(4)], birth)
}

func (pop *population) subject() string {
	r := pop.rnd
	p := r.IntN(pop.patients)
	switch r.IntN(12) {
	case 0:
		return fmt.Sprintf(`,"subject":{"reference":"http://other.example/fhir/Patient/p%d"}`, p)
	case 1:
		return fmt.Sprintf(`,"subject":{"reference":"Patient/p%d/_history/2"}`, p)
	case 2:
		return fmt.Sprintf(`,"subject":{"reference":"Group/p%d"}`, p)
	case 3:
		return fmt.Sprintf(`,"subject":{"reference":"p%d"}`, p)
	case 4:
		return `,"subject":{"display":"someone"}`
	case 5:
		return ""
	case 6:
		return `,"subject":{"reference":"urn:uuid:7d2c"}`
	}
	return fmt.Sprintf(`,"subject":{"reference":"Patient/p%d"}`, p)
}

func (pop *population) date() string {
	r := pop.rnd
	d := time.Date(2015, 1, 1, 8, 0, 0, 0, time.UTC).Add(time.Duration(r.IntN(3000)) * 24 * time.Hour)
	switch r.IntN(8) {
	case 0:
		return ""
	case 1:
		return fmt.Sprintf(`,"effectivePeriod":{"start":%q}`, d.Format(time.RFC3339))
	case 2:
		return fmt.Sprintf(`,"effectivePeriod":{"start":%q,"end":%q}`, d.Format(time.RFC3339), d.Add(time.Hour).Format(time.RFC3339))
	case 3:
		return fmt.Sprintf(`,"effectiveDateTime":%q`, d.Format("2006-01-02"))
	case 4: // same instant as another day's observation: ties sort by id
		return `,"effectiveDateTime":"2019-06-11T10:15:00-05:00"`
	}
	return fmt.Sprintf(`,"effectiveDateTime":%q`, d.Format(time.RFC3339))
}

func (pop *population) observation(id string) string {
	r := pop.rnd
	cat := []string{
		`,"category":[{"coding":[{"system":"http://hl7.org/fhir/observation-category","code":"vital-signs"}]}]`,
		`,"category":[{"coding":[{"system":"http://hl7.org/fhir/observation-category","code":"laboratory"}]}]`,
		`,"category":[{"coding":[{"code":"vital-signs"}],"text":"Vitals"}]`,
		``,
	}[r.IntN(4)]
	return fmt.Sprintf(`{"resourceType":"Observation","id":%q,"status":%q%s,"code":{"coding":[{"system":"http://loinc.org","code":%q}]}%s%s,"valueQuantity":{"value":%d}}`,
		id, []string{"final", "amended", "preliminary"}[r.IntN(3)], cat, []string{"8867-4", "8480-6", "2339-0"}[r.IntN(3)], pop.subject(), pop.date(), 50+r.IntN(60))
}

func (pop *population) encounter(id string) string {
	r := pop.rnd
	p := r.IntN(pop.patients)
	who := fmt.Sprintf(`"subject":{"reference":"Patient/p%d"}`, p)
	if r.IntN(3) == 0 { // DSTU2 puts it in patient
		who = fmt.Sprintf(`"patient":{"reference":"Patient/p%d"}`, p)
	}
	start := time.Date(2016, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.IntN(2000)) * 24 * time.Hour)
	period := fmt.Sprintf(`,"period":{"start":%q,"end":%q}`, start.Format(time.RFC3339), start.Add(2*time.Hour).Format(time.RFC3339))
	status := "finished"
	if r.IntN(4) == 0 {
		period, status = fmt.Sprintf(`,"period":{"start":%q}`, start.Format(time.RFC3339)), "in-progress"
	}
	return fmt.Sprintf(`{"resourceType":"Encounter","id":%q,"status":%q,%s%s}`, id, status, who, period)
}

func newPopulation(t testing.TB, seed uint64, patients, observations, encounters int) (*Store, *population) {
	t.Helper()
	pop := &population{rnd: rand.New(rand.NewPCG(seed, 1)), patients: patients}
	s := New()
	for i := range patients {
		_, err := s.Put([]byte(pop.patient(i)), nil)
		require.NoError(t, err)
	}
	for range observations {
		_, err := s.Put([]byte(pop.observation(fmt.Sprintf("o%d", pop.nextObs))), nil)
		require.NoError(t, err)
		pop.nextObs++
	}
	for i := range encounters {
		_, err := s.Put([]byte(pop.encounter(fmt.Sprintf("e%d", i))), nil)
		require.NoError(t, err)
	}
	return s, pop
}

// query returns a random search of typ, as a query string.
func (pop *population) query(typ string) string {
	r := pop.rnd
	pick := func(xs ...string) string { return xs[r.IntN(len(xs))] }
	p := func() string { return fmt.Sprintf("p%d", r.IntN(pop.patients)) }
	var parts []string
	switch typ {
	case "Observation":
		if r.IntN(4) != 0 {
			parts = append(parts, pick(
				"patient="+p(), "patient=Patient/"+p(), "patient="+p()+","+p(), "patient:Patient="+p(),
				"subject="+p(), "subject=Group/"+p(), "patient=http://other.example/fhir/Patient/"+p(),
				"subject=Patient/"+p()+"&subject="+p(), "patient=urn:uuid:7d2c", "subject="+p()+"&patient="+p()))
		}
		for range r.IntN(3) {
			parts = append(parts, pick(
				"category=vital-signs", "category=http://hl7.org/fhir/observation-category|laboratory",
				"category=http://hl7.org/fhir/observation-category|", "category=|vital-signs",
				"code=8867-4,8480-6", "code:text=vitals", "status=final", "status=amended,preliminary",
				"date=ge2018", "date=lt2017-06", "date=2019-06-11", "value-quantity=gt80",
				"_id=o1,o2,o3,o40", "_id=o"+fmt.Sprint(r.IntN(pop.nextObs+1))))
		}
		parts = append(parts, pick("", "_sort=-date", "_sort=date", "_sort:desc=date", "_sort=status,-date", "_sort=-_id", "_sort=code"))
	case "Encounter":
		if r.IntN(5) != 0 {
			parts = append(parts, "patient="+p())
		}
		parts = append(parts, pick("", "status=finished", "date=ge2018"), pick("", "_sort=-date", "_sort=date"))
	default:
		for range 1 + r.IntN(2) {
			parts = append(parts, pick(
				"family=chau", "family:contains=ch", "family:contains=LACK", "family:exact=Chau", "family=okafor",
				"family=nguyen", "given=dan", "given:contains=uth", "name=zoe", "name:contains=ia",
				"identifier=10"+fmt.Sprint(r.IntN(10)), "identifier=http://h/mrn|"+fmt.Sprint(100+r.IntN(pop.patients)),
				"identifier=http://dl|", "identifier=|101", "identifier:text=mrn", "gender=male", "gender:not=female",
				"birthdate=lt1950", "birthdate:missing=true", "family:missing=true", "_id="+p()+","+p()))
		}
		parts = append(parts, pick("", "_sort=family", "_sort=-birthdate", "_sort=gender,-_id"))
	}
	parts = append(parts, pick("", "_count=2", "_count=7", "_count=20", "_count=0"))
	return strings.Trim(strings.Join(parts, "&"), "&")
}

// mutate replaces, adds and deletes resources at random: references move to
// other patients, dates change, categories come and go.
func (pop *population) mutate(t *testing.T, s *Store, n int) {
	r := pop.rnd
	for range n {
		switch r.IntN(6) {
		case 0:
			s.Delete("Observation", fmt.Sprintf("o%d", r.IntN(pop.nextObs)))
		case 1:
			_, err := s.Put([]byte(pop.observation(fmt.Sprintf("o%d", pop.nextObs))), nil)
			require.NoError(t, err)
			pop.nextObs++
		case 2:
			s.Delete("Patient", fmt.Sprintf("p%d", r.IntN(pop.patients)))
		case 3:
			_, err := s.Put([]byte(pop.patient(r.IntN(pop.patients))), nil)
			require.NoError(t, err)
		default:
			_, err := s.Put([]byte(pop.observation(fmt.Sprintf("o%d", r.IntN(pop.nextObs)))), nil)
			require.NoError(t, err)
		}
	}
}

// TestSearchMatchesScan: on random data and random queries, with writes
// between the rounds, the indexed Search returns exactly what the full scan
// returns, page by page.
func TestSearchMatchesScan(t *testing.T) {
	for _, limit := range []int{maxViewToSort, 16} {
		t.Run(fmt.Sprintf("maxViewToSort=%d", limit), func(t *testing.T) {
			defer func(old int) { maxViewToSort = old }(maxViewToSort)
			maxViewToSort = limit
			searchMatchesScan(t)
		})
	}
}

func searchMatchesScan(t *testing.T) {
	s, pop := newPopulation(t, 7, 40, 600, 120)
	for round := range 4 {
		for range 100 {
			typ := []string{"Observation", "Observation", "Patient", "Encounter"}[pop.rnd.IntN(4)]
			sameAsScan(t, s, typ, pop.query(typ))
		}
		if t.Failed() {
			require.FailNow(t, "a round differs from the scan", "round %d", round)
		}
		pop.mutate(t, s, 80)
	}
}

func ids0(t *testing.T, s *Store, typ, query string) []string {
	t.Helper()
	q, err := parse(t, typ, query)
	require.NoError(t, err)
	got, _, next := walk(t, s.Search, typ, q, 100)
	require.Empty(t, next)
	return got
}

// TestIndexMaintenance: the postings and sorted views follow each write.
func TestIndexMaintenance(t *testing.T) {
	s := load(t, testPatients, obs)
	const vitals = "patient=p1&category=vital-signs&_sort=-date"
	require.Equal(t, []string{"o1", "o2"}, ids0(t, s, "Observation", vitals))
	require.Equal(t, []string{"o4"}, ids0(t, s, "Observation", "patient=p2&_sort=-date"))

	// A reference change moves the observation from p1's posting to p2's.
	_, err := s.Put([]byte(`{"resourceType":"Observation","id":"o2","status":"final","category":[{"coding":[{"code":"vital-signs"}]}],"subject":{"reference":"Patient/p2"},"effectiveDateTime":"2016-02-01"}`), nil)
	require.NoError(t, err)
	assert.Equal(t, []string{"o1"}, ids0(t, s, "Observation", vitals))
	assert.Equal(t, []string{"o4", "o2"}, ids0(t, s, "Observation", "patient=p2&_sort=-date"))
	assert.Equal(t, []string{"o2", "o4"}, ids0(t, s, "Observation", "patient=p2&_sort=date"))

	// A new date reorders the cached newest-first view.
	_, err = s.Put([]byte(`{"resourceType":"Observation","id":"o2","status":"final","subject":{"reference":"Patient/p2"},"effectiveDateTime":"2030-01-01"}`), nil)
	require.NoError(t, err)
	assert.Equal(t, []string{"o2", "o4"}, ids0(t, s, "Observation", "patient=p2&_sort=-date"))

	// A new resource joins the posting and the view; a delete leaves both.
	_, err = s.Put([]byte(`{"resourceType":"Observation","id":"o9","status":"final","subject":{"reference":"http://x.example/fhir/Patient/p2"},"effectiveDateTime":"2020-05-05"}`), nil)
	require.NoError(t, err)
	assert.Equal(t, []string{"o2", "o4", "o9"}, ids0(t, s, "Observation", "patient=p2&_sort=-date"))
	assert.Equal(t, []string{"o9", "o4", "o2"}, ids0(t, s, "Observation", "patient=p2&_sort=date"))
	require.True(t, s.Delete("Observation", "o2"))
	assert.Equal(t, []string{"o4", "o9"}, ids0(t, s, "Observation", "patient=p2&_sort=-date"))
	assert.Equal(t, []string{"o4", "o9"}, ids0(t, s, "Observation", "patient=p2"))

	// Losing the reference takes it out of the index altogether.
	_, err = s.Put([]byte(`{"resourceType":"Observation","id":"o9","status":"final"}`), nil)
	require.NoError(t, err)
	assert.Equal(t, []string{"o4"}, ids0(t, s, "Observation", "patient=p2"))
	s.mu.RLock()
	x := s.types["Observation"].indexes[indexSpec{kind: refIndex, expr: "Observation.subject.where(resolve() is Patient)"}.key()]
	require.NotNil(t, x)
	assert.Len(t, x.postings["ip2"].items, 1)
	assert.Nil(t, x.postings["inope"])
	s.mu.RUnlock()

	// Deleting the last holder of a key drops its posting (no growth under churn).
	require.True(t, s.Delete("Observation", "o4"))
	s.mu.RLock()
	assert.Nil(t, x.postings["ip2"])
	s.mu.RUnlock()
	assert.Empty(t, ids0(t, s, "Observation", "patient=p2"))

	// Identifier index and string column follow replaces and deletes too.
	assert.Equal(t, []string{"p1", "p2"}, ids0(t, s, "Patient", "identifier=111"))
	assert.Equal(t, []string{"p1", "p4"}, ids0(t, s, "Patient", "family:contains=hau"))
	_, err = s.Put([]byte(`{"resourceType":"Patient","id":"p1","identifier":[{"system":"http://h/mrn","value":"999"}],"name":[{"family":"Black"}]}`), nil)
	require.NoError(t, err)
	assert.Equal(t, []string{"p2"}, ids0(t, s, "Patient", "identifier=111"))
	assert.Equal(t, []string{"p1"}, ids0(t, s, "Patient", "identifier=999"))
	assert.Equal(t, []string{"p4"}, ids0(t, s, "Patient", "family:contains=hau"))
	assert.Equal(t, []string{"p1", "p2", "p3"}, ids0(t, s, "Patient", "family=black"))
	require.True(t, s.Delete("Patient", "p2"))
	assert.Empty(t, ids0(t, s, "Patient", "identifier=111"))
	assert.Equal(t, []string{"p1", "p3"}, ids0(t, s, "Patient", "family=black"))

	// An index made before any resource of its type exists is kept up to date.
	assert.Empty(t, ids0(t, s, "Encounter", "patient=p1&_sort=-date"))
	_, err = s.Put([]byte(`{"resourceType":"Encounter","id":"e1","status":"finished","subject":{"reference":"Patient/p1"},"period":{"start":"2019-06-11"}}`), nil)
	require.NoError(t, err)
	assert.Equal(t, []string{"e1"}, ids0(t, s, "Encounter", "patient=p1&_sort=-date"))
	assert.Equal(t, []string{"Encounter", "Observation", "Patient"}, s.Types())
}

// TestWholeTypeView: a search without clauses pages a cached sorted view of
// the type; a write resets it.
func TestWholeTypeView(t *testing.T) {
	s := load(t, testPatients, obs)
	assert.Equal(t, []string{"o3", "o4", "o1", "o2", "o5"}, ids0(t, s, "Observation", "_sort=-date&_count=2"))
	_, err := s.Put([]byte(`{"resourceType":"Observation","id":"o0","status":"final","effectiveDateTime":"2030-01-01"}`), nil)
	require.NoError(t, err)
	assert.Equal(t, []string{"o0", "o3", "o4", "o1", "o2", "o5"}, ids0(t, s, "Observation", "_sort=-date&_count=4"))
	// With the view cached, filtered searches read it in order.
	assert.Equal(t, []string{"o0", "o4", "o1", "o2", "o5"}, ids0(t, s, "Observation", "status=final&_sort=-date"))
	require.True(t, s.Delete("Observation", "o3"))
	assert.Equal(t, []string{"o0", "o4", "o1", "o2", "o5"}, ids0(t, s, "Observation", "_sort=-date&_count=4"))
}

// TestConcurrentReadWrite: searches run while other goroutines replace and
// delete resources (run with -race). A patient no writer touches always
// gets the same exact answer; the rest end equal to the scan.
func TestConcurrentReadWrite(t *testing.T) {
	s, pop := newPopulation(t, 11, 30, 400, 0)
	// p-stable's vitals are written once and never touched again.
	var want []string
	for i := range 12 {
		id := fmt.Sprintf("stable-%02d", i)
		_, err := s.Put([]byte(fmt.Sprintf(`{"resourceType":"Observation","id":%q,"status":"final","category":[{"coding":[{"code":"vital-signs"}]}],"subject":{"reference":"Patient/p-stable"},"effectiveDateTime":"2020-01-%02dT10:00:00Z"}`, id, 1+i)), nil)
		require.NoError(t, err)
		want = append([]string{id}, want...)
	}
	stable, err := parse(t, "Observation", "patient=p-stable&category=vital-signs&_sort=-date&_count=5")
	require.NoError(t, err)

	// The writers prepare their documents up front (pop is not safe for concurrent use).
	docs := make([][]string, 3)
	for w := range docs {
		for i := range 300 {
			docs[w] = append(docs[w], pop.observation(fmt.Sprintf("o%d", (w*97+i)%pop.nextObs)))
		}
	}
	queries := make([]*fhir.Query, 0, 40)
	for range 40 {
		if q, err := parse(t, "Observation", pop.query("Observation")); err == nil {
			queries = append(queries, q)
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	var writers, readers sync.WaitGroup
	for w := range docs {
		writers.Go(func() {
			for i, d := range docs[w] {
				if i%5 == 4 {
					s.Delete("Observation", fmt.Sprintf("o%d", (w*97+i)%pop.nextObs))
					continue
				}
				_, err := s.Put([]byte(d), nil)
				assert.NoError(t, err)
			}
		})
	}
	var searches atomic.Int64
	for r := range 4 {
		readers.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				res, err := s.Search(context.Background(), Request{Type: "Observation", Params: obsParams, Query: stable})
				if !assert.NoError(t, err) {
					return
				}
				assert.Equal(t, 12, res.Total)
				assert.Equal(t, want[:5], idsOf(res.Items))
				q := queries[(r*7+i)%len(queries)]
				_, err = s.Search(context.Background(), Request{Type: "Observation", Params: obsParams, Query: q})
				assert.NoError(t, err)
				searches.Add(2)
			}
		})
	}
	writers.Wait()
	cancel()
	readers.Wait()
	require.Positive(t, searches.Load())
	for range 60 {
		sameAsScan(t, s, "Observation", pop.query("Observation"))
	}
}

func idsOf(items []*Item) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.ID
	}
	return out
}

// FuzzSearchMatchesScan: for any query the parser accepts, over any of the
// three types, Search and the scan return the same page, total and cursor.
func FuzzSearchMatchesScan(f *testing.F) {
	s, pop := newPopulation(f, 3, 12, 120, 30)
	for i := range 24 {
		typ := []string{"Observation", "Patient", "Encounter"}[i%3]
		f.Add(uint8(i%3), pop.query(typ))
	}
	f.Fuzz(func(t *testing.T, which uint8, query string) {
		typ := []string{"Observation", "Patient", "Encounter"}[which%3]
		q, err := parse(t, typ, query)
		if err != nil {
			return
		}
		req := Request{Type: typ, Params: paramsOf(typ), Query: q}
		got, err := s.Search(context.Background(), req)
		require.NoError(t, err)
		want, err := s.scanSearch(context.Background(), req)
		require.NoError(t, err)
		assert.Equal(t, idsOf(want.Items), idsOf(got.Items), query)
		assert.Equal(t, want.Total, got.Total, query)
		assert.Equal(t, want.Next, got.Next, query)
	})
}
