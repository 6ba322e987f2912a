package ehr

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patientsfhir/patientsfhir/dstu2/dstu2test"
	"github.com/patientsfhir/patientsfhir/examples/sampleehr/population"
	"github.com/patientsfhir/patientsfhir/stu3/stu3test"
)

// statement is one SQL statement a backend ran, with its arguments.
type statement struct {
	query string
	args  []any
}

// recordStatements runs fn with every statement of db recorded.
func recordStatements(t *testing.T, db *DB, fn func()) []statement {
	t.Helper()
	var mu sync.Mutex
	var out []statement
	db.trace = func(q string, args []any) {
		mu.Lock()
		out = append(out, statement{q, append([]any(nil), args...)})
		mu.Unlock()
	}
	defer func() { db.trace = nil }()
	fn()
	return out
}

// plan returns the EXPLAIN QUERY PLAN lines of a statement.
func plan(t *testing.T, db *DB, s statement) []string {
	t.Helper()
	rows, err := db.r.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+s.query, s.args...)
	require.NoError(t, err, s.query)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id, parent, notUsed int
		var detail string
		require.NoError(t, rows.Scan(&id, &parent, &notUsed, &detail))
		out = append(out, detail)
	}
	require.NoError(t, rows.Err())
	return out
}

// tenantOnly is an index search constrained by the tenant alone: a scan of
// the tenant's whole table in disguise.
var tenantOnly = regexp.MustCompile(`\(tenant=\?\)$`)

// unselective tells the statements that select most of a tenant's
// patients by their nature, so no index can make them cheap: a :not (every
// patient but some) and :text on gender or on the identifier's type text
// (the same for every MRN). The DSTU2 statement advertises these modifiers
// (the kit probes them); the Patients app never sends them. They may read
// the tenant's part of an index, never scan a table.
func unselective(query string) bool {
	return strings.Contains(query, "IS NOT TRUE") || strings.Contains(query, "t.gender_text >=") ||
		strings.Contains(query, "t.mrn_text >=")
}

// checkPlan fails when a plan reads a whole table (SCAN) or a whole
// tenant's part of one.
func checkPlan(t *testing.T, s statement, lines []string) {
	t.Helper()
	for _, l := range lines {
		// The two cases exclude each other (SCAN vs SEARCH prefix).
		assert.False(t, strings.HasPrefix(l, "SCAN ") && l != "SCAN CONSTANT ROW",
			"%s\n  scans: %s\n  plan: %s", s.query, l, strings.Join(lines, " | "))
		assert.False(t, strings.HasPrefix(l, "SEARCH ") && tenantOnly.MatchString(l) && !unselective(s.query),
			"%s\n  reads the whole tenant: %s\n  plan: %s", s.query, l, strings.Join(lines, " | "))
	}
}

// get sends one GET through h.
func get(t *testing.T, h http.Handler, base, rel string) {
	t.Helper()
	r := httptest.NewRequest("GET", base+"/"+rel, nil)
	r.Header.Set("Authorization", "Bearer test")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	require.Equal(t, 200, w.Code, "%s: %s", rel, w.Body.String())
}

// backendStatements returns every statement the backends of tenantA run
// for the conformance kits (every request the Patients app sends, in both
// versions) and for the other declared search shapes.
func backendStatements(t *testing.T, db *DB, pops map[string]*population.Population) []statement {
	t.Helper()
	d := pops[tenantA].Designated()
	h3, h2 := stu3Handler(t, db.STU3(tenantA)), dstu2Handler(t, db.DSTU2(tenantA))
	pid := url.QueryEscape(d.ID)
	extra := []string{
		// Patient search shapes beyond the kits' own.
		"Patient?family=" + d.Family[:3], "Patient?family:exact=" + d.Family, "Patient?given:contains=" + d.Given[2:],
		"Patient?birthdate=" + d.BirthDate, "Patient?birthdate=ge" + d.BirthDate[:4] + "&gender=" + d.Gender,
		"Patient?birthdate=lt1940&gender=male", "Patient?gender=female&_count=5", "Patient?identifier=" + d.MRN + "&_sort=-birthdate",
		"Patient?identifier=" + url.QueryEscape(d.MRNSystem+"|"+d.MRN), "Patient?identifier=" + url.QueryEscape("|"+d.MRN),
		"Patient?family=" + d.Family + "&_sort=given", "Patient?_id=" + pid + "," + "pat-2",
		// Clinical searches with the other parameters and orders.
		"Observation?patient=" + pid + "&category=vital-signs&date=ge2020&_sort=date",
		"Observation?patient=" + pid + "&category=" + url.QueryEscape("http://hl7.org/fhir/observation-category|vital-signs") + "&_count=3",
		"Observation?patient=" + pid + "&date=2024",
		"Encounter?patient=" + pid + "&date=lt2022&_sort=date", "Condition?patient=" + pid + "&_count=2",
		"AllergyIntolerance?patient=" + pid + "&_count=1", "MedicationRequest?patient=" + pid + "&_count=1",
		"MedicationStatement?patient=" + pid, "Coverage?patient=" + pid + "&_count=1",
	}
	stmts := recordStatements(t, db, func() {
		stu3test.Run(t, h3, testData(pops[tenantA]), stu3test.Options{Base: "/stu3", Authorize: bearer})
		dstu2test.Run(t, h2, dstu2test.TestData(testData(pops[tenantA])), dstu2test.Options{Base: "/dstu2", Authorize: bearer})
		for _, rel := range extra {
			get(t, h3, "/stu3", rel)
		}
		get(t, h2, "/dstu2", "Patient?name="+strings.ToLower(d.Given[1:]))
		get(t, h2, "/dstu2", "MedicationOrder?patient="+pid+"&_count=1")
		// A next page: the cursor's seek.
		get(t, h3, "/stu3", "Observation?patient="+pid+"&category=vital-signs&_sort=-date&_count=2")
	})
	var out []statement
	for _, s := range stmts {
		if !strings.Contains(s.query, "FROM tenant") {
			out = append(out, s)
		}
	}
	return out
}

// Every statement the backends run for the conformance kits and the other
// declared search shapes uses an index for every table it reads: no
// search scans a table, nor a tenant's whole part of one (SQLite's EXPLAIN
// QUERY PLAN).
func TestNoSearchScansATable(t *testing.T) {
	db, pops := seeded(t, sqlite)
	stmts := backendStatements(t, db, pops)
	seen := map[string]bool{}
	var shapes []string
	exceptions := 0
	for _, s := range stmts {
		if !seen[s.query] {
			seen[s.query] = true
			shapes = append(shapes, s.query)
			if unselective(s.query) {
				exceptions++
			}
		}
		checkPlan(t, s, plan(t, db, s))
	}
	sort.Strings(shapes)
	assert.Greater(t, len(shapes), 40, "too few distinct statements: the test proves little")
	t.Logf("%d distinct statements, %d of them unselective by nature (:not, :text on gender or MRN type)", len(shapes), exceptions)
	// The next pages were asked for (the kits follow next links).
	assert.True(t, anyContains(shapes, ") < ("), "no keyset seek among the statements")
	if testing.Verbose() {
		for _, s := range stmts {
			if seen[s.query] {
				delete(seen, s.query)
				fmt.Printf("%s\n    %s\n", s.query, strings.Join(plan(t, db, s), " | "))
			}
		}
	}
}

func anyContains(ss []string, sub string) bool {
	for _, s := range ss {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// pgTenantOnly is an index condition on the tenant alone: PostgreSQL's
// form of tenantOnly.
var pgTenantOnly = regexp.MustCompile(`Index Cond: \(tenant = [^()]*\)$`)

// The same statements on PostgreSQL, planned with sequential scans
// disabled (a small population would rightly be scanned): every table is
// still read through an index (a plan that has no other way keeps its Seq
// Scan), and, except for the unselective statements, not through the
// tenant's whole part of one.
func TestPostgresSearchesUseIndexes(t *testing.T) {
	db, pops := seeded(t, postgres)
	stmts := backendStatements(t, db, pops)
	ctx := context.Background()
	conn, err := db.r.Conn(ctx)
	require.NoError(t, err)
	defer conn.Close()
	_, err = conn.ExecContext(ctx, `SET enable_seqscan = off`)
	require.NoError(t, err)
	defer conn.ExecContext(ctx, `RESET enable_seqscan`)
	seen := map[string]bool{}
	for _, s := range stmts {
		if seen[s.query] {
			continue
		}
		seen[s.query] = true
		rows, err := conn.QueryContext(ctx, "EXPLAIN "+s.query, s.args...)
		require.NoError(t, err, s.query)
		var lines []string
		for rows.Next() {
			var l string
			require.NoError(t, rows.Scan(&l))
			lines = append(lines, strings.TrimSpace(l))
		}
		require.NoError(t, rows.Err())
		rows.Close()
		plan := strings.Join(lines, "\n    ")
		for _, l := range lines {
			assert.NotContains(t, l, "Seq Scan", "%s\n  scans a table:\n    %s", s.query, plan)
			assert.False(t, pgTenantOnly.MatchString(l) && !unselective(s.query),
				"%s\n  reads the whole tenant:\n    %s", s.query, plan)
		}
		if testing.Verbose() {
			fmt.Printf("%s\n    %s\n", s.query, plan)
		}
	}
	assert.Greater(t, len(seen), 40, "too few distinct statements: the test proves little")
}
