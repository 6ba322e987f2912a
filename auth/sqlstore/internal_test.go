package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/patientsfhir/patientsfhir/auth"
)

// A database written by the first release (schema version 1) is upgraded in place at open: the
// rows written before are kept and the new column works.
func TestSQLiteUpgradeFromVersion1(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "auth.db")
	w, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	w.SetMaxOpenConns(1)
	old := &Store{d: sqliteDialect, w: w, r: w}
	if err := old.migrateWith(ctx, migrations[:1]); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Exec(`INSERT INTO auth_clients (id, name, disabled, grant_types, tenants, scopes, token_ttl_ns, created_us, updated_us)
		VALUES ('legacy', 'from v1', FALSE, '["client_credentials"]', '[]', '[]', 0, ?, ?)`, zeroMicros, zeroMicros); err != nil {
		t.Fatal(err)
	}
	if v, err := old.AppliedVersions(ctx); err != nil || !slices.Equal(v, []int{1}) {
		t.Fatalf("before upgrade: %v %v", v, err)
	}
	w.Close()

	s, err := OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if v, err := s.AppliedVersions(ctx); err != nil || !slices.Equal(v, []int{1, 2, 3}) {
		t.Fatalf("after upgrade: %v %v", v, err)
	}
	c, err := s.GetClient(ctx, "legacy")
	if err != nil || c.Name != "from v1" || c.JWKS != nil || !slices.Equal(c.GrantTypes, []string{"client_credentials"}) {
		t.Fatalf("legacy client after upgrade: %+v %v", c, err)
	}
	jwks := []byte(`{"keys":[]}`)
	if err := s.UpdateClient(ctx, "legacy", func(c *auth.Client) error { c.JWKS = jwks; return nil }); err != nil {
		t.Fatal(err)
	}
	if c, _ := s.GetClient(ctx, "legacy"); string(c.JWKS) != string(jwks) {
		t.Fatalf("JWKS after upgrade: %q", c.JWKS)
	}
}

func TestPlaceholderRewrite(t *testing.T) {
	if got := postgresDialect.q(`a = ? AND b IN (?, ?)`); got != `a = $1 AND b IN ($2, $3)` {
		t.Fatalf("postgres: %q", got)
	}
	if got := sqliteDialect.q(`a = ?`); got != `a = ?` {
		t.Fatalf("sqlite: %q", got)
	}
}

// Another process holding the write lock longer than the busy timeout makes writes fail with
// auth.ErrUnavailable (the token endpoint's 503), promptly, while reads go on (WAL).
func TestSQLiteBusyIsUnavailable(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "auth.db")
	s, err := openSQLite(ctx, path, 100*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.CreateClient(ctx, &auth.Client{ID: "c"}); err != nil {
		t.Fatal(err)
	}
	other, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = s.UpdateClient(ctx, "c", func(c *auth.Client) error { c.Name = "x"; return nil })
	if !errors.Is(err, auth.ErrUnavailable) {
		t.Fatalf("write under another process's lock: %v, want ErrUnavailable", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("took %v, the busy timeout is 100ms", d)
	}
	if _, err := s.Deny(ctx, "k", time.Now().Add(time.Minute), time.Now()); !errors.Is(err, auth.ErrUnavailable) {
		t.Fatalf("Deny under another process's lock: %v", err)
	}
	if _, err := s.GetClient(ctx, "c"); err != nil {
		t.Fatalf("a read blocked by a writer: %v", err)
	}
	if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateClient(ctx, "c", func(c *auth.Client) error { c.Name = "x"; return nil }); err != nil {
		t.Fatalf("after the lock is gone: %v", err)
	}
}
