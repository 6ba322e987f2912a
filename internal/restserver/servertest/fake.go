package servertest

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/patientsfhir/patientsfhir/fhir"
	"github.com/patientsfhir/patientsfhir/internal/fixtures"
	"github.com/patientsfhir/patientsfhir/internal/restserver"
	"github.com/stretchr/testify/require"
)

// Fake is a backend over a version's fixture population that filters by
// the typed query fields (as a partner's backend does), sorts by date and
// pages, with switches that make it misbehave the ways the server must
// survive. It implements [Backend]; Version.Typed makes it the version's
// typed backend. The values each declared parameter matches against are
// read from the fixtures once, by the parameter's path, so a search costs
// about what a hand-written typed backend's does.
type Fake struct {
	decode func([]byte) (restserver.Resource, error)
	types  map[string]*fakeType
	// Pages makes searches return at most q.Count resources with a Next
	// cursor of their own (an offset) when more remain; without it a
	// search returns one page.
	Pages bool

	mode  atomic.Value // string: a blocked call outlives its request
	block chan struct{}
}

type fakeType struct {
	scoped bool
	items  []*fakeItem
}

type fakeItem struct {
	id, owner string
	res       restserver.Resource
	tree      map[string]any
	values    map[string]paramValues
}

// paramValues are what a resource holds for one declared parameter.
type paramValues struct {
	strings []string
	codes   []fhir.TokenCode
	dates   []dateRange
}

type dateRange struct {
	start, end time.Time
	text       string // as written (the start of a period), for sorting
}

// The modes of [Fake.Set].
const (
	ModePanic        = "panic"         // every call panics
	ModeError        = "error"         // every call fails with an error holding secrets
	ModeBlock        = "block"         // every call ignores its context until the test ends
	ModeLate         = "late"          // every call answers 600ms late, ignoring its context
	ModeOtherPatient = "other-patient" // a search's first resource is another patient's
	ModeInvalid      = "invalid"       // a read's or search's first resource fails Validate
	ModeNoID         = "no-id"         // a read returns a resource without id
	ModeWrongID      = "wrong-id"      // a read returns another id
	ModeTooMany      = "too-many"      // a search returns every resource, whatever _count says
)

// ErrSecret is the error of ModeError: its text must reach neither a
// response nor a log.
var ErrSecret = errors.New("db: connection to 10.0.0.7 refused for user admin password=hunter2")

// NewFake loads the fixtures of v's typed types; the test's end unblocks
// ModeBlock calls.
func NewFake[B any](t testing.TB, v Version[B]) *Fake {
	t.Helper()
	f := &Fake{decode: v.Decode, types: map[string]*fakeType{}, block: make(chan struct{})}
	t.Cleanup(func() { close(f.block) })
	for _, typ := range v.Types {
		rs, err := fixtures.OfType(v.Fixtures, typ.Name)
		require.NoError(t, err)
		ft := &fakeType{scoped: typ.Scoped}
		for _, r := range rs {
			it := &fakeItem{id: r.ID, values: map[string]paramValues{}}
			require.NoError(t, json.Unmarshal(r.JSON, &it.tree))
			it.res, err = v.Decode(r.JSON)
			require.NoError(t, err, "%s/%s", r.Type, r.ID)
			for _, p := range typ.Params {
				pv := extract(it.tree, p)
				it.values[p.Name] = pv
				if p.Name == "patient" && len(pv.strings) > 0 {
					it.owner = strings.TrimPrefix(pv.strings[0], "Patient/")
				}
			}
			ft.items = append(ft.items, it)
		}
		f.types[typ.Name] = ft
	}
	return f
}

// Set switches the misbehaviour (see the Mode constants); "" is normal.
func (f *Fake) Set(mode string) { f.mode.Store(mode) }

func (f *Fake) misbehaving() string { s, _ := f.mode.Load().(string); return s }

func (f *Fake) trouble() error {
	switch f.misbehaving() {
	case ModePanic:
		panic("backend bug")
	case ModeError:
		return ErrSecret
	case ModeBlock:
		<-f.block
		return errors.New("unblocked")
	case ModeLate:
		time.Sleep(600 * time.Millisecond)
	}
	return nil
}

// GenericTypes implements [Backend]: the fake serves no generic type.
func (f *Fake) GenericTypes() []restserver.GenericType { return nil }

// Read implements [Backend].
func (f *Fake) Read(ctx context.Context, typ, id string) (restserver.Resource, error) {
	if err := f.trouble(); err != nil {
		return nil, err
	}
	ft, ok := f.types[typ]
	if !ok {
		return nil, fhir.ErrNotSupported
	}
	for _, it := range ft.items {
		if it.id != id {
			continue
		}
		switch f.misbehaving() {
		case ModeNoID:
			return f.mutate(it, func(m map[string]any) { delete(m, "id") }), nil
		case ModeWrongID:
			return f.mutate(it, func(m map[string]any) { m["id"] = id + "-other" }), nil
		case ModeInvalid:
			return f.invalid(it), nil
		}
		return it.res, nil
	}
	return nil, fhir.ErrNotFound
}

// invalid returns a copy of it that fails Validate: a code outside its
// required binding (a Patient's gender, any other resource's status).
func (f *Fake) invalid(it *fakeItem) restserver.Resource {
	return f.mutate(it, func(m map[string]any) {
		if m["resourceType"] == "Patient" {
			m["gender"] = "robot"
		} else {
			m["status"] = "robot"
		}
	})
}

// mutate returns a decoded copy of it changed by change.
func (f *Fake) mutate(it *fakeItem, change func(map[string]any)) restserver.Resource {
	b, err := json.Marshal(it.tree) // a deep copy
	if err != nil {
		panic(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		panic(err)
	}
	change(m)
	if b, err = json.Marshal(m); err != nil {
		panic(err)
	}
	r, err := f.decode(b)
	if err != nil {
		panic(fmt.Sprintf("servertest: mutated %s/%s does not decode: %v", it.tree["resourceType"], it.id, err))
	}
	return r
}

// Search implements [Backend]: it keeps the resources that match q.IDs,
// q.Patient and every typed field, sorts by the first _sort key and pages.
func (f *Fake) Search(ctx context.Context, q Query) (fhir.Page[restserver.Resource], error) {
	var page fhir.Page[restserver.Resource]
	if err := f.trouble(); err != nil {
		return page, err
	}
	ft, ok := f.types[q.Type]
	if !ok {
		return page, fhir.ErrNotSupported
	}
	var hits []*fakeItem
	for _, it := range ft.items {
		if q.IDs.Match(it.id) && (!ft.scoped || it.owner == q.Patient) && it.matches(q.Fields) {
			hits = append(hits, it)
		}
	}
	if len(q.Sort) > 0 {
		key := q.Sort[0]
		slices.SortStableFunc(hits, func(a, b *fakeItem) int {
			c := cmp.Compare(a.sortKey(key.Name), b.sortKey(key.Name))
			if key.Descending {
				return -c
			}
			return c
		})
	}
	page.Total, page.TotalKnown = len(hits), true
	off := 0
	if f.Pages && q.Cursor != "" {
		var err error
		if off, err = strconv.Atoi(q.Cursor); err != nil || off > len(hits) {
			return page, fmt.Errorf("%w: not a cursor of this backend", fhir.ErrInvalidSearch)
		}
	}
	end := min(off+q.Count, len(hits))
	if f.Pages && end < len(hits) {
		page.Next = strconv.Itoa(end)
	}
	hits = hits[off:end]
	switch f.misbehaving() {
	case ModeTooMany:
		hits = ft.items
	case ModeOtherPatient:
		if len(hits) > 0 {
			for _, it := range ft.items {
				if it.owner != q.Patient {
					hits = append([]*fakeItem{it}, hits[1:]...)
					break
				}
			}
		}
	}
	page.Resources = make([]restserver.Resource, len(hits))
	for i, it := range hits {
		page.Resources[i] = it.res
	}
	if f.misbehaving() == ModeInvalid && len(hits) > 0 {
		page.Resources[0] = f.invalid(hits[0])
	}
	return page, nil
}

func (it *fakeItem) matches(fields []Field) bool {
	for _, fd := range fields {
		v := it.values[fd.Name]
		if !fd.Strings.Match(v.strings...) || !fd.Tokens.Match(v.codes...) {
			return false
		}
		if len(fd.Dates) > 0 && !slices.ContainsFunc(v.dates, func(d dateRange) bool { return fd.Dates.Match(d.start, d.end) }) {
			return false
		}
	}
	return true
}

func (it *fakeItem) sortKey(param string) string {
	v := it.values[param]
	switch {
	case len(v.dates) > 0:
		return v.dates[0].text
	case len(v.strings) > 0:
		return v.strings[0]
	case len(v.codes) > 0:
		return v.codes[0].Code
	}
	return ""
}

// extract reads the values of one declared parameter from a resource by the
// parameter's path ("Patient.name.family", "Observation.effective[x]"):
// the strings under the element (a HumanName's parts, a reference), its
// codes (a code, a Coding, a CodeableConcept, an Identifier) and its dates
// (a date, a dateTime, a Period).
func extract(tree map[string]any, p fhir.SearchParam) paramValues {
	var nodes []any
	for _, path := range strings.Split(p.Path, "|") {
		steps := strings.Split(strings.TrimSpace(path), ".")[1:]
		nodes = append(nodes, walk([]any{tree}, steps)...)
	}
	var pv paramValues
	for _, n := range nodes {
		switch p.Type {
		case fhir.TypeString:
			pv.strings = appendStrings(pv.strings, n)
		case fhir.TypeReference:
			if m, ok := n.(map[string]any); ok {
				if ref, ok := m["reference"].(string); ok {
					pv.strings = append(pv.strings, ref)
				}
			}
		case fhir.TypeToken:
			pv.codes = appendCodes(pv.codes, n)
		case fhir.TypeDate:
			if d, ok := dateOf(n); ok {
				pv.dates = append(pv.dates, d)
			}
		}
	}
	return pv
}

// walk follows steps from nodes, flattening arrays; a step "x[x]" follows
// every member whose name starts with x (a choice element).
func walk(nodes []any, steps []string) []any {
	for _, step := range steps {
		var next []any
		for _, n := range nodes {
			m, ok := n.(map[string]any)
			if !ok {
				continue
			}
			if stem, choice := strings.CutSuffix(step, "[x]"); choice {
				for k, v := range m {
					if strings.HasPrefix(k, stem) {
						next = appendFlat(next, v)
					}
				}
			} else if v, ok := m[step]; ok {
				next = appendFlat(next, v)
			}
		}
		nodes = next
	}
	return nodes
}

func appendFlat(dst []any, v any) []any {
	if a, ok := v.([]any); ok {
		return append(dst, a...)
	}
	return append(dst, v)
}

// appendStrings appends the text of a node: a string, or the strings of
// an element (a HumanName's family, given, text, prefix and suffix; not
// its use or period).
func appendStrings(dst []string, n any) []string {
	switch n := n.(type) {
	case string:
		return append(dst, n)
	case []any:
		for _, e := range n {
			dst = appendStrings(dst, e)
		}
	case map[string]any:
		for k, v := range n {
			if k != "use" && k != "period" && k != "extension" && !strings.HasPrefix(k, "_") {
				dst = appendStrings(dst, v)
			}
		}
	}
	return dst
}

func appendCodes(dst []fhir.TokenCode, n any) []fhir.TokenCode {
	switch n := n.(type) {
	case string:
		return append(dst, fhir.TokenCode{Code: n})
	case map[string]any:
		str := func(k string) string { s, _ := n[k].(string); return s }
		if cs, ok := n["coding"].([]any); ok { // a CodeableConcept
			for _, c := range cs {
				dst = appendCodes(dst, c)
			}
			return dst
		}
		if v, ok := n["value"].(string); ok { // an Identifier
			return append(dst, fhir.TokenCode{System: str("system"), Code: v})
		}
		return append(dst, fhir.TokenCode{System: str("system"), Code: str("code"), Text: str("display")})
	}
	return dst
}

func dateOf(n any) (dateRange, bool) {
	switch n := n.(type) {
	case string:
		start, end, ok := fhir.DateRange(n)
		return dateRange{start, end, n}, ok
	case map[string]any: // a Period
		s, _ := n["start"].(string)
		e, _ := n["end"].(string)
		start, _, ok1 := fhir.DateRange(s)
		_, end, ok2 := fhir.DateRange(e)
		if !ok1 {
			start = time.Time{}
		}
		if !ok2 {
			end = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
		}
		return dateRange{start, end, s}, ok1 || ok2
	}
	return dateRange{}, false
}
