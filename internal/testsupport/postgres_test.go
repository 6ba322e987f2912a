package testsupport

import (
	"database/sql"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// WithSearchPath sets the schema in both DSN forms, replacing a URL's own.
func TestWithSearchPath(t *testing.T) {
	for dsn, want := range map[string]string{
		"postgres://u@h:5432/db?sslmode=disable": "postgres://u@h:5432/db?search_path=s1&sslmode=disable",
		"postgresql://u@h/db?search_path=old":    "postgresql://u@h/db?search_path=s1",
		"host=h user=u dbname=db":                "host=h user=u dbname=db search_path=s1",
		"postgres://u:p%40ss@h/db":               "postgres://u:p%40ss@h/db?search_path=s1",
	} {
		got, err := WithSearchPath(dsn, "s1")
		require.NoError(t, err, dsn)
		assert.Equal(t, want, got, dsn)
	}
	_, err := WithSearchPath("postgres://u:secret@h:bad port/db", "s1")
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "secret", "an error quotes the password")
}

// PostgresSchema gives each test an empty schema of its own, selected by
// the DSN's search_path, and drops it at the test's cleanup.
func TestPostgresSchema(t *testing.T) {
	var dsn string
	var schema string
	t.Run("a test", func(t *testing.T) {
		dsn = PostgresSchema(t)
		db, err := sql.Open("pgx", dsn)
		require.NoError(t, err)
		defer db.Close()
		require.NoError(t, db.QueryRow(`SELECT current_schema()`).Scan(&schema))
		assert.Regexp(t, `^pftest_[0-9a-f]{16}$`, schema)
		var tables int
		require.NoError(t, db.QueryRow(`SELECT count(*) FROM information_schema.tables WHERE table_schema = $1`, schema).Scan(&tables))
		assert.Zero(t, tables, "the schema is not empty")
		_, err = db.Exec(`CREATE TABLE t (x INT)`)
		require.NoError(t, err)
		assert.NotEqual(t, dsn, PostgresSchema(t), "two schemas share a DSN")
	})
	if dsn == "" {
		t.Skip("skipped without a server")
	}
	db, err := sql.Open("pgx", dsn)
	require.NoError(t, err)
	defer db.Close()
	var n int
	require.NoError(t, db.QueryRow(`SELECT count(*) FROM information_schema.schemata WHERE schema_name = $1`, schema).Scan(&n))
	assert.Zero(t, n, "the schema outlived its test")
}
