// Command fhirgen generates the Go models of package dstu2 or stu3 from the
// HL7 FHIR definitions in internal/fhirgen/spec/<version>.
//
// Usage (from the package directory, as go generate runs it):
//
//	go run ../internal/fhirgen -version stu3 -spec ../internal/fhirgen/spec/stu3 -out .
//
// It removes the *_gen.go files of the output directory and writes new ones.
// The output depends only on the definitions: iteration is sorted and no
// timestamps are written, so running it twice gives identical bytes.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

func main() {
	version := flag.String("version", "", "FHIR version: dstu2 or stu3")
	specDir := flag.String("spec", "", "directory holding structure-definitions.json and terminology.json")
	outDir := flag.String("out", ".", "output package directory")
	flag.Parse()
	if err := run(*version, *specDir, *outDir); err != nil {
		fmt.Fprintln(os.Stderr, "fhirgen:", err)
		os.Exit(1)
	}
}

func run(version, specDir, outDir string) error {
	if version != "dstu2" && version != "stu3" {
		return fmt.Errorf("-version must be dstu2 or stu3, not %q", version)
	}
	if specDir == "" {
		return fmt.Errorf("-spec is required")
	}
	files, err := generate(version, specDir)
	if err != nil {
		return err
	}
	old, err := filepath.Glob(filepath.Join(outDir, "*_gen.go"))
	if err != nil {
		return err
	}
	for _, f := range old {
		if _, keep := files[filepath.Base(f)]; !keep {
			if err := os.Remove(f); err != nil {
				return err
			}
		}
	}
	names := sortedKeys(files)
	sort.Strings(names)
	for _, n := range names {
		p := filepath.Join(outDir, n)
		if cur, err := os.ReadFile(p); err == nil && string(cur) == string(files[n]) {
			continue
		}
		if err := os.WriteFile(p, files[n], 0o644); err != nil {
			return err
		}
	}
	return nil
}

// generate returns the generated files of one version, by file name.
func generate(version, specDir string) (map[string][]byte, error) {
	var spec specFile
	if err := loadJSON(filepath.Join(specDir, "structure-definitions.json"), &spec); err != nil {
		return nil, err
	}
	term, err := loadTerminology(specDir)
	if err != nil {
		return nil, err
	}
	g, err := newGenerator(version, spec, term)
	if err != nil {
		return nil, err
	}
	return g.files()
}
