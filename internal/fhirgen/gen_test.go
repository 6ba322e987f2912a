package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
		require.NoError(t, err)
		b, err := generate(v, filepath.Join("spec", v))
		require.NoError(t, err)
		require.Len(t, b, len(a), "%s: the same files in two runs", v)
		for name, src := range a {
			assert.True(t, bytes.Equal(src, b[name]), "%s/%s differs between two runs", v, name)
			committed, err := os.ReadFile(filepath.Join("..", "..", v, name))
			if !assert.NoError(t, err, "%s/%s (run go generate ./...)", v, name) {
				continue
			}
			assert.True(t, bytes.Equal(committed, src), "%s/%s is stale: run go generate ./...", v, name)
		}
	}
}

func TestRunRejectsBadArguments(t *testing.T) {
	assert.Error(t, run("r4", "spec/stu3", t.TempDir()), "an unknown version")
	assert.Error(t, run("stu3", "", t.TempDir()), "no -spec")
	assert.Error(t, run("stu3", t.TempDir(), t.TempDir()), "no definitions")
}

func TestRunWritesAndPrunes(t *testing.T) {
	skipHeavy(t)
	out := t.TempDir()
	stale := filepath.Join(out, "gone_gen.go")
	require.NoError(t, os.WriteFile(stale, []byte("package x\n"), 0o644))
	require.NoError(t, run("dstu2", filepath.Join("spec", "dstu2"), out))
	assert.NoFileExists(t, stale, "a stale generated file is removed")
	for _, f := range []string{"patient_gen.go", "datatypes_gen.go", "codes_gen.go", "resource_gen.go"} {
		assert.FileExists(t, filepath.Join(out, f))
	}
}

func TestNames(t *testing.T) {
	cases := map[string]string{"versionId": "VersionID", "id": "ID", "url": "URL", "valueUri": "ValueURI", "paid": "Paid", "given": "Given"}
	for in, want := range cases {
		assert.Equal(t, want, goExported(in), "goExported(%q)", in)
	}
	codes := map[string]string{"<=": "LessOrEqual", "text/plain": "TextPlain", "entered-in-error": "EnteredInError", "...": "Code", "1.2": "12"}
	for in, want := range codes {
		assert.Equal(t, want, codeIdent(in), "codeIdent(%q)", in)
	}
}
