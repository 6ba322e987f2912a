package sqlstore_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patientsfhir/patientsfhir/auth"
	"github.com/patientsfhir/patientsfhir/auth/sqlstore"
)

// TestSQLiteFileIsPrivate: the database holds secret hashes and sealed
// private keys, so a new file (and its WAL companions) is readable by its
// owner only; an existing file keeps the mode its owner chose.
func TestSQLiteFileIsPrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "auth.db")
	s, err := sqlstore.OpenSQLite(t.Context(), path)
	require.NoError(t, err)
	require.NoError(t, s.CreateClient(t.Context(), &auth.Client{ID: "c", CreatedAt: time.Now(), UpdatedAt: time.Now()}))
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if os.IsNotExist(err) && p != path {
			continue
		}
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), p)
	}
	require.NoError(t, s.Close())

	existing := filepath.Join(t.TempDir(), "shared.db")
	require.NoError(t, os.WriteFile(existing, nil, 0o640))
	require.NoError(t, os.Chmod(existing, 0o640))
	s, err = sqlstore.OpenSQLite(t.Context(), existing)
	require.NoError(t, err)
	require.NoError(t, s.Close())
	fi, err := os.Stat(existing)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o640), fi.Mode().Perm())
}
