// Command peers measures the Patients app's searches side by side, over the
// same population, on node-fhir-server-core (a minimal in-memory service,
// bench/peers/node), a bare net/http handler writing the same bytes (the
// floor), and this module over the sample EHR's SQLite backend and over its
// in-memory engine, and prints the throughput, p99 and ratios as Markdown.
//
//	cd bench && go run ./peers/cmd/peers                       # 1,000 patients, 2 and 16 connections
//	cd bench && go run ./peers/cmd/peers -rounds 3 -d 10s       # medians of three interleaved rounds
//	cd bench && go run ./peers/cmd/peers -cpuprofile /tmp/peers  # profiles of the Go servers
//
// Needs node (20 or later) and npm: the node service's packages are
// installed with npm ci from its package-lock.json when missing.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/patientsfhir/patientsfhir/bench/load"
	"github.com/patientsfhir/patientsfhir/bench/peers"
	"github.com/patientsfhir/patientsfhir/examples/sampleehr/population"
)

func main() {
	load.ServeIfChild()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "peers:", err)
		os.Exit(1)
	}
}

func run() error {
	patients := flag.Int("patients", 1000, "population size")
	nsub := flag.Int("subjects", 100, "patients the searches cycle through")
	connList := flag.String("conns", "2,16", "connection counts, comma-separated")
	d := flag.Duration("d", 5*time.Second, "measured length of each run")
	warmup := flag.Duration("warmup", time.Second, "unmeasured start of each run")
	rounds := flag.Int("rounds", 1, "interleaved rounds (medians reported)")
	workers := flag.Int("node-workers", runtime.NumCPU(), "node processes (cluster); the Go servers use every core")
	only := flag.String("only", "", "measure only searches whose name matches this regexp")
	skip := flag.String("skip", "", "servers to leave out, comma-separated: node, floor, sql, mem")
	dir := flag.String("dir", "", "directory keeping the seeded database and the node data (default: temporary)")
	gen := flag.String("gen", "", "load generator: wrk (default when installed: Debian package wrk) or go")
	cpuprofile := flag.String("cpuprofile", "", "profile the Go servers during the vital-signs search at the largest connection count: FILE.<server>")
	flag.Parse()

	if *gen == "" {
		*gen = "go"
		if peers.HaveWrk() {
			*gen = "wrk"
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var conns []int
	for _, s := range strings.Split(*connList, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return fmt.Errorf("-conns: %q", s)
		}
		conns = append(conns, n)
	}
	match, err := regexp.Compile(*only)
	if err != nil {
		return err
	}
	skipped := map[string]bool{}
	for _, s := range strings.Split(*skip, ",") {
		skipped[strings.TrimSpace(s)] = true
	}
	if *dir == "" {
		t, err := os.MkdirTemp("", "peers-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(t)
		*dir = t
	} else if err := os.MkdirAll(*dir, 0o700); err != nil {
		return err
	}
	pop, err := population.New(population.Options{Tenant: load.Tenant, Patients: *patients})
	if err != nil {
		return err
	}
	subjects := peers.Subjects(pop, *nsub)

	var servers []*peers.Server
	defer func() {
		for _, s := range servers {
			s.Stop()
		}
	}()
	if !skipped["node"] {
		data := filepath.Join(*dir, fmt.Sprintf("node-%d.json", *patients))
		if _, err := os.Stat(data); err != nil {
			f, err := os.Create(data)
			if err != nil {
				return err
			}
			if err := peers.Export(pop, f); err != nil {
				return err
			}
			f.Close()
		}
		fmt.Fprintln(os.Stderr, "starting node-fhir-server-core...")
		s, err := peers.StartNode(ctx, data, *workers)
		if err != nil {
			return err
		}
		servers = append(servers, s)
	}
	o := load.Options{Patients: *patients, Dir: *dir}
	for _, mode := range []string{"floor", "sql", "mem"} {
		if skipped[mode] {
			continue
		}
		fmt.Fprintf(os.Stderr, "starting %s (seeding %d patients if needed)...\n", mode, *patients)
		s, err := peers.StartGo(ctx, mode, o, subjects)
		if err != nil {
			return err
		}
		servers = append(servers, s)
	}
	if err := peers.Verify(ctx, servers, subjects); err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, "every server gives the same totals and ids; measuring...")
	fmt.Printf("Machine: %s\n\nCommand: `go run ./peers/cmd/peers %s` (in bench/): %d patients, searches cycling through %d of them, %s measured after %s of warm-up per run, %d round(s) interleaved (medians), load generator %s.\n",
		load.Machine(), strings.Join(os.Args[1:], " "), *patients, len(subjects), *d, *warmup, *rounds, *gen)

	var table peers.Table
	for round := range *rounds {
		for _, c := range conns {
			for _, q := range peers.Searches {
				if !match.MatchString(q.Name) {
					continue
				}
				for i := range servers {
					s := servers[(i+round)%len(servers)]
					if s.Node && !q.Node {
						continue
					}
					profiling := *cpuprofile != "" && s.Stats != "" && s.Name != "bare net/http floor" && round == 0 &&
						c == conns[len(conns)-1] && q.Name == "Observation vital signs"
					var done chan error
					if profiling {
						name := *cpuprofile + "." + strings.Fields(s.Name)[len(strings.Fields(s.Name))-1]
						done = make(chan error, 1)
						go func() {
							f, err := os.Create(name)
							if err != nil {
								done <- err
								return
							}
							defer f.Close()
							time.Sleep(*warmup)
							done <- peers.Profile(ctx, s, *d, f)
						}()
					}
					if err := peers.Refresh(ctx, s); err != nil {
						return err
					}
					var r peers.Run
					cpu0 := peers.TreeCPU(s.Pid)
					if *gen == "wrk" {
						if r, err = peers.MeasureWrk(ctx, s, q, subjects, c, *warmup, *d, *dir); err != nil {
							return err
						}
					} else {
						r = peers.Measure(ctx, s, q, subjects, c, *warmup, *d)
					}
					if ops := r.Throughput * d.Seconds(); ops > 0 && *gen != "wrk" {
						// The warm-up's CPU is left out in proportion.
						r.CPU = time.Duration(float64(peers.TreeCPU(s.Pid)-cpu0) * d.Seconds() / (*d + *warmup).Seconds() / ops)
					}
					if done != nil {
						if err := <-done; err != nil {
							fmt.Fprintln(os.Stderr, "profile:", err)
						}
					}
					fmt.Fprintf(os.Stderr, "  %-28s %-42s c=%-3d %8.0f ops/s  p99 %6.2f ms  CPU/op %6.0f µs  %d errors\n", q.Name, s.Name, c, r.Throughput,
						float64(r.P99)/float64(time.Millisecond), float64(r.CPU)/float64(time.Microsecond), r.Errors)
					table.Add(r)
				}
			}
		}
	}
	table.Write(os.Stdout, servers, conns)
	if n := table.Errors(); n > 0 {
		fmt.Printf("\n**%d requests failed**: the figures with errors are not comparable.\n", n)
	}
	fmt.Printf("\nLoad average at the end: %s.\n", load.LoadAverage())
	return nil
}
