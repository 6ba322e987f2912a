package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// skipHeavy skips the tests that generate and format ~160k lines of Go:
// they take seconds normally but over a minute under the race detector,
// and the generator is single-goroutine code where -race finds nothing.
// CI also proves the committed output is current with go generate.
func skipHeavy(t *testing.T) {
	t.Helper()
	if raceEnabled || testing.Short() {
		t.Skip("generation is slow under -race or -short; run go test ./internal/fhirgen")
	}
}

// TestGenerateIsDeterministicAndCurrent runs the generator twice per version
// and checks that the bytes are identical and equal to the committed files.
func TestGenerateIsDeterministicAndCurrent(t *testing.T) {
	skipHeavy(t)
	for _, v := range []string{"dstu2", "stu3"} {
		a, err := generate(v, filepath.Join("spec", v))
		if err != nil {
			t.Fatal(err)
		}
		b, err := generate(v, filepath.Join("spec", v))
		if err != nil {
			t.Fatal(err)
		}
		if len(a) != len(b) {
			t.Fatalf("%s: %d files then %d", v, len(a), len(b))
		}
		for name, src := range a {
			if !bytes.Equal(src, b[name]) {
				t.Errorf("%s/%s differs between two runs", v, name)
			}
			committed, err := os.ReadFile(filepath.Join("..", "..", v, name))
			if err != nil {
				t.Errorf("%s/%s: %v (run go generate ./...)", v, name, err)
				continue
			}
			if !bytes.Equal(committed, src) {
				t.Errorf("%s/%s is stale: run go generate ./...", v, name)
			}
		}
	}
}

func TestRunRejectsBadArguments(t *testing.T) {
	if err := run("r4", "spec/stu3", t.TempDir()); err == nil {
		t.Error("unknown version accepted")
	}
	if err := run("stu3", "", t.TempDir()); err == nil {
		t.Error("missing -spec accepted")
	}
	if err := run("stu3", t.TempDir(), t.TempDir()); err == nil {
		t.Error("missing definitions accepted")
	}
}

func TestRunWritesAndPrunes(t *testing.T) {
	skipHeavy(t)
	out := t.TempDir()
	stale := filepath.Join(out, "gone_gen.go")
	if err := os.WriteFile(stale, []byte("package x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run("dstu2", filepath.Join("spec", "dstu2"), out); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Error("stale generated file was not removed")
	}
	for _, f := range []string{"patient_gen.go", "datatypes_gen.go", "codes_gen.go", "resource_gen.go"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
}

func TestNames(t *testing.T) {
	cases := map[string]string{"versionId": "VersionID", "id": "ID", "url": "URL", "valueUri": "ValueURI", "paid": "Paid", "given": "Given"}
	for in, want := range cases {
		if got := goExported(in); got != want {
			t.Errorf("goExported(%q) = %q, want %q", in, got, want)
		}
	}
	codes := map[string]string{"<=": "LessOrEqual", "text/plain": "TextPlain", "entered-in-error": "EnteredInError", "...": "Code", "1.2": "12"}
	for in, want := range codes {
		if got := codeIdent(in); got != want {
			t.Errorf("codeIdent(%q) = %q, want %q", in, got, want)
		}
	}
}
