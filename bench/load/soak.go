package load

import (
	"context"
	"fmt"
	"io"
	"time"
)

// SoakConfig says how to soak.
type SoakConfig struct {
	// Rate is the steady rate, operations per second (default 20).
	Rate float64
	// Duration is the whole run (default 30 s); Window the length of each
	// measured window (default Duration/10).
	Duration, Window time.Duration
	// Conns bounds the connections (default 16).
	Conns int
	// Seed makes the operations drawn repeatable.
	Seed uint64
}

// Sample is the service's state after one soak window, its garbage
// collected first.
type Sample struct {
	// Stats is the service's measurement.
	Stats
	// Window is the window's load.
	Window *Result
}

// Soak offers the mix at a steady rate in windows and samples the service
// after each, with the client's connections closed and the garbage
// collected, so that the samples show the live heap and the goroutines the
// service keeps over time.
func Soak(ctx context.Context, svc *Child, c *Client, cfg SoakConfig, progress io.Writer) ([]Sample, error) {
	if cfg.Rate == 0 {
		cfg.Rate = 20
	}
	if cfg.Duration == 0 {
		cfg.Duration = 30 * time.Second
	}
	if cfg.Window == 0 {
		cfg.Window = cfg.Duration / 10
	}
	if cfg.Conns == 0 {
		cfg.Conns = 16
	}
	start := time.Now()
	var out []Sample
	for i := 0; time.Since(start) < cfg.Duration && ctx.Err() == nil; i++ {
		r := c.RunOpen(ctx, cfg.Rate, cfg.Conns, cfg.Window, cfg.Seed+uint64(i))
		// Every operation has ended: close the connections, so that the
		// service's goroutines are its own and not one per open connection.
		c.Close()
		time.Sleep(200 * time.Millisecond)
		st, err := svc.Stats(ctx, true)
		if err != nil {
			return out, err
		}
		out = append(out, Sample{Stats: st, Window: r})
		if progress != nil {
			fmt.Fprintf(progress, "  %s: %.1f ops/s, p99 %s, %d errors; live heap %s MiB, RSS %s MiB, %d goroutines\n",
				time.Since(start).Round(time.Second), r.Throughput(), Percentile(r.Latency, 0.99).Round(time.Millisecond),
				r.ErrorCount(), mb(st.HeapAlloc), mb(st.RSS), st.Goroutines)
		}
	}
	return out, nil
}

// Growth fits a line to ys (least squares over their index) and returns
// how much it rises from the first sample to the last.
func Growth(ys []float64) float64 {
	n := float64(len(ys))
	if n < 2 {
		return 0
	}
	var sx, sy, sxx, sxy float64
	for i, y := range ys {
		x := float64(i)
		sx, sy, sxx, sxy = sx+x, sy+y, sxx+x*x, sxy+x*y
	}
	slope := (n*sxy - sx*sy) / (n*sxx - sx*sx)
	return slope * (n - 1)
}

// Flat judges a soak's samples after the first quarter (warm-up: caches,
// connection pools and the runtime settle): the fitted growth of the live
// heap must stay under 10 % of its mean (and 4 MiB), and that of the
// goroutine count under 5. It returns the growths and whether they are
// flat.
func Flat(samples []Sample) (heap, goroutines float64, ok bool) {
	s := samples[len(samples)/4:]
	hs, gs := make([]float64, len(s)), make([]float64, len(s))
	var mean float64
	for i, x := range s {
		hs[i], gs[i] = float64(x.HeapAlloc), float64(x.Goroutines)
		mean += hs[i] / float64(len(s))
	}
	heap, goroutines = Growth(hs), Growth(gs)
	return heap, goroutines, heap < max(0.10*mean, 4<<20) && goroutines < 5
}

// WriteSoak writes the samples as a Markdown table and the verdict.
func WriteSoak(w io.Writer, samples []Sample) {
	fmt.Fprintln(w, "| window | done ops/s | p99 ms | errors | live heap MiB | heap in use MiB | RSS MiB | goroutines | GC cycles |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|")
	for i, s := range samples {
		fmt.Fprintf(w, "| %d | %.1f | %s | %d | %.1f | %s | %s | %d | %d |\n", i+1, s.Window.Throughput(), ms(Percentile(s.Window.Latency, 0.99)),
			s.Window.ErrorCount(), float64(s.HeapAlloc)/(1<<20), mb(s.HeapInuse), mb(s.RSS), s.Goroutines, s.NumGC)
	}
	if len(samples) < 4 {
		return
	}
	heap, g, ok := Flat(samples)
	verdict := "flat"
	if !ok {
		verdict = "GROWING"
	}
	fmt.Fprintf(w, "\nAfter the first quarter: live heap %+.2f MiB, goroutines %+.1f over the run (fitted): %s.\n", heap/(1<<20), g, verdict)
}
