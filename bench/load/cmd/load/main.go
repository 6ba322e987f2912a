// Command load runs the load and soak measurements of the sample EHR
// service (package bench/load) and prints them as Markdown, ready for
// BENCHMARKS.md.
//
//	cd bench && go run ./load/cmd/load                      # rate sweep, 1,000 patients, SQLite
//	cd bench && go run ./load/cmd/load -patients 1000,100000 -dir /var/tmp/load
//	cd bench && go run ./load/cmd/load -store sqlite,postgres    # PATIENTSFHIR_TEST_POSTGRES_DSN
//	cd bench && go run ./load/cmd/load -data sqlite,postgres     # the sample EHR's data on each
//	cd bench && go run ./load/cmd/load -soak 1h -rate 50         # the long soak
//
// Every service runs in a child process (this binary again), so that its
// CPU time, memory and goroutines are its own; -cpuprofile saves a CPU
// profile of the service during the capacity run. With -data postgres the
// population is seeded into the schema sampleehr_<size> of the -pg
// database once and reused by later runs (drop the schema to reseed).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/patientsfhir/patientsfhir/bench/load"
	"github.com/patientsfhir/patientsfhir/examples/sampleehr/population"
)

func main() {
	load.ServeIfChild()
	patients := flag.String("patients", "1000", "population sizes, comma-separated (100000 seeds for many minutes; keep -dir)")
	stores := flag.String("store", "sqlite", "auth stores, comma-separated: sqlite, postgres (DSN from -pg or PATIENTSFHIR_TEST_POSTGRES_DSN)")
	datas := flag.String("data", "sqlite", "where the sample EHR's data lives, comma-separated: sqlite, postgres (-pg; one schema per size, seeded once)")
	pg := flag.String("pg", os.Getenv("PATIENTSFHIR_TEST_POSTGRES_DSN"), "PostgreSQL DSN for -store postgres and -data postgres")
	dir := flag.String("dir", "", "directory keeping the seeded databases between runs (default: a temporary one, removed)")
	step := flag.Duration("step", 10*time.Second, "length of each rate step")
	start := flag.Float64("start", 25, "first rate (operations per second); each next one doubles")
	conns := flag.Int("conns", 32, "connections and operations in flight")
	soak := flag.Duration("soak", 0, "soak for this long at -rate instead of sweeping")
	rate := flag.Float64("rate", 50, "the soak's rate, operations per second")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the service during the capacity run to this file (one per size, data and auth store: suffixed)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *dir == "" {
		d, err := os.MkdirTemp("", "load-")
		if err != nil {
			fail(err)
		}
		defer os.RemoveAll(d)
		*dir = d
	} else if err := os.MkdirAll(*dir, 0o700); err != nil {
		fail(err)
	}
	fmt.Printf("Machine: %s\n\nCommand: `go run ./load/cmd/load %s` (in bench/)\n", load.Machine(), strings.Join(os.Args[1:], " "))
	for _, ps := range strings.Split(*patients, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(ps))
		if err != nil {
			fail(fmt.Errorf("-patients: %w", err))
		}
		for _, data := range strings.Split(*datas, ",") {
			for _, store := range strings.Split(*stores, ",") {
				o := load.Options{Patients: n, Dir: *dir, Data: strings.TrimSpace(data), AuthStore: strings.TrimSpace(store), PostgresDSN: *pg}
				if err := measure(ctx, o, *conns, *soak, *rate, *start, *step, *cpuprofile); err != nil {
					fail(err)
				}
			}
		}
	}
}

// measure runs the sweep (or the soak) of one service and prints it.
func measure(ctx context.Context, o load.Options, conns int, soak time.Duration, rate, start float64, step time.Duration, cpuprofile string) error {
	n := o.Patients
	fmt.Printf("\n### %d patients, data on %s, auth store and tenant registry on %s\n\n", n, name(o.Data), name(o.AuthStore))
	fmt.Fprintf(os.Stderr, "starting the service (%d patients, data %s, auth %s; seeding if needed)...\n", n, o.Data, o.AuthStore)
	svc, err := load.StartChild(ctx, o, os.Stderr)
	if err != nil {
		return err
	}
	defer func() {
		if err := svc.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "service:", err)
		}
	}()
	if svc.Seeded > 0 {
		fmt.Printf("Seeded %d patients in %s.\n\n", n, svc.Seeded.Round(time.Second))
	}
	pop, err := population.New(population.Options{Tenant: load.Tenant, Patients: n})
	if err != nil {
		return err
	}
	c := load.NewClient(svc.URL, svc.ClientID, svc.Secret, pop, conns, load.DefaultWeights)
	defer c.Close()
	if err := c.Check(ctx); err != nil {
		return err
	}
	if soak > 0 {
		samples, err := load.Soak(ctx, svc, c, load.SoakConfig{Rate: rate, Duration: soak, Window: max(soak/20, 5*time.Second), Conns: conns}, os.Stderr)
		if err != nil {
			return err
		}
		fmt.Printf("Soak at %.0f operations/s (each a token request and a call) for %s, load average at the end %s:\n\n", rate, soak, load.LoadAverage())
		load.WriteSoak(os.Stdout, samples)
		return nil
	}
	steps, err := load.Sweep(ctx, svc, c, load.SweepConfig{Start: start, Step: step, Conns: conns}, os.Stderr)
	if err != nil {
		return err
	}
	fmt.Printf("Open-loop rates doubling from %.0f operations/s (an operation is a token request and a Patients-app call: mix search 1 : read 2 : batch of six 2), %s each, then the closed-loop capacity; load average at the end %s.\n\n",
		start, step, load.LoadAverage())
	load.WriteSweep(os.Stdout, steps)
	if cpuprofile != "" {
		file := fmt.Sprintf("%s.%d.%s.%s", cpuprofile, n, name(o.Data), name(o.AuthStore))
		if err := profile(ctx, svc, c, conns, file); err != nil {
			return err
		}
		fmt.Printf("\nCPU profile of the service at capacity: %s\n", file)
	}
	return nil
}

// name returns a store's name as the options spell it, "sqlite" for the
// default.
func name(store string) string {
	if store == "" {
		return "sqlite"
	}
	return store
}

// profile saves a CPU profile of the service during a closed-loop run.
func profile(ctx context.Context, svc *load.Child, c *load.Client, conns int, name string) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	defer f.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.RunClosed(ctx, conns, 12*time.Second, 99)
	}()
	err = svc.Profile(ctx, 10*time.Second, f)
	<-done
	return err
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "load:", err)
	os.Exit(1)
}
