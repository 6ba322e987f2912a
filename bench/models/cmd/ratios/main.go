// Command ratios runs the decode+encode comparison of bench/models in one
// process and prints the ratios quoted in the README: ours against
// google/fhir jsonformat and against the generic encoding/json floor, for
// time per operation and allocations per operation.
//
// Each round benchmarks every contender once, one after the other
// (interleaved, so that machine noise hits them alike); the median of the
// rounds is reported.
//
//	cd bench && go run ./models/cmd/ratios -count 5
package main

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"testing"

	"github.com/patientsfhir/patientsfhir/bench/models"
)

type result struct {
	ns, allocs, bytes float64
}

func main() {
	count := flag.Int("count", 3, "rounds per contender; the median is reported")
	flag.Parse()
	if *count < 1 {
		fmt.Fprintln(os.Stderr, "ratios: -count must be at least 1")
		os.Exit(2)
	}
	if err := run(*count); err != nil {
		fmt.Fprintln(os.Stderr, "ratios:", err)
		os.Exit(1)
	}
}

func run(count int) error {
	for _, v := range []string{models.STU3, models.DSTU2} {
		corpus, err := models.LoadCorpus(v, "")
		if err != nil {
			return err
		}
		fmt.Println(corpus.Summary())
		samples := map[string][]result{}
		for range count {
			for _, c := range corpus.Codecs {
				var runErr error
				r := testing.Benchmark(func(b *testing.B) {
					b.ReportAllocs()
					for b.Loop() {
						if _, err := models.RoundTripAll(c, corpus.Files); err != nil {
							runErr = err
							b.SkipNow()
						}
					}
				})
				if runErr != nil {
					return runErr
				}
				samples[c.Name] = append(samples[c.Name], result{
					ns:     float64(r.NsPerOp()),
					allocs: float64(r.AllocsPerOp()),
					bytes:  float64(r.AllocedBytesPerOp()),
				})
			}
		}
		med := map[string]result{}
		fmt.Printf("%-14s %14s %14s %14s\n", "contender", "ms/op", "allocs/op", "MB alloc/op")
		for _, c := range corpus.Codecs {
			m := median(samples[c.Name])
			med[c.Name] = m
			fmt.Printf("%-14s %14.1f %14.0f %14.1f\n", c.Name, m.ns/1e6, m.allocs, m.bytes/1e6)
		}
		ours, ok := med[models.Ours]
		if !ok {
			continue
		}
		if jf, ok := med[models.JSONFormat]; ok {
			fmt.Printf("%s: jsonformat/ours time %.2fx (target >= 5x: %s), allocs ours/jsonformat %.3f (target < 1: %s), bytes ours/jsonformat %.3f\n",
				v, jf.ns/ours.ns, verdict(jf.ns/ours.ns >= 5), ours.allocs/jf.allocs, verdict(ours.allocs < jf.allocs), ours.bytes/jf.bytes)
		}
		if g, ok := med[models.Generic]; ok {
			fmt.Printf("%s: ours/generic time %.2fx (target <= 1.5x: %s), allocs ours/generic %.3f, bytes ours/generic %.3f\n",
				v, ours.ns/g.ns, verdict(ours.ns/g.ns <= 1.5), ours.allocs/g.allocs, ours.bytes/g.bytes)
		}
		fmt.Println()
	}
	return nil
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}

// median takes the median of each measure separately.
func median(rs []result) result {
	pick := func(f func(result) float64) float64 {
		xs := make([]float64, len(rs))
		for i, r := range rs {
			xs[i] = f(r)
		}
		slices.Sort(xs)
		return xs[len(xs)/2]
	}
	return result{
		ns:     pick(func(r result) float64 { return r.ns }),
		allocs: pick(func(r result) float64 { return r.allocs }),
		bytes:  pick(func(r result) float64 { return r.bytes }),
	}
}
