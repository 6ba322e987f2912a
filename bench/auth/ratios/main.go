// Command ratios turns one run of the bench/auth benchmarks into the ratios
// patientsfhir tracks for its token endpoint and bearer verifier:
//
//	cd bench && go test -run '^$' -bench . -benchmem ./auth | tee /tmp/auth.txt
//	go run ./auth/ratios < /tmp/auth.txt
//
// Throughput ratios are ns/op of the peer divided by ns/op of patientsfhir in
// the same mode (so 2.0 means twice the throughput); the verification ratio is
// ns/op of one verification divided by ns/op of one loopback round trip. With
// several runs of the same benchmark (-count N) the median is used. With
// -check it exits with status 1 when a target is missed or cannot be computed.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
)

func main() {
	check := flag.Bool("check", false, "exit with status 1 when a target is missed or missing")
	flag.Parse()
	ok, err := run(os.Stdin, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ratios:", err)
		os.Exit(2)
	}
	if *check && !ok {
		os.Exit(1)
	}
}

func run(in io.Reader, out io.Writer) (bool, error) {
	res, err := parse(in)
	if err != nil {
		return false, err
	}
	if len(res) == 0 {
		return false, fmt.Errorf("no benchmark results on standard input")
	}
	rep := report(res)
	rep.write(out)
	return rep.allMet(), nil
}
