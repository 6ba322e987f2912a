package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patientsfhir/patientsfhir/auth"
	"github.com/patientsfhir/patientsfhir/routing"
)

// pgBinEnv names the PostgreSQL server binaries (.ci/postgres.sh exports
// it): the restart test runs a cluster of its own, so that stopping it
// disturbs no other test.
const pgBinEnv = "PATIENTSFHIR_TEST_PG_BINDIR"

// pgCluster is a throwaway PostgreSQL cluster that a test stops and
// starts.
type pgCluster struct {
	t      *testing.T
	bindir string
	dir    string
	port   int
	owner  *user.User // the postgres user when running as root
}

func newPGCluster(t *testing.T) *pgCluster {
	t.Helper()
	bindir := os.Getenv(pgBinEnv)
	if bindir == "" {
		t.Skipf("%s is not set; run `source .ci/postgres.sh` to get the server binaries", pgBinEnv)
	}
	c := &pgCluster{t: t, bindir: bindir}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		require.NoError(t, err, "running as root needs a postgres user to own the cluster")
		c.owner = u
	}
	dir, err := os.MkdirTemp("", "patientsfhir-pgfault.")
	require.NoError(t, err)
	c.dir = dir
	t.Cleanup(func() {
		_ = c.pgctl("-m", "immediate", "-w", "-t", "30", "stop")
		os.RemoveAll(dir)
	})
	require.NoError(t, os.Chmod(dir, 0o755))
	require.NoError(t, os.Mkdir(filepath.Join(dir, "sock"), 0o755))
	if c.owner != nil {
		uid, _ := strconv.Atoi(c.owner.Uid)
		gid, _ := strconv.Atoi(c.owner.Gid)
		require.NoError(t, os.Chown(dir, uid, gid))
		require.NoError(t, os.Chown(filepath.Join(dir, "sock"), uid, gid))
	}
	out, err := c.command("initdb", "-D", filepath.Join(dir, "data"), "-U", "postgres", "-A", "trust", "-E", "UTF8",
		"--locale=C", "--no-sync").CombinedOutput()
	require.NoError(t, err, "initdb: %s", out)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	c.port = ln.Addr().(*net.TCPAddr).Port
	require.NoError(t, ln.Close())
	require.NoError(t, c.start())
	return c
}

// command runs a server binary as the cluster's owner.
func (c *pgCluster) command(name string, args ...string) *exec.Cmd {
	bin := filepath.Join(c.bindir, name)
	if c.owner != nil {
		return exec.Command("runuser", append([]string{"-u", "postgres", "--", bin}, args...)...)
	}
	return exec.Command(bin, args...)
}

func (c *pgCluster) pgctl(args ...string) error {
	out, err := c.command("pg_ctl", append([]string{"-D", filepath.Join(c.dir, "data")}, args...)...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("pg_ctl %v: %w: %s", args, err, out)
	}
	return nil
}

func (c *pgCluster) start() error {
	return c.pgctl("-l", filepath.Join(c.dir, "server.log"), "-w", "-t", "60", "-o",
		fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=off", c.port, filepath.Join(c.dir, "sock")), "start")
}

func (c *pgCluster) stop() error { return c.pgctl("-m", "fast", "-w", "-t", "60", "stop") }

func (c *pgCluster) dsn() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable&connect_timeout=3", c.port)
}

// PostgreSQL restarts under a running node: while it is down, every
// answer is a right one in bounded time (a token for the known client, or
// 503 temporarily_unavailable; writes 503; an unreachable directory is
// never taken for an unknown tenant), and once it is back the same node
// serves writes and tokens again without a restart.
func TestFaultPostgresRestarts(t *testing.T) {
	c := newPGCluster(t)
	ctx := context.Background()
	st, err := OpenPostgres(ctx, c.dsn())
	require.NoError(t, err)
	defer st.Close()
	f := newFaultServer(t, st, time.Second)
	code, _ := f.token(t)
	require.Equal(t, http.StatusOK, code)

	require.NoError(t, c.stop())
	const bound = 10 * time.Second
	t0 := time.Now()
	code, oauthErr := f.token(t)
	assert.Less(t, time.Since(t0), bound)
	assert.Contains(t, []int{http.StatusOK, http.StatusServiceUnavailable}, code, oauthErr)
	code, oauthErr, took := f.admin(t, http.MethodPost, "/clients", `{"client_id":"during","tenants":["`+faultTenant+`"]}`)
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Equal(t, auth.ErrCodeTemporarilyUnavailable, oauthErr)
	assert.Less(t, took, bound)
	time.Sleep(1200 * time.Millisecond) // past the directory's MaxStale: it must ask the store now
	t0 = time.Now()
	err = f.dir.Check(ctx, faultTenant)
	require.Error(t, err)
	assert.ErrorIs(t, err, auth.ErrUnavailable)
	assert.False(t, errors.Is(err, routing.ErrUnknownTenant), "an unreachable directory took a tenant for unknown")
	assert.Less(t, time.Since(t0), bound)
	code, oauthErr = f.token(t)
	assert.Equal(t, http.StatusServiceUnavailable, code, "a token while the tenant cannot be checked")
	assert.Equal(t, auth.ErrCodeTemporarilyUnavailable, oauthErr)

	require.NoError(t, c.start())
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, _, _ = f.admin(t, http.MethodPost, "/clients", `{"client_id":"after","tenants":["`+faultTenant+`"]}`)
		if code == http.StatusCreated || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	require.Equal(t, http.StatusCreated, code, "writes did not recover after the restart")
	require.NoError(t, f.dir.Check(ctx, faultTenant))
	code, _ = f.token(t)
	assert.Equal(t, http.StatusOK, code)
	_, err = st.GetClient(ctx, "during")
	assert.ErrorIs(t, err, auth.ErrNotFound, "a write refused during the outage appeared")
}

// A PostgreSQL that cannot be reached at start-up is an ErrUnavailable
// error in bounded time, not a hang (nothing listens on the port).
func TestFaultPostgresUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	require.NoError(t, ln.Close())
	t0 := time.Now()
	_, err = OpenPostgres(context.Background(), fmt.Sprintf("postgres://postgres@127.0.0.1:%d/x?sslmode=disable&connect_timeout=3", port))
	require.ErrorIs(t, err, auth.ErrUnavailable)
	assert.Less(t, time.Since(t0), 10*time.Second)
	assert.NotContains(t, err.Error(), "password")
}
