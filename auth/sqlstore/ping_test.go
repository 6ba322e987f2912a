package sqlstore_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Ping answers while the database does and fails once it is closed.
func TestPing(t *testing.T) {
	s := openSQLite(t, filepath.Join(t.TempDir(), "auth.db"))
	require.NoError(t, s.Ping(context.Background()))
	require.NoError(t, s.Close())
	assert.Error(t, s.Ping(context.Background()))
}
