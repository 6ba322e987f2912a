package models_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
			require.NoError(b, err, "LoadCorpus(%s)", v)
			fmt.Println(corpus.Summary())
			for _, c := range corpus.Codecs {
				b.Run(c.Name, func(b *testing.B) {
					b.ReportAllocs()
					b.SetBytes(models.Size(corpus.Files))
					for b.Loop() {
						// a plain check: require would cost time in the timed loop
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
	assert.Equal(t, files[:1], kept, "kept, want only a.json")
	require.Len(t, rejected, 2, "rejected = %+v", rejected)
	assert.Equal(t, "b.json", rejected[0].File)
	assert.Equal(t, "x", rejected[0].Codec)
	assert.ErrorIs(t, rejected[0].Err, errB)
	assert.Equal(t, "c.json", rejected[1].File)
	assert.Equal(t, "y", rejected[1].Codec)
	n, err := models.RoundTripAll(codecs[0], files)
	assert.ErrorIs(t, err, errB, "RoundTripAll: the error for b.json")
	assert.Equal(t, 7, n, "RoundTripAll: bytes before the error")
}

func TestCorpora(t *testing.T) {
	if testing.Short() {
		t.Skip("decodes every example with every contender")
	}
	for _, v := range []string{models.STU3, models.DSTU2} {
		corpus, err := models.LoadCorpus(v, "")
		require.NoError(t, err, "LoadCorpus(%s)", v)
		t.Log(corpus.Summary())
		assert.GreaterOrEqual(t, corpus.Total, 300, "%s: example files", v)
		assert.NotEmpty(t, corpus.Files, "%s: files kept", v)
		// Exclusions must stay rare, or the comparison stops meaning much.
		ex := corpus.Total - len(corpus.Files)
		assert.LessOrEqual(t, ex*50, corpus.Total, "%s: %d of %d files excluded (at most 1 in 50):\n%s", v, ex, corpus.Total, corpus.Summary())
	}
	_, err := models.LoadCorpus("r4", "")
	assert.Error(t, err, "LoadCorpus(r4) succeeded")
	_, err = models.LoadExamples(t.TempDir())
	assert.Error(t, err, "LoadExamples of an empty directory succeeded")
}
