package pgdsn

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// TestMain fails the package's tests when a goroutine outlives them.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// WithSearchPath sets the schema in both DSN forms, replacing a URL's own,
// and never quotes a DSN in its error.
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
