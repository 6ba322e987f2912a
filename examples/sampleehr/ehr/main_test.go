package ehr

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/patientsfhir/patientsfhir/capability"
	"github.com/patientsfhir/patientsfhir/dstu2"
	"github.com/patientsfhir/patientsfhir/examples/sampleehr/population"
	"github.com/patientsfhir/patientsfhir/internal/testsupport"
	"github.com/patientsfhir/patientsfhir/stu3"
)

// Two tenants with overlapping ids (pat-1 ... pat-N in both) and
// different data.
const (
	tenantA = "7f2c1d9e-0b4a-4c55-9a21-3e8d6f1b2a01"
	tenantB = "c41e8a77-5d36-4f0e-b2c9-98a0f4e61d22"
	size    = 400
)

// The dialects every test of the data runs on. PostgreSQL's tests skip
// when PATIENTSFHIR_TEST_POSTGRES_DSN is unset.
const (
	sqlite   = "sqlite"
	postgres = "postgres"
)

// eachDialect runs f as one subtest (or sub-benchmark) per dialect.
func eachDialect[T interface {
	testing.TB
	Run(string, func(T)) bool
}](t T, f func(t T, dialect string)) {
	for _, d := range []string{sqlite, postgres} {
		t.Run(d, func(t T) { f(t, d) })
	}
}

// needPostgres skips a PostgreSQL test without a server.
func needPostgres(t testing.TB, dialect string) {
	t.Helper()
	if dialect == postgres && os.Getenv(testsupport.PostgresDSNEnv) == "" {
		t.Skipf("%s is not set; run `source .ci/postgres.sh` to start a throwaway server", testsupport.PostgresDSNEnv)
	}
}

// open opens the database of dialect at addr: a file path or a DSN.
func open(ctx context.Context, dialect, addr string) (*DB, error) {
	if dialect == postgres {
		return OpenPostgres(ctx, addr)
	}
	return Open(ctx, addr)
}

// freshDB opens an empty database of dialect for one test (a file in the
// test's directory, or a schema of its own), closed at cleanup, and
// returns it with its address for open.
func freshDB(t testing.TB, dialect string) (*DB, string) {
	t.Helper()
	needPostgres(t, dialect)
	addr := filepath.Join(t.TempDir(), "ehr.db")
	if dialect == postgres {
		addr = testsupport.PostgresSchema(t)
	}
	db, err := open(context.Background(), dialect, addr)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db, addr
}

// sharedDB is the database of one dialect shared by the tests, seeded once
// with both tenants.
type sharedDB struct {
	once sync.Once
	db   *DB
	pops map[string]*population.Population
	err  error
	// drop drops the PostgreSQL schema.
	drop func() error
}

var (
	shared    = map[string]*sharedDB{sqlite: {}, postgres: {}}
	sharedDir string
)

// seeded returns the database of dialect shared by the tests, seeded once
// with both tenants.
func seeded(t testing.TB, dialect string) (*DB, map[string]*population.Population) {
	t.Helper()
	needPostgres(t, dialect)
	s := shared[dialect]
	s.once.Do(func() {
		ctx := context.Background()
		addr := filepath.Join(sharedDir, "ehr.db")
		if dialect == postgres {
			if addr, s.drop, s.err = testsupport.NewPostgresSchema(ctx, os.Getenv(testsupport.PostgresDSNEnv)); s.err != nil {
				return
			}
		}
		if s.db, s.err = open(ctx, dialect, addr); s.err != nil {
			return
		}
		s.pops = map[string]*population.Population{}
		for _, tenant := range []string{tenantA, tenantB} {
			p, err := population.New(population.Options{Tenant: tenant, Patients: size})
			if err != nil {
				s.err = err
				return
			}
			if _, err := s.db.Seed(ctx, p); err != nil {
				s.err = err
				return
			}
			s.pops[tenant] = p
		}
	})
	require.NoError(t, s.err)
	return s.db, s.pops
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "sampleehr-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	sharedDir = dir
	code := m.Run()
	for _, s := range shared {
		if s.db != nil {
			s.db.Close()
		}
		if s.drop != nil {
			if err := s.drop(); err != nil {
				fmt.Fprintln(os.Stderr, "drop the shared schema:", err)
				code = max(code, 1)
			}
		}
	}
	os.RemoveAll(dir)
	// No goroutine outlives the tests once the shared databases are closed.
	if err := goleak.Find(); err != nil && code == 0 {
		fmt.Fprintln(os.Stderr, "goleak:", err)
		code = 1
	}
	os.Exit(code)
}

// The one place that builds the servers over the backends (the lead's
// wiring may change this call).
var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func stu3Handler(t testing.TB, b *STU3Backend) http.Handler {
	t.Helper()
	return stu3HandlerOf(t, b)
}

// stu3HandlerOf is stu3Handler over any STU3 backend.
func stu3HandlerOf(t testing.TB, b stu3.Backend) http.Handler {
	t.Helper()
	h, err := stu3.NewHandler(stu3.Config{Backend: b, BasePath: "/stu3", Profile: stu3.PatientsApp(), Logger: quiet,
		Security: &capability.Security{TokenURL: "https://ehr.example.org/token"}})
	require.NoError(t, err)
	return h
}

func dstu2Handler(t testing.TB, b *DSTU2Backend) http.Handler {
	t.Helper()
	h, err := dstu2.NewHandler(dstu2.Config{Backend: b, BasePath: "/dstu2", Profile: dstu2.PatientsApp(), Logger: quiet,
		Security: &capability.Security{TokenURL: "https://ehr.example.org/token"}})
	require.NoError(t, err)
	return h
}
