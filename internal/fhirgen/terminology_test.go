package main

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
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
	if err := os.WriteFile(filepath.Join(dir, "terminology.json"), []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	term, err := loadTerminology(dir)
	if err != nil {
		t.Fatal(err)
	}
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
		if got := term.codes(url, 0); !reflect.DeepEqual(got, want) {
			t.Errorf("codes(%s) = %q, want %q", url, got, want)
		}
	}
}

func TestDedupeTypes(t *testing.T) {
	in := []typeRef{
		{Code: "Reference"}, {Code: "Reference"},
		{Code: "Quantity", Profile: []byte(`["http://hl7.org/fhir/StructureDefinition/Age"]`)},
		{Code: "Quantity"},
	}
	got := dedupeTypes(in)
	if len(got) != 2 || got[0].Code != "Reference" || got[1].Code != "Quantity" || len(got[1].profiles()) != 0 {
		t.Fatalf("dedupeTypes = %+v", got)
	}
}
