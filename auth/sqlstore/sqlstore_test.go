package sqlstore_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/patientsfhir/patientsfhir/auth"
	"github.com/patientsfhir/patientsfhir/auth/sqlstore"
	"github.com/patientsfhir/patientsfhir/auth/storetest"
)

// --- SQLite --------------------------------------------------------------------------------

func openSQLite(t testing.TB, path string) *sqlstore.Store {
	t.Helper()
	s, err := sqlstore.OpenSQLite(context.Background(), path)
	if err != nil {
		t.Fatalf("OpenSQLite: %v", err)
	}
	return s
}

func TestSQLiteConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) auth.Store {
		return openSQLite(t, filepath.Join(t.TempDir(), "auth.db"))
	})
}

func TestSQLiteDurable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dir with space", "auth#1.db")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	storetest.RunDurable(t, func(t *testing.T) auth.Store { return openSQLite(t, path) })
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the database is not at the path given: %v", err)
	}
}

func TestSQLiteMigrationsIdempotent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "auth.db")
	for range 3 {
		s := openSQLite(t, path)
		v, err := s.AppliedVersions(context.Background())
		s.Close()
		if err != nil || len(v) != sqlstore.SchemaVersion || v[len(v)-1] != sqlstore.SchemaVersion {
			t.Fatalf("applied versions %v, %v; want 1..%d once each", v, err, sqlstore.SchemaVersion)
		}
	}
}

func TestSQLiteRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "auth.db")
	openSQLite(t, path).Close()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO auth_schema_migrations (version, name, applied_us) VALUES (?, 'from the future', 0)`, sqlstore.SchemaVersion+1); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := sqlstore.OpenSQLite(context.Background(), path); !errors.Is(err, sqlstore.ErrSchemaTooNew) {
		t.Fatalf("OpenSQLite on a newer schema: %v, want ErrSchemaTooNew", err)
	}
}

func TestSQLiteOpenErrors(t *testing.T) {
	ctx := context.Background()
	for _, p := range []string{"", ":memory:", "file:x.db?mode=memory"} {
		if _, err := sqlstore.OpenSQLite(ctx, p); err == nil {
			t.Errorf("OpenSQLite(%q) accepted", p)
		}
	}
	missing := filepath.Join(t.TempDir(), "no", "such", "dir", "auth.db")
	if _, err := sqlstore.OpenSQLite(ctx, missing); err == nil {
		t.Error("OpenSQLite in a missing directory succeeded")
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := sqlstore.OpenSQLite(cancelled, filepath.Join(t.TempDir(), "a.db")); !errors.Is(err, context.Canceled) {
		t.Errorf("OpenSQLite with a cancelled context: %v", err)
	}
}

// Two Store values on one file behave like two processes: each has its own connections, and
// BEGIN IMMEDIATE with the busy timeout still serialises their read-modify-writes.
func TestSQLiteTwoOpenersSerialise(t *testing.T) {
	path := filepath.Join(t.TempDir(), "auth.db")
	a, b := openSQLite(t, path), openSQLite(t, path)
	defer a.Close()
	defer b.Close()
	ctx := context.Background()
	if err := a.CreateClient(ctx, &auth.Client{ID: "c"}); err != nil {
		t.Fatal(err)
	}
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
			if err := s.UpdateClient(ctx, "c", func(c *auth.Client) error { c.TokenTTL++; return nil }); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	c, err := b.GetClient(ctx, "c")
	if err != nil || c.TokenTTL != 2*n {
		t.Fatalf("counter %v after %d increments from two openers (%v)", c.TokenTTL, 2*n, err)
	}
}

// --- PostgreSQL ----------------------------------------------------------------------------

const dsnEnv = "PATIENTSFHIR_TEST_POSTGRES_DSN"

var (
	adminOnce sync.Once
	adminDB   *sql.DB
	adminErr  error
)

// pgSchemaDSN creates an empty schema for one test (dropped at cleanup) and returns a DSN whose
// search_path selects it, so that tests and packages running in parallel never share tables.
// It skips the test only when PATIENTSFHIR_TEST_POSTGRES_DSN is unset.
func pgSchemaDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(dsnEnv)
	if dsn == "" {
		t.Skipf("%s is not set; run `source .ci/postgres.sh` to start a throwaway server", dsnEnv)
	}
	adminOnce.Do(func() {
		adminDB, adminErr = sql.Open("pgx", dsn)
		if adminErr == nil {
			adminDB.SetMaxOpenConns(4)
			adminErr = adminDB.Ping()
		}
	})
	if adminErr != nil {
		t.Fatalf("%s is set but the server does not answer: %v", dsnEnv, adminErr)
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	schema := "pftest_" + hex.EncodeToString(b[:])
	if _, err := adminDB.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := adminDB.Exec(`DROP SCHEMA ` + schema + ` CASCADE`); err != nil {
			t.Errorf("drop schema: %v", err)
		}
	})
	return withSearchPath(t, dsn, schema)
}

func withSearchPath(t testing.TB, dsn, schema string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatalf("%s: %v", dsnEnv, err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return dsn + " search_path=" + schema
}

func openPG(t testing.TB, dsn string) *sqlstore.Store {
	t.Helper()
	s, err := sqlstore.OpenPostgres(context.Background(), dsn)
	if err != nil {
		t.Fatalf("OpenPostgres: %v", err)
	}
	return s
}

func TestPostgresConformance(t *testing.T) {
	pgSchemaDSN(t) // skip early without a server
	storetest.Run(t, func(t *testing.T) auth.Store { return openPG(t, pgSchemaDSN(t)) })
}

func TestPostgresDurable(t *testing.T) {
	dsn := pgSchemaDSN(t)
	storetest.RunDurable(t, func(t *testing.T) auth.Store { return openPG(t, dsn) })
}

// Several nodes starting at once on an empty database: the advisory lock makes exactly one of
// them create the schema and the others find it done.
func TestPostgresConcurrentOpen(t *testing.T) {
	dsn := pgSchemaDSN(t)
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
		if err != nil {
			t.Fatalf("node %d: %v", i, err)
		}
		defer stores[i].Close()
	}
	v, err := stores[0].AppliedVersions(context.Background())
	if err != nil || len(v) != sqlstore.SchemaVersion {
		t.Fatalf("applied versions %v, %v", v, err)
	}
	// And they share one registry: a write on one node is read on another.
	ctx := context.Background()
	if err := stores[1].CreateClient(ctx, &auth.Client{ID: "shared"}); err != nil {
		t.Fatal(err)
	}
	if _, err := stores[nodes-1].GetClient(ctx, "shared"); err != nil {
		t.Fatalf("other node: %v", err)
	}
	// Concurrent "max two secrets" across nodes.
	nodeStores := make([]auth.Store, nodes)
	for i, st := range stores {
		nodeStores[i] = st
	}
	storetest.RaceSecrets(t, nodeStores, "shared", 12)
}

func TestPostgresRefusesNewerSchema(t *testing.T) {
	dsn := pgSchemaDSN(t)
	openPG(t, dsn).Close()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`INSERT INTO auth_schema_migrations (version, name, applied_us) VALUES ($1, 'from the future', 0)`, sqlstore.SchemaVersion+1); err != nil {
		t.Fatal(err)
	}
	if _, err := sqlstore.OpenPostgres(context.Background(), dsn); !errors.Is(err, sqlstore.ErrSchemaTooNew) {
		t.Fatalf("OpenPostgres on a newer schema: %v, want ErrSchemaTooNew", err)
	}
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
		if err == nil {
			t.Fatalf("OpenPostgres(unreachable) succeeded")
		}
		if strings.Contains(err.Error(), pw) {
			t.Fatalf("error carries the password: %v", err)
		}
	}
	_, err := sqlstore.OpenPostgres(ctx, "postgres://fhir:"+pw+"@127.0.0.1:1/db?sslmode=disable&connect_timeout=2")
	if !errors.Is(err, auth.ErrUnavailable) {
		t.Fatalf("unreachable server: %v, want ErrUnavailable", err)
	}
}
