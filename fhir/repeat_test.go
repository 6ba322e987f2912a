package fhir

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// _count and _cursor mean one thing each: given twice, the search is
// refused rather than one of them chosen silently.
func TestResultParametersOnce(t *testing.T) {
	p, err := NewParser(STU3, []SearchParam{ParamID}, nil)
	require.NoError(t, err)
	for _, q := range []string{"_count=1&_count=50", "_cursor=a&_cursor=b"} {
		pairs, err := ParsePairs(q)
		require.NoError(t, err)
		_, err = p.Parse(pairs, false)
		assert.ErrorIs(t, err, ErrInvalidSearch, q)
	}
	pairs, err := ParsePairs("_count=5&_cursor=a")
	require.NoError(t, err)
	q, err := p.Parse(pairs, false)
	require.NoError(t, err)
	assert.Equal(t, 5, q.Count)
	assert.Equal(t, "a", q.Cursor)
}

// The parser applies the profile's contains reading to plain values of the
// named string parameters only, and refuses a Contains naming a parameter
// that cannot take :contains.
func TestParserContains(t *testing.T) {
	params := []SearchParam{ParamID,
		{Name: "family", Type: TypeString, Modifiers: []Modifier{ModContains, ModExact}},
		{Name: "given", Type: TypeString, Modifiers: []Modifier{ModContains, ModExact}},
		{Name: "gender", Type: TypeToken}}
	p, err := NewParser(STU3, params, &ParserOptions{Contains: []string{"family"}})
	require.NoError(t, err)
	pairs, err := ParsePairs("family=hau&given=hu&family:exact=Chau")
	require.NoError(t, err)
	q, err := p.Parse(pairs, true)
	require.NoError(t, err)
	fam := q.Strings("family")
	require.Len(t, fam, 2)
	mods := []Modifier{fam[0][0].Modifier, fam[1][0].Modifier}
	assert.ElementsMatch(t, []Modifier{ModContains, ModExact}, mods)
	assert.Equal(t, ModNone, q.Strings("given")[0][0].Modifier)
	assert.Contains(t, q.Encode(), "family%3Acontains=hau", "the link says what was searched")
	assert.True(t, fam.Match("Chau"))

	for _, bad := range []string{"gender", "nosuch"} {
		_, err := NewParser(STU3, params, &ParserOptions{Contains: []string{bad}})
		assert.ErrorContains(t, err, "ParserOptions.Contains", bad)
	}
}
