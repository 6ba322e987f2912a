package load

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"time"
)

// signalContext is done at SIGINT or SIGTERM.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// StartChild starts this very binary again as the service (ServeIfChild
// must run first in its main or TestMain) and waits until it serves:
// seeding a large population first can take many minutes, bounded by ctx.
// The child's standard error goes to stderr (nil: discarded).
func StartChild(ctx context.Context, o Options, stderr io.Writer) (*Child, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	o.Logger = nil
	opts, err := json.Marshal(o)
	if err != nil {
		return nil, err
	}
	// The options go through a file: a floor's requests are larger than an
	// environment variable may be.
	f, err := os.CreateTemp("", "load-options-*.json")
	if err != nil {
		return nil, err
	}
	defer os.Remove(f.Name()) // read by the child before it says it is ready
	if _, err := f.Write(opts); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	cmd := exec.Command(self, "-test.run=^$")
	cmd.Env = append(os.Environ(), ServeEnv+"="+f.Name())
	cmd.Stderr = stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM} // no orphan if this process dies first
	p, line, err := StartProcess(ctx, cmd)
	if errors.Is(err, ErrExited) {
		return nil, errors.New("load: the service exited before it was ready")
	} else if err != nil {
		return nil, err
	}
	c := &Child{proc: p}
	if err := json.Unmarshal([]byte(line), &c.Ready); err != nil {
		c.Stop()
		return nil, fmt.Errorf("load: the service's ready line %q: %w", line, err)
	}
	return c, nil
}

// Pid is the child's process id.
func (c *Child) Pid() int { return c.proc.Pid() }

// Stop asks the child to shut down (SIGTERM) and waits for it, killing it
// after 10 seconds.
func (c *Child) Stop() error { return c.proc.Stop() }

// Stats fetches the child's measurements; gc asks it to collect garbage
// first (the live heap, not what awaits collection).
func (c *Child) Stats(ctx context.Context, gc bool) (Stats, error) {
	return FetchStats(ctx, c.Ready.Stats, gc)
}

// FetchStats reads the Stats served by StatsHandler at url.
func FetchStats(ctx context.Context, url string, gc bool) (Stats, error) {
	var st Stats
	if gc {
		url += "?gc=1"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return st, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return st, fmt.Errorf("load: stats: %s", resp.Status)
	}
	return st, json.NewDecoder(resp.Body).Decode(&st)
}

// Profile fetches a CPU profile of the child over d (net/http/pprof).
func (c *Child) Profile(ctx context.Context, d time.Duration, w io.Writer) error {
	return FetchProfile(ctx, c.Ready.Stats, d, w)
}

// FetchProfile fetches a CPU profile over d from the net/http/pprof that
// StatsHandler serves at stats.
func FetchProfile(ctx context.Context, stats string, d time.Duration, w io.Writer) error {
	url := fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", stats, int(d/time.Second))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("load: profile: %s", resp.Status)
	}
	_, err = io.Copy(w, resp.Body)
	return err
}
