package kit

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestValuesPaths(t *testing.T) {
	p, ok := decode([]byte(`{"resourceType":"Patient","name":[{"family":["Chau"],"given":["Hugh"]},{"given":[""]}],
		"identifier":[{"type":{"coding":[{"code":"DL"}]},"value":"d1"},{"type":{"coding":[{"code":"MR"}]},"value":"m1"}],
		"type":[{"coding":[{"display":""},{"display":"second"}]}],"code":{"coding":[{"display":"first"}]},"empty":""}`))
	require.True(t, ok, "the test resource does not decode")
	tests := []struct {
		path string
		want int
	}{
		{"name.family", 1}, {"name.given", 2}, {"identifier[MR].value", 1}, {"identifier[XX].value", 0},
		{"identifier.value", 2}, {"code.coding.0.display", 1}, {"type.0.coding.0.display", 0},
		{"type.0.coding.1.display", 1}, {"empty", 0}, {"missing.path", 0}, {"name.9.family", 0},
	}
	for _, tc := range tests {
		assert.Len(t, values(p, tc.path), tc.want, tc.path)
	}
	assert.Equal(t, []string{"m1"}, strs(p, "identifier[MR].value"), "MR value")
	assert.True(t, has(p, Requirement{Paths: []string{"nope", "name.given"}}), "has: name.given holds a value")
	assert.False(t, has(p, Requirement{Paths: []string{"empty"}}), "has: an empty string is no value")
}

func TestParseSpan(t *testing.T) {
	for _, tc := range []struct {
		in     any
		ok     bool
		lo, hi string
	}{
		{"2019", true, "2019-01-01T00:00:00Z", "2020-01-01T00:00:00Z"},
		{"2019-06-11T10:15:00-05:00", true, "2019-06-11T15:15:00Z", "2019-06-11T15:15:01Z"},
		{map[string]any{"start": "2019-06-11", "end": "2019-06-12"}, true, "2019-06-11T00:00:00Z", "2019-06-13T00:00:00Z"},
		{map[string]any{"start": "2025-02-18"}, true, "2025-02-18T00:00:00Z", "2025-02-19T00:00:00Z"},
		{map[string]any{"end": "2025"}, true, "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z"},
		{map[string]any{}, false, "", ""},
		{"09/17/2018 1:00:00 PM", false, "", ""},
		{42, false, "", ""},
	} {
		sp, ok := parseSpan(tc.in)
		if !assert.Equal(t, tc.ok, ok, "%v: ok", tc.in) || !ok {
			continue
		}
		assert.Equal(t, tc.lo, sp.lo.UTC().Format("2006-01-02T15:04:05Z"), "%v: start", tc.in)
		assert.Equal(t, tc.hi, sp.hi.UTC().Format("2006-01-02T15:04:05Z"), "%v: end", tc.in)
	}
}
