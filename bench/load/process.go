package load

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// Process is a server started as a child process by StartProcess.
type Process struct {
	cmd   *exec.Cmd
	group bool // signal the process group (cmd.SysProcAttr.Setpgid)

	once sync.Once
	done chan struct{} // closed when Wait returned
	err  error         // Wait's error
	stop error         // Stop's result
}

// ErrExited is returned by StartProcess for a process that exited before
// it wrote its first line.
var ErrExited = errors.New("load: the process exited before it was ready")

// StartProcess starts cmd (its Stdout must be unset) and waits for the
// first line it writes to standard output, which it returns: the servers
// of this module's benchmarks write one line when they accept requests.
// The rest of the output is discarded. When the process exits first
// (ErrExited) or ctx is done first, the process is stopped and the error
// returned. A cmd with SysProcAttr.Setpgid is stopped with its whole
// process group (a node cluster's workers).
func StartProcess(ctx context.Context, cmd *exec.Cmd) (*Process, string, error) {
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	p := &Process{cmd: cmd, group: cmd.SysProcAttr != nil && cmd.SysProcAttr.Setpgid, done: make(chan struct{})}
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		if sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		_, _ = io.Copy(io.Discard, out)
		p.err = cmd.Wait()
		close(p.done)
	}()
	select {
	case line, ok := <-lines:
		if !ok {
			_ = p.Stop()
			return nil, "", ErrExited
		}
		return p, line, nil
	case <-ctx.Done():
		_ = p.Stop()
		return nil, "", ctx.Err()
	}
}

// Pid is the process id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Stop asks the process (or its group) to shut down with SIGTERM, waits
// for it, kills it after 10 seconds, and returns its exit error. It may be
// called more than once.
func (p *Process) Stop() error {
	p.once.Do(func() {
		p.signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			p.signal(syscall.SIGKILL)
			<-p.done
		}
		p.stop = p.err
	})
	return p.stop
}

func (p *Process) signal(sig syscall.Signal) {
	pid := p.cmd.Process.Pid
	if p.group {
		pid = -pid
	}
	_ = syscall.Kill(pid, sig)
}
