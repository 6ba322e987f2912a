package kit_test

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/patientsfhir/patientsfhir/internal/kit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The kit passes the correct in-memory backends of both versions, loaded
// with the fixtures and every official HL7 example that fits, with every
// response valid against the official schema and no rule relaxed; and it
// really drives the catalogue, the filters, the totals and the batches.
func TestKitPassesInMemory(t *testing.T) {
	for _, ver := range versions() {
		t.Run(ver.name, func(t *testing.T) {
			h := ver.handler(t, ver.backend(t, true), 0)
			var mu sync.Mutex
			seen := map[string]int{}
			counting := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				seen[r.Method+" "+r.URL.Path]++
				mu.Unlock()
				h.ServeHTTP(w, r)
			})
			o := options(ver)
			o.Schema = ver.schema
			var rec kit.Recorder
			rep := kit.Run(&rec, counting, ver.v, fixtureData, o)
			assert.Empty(t, rec.Errors)
			assert.Empty(t, rep.Failures)
			assert.Empty(t, rep.Relaxed)
			for _, l := range rec.Logs {
				assert.NotContains(t, l, "relaxed")
			}
			n := 0
			for _, c := range seen {
				n += c
			}
			assert.Greater(t, n, 150, "requests sent")
			for _, want := range []string{"GET " + ver.base + "/metadata", "GET " + ver.base + "/Patient/pat-1", "POST " + ver.base + "/Patient/_search",
				"POST " + ver.base, "GET " + ver.base + "/Coverage", "POST " + ver.base + "/" + ver.v.Medication + "/_search", "POST " + ver.base + "/Encounter/_search"} {
				assert.NotZero(t, seen[want], "the kit sent no %s", want)
			}
			assert.GreaterOrEqual(t, seen["POST "+ver.base], 2, "the catalogue batch and the filters batch")
		})
	}
}

// A correct server whose largest page (10) is smaller than the test
// patient's vital signs (48) and than the kit's "unpaged" _count=200
// passes too: the totals and paging checks walk every page.
func TestKitPassesSmallPages(t *testing.T) {
	for _, ver := range versions() {
		t.Run(ver.name, func(t *testing.T) {
			var rec kit.Recorder
			rep := kit.Run(&rec, ver.handler(t, ver.backend(t, false), 10), ver.v, fixtureData, options(ver))
			assert.Empty(t, rep.Failures)
			assert.Empty(t, rec.Errors)
		})
	}
}

// Relax turns a rule's findings into log lines; the report lists the rule
// and what it waived; an unknown rule id fails the run.
func TestRelax(t *testing.T) {
	ver := versions()[0]
	b := ver.backend(t, false)
	h := noLocationDisplay(ver.handler(t, b, 0))

	var strict kit.Recorder
	rep := kit.Run(&strict, h, ver.v, fixtureData, options(ver))
	require.NotEmpty(t, rep.Failures, "a missing location display fails by default")
	for _, f := range rep.Failures {
		assert.Equal(t, "display.encounter.location", f.Rule, f.String())
		assert.Equal(t, "§5.5, §9 item 7", f.Section)
		assert.True(t, strings.HasSuffix(f.String(), " [display.encounter.location §5.5, §9 item 7]"), f.String())
	}
	assert.Len(t, strict.Errors, len(rep.Failures))

	o := options(ver)
	o.Relax = []string{"display.encounter.location"}
	var relaxed kit.Recorder
	rep2 := kit.Run(&relaxed, h, ver.v, fixtureData, o)
	assert.Empty(t, relaxed.Errors)
	assert.Empty(t, rep2.Failures)
	require.Len(t, rep2.Relaxed, 1)
	assert.Equal(t, kit.Rule{ID: "display.encounter.location", Section: "§5.5, §9 item 7",
		Title: "Encounter Location[0].Location.Display (location.0.location.display) is displayed by the app"}, rep2.Relaxed[0])
	assert.Len(t, rep2.Waived, len(rep.Failures))
	assert.Contains(t, relaxed.Logs, "kit: relaxed rules, logged instead of failed: display.encounter.location (§5.5, §9 item 7): "+
		strconv.Itoa(len(rep.Failures))+" findings")

	o.Relax = []string{"display.encounter.nowhere"}
	var bad kit.Recorder
	rep3 := kit.Run(&bad, ver.handler(t, b, 0), ver.v, fixtureData, o)
	require.Len(t, rep3.Failures, 1)
	assert.Equal(t, `kit: Options.Relax names "display.encounter.nowhere", which is not a rule of the STU3 kit (see docs/kits.md)`, rep3.Failures[0].String())
}

// Every rule has an id, a section and a title, ids are unique, and the
// failures name rules that exist.
func TestRules(t *testing.T) {
	for _, ver := range versions() {
		seen := map[string]bool{}
		for _, r := range ver.v.Rules() {
			assert.NotEmpty(t, r.ID)
			assert.Regexp(t, `^§`, r.Section, r.ID)
			assert.NotEmpty(t, r.Title, r.ID)
			assert.False(t, seen[r.ID], "duplicate rule %s", r.ID)
			seen[r.ID] = true
		}
		_, ok := ver.v.Rule("total.exact")
		assert.True(t, ok)
		_, ok = ver.v.Rule("no.such")
		assert.False(t, ok)
	}
	_, ok := kit.DSTU2(nil).Rule("param.name")
	assert.True(t, ok, "DSTU2 searches Patient by name")
	_, ok = kit.STU3(nil).Rule("param.name")
	assert.False(t, ok, "STU3 has no name parameter")
}
