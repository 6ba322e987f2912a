package models_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/patientsfhir/patientsfhir/bench/models"
)

// BenchmarkModels measures decode+encode of the whole example set per version
// and contender, as sub-benchmarks so that one run gives side-by-side numbers:
// BenchmarkModels/stu3/patientsfhir, .../stu3/jsonformat, .../stu3/generic,
// .../dstu2/patientsfhir, .../dstu2/generic.
func BenchmarkModels(b *testing.B) {
	for _, v := range []string{models.STU3, models.DSTU2} {
		b.Run(v, func(b *testing.B) {
			// Loaded here so that a -bench filter skips versions it does
			// not select. The summary goes to stdout: b.Log of a benchmark
			// with sub-benchmarks is not shown.
			corpus, err := models.LoadCorpus(v, "")
			if err != nil {
				b.Fatal(err)
			}
			fmt.Println(corpus.Summary())
			for _, c := range corpus.Codecs {
				b.Run(c.Name, func(b *testing.B) {
					b.ReportAllocs()
					b.SetBytes(models.Size(corpus.Files))
					for b.Loop() {
						if _, err := models.RoundTripAll(c, corpus.Files); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		})
	}
}

func TestCommonExcludesFilesAnyCodecRejects(t *testing.T) {
	files := []models.File{{"a.json", []byte(`{"a":1}`)}, {"b.json", []byte(`{"b":2}`)}, {"c.json", []byte(`{}`)}}
	errB := errors.New("no b")
	codecs := []models.Codec{
		{Name: "x", RoundTrip: func(d []byte) ([]byte, error) {
			if string(d) == `{"b":2}` {
				return nil, errB
			}
			return d, nil
		}},
		{Name: "y", RoundTrip: func(d []byte) ([]byte, error) {
			if string(d) == `{}` {
				return nil, nil // empty output counts as a rejection
			}
			return d, nil
		}},
	}
	kept, rejected := models.Common(files, codecs)
	if len(kept) != 1 || kept[0].Name != "a.json" {
		t.Fatalf("kept %v, want only a.json", kept)
	}
	if len(rejected) != 2 || rejected[0].File != "b.json" || rejected[0].Codec != "x" || !errors.Is(rejected[0].Err, errB) ||
		rejected[1].File != "c.json" || rejected[1].Codec != "y" {
		t.Fatalf("rejected = %+v", rejected)
	}
	if n, err := models.RoundTripAll(codecs[0], files); err == nil || !errors.Is(err, errB) || n != 7 {
		t.Errorf("RoundTripAll = %d, %v; want 7 bytes then the error for b.json", n, err)
	}
}

func TestCorpora(t *testing.T) {
	if testing.Short() {
		t.Skip("decodes every example with every contender")
	}
	for _, v := range []string{models.STU3, models.DSTU2} {
		corpus, err := models.LoadCorpus(v, "")
		if err != nil {
			t.Fatal(err)
		}
		t.Log(corpus.Summary())
		if corpus.Total < 300 || len(corpus.Files) == 0 {
			t.Errorf("%s: %d files, %d kept", v, corpus.Total, len(corpus.Files))
		}
		// Exclusions must stay rare, or the comparison stops meaning much.
		if ex := corpus.Total - len(corpus.Files); ex*50 > corpus.Total {
			t.Errorf("%s: %d of %d files excluded:\n%s", v, ex, corpus.Total, corpus.Summary())
		}
	}
	if _, err := models.LoadCorpus("r4", ""); err == nil {
		t.Error("LoadCorpus(r4) succeeded")
	}
	if _, err := models.LoadExamples(t.TempDir()); err == nil {
		t.Error("LoadExamples of an empty directory succeeded")
	}
}
