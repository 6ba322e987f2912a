package load

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"
)

// Step is one run of a sweep and what the service used meanwhile.
type Step struct {
	*Result
	// CPU is the service's CPU time over the run, in cores (CPU time ÷
	// elapsed).
	CPU float64
	// After is the service's state at the end of the run.
	After Stats
	// LoadCPU is the load generator's own CPU time over the run, in cores:
	// it shares the machine with the service.
	LoadCPU float64
}

// CPUPerOp is the service's CPU time per operation completed: what an
// operation costs, which other load on the machine moves less than it
// moves latency and throughput.
func (s *Step) CPUPerOp() time.Duration {
	return time.Duration(s.CPU * float64(s.Elapsed) / float64(max(1, s.Ops)))
}

// Saturated reports whether the service could not keep up with the
// offered rate: it completed less than 90 % of it, missed more than 1 %
// of the operations, failed more than 1 % of them or took more than a
// second at p99.
func (s *Step) Saturated() bool {
	return s.Offered > 0 && (s.Throughput() < 0.9*s.Offered || s.Missed*100 > s.Ops) ||
		s.ErrorCount()*100 > s.Ops || Percentile(s.Latency, 0.99) > time.Second
}

// SweepConfig says how to sweep.
type SweepConfig struct {
	// Start is the first rate (default 25 operations per second); each
	// next one doubles it, up to Max (default 6400), until the service
	// saturates.
	Start, Max float64
	// Step is the length of each run (default 10 s), after a warm-up of
	// Warmup (default 3 s) at the first rate.
	Step, Warmup time.Duration
	// Conns bounds the connections and operations in flight (default 32,
	// below the token endpoint's default per-address cap).
	Conns int
	// Seed makes the operations drawn repeatable.
	Seed uint64
}

func (c *SweepConfig) defaults() {
	if c.Start == 0 {
		c.Start = 25
	}
	if c.Max == 0 {
		c.Max = 6400
	}
	if c.Step == 0 {
		c.Step = 10 * time.Second
	}
	if c.Warmup == 0 {
		c.Warmup = 3 * time.Second
	}
	if c.Conns == 0 {
		c.Conns = 32
	}
}

// measure runs fn and returns its result with the service's CPU use.
func measure(ctx context.Context, svc *Child, fn func() *Result) (Step, error) {
	before, err := svc.Stats(ctx, false)
	if err != nil {
		return Step{}, err
	}
	self := Self(false)
	r := fn()
	after, err := svc.Stats(ctx, false)
	if err != nil {
		return Step{}, err
	}
	return Step{Result: r, CPU: (after.CPU - before.CPU).Seconds() / r.Elapsed.Seconds(), After: after,
		LoadCPU: (Self(false).CPU - self.CPU).Seconds() / r.Elapsed.Seconds()}, nil
}

// Sweep offers the mix at doubling rates until the service saturates, then
// measures its capacity with a closed-loop run at cfg.Conns: the last step
// (Offered 0).
func Sweep(ctx context.Context, svc *Child, c *Client, cfg SweepConfig, progress io.Writer) ([]Step, error) {
	cfg.defaults()
	c.RunClosed(ctx, min(cfg.Conns, 4), cfg.Warmup, cfg.Seed)
	var steps []Step
	for rate := cfg.Start; rate <= cfg.Max; rate *= 2 {
		st, err := measure(ctx, svc, func() *Result { return c.RunOpen(ctx, rate, cfg.Conns, cfg.Step, cfg.Seed+uint64(rate)) })
		if err != nil {
			return steps, err
		}
		steps = append(steps, st)
		if progress != nil {
			fmt.Fprintf(progress, "  %.0f ops/s offered: %.1f done, p99 %s, %d errors, %d missed\n", rate, st.Throughput(),
				Percentile(st.Latency, 0.99).Round(time.Millisecond), st.ErrorCount(), st.Missed)
		}
		if st.Saturated() || ctx.Err() != nil {
			break
		}
	}
	st, err := measure(ctx, svc, func() *Result { return c.RunClosed(ctx, cfg.Conns, cfg.Step, cfg.Seed+1) })
	if err != nil {
		return steps, err
	}
	return append(steps, st), nil
}

// ms formats a latency in milliseconds.
func ms(d time.Duration) string {
	return fmt.Sprintf("%.1f", float64(d)/float64(time.Millisecond))
}

// mb formats bytes in MiB.
func mb(b uint64) string { return fmt.Sprintf("%.0f", float64(b)/(1<<20)) }

// WriteSweep writes a sweep as a Markdown table: one row per rate, the
// last one the closed-loop capacity, then each kind's latency at capacity.
func WriteSweep(w io.Writer, steps []Step) {
	fmt.Fprintln(w, "| offered ops/s | done ops/s | HTTP req/s | p50 ms | p99 ms | p99.9 ms | errors | missed | service CPU (cores) | service CPU per op | load generator CPU (cores) | RSS MiB | heap in use MiB | goroutines |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
	for _, s := range steps {
		offered := fmt.Sprintf("%.0f", s.Offered)
		if s.Offered == 0 {
			offered = fmt.Sprintf("closed loop, %d conns", s.Conns)
		}
		errs := fmt.Sprint(s.ErrorCount())
		if len(s.Errors) > 0 {
			var parts []string
			for k, v := range s.Errors {
				parts = append(parts, fmt.Sprintf("%s: %d", k, v))
			}
			errs += " (" + strings.Join(parts, ", ") + ")"
		}
		fmt.Fprintf(w, "| %s | %.1f | %.1f | %s | %s | %s | %s | %d | %.2f | %s ms | %.2f | %s | %s | %d |\n", offered, s.Throughput(), 2*s.Throughput(),
			ms(Percentile(s.Latency, 0.5)), ms(Percentile(s.Latency, 0.99)), ms(Percentile(s.Latency, 0.999)),
			errs, s.Missed, s.CPU, ms(s.CPUPerOp()), s.LoadCPU, mb(s.After.RSS), mb(s.After.HeapInuse), s.After.Goroutines)
	}
	if len(steps) == 0 {
		return
	}
	last := steps[len(steps)-1]
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| at capacity | share | p50 ms | p99 ms | p99.9 ms |")
	fmt.Fprintln(w, "|---|---|---|---|---|")
	for k := range kinds {
		l := last.ByKind[k]
		fmt.Fprintf(w, "| %s (token + call) | %.0f %% | %s | %s | %s |\n", k, 100*float64(len(l))/float64(max(1, len(last.Latency))),
			ms(Percentile(l, 0.5)), ms(Percentile(l, 0.99)), ms(Percentile(l, 0.999)))
	}
}

// Machine describes where a measurement ran, for the record: CPU model and
// count, Go version, date, load average.
func Machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	return fmt.Sprintf("%s, %d cores, %s/%s, %s, %s UTC, load average %s", model, runtime.NumCPU(), runtime.GOOS, runtime.GOARCH,
		runtime.Version(), time.Now().UTC().Format("2006-01-02 15:04"), LoadAverage())
}

// LoadAverage is the 1, 5 and 15 minute load average (/proc/loadavg).
func LoadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
