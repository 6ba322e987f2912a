package load

import (
	"bufio"
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

// cmdProcess is a child process and the end of its wait.
type cmdProcess struct {
	cmd  *exec.Cmd
	done chan error
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
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &cmdProcess{cmd: cmd, done: make(chan error, 1)}
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		if sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		_, _ = io.Copy(io.Discard, out)
		p.done <- cmd.Wait()
	}()
	c := &Child{cmd: p}
	select {
	case line, ok := <-lines:
		if !ok {
			c.Stop()
			return nil, errors.New("load: the service exited before it was ready")
		}
		if err := json.Unmarshal([]byte(line), &c.Ready); err != nil {
			c.Stop()
			return nil, fmt.Errorf("load: the service's ready line %q: %w", line, err)
		}
		return c, nil
	case <-ctx.Done():
		c.Stop()
		return nil, ctx.Err()
	}
}

// Pid is the child's process id.
func (c *Child) Pid() int { return c.cmd.cmd.Process.Pid }

// Stop asks the child to shut down (SIGTERM) and waits for it, killing it
// after 10 seconds.
func (c *Child) Stop() error {
	_ = c.cmd.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-c.cmd.done:
		return err
	case <-time.After(10 * time.Second):
		_ = c.cmd.cmd.Process.Kill()
		return <-c.cmd.done
	}
}

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
