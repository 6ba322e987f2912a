package sqlstore_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patientsfhir/patientsfhir/auth"
	"github.com/patientsfhir/patientsfhir/auth/sqlstore"
	"github.com/patientsfhir/patientsfhir/auth/storetest"
	"github.com/patientsfhir/patientsfhir/internal/testsupport"
)

// --- SQLite --------------------------------------------------------------------------------

func openSQLite(t testing.TB, path string) *sqlstore.Store {
	t.Helper()
	s, err := sqlstore.OpenSQLite(context.Background(), path)
	require.NoError(t, err)
	return s
}

func TestSQLiteConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) auth.Store {
		return openSQLite(t, filepath.Join(t.TempDir(), "auth.db"))
	})
}

func TestSQLiteDurable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dir with space", "auth#1.db")
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o700))
	storetest.RunDurable(t, func(t *testing.T) auth.Store { return openSQLite(t, path) })
	_, err := os.Stat(path)
	require.NoError(t, err)
}

func TestSQLiteMigrationsIdempotent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "auth.db")
	for range 3 {
		s := openSQLite(t, path)
		v, err := s.AppliedVersions(context.Background())
		s.Close()
		require.NoError(t, err)
		require.Equal(t, sqlstore.SchemaVersion, len(v), "applied versions %v, %v; want 1..%d once each", v, err, sqlstore.SchemaVersion)
		require.Equal(t, sqlstore.SchemaVersion, v[len(v)-1], "applied versions %v, %v; want 1..%d once each", v, err, sqlstore.SchemaVersion)
	}
}

func TestSQLiteRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "auth.db")
	openSQLite(t, path).Close()
	db, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	_, err = db.Exec(`INSERT INTO auth_schema_migrations (version, name, applied_us) VALUES (?, 'from the future', 0)`, sqlstore.SchemaVersion+1)
	require.NoError(t, err)
	db.Close()
	_, err = sqlstore.OpenSQLite(context.Background(), path)
	require.ErrorIs(t, err, sqlstore.ErrSchemaTooNew, "OpenSQLite on a newer schema: %v, want ErrSchemaTooNew", err)
}

func TestSQLiteOpenErrors(t *testing.T) {
	ctx := context.Background()
	for _, p := range []string{"", ":memory:", "file:x.db?mode=memory"} {
		_, err := sqlstore.OpenSQLite(ctx, p)
		assert.Error(t, err, "OpenSQLite(%q) accepted", p)
	}
	missing := filepath.Join(t.TempDir(), "no", "such", "dir", "auth.db")
	_, err := sqlstore.OpenSQLite(ctx, missing)
	assert.Error(t, err, "OpenSQLite in a missing directory succeeded")
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = sqlstore.OpenSQLite(cancelled, filepath.Join(t.TempDir(), "a.db"))
	assert.ErrorIs(t, err, context.Canceled, "OpenSQLite with a cancelled context: %v", err)
}

// Two Store values on one file behave like two processes: each has its own connections, and
// BEGIN IMMEDIATE with the busy timeout still serialises their read-modify-writes.
func TestSQLiteTwoOpenersSerialise(t *testing.T) {
	path := filepath.Join(t.TempDir(), "auth.db")
	a, b := openSQLite(t, path), openSQLite(t, path)
	defer a.Close()
	defer b.Close()
	ctx := context.Background()
	require.NoError(t, a.CreateClient(ctx, &auth.Client{ID: "c"}))
	const n = 10
	var wg sync.WaitGroup
	for i := range 2 * n {
		s := a
		if i%2 == 1 {
			s = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			assert.NoError(t, s.UpdateClient(ctx, "c", func(c *auth.Client) error { c.TokenTTL++; return nil }))
		}()
	}
	wg.Wait()
	c, err := b.GetClient(ctx, "c")
	require.NoError(t, err)
	require.Equal(t, time.Duration(2*n), c.TokenTTL, "counter %v after %d increments from two openers (%v)", c.TokenTTL, 2*n, err)
}

// --- PostgreSQL ----------------------------------------------------------------------------

func openPG(t testing.TB, dsn string) *sqlstore.Store {
	t.Helper()
	s, err := sqlstore.OpenPostgres(context.Background(), dsn)
	require.NoError(t, err)
	return s
}

func TestPostgresConformance(t *testing.T) {
	testsupport.PostgresSchema(t) // skip early without a server
	storetest.Run(t, func(t *testing.T) auth.Store { return openPG(t, testsupport.PostgresSchema(t)) })
}

func TestPostgresDurable(t *testing.T) {
	dsn := testsupport.PostgresSchema(t)
	storetest.RunDurable(t, func(t *testing.T) auth.Store { return openPG(t, dsn) })
}

// Several nodes starting at once on an empty database: the advisory lock makes exactly one of
// them create the schema and the others find it done.
func TestPostgresConcurrentOpen(t *testing.T) {
	dsn := testsupport.PostgresSchema(t)
	const nodes = 6
	var wg sync.WaitGroup
	stores := make([]*sqlstore.Store, nodes)
	errs := make([]error, nodes)
	start := make(chan struct{})
	for i := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			stores[i], errs[i] = sqlstore.OpenPostgres(context.Background(), dsn)
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err)
		defer stores[i].Close()
	}
	v, err := stores[0].AppliedVersions(context.Background())
	require.NoError(t, err)
	require.Equal(t, sqlstore.SchemaVersion, len(v), "applied versions %v, %v", v, err)
	// And they share one registry: a write on one node is read on another.
	ctx := context.Background()
	require.NoError(t, stores[1].CreateClient(ctx, &auth.Client{ID: "shared"}))
	_, err = stores[nodes-1].GetClient(ctx, "shared")
	require.NoError(t, err)
	// Concurrent "max two secrets" across nodes.
	nodeStores := make([]auth.Store, nodes)
	for i, st := range stores {
		nodeStores[i] = st
	}
	storetest.RaceSecrets(t, nodeStores, "shared", 12)
}

func TestPostgresRefusesNewerSchema(t *testing.T) {
	dsn := testsupport.PostgresSchema(t)
	openPG(t, dsn).Close()
	db, err := sql.Open("pgx", dsn)
	require.NoError(t, err)
	defer db.Close()
	_, err = db.Exec(`INSERT INTO auth_schema_migrations (version, name, applied_us) VALUES ($1, 'from the future', 0)`, sqlstore.SchemaVersion+1)
	require.NoError(t, err)
	_, err = sqlstore.OpenPostgres(context.Background(), dsn)
	require.ErrorIs(t, err, sqlstore.ErrSchemaTooNew, "OpenPostgres on a newer schema: %v, want ErrSchemaTooNew", err)
}

// Connection failures are ErrUnavailable and never echo the password.
func TestPostgresUnreachableKeepsPasswordOut(t *testing.T) {
	const pw = "SENTINEL-pw-7f3a"
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, dsn := range []string{
		"postgres://fhir:" + pw + "@127.0.0.1:1/db?sslmode=disable&connect_timeout=2",
		"host=127.0.0.1 port=1 user=fhir password=" + pw + " dbname=db sslmode=disable connect_timeout=2",
		"postgres://fhir:" + pw + "@127.0.0.1:notaport/db",
		"postgres://fhir:" + pw + "@127.0.0.1/db?sslmode=nonsense",
	} {
		_, err := sqlstore.OpenPostgres(ctx, dsn)
		require.Error(t, err, "OpenPostgres(unreachable) succeeded")
		require.NotContains(t, err.Error(), pw, "error carries the password: %v", err)
	}
	_, err := sqlstore.OpenPostgres(ctx, "postgres://fhir:"+pw+"@127.0.0.1:1/db?sslmode=disable&connect_timeout=2")
	require.ErrorIs(t, err, auth.ErrUnavailable, "unreachable server: %v, want ErrUnavailable", err)
}
