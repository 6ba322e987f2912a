package testsupport

import (
	"database/sql"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

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
