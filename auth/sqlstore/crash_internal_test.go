package sqlstore

import (
	"bufio"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patientsfhir/patientsfhir/auth"
	"github.com/patientsfhir/patientsfhir/routing"
)

// crashEnv turns the test binary into the crash test's helper process: its
// value is the JSON of a crashJob.
const crashEnv = "PATIENTSFHIR_CRASH_HELPER"

// crashJob is what the helper does: open the store, then change secrets,
// keys and tenants as fast as it can, appending each change to Log (and
// syncing it) once the store has acknowledged it, until it is killed.
type crashJob struct {
	Kind string // sqlite or postgres
	Path string // the SQLite file or the PostgreSQL DSN
	Log  string
	Seed uint64
}

const (
	crashSeal   = "crash-test-seal-key-32-bytes!!!!"
	crashClient = "crash-app"
	crashTenant = "c0ffee00-1234-4abc-8def-00112233aaaa"
)

func openCrashStore(ctx context.Context, j crashJob) (*Store, error) {
	if j.Kind == "postgres" {
		return OpenPostgres(ctx, j.Path)
	}
	return OpenSQLite(ctx, j.Path)
}

func crashServer(ctx context.Context, st *Store) (*auth.Server, *routing.Directory, error) {
	dir, err := routing.NewDirectory(ctx, routing.DirectoryConfig{Store: st, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, nil, err
	}
	srv, err := auth.New(ctx, auth.Config{Issuer: "https://auth.example.com", Audience: "https://fhir.example.com",
		SealKey: []byte(crashSeal), TenantValidator: dir.Check, Logger: slog.New(slog.DiscardHandler)}, st)
	return srv, dir, err
}

// crashHelper is the helper process's main: it returns only on an error
// (the test kills it).
func crashHelper(v string) int {
	fail := func(err error) int {
		fmt.Fprintln(os.Stderr, "crash helper:", err)
		return 3
	}
	var j crashJob
	if err := json.Unmarshal([]byte(v), &j); err != nil {
		return fail(err)
	}
	ctx := context.Background()
	st, err := openCrashStore(ctx, j)
	if err != nil {
		return fail(err)
	}
	srv, dir, err := crashServer(ctx, st)
	if err != nil {
		return fail(err)
	}
	logf, err := os.OpenFile(j.Log, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fail(err)
	}
	log := func(format string, args ...any) error {
		if _, err := fmt.Fprintf(logf, format+"\n", args...); err != nil {
			return err
		}
		return logf.Sync()
	}
	reg := srv.Registry()
	if _, err := reg.GetClient(ctx, crashClient); errors.Is(err, auth.ErrNotFound) {
		if _, err := dir.Add(ctx, routing.Tenant{ID: crashTenant, Backend: "ehr", State: routing.StateActive}); err != nil && !errors.Is(err, routing.ErrTenantExists) {
			return fail(err)
		}
		_, plain, err := reg.CreateClient(ctx, auth.NewClient{ID: crashClient, Tenants: []string{crashTenant}}, "crash")
		if err != nil {
			return fail(err)
		}
		sid, _ := auth.ParseSecret(plain)
		if err := log("secret-added %s %s", sid, plain); err != nil {
			return fail(err)
		}
	} else if err != nil {
		return fail(err)
	}
	r := mrand.New(mrand.NewPCG(j.Seed, 1))
	for n := 0; ; n++ {
		if n == 1 {
			fmt.Println("running") // one change acknowledged: the test may kill now
		}
		var err error
		switch r.IntN(6) {
		case 0, 1: // a new secret, the oldest active one revoked when two are
			var secrets []auth.SecretInfo
			if secrets, err = reg.ListSecrets(ctx, crashClient); err != nil {
				break
			}
			var live []auth.SecretInfo
			for _, s := range secrets {
				if s.Active {
					live = append(live, s)
				}
			}
			if len(live) >= 2 {
				if err = reg.RevokeSecret(ctx, crashClient, live[0].ID, "crash"); err == nil {
					err = log("secret-revoked %s", live[0].ID)
				}
				break
			}
			var plain string
			var info auth.SecretInfo
			if plain, info, err = reg.AddSecret(ctx, crashClient, 0, "crash"); err == nil {
				err = log("secret-added %s %s", info.ID, plain)
			}
		case 2: // rotate the signing key
			var kid string
			if kid, err = srv.Keys().Rotate(ctx); err == nil {
				err = log("key-active %s", kid)
			}
		case 3: // remove a retired key
			var keys []auth.KeyInfo
			if keys, err = srv.Keys().List(ctx); err != nil {
				break
			}
			for _, k := range keys {
				if k.State == auth.KeyRetired {
					if err = srv.Keys().Remove(ctx, k.KID); err == nil {
						err = log("key-removed %s", k.KID)
					}
					break
				}
			}
		case 4: // a new tenant
			var b [16]byte
			_, _ = rand.Read(b[:])
			b[6], b[8] = b[6]&0x0f|0x40, b[8]&0x3f|0x80
			h := hex.EncodeToString(b[:])
			id := h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
			if _, err = dir.Add(ctx, routing.Tenant{ID: id, Backend: "ehr", State: routing.StateActive}); err == nil {
				err = log("tenant-added %s", id)
			}
		case 5: // disable a tenant (never the client's own)
			var ts []routing.Tenant
			if ts, err = dir.List(ctx); err != nil {
				break
			}
			for _, t := range ts {
				if t.State == routing.StateActive && t.ID != crashTenant {
					if err = dir.Disable(ctx, t.ID); err == nil {
						err = log("tenant-disabled %s", t.ID)
					}
					break
				}
			}
		}
		if err != nil {
			return fail(err)
		}
	}
}

// The crash test: a real process changes secrets, signing keys and tenants
// in a loop and is killed with SIGKILL at a random moment, several times
// over the same store. After each kill the store opens (SQLite: passes its
// integrity check), a new server starts on it, and every change the killed
// process had been told was committed is there: nothing acknowledged is
// lost (at most the one change committed but not yet logged differs), one
// key signs, and a token is issued with the newest logged secret.
func TestCrashDuringSecretKeyAndTenantChanges(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		runCrash(t, crashJob{Kind: "sqlite", Path: filepath.Join(t.TempDir(), "auth.db")})
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := os.Getenv("PATIENTSFHIR_TEST_POSTGRES_DSN")
		if dsn == "" {
			t.Skip("PATIENTSFHIR_TEST_POSTGRES_DSN is not set; run `source .ci/postgres.sh` to start a throwaway server")
		}
		runCrash(t, crashJob{Kind: "postgres", Path: crashSchema(t, dsn)})
	})
}

// crashSchema makes a schema of its own for the test and returns the DSN
// that uses it.
func crashSchema(t *testing.T, dsn string) string {
	t.Helper()
	admin, err := sql.Open("pgx", dsn)
	require.NoError(t, err)
	defer admin.Close()
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "pfcrash_" + hex.EncodeToString(b[:])
	_, err = admin.Exec(`CREATE SCHEMA ` + schema)
	require.NoError(t, err)
	t.Cleanup(func() {
		if a, err := sql.Open("pgx", dsn); err == nil {
			_, _ = a.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
			a.Close()
		}
	})
	u, err := url.Parse(dsn)
	require.NoError(t, err)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func runCrash(t *testing.T, j crashJob) {
	j.Log = filepath.Join(t.TempDir(), "acknowledged.log")
	self, err := os.Executable()
	require.NoError(t, err)
	const kills = 4
	logged := 0
	for k := range kills {
		j.Seed = uint64(k + 1)
		job, err := json.Marshal(j)
		require.NoError(t, err)
		cmd := exec.Command(self, "-test.run=^$")
		cmd.Env = append(os.Environ(), crashEnv+"="+string(job))
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		require.NoError(t, err)
		require.NoError(t, cmd.Start())
		running := make(chan bool, 1)
		go func() {
			sc := bufio.NewScanner(out)
			running <- sc.Scan() && sc.Text() == "running"
			for sc.Scan() {
			}
		}()
		select {
		case ok := <-running:
			require.True(t, ok, "the helper process did not start")
		case <-time.After(2 * time.Minute):
			_ = cmd.Process.Kill()
			require.FailNow(t, "the helper process did not start in time")
		}
		time.Sleep(time.Duration(300+mrand.IntN(700)) * time.Millisecond)
		require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		err = cmd.Wait()
		var ee *exec.ExitError
		require.ErrorAs(t, err, &ee, "the helper ended on its own: %v", err)
		require.Equal(t, syscall.SIGKILL, ee.Sys().(syscall.WaitStatus).Signal(), "the helper failed before it was killed")
		before := logged
		logged = checkAfterCrash(t, j, k+1)
		require.Greater(t, logged, before, "the helper acknowledged nothing before it was killed")
		t.Logf("kill %d: %d changes acknowledged so far", k+1, logged)
	}
}

// checkAfterCrash reopens the store and compares it with the log of
// acknowledged changes; it returns how many there are.
func checkAfterCrash(t *testing.T, j crashJob, kills int) int {
	t.Helper()
	ctx := context.Background()
	st, err := openCrashStore(ctx, j)
	require.NoError(t, err, "the store does not open after a crash")
	defer st.Close()
	if j.Kind == "sqlite" {
		var check string
		require.NoError(t, st.w.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&check))
		require.Equal(t, "ok", check)
	}
	b, err := os.ReadFile(j.Log)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	require.NotEmpty(t, lines)

	c, err := st.GetClient(ctx, crashClient)
	require.NoError(t, err, "the client is gone")
	secretState := map[string]string{} // id -> active, revoked (absent: pruned)
	for _, s := range c.Secrets {
		secretState[s.ID] = "active"
		if !s.RevokedAt.IsZero() {
			secretState[s.ID] = "revoked"
		}
	}
	keys, err := st.ListKeys(ctx)
	require.NoError(t, err)
	keyState := map[string]auth.KeyState{}
	for _, k := range keys {
		keyState[k.KID] = k.State
	}
	tenants, err := st.ListTenants(ctx)
	require.NoError(t, err)
	tenantState := map[string]routing.State{}
	for _, tn := range tenants {
		tenantState[tn.ID] = tn.State
	}

	// What the log says, change by change; a fact a later logged change
	// undid is not checked.
	added, revoked := map[string]string{}, map[string]bool{}
	var order []string
	keyActive, keyRemoved := map[string]bool{}, map[string]bool{}
	tenantAdded, tenantDisabled := map[string]bool{}, map[string]bool{}
	for _, l := range lines {
		f := strings.Fields(l)
		switch f[0] {
		case "secret-added":
			added[f[1]] = f[2]
			order = append(order, f[1])
		case "secret-revoked":
			revoked[f[1]] = true
		case "key-active":
			keyActive[f[1]] = true
		case "key-removed":
			keyRemoved[f[1]] = true
		case "tenant-added":
			tenantAdded[f[1]] = true
		case "tenant-disabled":
			tenantDisabled[f[1]] = true
		default:
			require.FailNow(t, "bad log line", "%q", l)
		}
	}
	// Changes committed but not logged: at most one per kill.
	unlogged := 0
	// The registry prunes the oldest inactive secret records beyond ten, so
	// a secret whose revocation was committed but not logged (the kill fell
	// between the two) may be gone later: only if it is older than every
	// secret the store still has. A missing newer one is lost.
	oldestKept := len(order)
	for i, id := range order {
		if secretState[id] != "" {
			oldestKept = i
			break
		}
	}
	for i, id := range order {
		switch s := secretState[id]; {
		case revoked[id]:
			assert.NotEqual(t, "active", s, "secret %s was revoked and is active again", id)
		case s == "" && i < oldestKept:
			unlogged++ // revoked unlogged, then pruned as the oldest
		case s == "":
			assert.Fail(t, "an acknowledged secret is lost", id)
		case s == "revoked":
			unlogged++
		}
	}
	for kid := range keyRemoved {
		_, ok := keyState[kid]
		assert.False(t, ok, "key %s was removed and is back", kid)
	}
	for kid := range keyActive {
		if _, ok := keyState[kid]; !ok && !keyRemoved[kid] {
			unlogged++ // retired by a later rotation and removed unlogged
		}
	}
	for id := range tenantAdded {
		s, ok := tenantState[id]
		assert.True(t, ok, "an acknowledged tenant is lost: %s", id)
		if tenantDisabled[id] {
			assert.Equal(t, routing.StateDisabled, s, "tenant %s was disabled and is active again", id)
		} else if s == routing.StateDisabled {
			unlogged++
		}
	}
	assert.LessOrEqual(t, unlogged, kills, "more changes differ from the log than there were kills")

	// A new node starts on the store and, after its first upkeep (which a
	// node runs every minute; it settles a rotation the crash cut in two),
	// one key signs and the newest live secret gets a token that verifies.
	srv, _, err := crashServer(ctx, st)
	require.NoError(t, err)
	require.NoError(t, srv.Keys().Maintain(ctx))
	infos, err := srv.Keys().List(ctx)
	require.NoError(t, err)
	active := 0
	for _, k := range infos {
		if k.State == auth.KeyActive {
			active++
		}
	}
	assert.Equal(t, 1, active, "not exactly one key signs after the crash")
	var newest string
	for _, id := range slices.Backward(order) {
		if secretState[id] == "active" {
			newest = added[id]
			break
		}
	}
	require.NotEmpty(t, newest, "no acknowledged secret is active")
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {crashClient}, "client_secret": {newest}, "scope": {crashTenant}}
	tok, err := postToken(srv, form)
	require.NoError(t, err)
	_, err = srv.Verifier().Verify(ctx, tok)
	require.NoError(t, err)
	return len(lines)
}

// postToken asks srv's token endpoint for a token.
func postToken(srv *auth.Server, form url.Values) (string, error) {
	r, err := http.NewRequest(http.MethodPost, "https://auth.example.com/token", strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := &recorder{header: http.Header{}}
	srv.Handler().ServeHTTP(w, r)
	if w.code != http.StatusOK {
		return "", fmt.Errorf("token: %d %s", w.code, w.body)
	}
	var tr auth.TokenResponse
	if err := json.Unmarshal(w.body, &tr); err != nil {
		return "", err
	}
	return tr.AccessToken, nil
}

// recorder is a minimal http.ResponseWriter.
type recorder struct {
	header http.Header
	code   int
	body   []byte
}

func (w *recorder) Header() http.Header { return w.header }
func (w *recorder) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	w.body = append(w.body, b...)
	return len(b), nil
}
func (w *recorder) WriteHeader(code int) { w.code = code }
