package sqlstore

import (
	"context"
	"database/sql"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/patientsfhir/patientsfhir/auth"
)

// A database written by the first release (schema version 1) is upgraded in place at open: the
// rows written before are kept and the new column works.
func TestSQLiteUpgradeFromVersion1(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "auth.db")
	w, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_txlock=immediate")
	require.NoError(t, err)
	w.SetMaxOpenConns(1)
	old := &Store{d: sqliteDialect, w: w, r: w}
	require.NoError(t, old.migrateWith(ctx, migrations[:1]))
	_, err = w.Exec(`INSERT INTO auth_clients (id, name, disabled, grant_types, tenants, scopes, token_ttl_ns, created_us, updated_us)
		VALUES ('legacy', 'from v1', FALSE, '["client_credentials"]', '[]', '[]', 0, ?, ?)`, zeroMicros, zeroMicros)
	require.NoError(t, err)
	v, err := old.AppliedVersions(ctx)
	require.NoError(t, err)
	require.True(t, slices.Equal(v, []int{1}), "before upgrade: %v %v", v, err)
	w.Close()

	s, err := OpenSQLite(ctx, path)
	require.NoError(t, err)
	defer s.Close()
	v, err = s.AppliedVersions(ctx)
	require.NoError(t, err)
	require.True(t, slices.Equal(v, []int{1, 2, 3}), "after upgrade: %v %v", v, err)
	c, err := s.GetClient(ctx, "legacy")
	require.NoError(t, err)
	require.Equal(t, "from v1", c.Name, "legacy client after upgrade: %+v %v", c, err)
	require.Nil(t, c.JWKS, "legacy client after upgrade: %+v %v", c, err)
	require.True(t, slices.Equal(c.GrantTypes, []string{"client_credentials"}), "legacy client after upgrade: %+v %v", c, err)
	jwks := []byte(`{"keys":[]}`)
	require.NoError(t, s.UpdateClient(ctx, "legacy", func(c *auth.Client) error { c.JWKS = jwks; return nil }))
	c, _ = s.GetClient(ctx, "legacy")
	require.Equal(t, string(jwks), string(c.JWKS), "JWKS after upgrade: %q", c.JWKS)
}

func TestPlaceholderRewrite(t *testing.T) {
	got := postgresDialect.q(`a = ? AND b IN (?, ?)`)
	require.Equal(t, `a = $1 AND b IN ($2, $3)`, got, "postgres: %q", got)
	got = sqliteDialect.q(`a = ?`)
	require.Equal(t, `a = ?`, got, "sqlite: %q", got)
}

// Another process holding the write lock longer than the busy timeout makes writes fail with
// auth.ErrUnavailable (the token endpoint's 503), promptly, while reads go on (WAL).
func TestSQLiteBusyIsUnavailable(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "auth.db")
	s, err := openSQLite(ctx, path, 100*time.Millisecond)
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, s.CreateClient(ctx, &auth.Client{ID: "c"}))
	other, err := sql.Open("sqlite", "file:"+path)
	require.NoError(t, err)
	defer other.Close()
	conn, err := other.Conn(ctx)
	require.NoError(t, err)
	defer conn.Close()
	_, err = conn.ExecContext(ctx, "BEGIN IMMEDIATE")
	require.NoError(t, err)
	start := time.Now()
	err = s.UpdateClient(ctx, "c", func(c *auth.Client) error { c.Name = "x"; return nil })
	require.ErrorIs(t, err, auth.ErrUnavailable, "write under another process's lock: %v, want ErrUnavailable", err)
	d := time.Since(start)
	require.False(t, d > 5*time.Second, "took %v, the busy timeout is 100ms", d)
	_, err = s.Deny(ctx, "k", time.Now().Add(time.Minute), time.Now())
	require.ErrorIs(t, err, auth.ErrUnavailable, "Deny under another process's lock: %v", err)
	_, err = s.GetClient(ctx, "c")
	require.NoError(t, err)
	_, err = conn.ExecContext(ctx, "ROLLBACK")
	require.NoError(t, err)
	err = s.UpdateClient(ctx, "c", func(c *auth.Client) error { c.Name = "x"; return nil })
	require.NoError(t, err)
}
