package kit_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/patientsfhir/patientsfhir/dstu2"
	"github.com/patientsfhir/patientsfhir/dstu2/dstu2mem"
	"github.com/patientsfhir/patientsfhir/fhir"
	"github.com/patientsfhir/patientsfhir/internal/kit"
	"github.com/patientsfhir/patientsfhir/internal/kit/mutation"
	"github.com/patientsfhir/patientsfhir/stu3"
	"github.com/patientsfhir/patientsfhir/stu3/stu3mem"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every mutation of the catalogue makes the kit fail, for both versions,
// with a failure that names the mutation's rule and its spec section.
func TestMutationsFailTheKit(t *testing.T) {
	for _, ver := range versions() {
		h := ver.handler(t, ver.backend(t, false), 0)
		env := mutation.Env{Base: ver.base, Version: ver.v, Data: smallData}
		t.Run(ver.name+"/unmutated", func(t *testing.T) {
			var rec kit.Recorder
			rep := kit.Run(&rec, h, ver.v, smallData, options(ver))
			require.Empty(t, rep.Failures, "the kit fails the correct server: every failure below would prove nothing")
		})
		for _, m := range mutation.Catalogue(ver.v) {
			t.Run(ver.name+"/"+m.Rule+"/"+m.Name, func(t *testing.T) {
				t.Parallel()
				rule, ok := ver.v.Rule(m.Rule)
				require.True(t, ok, "the mutation's rule exists")
				o := options(ver)
				if m.NeedsSchema {
					o.Schema = ver.schema
				}
				var rec kit.Recorder
				rep := kit.Run(&rec, m.Wrap(h, env), ver.v, smallData, o)
				require.NotEmpty(t, rep.Failures, "the kit passed a server that %s", m.Name)
				tag := " [" + rule.ID + " " + rule.Section + "]"
				named := false
				for _, f := range rep.Failures {
					named = named || strings.HasSuffix(f.String(), tag)
				}
				assert.True(t, named, "no failure names %s; failures:\n%s", tag, strings.Join(rec.Errors, "\n"))
			})
		}
	}
}

// Adding a rule to the kit means adding its mutation.
func TestEveryRuleHasAMutation(t *testing.T) {
	for _, ver := range versions() {
		have := map[string]bool{}
		for _, m := range mutation.Catalogue(ver.v) {
			have[m.Rule] = true
			assert.NotEmpty(t, m.Name, m.Rule)
		}
		for _, r := range ver.v.Rules() {
			assert.True(t, have[r.ID], "%s: rule %s (%s) has no mutation in internal/kit/mutation", ver.name, r.ID, r.Section)
		}
	}
}

// A backend that pages without saying its total is refused by the server
// (never an invented total), and the kit's failure names the rule the
// server's OperationOutcome names: total.exact.
func TestBackendWithoutTotalFailsTheKit(t *testing.T) {
	for _, ver := range versions() {
		t.Run(ver.name, func(t *testing.T) {
			var b any
			switch ver.name {
			case "STU3":
				b = noTotalSTU3{ver.backend(t, false).(*stu3mem.Backend)}
			default:
				b = noTotalDSTU2{ver.backend(t, false).(*dstu2mem.Backend)}
			}
			o := options(ver)
			o.Only = []string{"paging", "totals"}
			var rec kit.Recorder
			rep := kit.Run(&rec, ver.handler(t, b, 0), ver.v, fixtureData, o)
			require.NotEmpty(t, rep.Failures)
			for _, f := range rep.Failures {
				assert.Equal(t, "total.exact", f.Rule, f.String())
			}
			assert.Contains(t, rep.Failures[0].String(), "status 500, want 200 (The backend returned a page with a next link but without its total")
			assert.True(t, strings.HasSuffix(rep.Failures[0].String(), "[total.exact §3.6, A4]"), rep.Failures[0].String())
		})
	}
}

// noTotalSTU3 leaves the total of every vital-signs page unset.
type noTotalSTU3 struct{ *stu3mem.Backend }

func (b noTotalSTU3) SearchObservations(ctx context.Context, q stu3.ObservationQuery) (fhir.Page[*stu3.Observation], error) {
	p, err := b.Backend.SearchObservations(ctx, q)
	p.Total, p.TotalKnown = 0, false
	return p, err
}

// noTotalDSTU2 leaves the total of every vital-signs page unset.
type noTotalDSTU2 struct{ *dstu2mem.Backend }

func (b noTotalDSTU2) SearchObservations(ctx context.Context, q dstu2.ObservationQuery) (fhir.Page[*dstu2.Observation], error) {
	p, err := b.Backend.SearchObservations(ctx, q)
	p.Total, p.TotalKnown = 0, false
	return p, err
}

// noLocationDisplay is h with the mutation of rule
// display.encounter.location (STU3).
func noLocationDisplay(h http.Handler) http.Handler {
	ver := versions()[0]
	for _, m := range mutation.Catalogue(ver.v) {
		if m.Rule == "display.encounter.location" {
			return m.Wrap(h, mutation.Env{Base: ver.base, Version: ver.v, Data: fixtureData})
		}
	}
	panic("no mutation of display.encounter.location")
}
