package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// specFile is the compacted structure-definitions.json.
type specFile struct {
	FHIRVersion string         `json:"fhirVersion"`
	Definitions []structureDef `json:"definitions"`
}

type structureDef struct {
	URL            string       `json:"url"`
	Name           string       `json:"name"`
	ID             string       `json:"id"`
	Kind           string       `json:"kind"`
	Abstract       bool         `json:"abstract"`
	Base           *string      `json:"base"`
	Type           string       `json:"type"`
	Specialization bool         `json:"specialization"`
	Elements       []elementDef `json:"elements"`
}

type elementDef struct {
	Path             string          `json:"path"`
	Min              int             `json:"min"`
	Max              string          `json:"max"`
	Type             []typeRef       `json:"type"`
	ContentReference string          `json:"contentReference"`
	NameReference    string          `json:"nameReference"`
	Representation   []string        `json:"representation"`
	Binding          *binding        `json:"binding"`
	Raw              json.RawMessage `json:"-"`
}

type typeRef struct {
	Code    string          `json:"code"`
	Profile json.RawMessage `json:"profile"`
}

// profiles returns the profile URLs (a string in STU3, an array in DSTU2).
func (t typeRef) profiles() []string {
	if len(t.Profile) == 0 {
		return nil
	}
	var one string
	if json.Unmarshal(t.Profile, &one) == nil {
		return []string{one}
	}
	var many []string
	_ = json.Unmarshal(t.Profile, &many)
	return many
}

type binding struct {
	Strength string          `json:"strength"`
	ValueSet json.RawMessage `json:"valueSet"`
}

// valueSetURL returns the bound value set URL without version.
func (b *binding) valueSetURL() string {
	if b == nil || len(b.ValueSet) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(b.ValueSet, &s) != nil {
		var ref struct {
			Reference string `json:"reference"`
		}
		_ = json.Unmarshal(b.ValueSet, &ref)
		s = ref.Reference
	}
	if i := strings.IndexByte(s, '|'); i >= 0 {
		s = s[:i]
	}
	return s
}

// terminologyFile is terminology.json.
type terminologyFile struct {
	ValueSets []struct {
		URL        string   `json:"url"`
		CodeSystem string   `json:"codeSystem"`
		Codes      []string `json:"codes"`
		Compose    *struct {
			Import  []string  `json:"import"`
			Include []include `json:"include"`
			Exclude []include `json:"exclude"`
		} `json:"compose"`
	} `json:"valueSets"`
	CodeSystems []struct {
		URL   string   `json:"url"`
		Codes []string `json:"codes"`
	} `json:"codeSystems"`
}

type include struct {
	System   string                  `json:"system"`
	Concept  []struct{ Code string } `json:"concept"`
	Filter   []json.RawMessage       `json:"filter"`
	ValueSet []string                `json:"valueSet"`
}

func loadJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// terminology resolves value set URLs to enumerated codes.
type terminology struct {
	valueSets   map[string]int
	file        terminologyFile
	codeSystems map[string][]string // system URL -> codes
}

func loadTerminology(dir string) (*terminology, error) {
	t := &terminology{valueSets: map[string]int{}, codeSystems: map[string][]string{}}
	if err := loadJSON(filepath.Join(dir, "terminology.json"), &t.file); err != nil {
		return nil, err
	}
	for i, vs := range t.file.ValueSets {
		t.valueSets[vs.URL] = i
		if vs.CodeSystem != "" && len(vs.Codes) > 0 {
			t.codeSystems[vs.CodeSystem] = vs.Codes
		}
	}
	for _, cs := range t.file.CodeSystems {
		if len(cs.Codes) > 0 {
			t.codeSystems[cs.URL] = cs.Codes
		}
	}
	return t, nil
}

// codes returns the codes of the value set, or nil when it cannot be
// enumerated (unknown, filtered, excluding, or an external code system).
func (t *terminology) codes(url string, depth int) []string {
	i, ok := t.valueSets[url]
	if !ok || depth > 5 {
		return nil
	}
	vs := t.file.ValueSets[i]
	var out []string
	seen := map[string]bool{}
	add := func(cs []string) {
		for _, c := range cs {
			if !seen[c] {
				seen[c] = true
				out = append(out, c)
			}
		}
	}
	add(vs.Codes)
	if vs.Compose != nil {
		if len(vs.Compose.Exclude) > 0 {
			return nil
		}
		for _, imp := range vs.Compose.Import {
			cs := t.codes(imp, depth+1)
			if cs == nil {
				return nil
			}
			add(cs)
		}
		for _, inc := range vs.Compose.Include {
			if len(inc.Filter) > 0 {
				return nil
			}
			for _, v := range inc.ValueSet {
				cs := t.codes(v, depth+1)
				if cs == nil {
					return nil
				}
				add(cs)
			}
			if len(inc.Concept) > 0 {
				for _, c := range inc.Concept {
					add([]string{c.Code})
				}
				continue
			}
			if inc.System != "" {
				cs := t.codeSystems[inc.System]
				if cs == nil {
					return nil
				}
				add(cs)
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
