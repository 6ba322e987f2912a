package load

import (
	"context"
	"math/rand/v2"
	"slices"
	"sync"
	"time"
)

// Result is what one run measured.
type Result struct {
	// Offered is the rate asked for, operations per second (0 for a
	// closed-loop run).
	Offered float64
	// Conns is the connection (and in-flight) bound.
	Conns int
	// Elapsed is the run's length.
	Elapsed time.Duration
	// Ops counts the operations completed (successful or not).
	Ops int
	// Missed counts operations an open-loop run could not start before
	// its end: all connections were busy (the service is saturated).
	Missed int
	// Errors counts failed operations by cause ("token 429", "batch 503",
	// "timeout", "transport").
	Errors map[string]int
	// Latency holds every completed operation's latency (token and call),
	// sorted; in an open-loop run measured from when it was due, so a
	// queue in front of the service counts (no coordinated omission).
	Latency []time.Duration
	// ByKind holds the latencies of each kind, sorted.
	ByKind [kinds][]time.Duration
}

// Throughput is the operations completed per second.
func (r *Result) Throughput() float64 { return float64(r.Ops) / r.Elapsed.Seconds() }

// ErrorCount is the number of failed operations.
func (r *Result) ErrorCount() int {
	n := 0
	for _, v := range r.Errors {
		n += v
	}
	return n
}

// Percentile returns the q-quantile (0 < q < 1) of sorted latencies.
func Percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q * float64(len(sorted)))
	return sorted[min(i, len(sorted)-1)]
}

// recorder collects the results of concurrent operations.
type recorder struct {
	mu  sync.Mutex
	res Result
}

func (rc *recorder) add(k Kind, d time.Duration, err error) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.res.Ops++
	if err != nil {
		if rc.res.Errors == nil {
			rc.res.Errors = map[string]int{}
		}
		rc.res.Errors[errorKey(err)]++
		return
	}
	rc.res.Latency = append(rc.res.Latency, d)
	rc.res.ByKind[k] = append(rc.res.ByKind[k], d)
}

func (rc *recorder) finish(elapsed time.Duration) *Result {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	r := rc.res
	r.Elapsed = elapsed
	slices.Sort(r.Latency)
	for k := range r.ByKind {
		slices.Sort(r.ByKind[k])
	}
	return &r
}

// RunOpen sends the mix at rate operations per second for d (open loop:
// each operation is due at its time whatever happened to the others), with
// at most conns in flight. An operation that cannot start before the end
// is missed.
func (c *Client) RunOpen(ctx context.Context, rate float64, conns int, d time.Duration, seed uint64) *Result {
	rc := &recorder{res: Result{Offered: rate, Conns: conns}}
	interval := time.Duration(float64(time.Second) / rate)
	r := rand.New(rand.NewPCG(seed, 7))
	slots := make(chan struct{}, conns)
	var wg sync.WaitGroup
	start := time.Now()
	end := start.Add(d)
	ctx, cancel := context.WithDeadline(ctx, end.Add(30*time.Second))
	defer cancel()
	over := time.After(d)
	due := int((d + interval - 1) / interval)
	started := 0
loop:
	for ; started < due && ctx.Err() == nil; started++ {
		at := start.Add(time.Duration(started) * interval)
		if w := time.Until(at); w > 0 {
			time.Sleep(w)
		}
		select {
		case slots <- struct{}{}:
		default: // every connection busy: wait for one, until the end
			select {
			case slots <- struct{}{}:
			case <-over:
				break loop
			}
		}
		k, s := c.pick(r)
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := c.do(ctx, k, s)
			rc.add(k, time.Since(at), err)
			<-slots
		}()
	}
	rc.mu.Lock()
	rc.res.Missed = due - started
	rc.mu.Unlock()
	wg.Wait()
	return rc.finish(time.Since(start))
}

// RunClosed keeps conns operations in flight for d, each connection
// starting its next operation when the last one ends: the service's
// capacity.
func (c *Client) RunClosed(ctx context.Context, conns int, d time.Duration, seed uint64) *Result {
	rc := &recorder{res: Result{Conns: conns}}
	start := time.Now()
	end := start.Add(d)
	ctx, cancel := context.WithDeadline(ctx, end.Add(30*time.Second))
	defer cancel()
	var wg sync.WaitGroup
	for w := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(seed, uint64(w)))
			for time.Now().Before(end) && ctx.Err() == nil {
				k, s := c.pick(r)
				t0 := time.Now()
				err := c.do(ctx, k, s)
				rc.add(k, time.Since(t0), err)
			}
		}()
	}
	wg.Wait()
	return rc.finish(time.Since(start))
}
