package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTerminologyCodes(t *testing.T) {
	dir := t.TempDir()
	const doc = `{"valueSets":[
	 {"url":"vs/inline","codeSystem":"cs/inline","codes":["a","b"]},
	 {"url":"vs/system","compose":{"include":[{"system":"cs/inline"}]}},
	 {"url":"vs/stu3","compose":{"include":[{"system":"cs/stu3"}]}},
	 {"url":"vs/concepts","compose":{"include":[{"system":"x","concept":[{"code":"c1"},{"code":"c2"}]}]}},
	 {"url":"vs/filter","compose":{"include":[{"system":"cs/inline","filter":[{"op":"is-a"}]}]}},
	 {"url":"vs/exclude","compose":{"include":[{"system":"cs/inline"}],"exclude":[{"system":"cs/inline"}]}},
	 {"url":"vs/import","compose":{"import":["vs/inline"],"include":[{"valueSet":["vs/concepts"]}]}},
	 {"url":"vs/external","compose":{"include":[{"system":"http://loinc.org"}]}}
	],"codeSystems":[{"url":"cs/stu3","codes":["x","y"]}]}`
	require.NoError(t, os.WriteFile(filepath.Join(dir, "terminology.json"), []byte(doc), 0o644))
	term, err := loadTerminology(dir)
	require.NoError(t, err)
	cases := map[string][]string{
		"vs/inline":   {"a", "b"},
		"vs/system":   {"a", "b"},
		"vs/stu3":     {"x", "y"},
		"vs/concepts": {"c1", "c2"},
		"vs/filter":   nil,
		"vs/exclude":  nil,
		"vs/import":   {"a", "b", "c1", "c2"},
		"vs/external": nil,
		"vs/unknown":  nil,
	}
	for url, want := range cases {
		assert.Equal(t, want, term.codes(url, 0), "codes(%s)", url)
	}
}

func TestDedupeTypes(t *testing.T) {
	in := []typeRef{
		{Code: "Reference"}, {Code: "Reference"},
		{Code: "Quantity", Profile: []byte(`["http://hl7.org/fhir/StructureDefinition/Age"]`)},
		{Code: "Quantity"},
	}
	got := dedupeTypes(in)
	require.Len(t, got, 2)
	assert.Equal(t, "Reference", got[0].Code)
	assert.Equal(t, "Quantity", got[1].Code)
	assert.Empty(t, got[1].profiles(), "the profiled Quantity is merged into the plain one")
}
