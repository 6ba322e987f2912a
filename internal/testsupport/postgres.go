package testsupport

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patientsfhir/patientsfhir/internal/pgdsn"
)

// PostgresDSNEnv names the environment variable that holds the DSN of the
// PostgreSQL server the tests may use (`source .ci/postgres.sh` starts a
// throwaway one and sets it). Tests that need PostgreSQL skip without it.
const PostgresDSNEnv = "PATIENTSFHIR_TEST_POSTGRES_DSN"

// PostgresSchema creates an empty schema for one test and returns a DSN
// whose search_path selects it, so that tests and packages running in
// parallel never share tables. The schema is dropped at the test's cleanup,
// and the administrative connection that created it is closed then too (no
// pool outlives the test: goleak stays quiet). It skips the test when
// PostgresDSNEnv is unset, and fails it when the server cannot be reached.
func PostgresSchema(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(PostgresDSNEnv)
	if dsn == "" {
		t.Skipf("%s is not set; run `source .ci/postgres.sh` to start a throwaway server", PostgresDSNEnv)
	}
	schemaDSN, drop, err := NewPostgresSchema(context.Background(), dsn)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, drop()) })
	return schemaDSN
}

// NewPostgresSchema creates an empty schema with a random name on the
// server at dsn and returns a DSN whose search_path selects it, and a
// function that drops it (with everything in it) and closes the
// administrative connection. It is for a schema that outlives one test,
// such as one shared by a package's tests and dropped in TestMain; a test
// of its own uses PostgresSchema. Its errors never quote dsn.
func NewPostgresSchema(ctx context.Context, dsn string) (schemaDSN string, drop func() error, err error) {
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		return "", nil, errors.New("testsupport: invalid PostgreSQL connection string")
	}
	admin.SetMaxOpenConns(1)
	var b [8]byte
	_, _ = rand.Read(b[:])
	schema := "pftest_" + hex.EncodeToString(b[:])
	if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
		admin.Close()
		return "", nil, fmt.Errorf("testsupport: create schema: %w", err)
	}
	drop = func() error {
		_, err := admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
		return errors.Join(err, admin.Close())
	}
	if schemaDSN, err = pgdsn.WithSearchPath(dsn, schema); err != nil {
		return "", nil, errors.Join(err, drop())
	}
	return schemaDSN, drop, nil
}
