package load_test

import (
	"context"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patientsfhir/patientsfhir/bench/load"
)

// StartProcess returns the first line once the process writes it, and
// Stop ends the process (with its group when it has its own), once.
func TestStartProcess(t *testing.T) {
	cmd := exec.Command("sh", "-c", `sleep 60 & echo "ready $!"; echo more; wait`)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	p, line, err := load.StartProcess(context.Background(), cmd)
	require.NoError(t, err)
	require.Regexp(t, `^ready \d+$`, line)
	sleeper, err := strconv.Atoi(line[len("ready "):])
	require.NoError(t, err)
	assert.Equal(t, cmd.Process.Pid, p.Pid())

	err = p.Stop()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, "ended by SIGTERM")
	assert.Equal(t, syscall.SIGTERM, exit.Sys().(syscall.WaitStatus).Signal())
	assert.Equal(t, err, p.Stop(), "a second Stop returns the same")
	assert.Eventually(t, func() bool { return syscall.Kill(sleeper, 0) != nil }, 5*time.Second, 20*time.Millisecond,
		"the process group was stopped with it")
}

// A process that exits before its first line, or a context done first,
// is an error, and nothing is left running.
func TestStartProcessFailures(t *testing.T) {
	_, _, err := load.StartProcess(context.Background(), exec.Command("sh", "-c", "exit 3"))
	assert.ErrorIs(t, err, load.ErrExited)

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	cmd := exec.Command("sleep", "60")
	_, _, err = load.StartProcess(ctx, cmd)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	require.NotNil(t, cmd.ProcessState, "the process was waited for")
	assert.False(t, cmd.ProcessState.Success())

	_, _, err = load.StartProcess(context.Background(), exec.Command("/nonexistent/binary"))
	assert.Error(t, err)
}
