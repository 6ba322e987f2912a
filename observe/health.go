package observe

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Pinger is implemented by what can say whether it answers: a store
// (auth/sqlstore.Store pings its database), a tenant router over a
// database. [Health] checks it for /readyz; so does package patientsfhir
// for its Store and its versions' Routers, found by type assertion.
type Pinger interface {
	Ping(ctx context.Context) error
}

// PingFunc adapts a function to a [Pinger].
type PingFunc func(ctx context.Context) error

// Ping implements [Pinger] by calling f.
func (f PingFunc) Ping(ctx context.Context) error { return f(ctx) }

// Check is one named readiness check.
type Check struct {
	// Name names the check in /readyz's answer and in the log ("store",
	// "stu3 router"): a constant, never data.
	Name string
	// Pinger is asked.
	Pinger Pinger
}

// Health serves the probes: /healthz answers 200 while the process serves
// at all; /readyz answers 200 when every check's Ping succeeds, 503
// naming the failing checks otherwise, and 503 once [Health.Drain] was
// called (shutting down: the load balancer stops sending). Ping errors are
// logged (once per change of state), never sent. Set the fields before
// serving; the zero value (no checks) is always ready.
type Health struct {
	// Checks are asked concurrently on each probe.
	Checks []Check
	// Timeout bounds each probe (default 2s).
	Timeout time.Duration
	// MinInterval is how long a probe's result is reused (default 1s), so
	// that a flood of probes does not become a flood of pings.
	MinInterval time.Duration
	// Logger receives the changes of readiness (default slog.Default()).
	Logger *slog.Logger

	draining atomic.Bool
	mu       sync.Mutex
	checked  time.Time
	failing  []string
	wasBad   map[string]bool
}

// Drain makes /readyz answer 503 from now on.
func (h *Health) Drain() { h.draining.Store(true) }

// Ready runs the checks (or reuses a result younger than MinInterval) and
// returns the names of the failing ones, "draining" once Drain was
// called; nil means ready.
func (h *Health) Ready(ctx context.Context) []string {
	if h.draining.Load() {
		return []string{"draining"}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	minInterval := h.MinInterval
	if minInterval == 0 {
		minInterval = time.Second
	}
	if !h.checked.IsZero() && time.Since(h.checked) < minInterval {
		return h.failing
	}
	timeout := h.Timeout
	if timeout == 0 {
		timeout = 2 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	errs := make([]error, len(h.Checks))
	var wg sync.WaitGroup
	for i, c := range h.Checks {
		wg.Go(func() { errs[i] = c.Pinger.Ping(ctx) })
	}
	wg.Wait()
	if h.wasBad == nil {
		h.wasBad = map[string]bool{}
	}
	log := h.Logger
	if log == nil {
		log = slog.Default()
	}
	var failing []string
	for i, c := range h.Checks {
		bad := errs[i] != nil
		if bad {
			failing = append(failing, c.Name)
			if !h.wasBad[c.Name] {
				log.Warn("readiness: check failing", "check", c.Name, "error", errs[i].Error())
			}
		} else if h.wasBad[c.Name] {
			log.Info("readiness: check recovered", "check", c.Name)
		}
		h.wasBad[c.Name] = bad
	}
	h.failing, h.checked = failing, time.Now()
	return failing
}

// ServeHTTP serves /healthz and /readyz (any path ending so), 404
// otherwise.
func (h *Health) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case strings.HasSuffix(r.URL.Path, "/healthz"):
		writeProbe(w, http.StatusOK, `{"status":"ok"}`)
	case strings.HasSuffix(r.URL.Path, "/readyz"):
		failing := h.Ready(r.Context())
		if len(failing) == 0 {
			writeProbe(w, http.StatusOK, `{"status":"ready"}`)
			return
		}
		body, _ := json.Marshal(struct {
			Status  string   `json:"status"`
			Failing []string `json:"failing"`
		}{"unready", failing})
		w.Header().Set("Retry-After", "1")
		writeProbe(w, http.StatusServiceUnavailable, string(body))
	default:
		http.NotFound(w, r)
	}
}

func writeProbe(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body + "\n"))
}
