package peers

import (
	"context"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/patientsfhir/patientsfhir/bench/load"
)

// Table collects runs by search, server and connection count.
type Table struct {
	runs map[key][]Run
}

type key struct {
	search, server string
	conns          int
}

// Add records a run (several rounds of the same key are summarised by
// their medians).
func (t *Table) Add(r Run) {
	if t.runs == nil {
		t.runs = map[key][]Run{}
	}
	k := key{r.Search, r.Server, r.Conns}
	t.runs[k] = append(t.runs[k], r)
}

// Errors is the number of failed operations over every run.
func (t *Table) Errors() int {
	n := 0
	for _, rs := range t.runs {
		for _, r := range rs {
			n += r.Errors
		}
	}
	return n
}

// Median returns the run of median throughput (and median p99) of a key.
func (t *Table) Median(search, server string, conns int) (Run, bool) {
	rs := t.runs[key{search, server, conns}]
	if len(rs) == 0 {
		return Run{}, false
	}
	tp := make([]float64, len(rs))
	p99 := make([]time.Duration, len(rs))
	p50 := make([]time.Duration, len(rs))
	cpu := make([]time.Duration, len(rs))
	errs := 0
	for i, r := range rs {
		tp[i], p99[i], p50[i], cpu[i], errs = r.Throughput, r.P99, r.P50, r.CPU, errs+r.Errors
	}
	slices.Sort(tp)
	slices.Sort(p99)
	slices.Sort(p50)
	slices.Sort(cpu)
	m := rs[0]
	m.Throughput, m.P99, m.P50, m.CPU, m.Errors = tp[len(tp)/2], p99[len(p99)/2], p50[len(p50)/2], cpu[len(cpu)/2], errs
	return m, true
}

// cpuRatio is peer ÷ ours of CPU per operation: above 1 when ours costs
// less.
func cpuRatio(peer, ours time.Duration) string {
	if peer <= 0 || ours <= 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2f×", float64(peer)/float64(ours))
}

func msf(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d)/float64(time.Millisecond)) }

// Write writes one Markdown table per connection count: each search's
// throughput and p99 on each server, then the ratios the targets judge:
// each module server's throughput over node's (target ≥ 10, at a p99 no
// worse) and over the floor's (target ≥ 0.5).
func (t *Table) Write(w io.Writer, servers []*Server, conns []int) {
	var node, floor *Server
	var ours []*Server
	for _, s := range servers {
		switch {
		case s.Node:
			node = s
		case s.Name == "bare net/http floor":
			floor = s
		default:
			ours = append(ours, s)
		}
	}
	for _, c := range conns {
		fmt.Fprintf(w, "\n#### %d connections\n\nThroughput in operations per second (p99 in ms; the server's CPU time per operation in µs, all its processes). Ratios: throughput ÷ throughput (and CPU per operation ÷ CPU per operation, inverted: how many of the peer's operations one CPU second of ours would pay for, relatively):\n\n| search |", c)
		for _, s := range servers {
			fmt.Fprintf(w, " %s |", s.Name)
		}
		for _, s := range ours {
			if node != nil {
				fmt.Fprintf(w, " %s ÷ node |", s.Name)
			}
			if floor != nil {
				fmt.Fprintf(w, " %s ÷ floor |", s.Name)
			}
		}
		fmt.Fprintln(w)
		fmt.Fprint(w, "|---|")
		for range servers {
			fmt.Fprint(w, "---|")
		}
		for range ours {
			if node != nil {
				fmt.Fprint(w, "---|")
			}
			if floor != nil {
				fmt.Fprint(w, "---|")
			}
		}
		fmt.Fprintln(w)
		for _, q := range Searches {
			fmt.Fprintf(w, "| %s |", q.Name)
			for _, s := range servers {
				if r, ok := t.Median(q.Name, s.Name, c); ok {
					e := ""
					if r.Errors > 0 {
						e = fmt.Sprintf(", %d errors", r.Errors)
					}
					fmt.Fprintf(w, " %.0f (%s; %.0f µs%s) |", r.Throughput, msf(r.P99), float64(r.CPU)/float64(time.Microsecond), e)
				} else {
					fmt.Fprint(w, " — |")
				}
			}
			for _, s := range ours {
				r, ok := t.Median(q.Name, s.Name, c)
				if node != nil {
					if n, nok := t.Median(q.Name, node.Name, c); ok && nok && n.Throughput > 0 {
						p99 := "p99 better"
						if r.P99 > n.P99 {
							p99 = "p99 WORSE"
						}
						fmt.Fprintf(w, " %.1f× (CPU %s; %s) |", r.Throughput/n.Throughput, cpuRatio(n.CPU, r.CPU), p99)
					} else {
						fmt.Fprint(w, " — |")
					}
				}
				if floor != nil {
					if f, fok := t.Median(q.Name, floor.Name, c); ok && fok && f.Throughput > 0 {
						fmt.Fprintf(w, " %.2f (CPU %s) |", r.Throughput/f.Throughput, cpuRatio(f.CPU, r.CPU))
					} else {
						fmt.Fprint(w, " — |")
					}
				}
			}
			fmt.Fprintln(w)
		}
	}
}

// Profile saves a CPU profile of the Go server s (net/http/pprof on its
// stats port) over d.
func Profile(ctx context.Context, s *Server, d time.Duration, w io.Writer) error {
	if s.Stats == "" {
		return fmt.Errorf("peers: %s has no profile", s.Name)
	}
	return load.FetchProfile(ctx, s.Stats, d, w)
}
