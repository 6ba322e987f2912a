package memehr

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestInternerBounded: hostile resources full of unique names and values
// cannot grow the shared tables past their bound, and what is stored after
// the bound is reached is still found.
func TestInternerBounded(t *testing.T) {
	s := New()
	for i := range 700 {
		var b strings.Builder
		fmt.Fprintf(&b, `{"resourceType":"Patient","id":"p%d","name":[{"family":"F%d"}]`, i, i)
		for j := range 100 {
			fmt.Fprintf(&b, `,"x%d_%d":"v%d_%d"`, i, j, i, j)
		}
		b.WriteString(`}`)
		_, err := s.Put([]byte(b.String()), nil)
		require.NoError(t, err)
	}
	s.in.mu.Lock()
	assert.LessOrEqual(t, len(s.in.keys), internMax)
	assert.LessOrEqual(t, len(s.in.nums), internMax)
	assert.Equal(t, internMax, len(s.in.strs), "the table fills up to its bound")
	s.in.mu.Unlock()
	assert.Equal(t, []string{"p699"}, ids0(t, s, "Patient", "family:exact=F699"))
	assert.Equal(t, []string{"p0"}, ids0(t, s, "Patient", "family:exact=F0"))

	long := strings.Repeat("a", internMaxLen+1)
	_, err := s.Put([]byte(`{"resourceType":"Patient","id":"long","name":[{"family":"`+long+`"}]}`), nil)
	require.NoError(t, err)
	assert.Equal(t, []string{"long"}, ids0(t, s, "Patient", "family:exact="+long))
}

// TestTreeForms: nulls, nested arrays and numbers read the same from the
// compact tree as from the decoded JSON.
func TestTreeForms(t *testing.T) {
	s := load(t, []string{
		`{"resourceType":"Patient","id":"n1","name":[null,{"family":null,"given":["Ann",null]}],"gender":null,"identifier":[{"type":null,"value":"v1"}]}`,
		`{"resourceType":"Patient","id":"n2","name":[{"family":"Lee","given":[]}],"identifier":[{"type":{"text":"Passport"},"system":"http://p","value":"v2"}]}`,
	}, []string{
		`{"resourceType":"Observation","id":"q1","status":"final","code":{"coding":[null,{"code":"x"}],"text":null},"subject":{"reference":"Patient/n1"},"valueQuantity":{"value":1e2,"unit":"mg"}}`,
		`{"resourceType":"Observation","id":"q2","status":"final","code":{"text":"free text"},"subject":{"reference":null},"effectivePeriod":{"start":null,"end":"2020-01-01"}}`,
	})
	for _, tc := range []struct {
		typ, query string
		want       []string
	}{
		{"Patient", "given=ann", []string{"n1"}},
		{"Patient", "birthdate:missing=true", []string{"n1", "n2"}},
		{"Patient", "identifier=v1", []string{"n1"}},
		{"Patient", "identifier=http://p|v2", []string{"n2"}},
		{"Patient", "identifier:text=passport", []string{"n2"}},
		{"Observation", "code=x", []string{"q1"}},
		{"Observation", "code:text=free", []string{"q2"}},
		{"Observation", "value-quantity=100", []string{"q1"}},
		{"Observation", "patient=n1", []string{"q1"}},
		{"Observation", "date=lt2020-06-01", []string{"q2"}}, // an open start
	} {
		assert.Equal(t, tc.want, nilIfEmpty(ids0(t, s, tc.typ, tc.query+"&_sort=_id")), tc.query)
		sameAsScan(t, s, tc.typ, tc.query)
	}
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}
