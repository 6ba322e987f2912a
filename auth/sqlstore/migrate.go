package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrSchemaTooNew is returned by the Open functions when the database has migrations this code
// does not know: it was upgraded by a newer release, and writing to it could lose data.
var ErrSchemaTooNew = errors.New("sqlstore: database schema is newer than this program")

// migration is one schema step. Statements use {{bytes}} for the byte-string column type.
type migration struct {
	version int
	name    string
	stmts   []string
}

// migrations are applied in order; never edit a released one, append a new one.
var migrations = []migration{
	{1, "clients, secrets, signing keys, deny-list", []string{
		`CREATE TABLE auth_clients (
			id           TEXT PRIMARY KEY,
			name         TEXT NOT NULL,
			disabled     BOOLEAN NOT NULL,
			grant_types  TEXT NOT NULL,
			tenants      TEXT NOT NULL,
			scopes       TEXT NOT NULL,
			token_ttl_ns BIGINT NOT NULL,
			created_us   BIGINT NOT NULL,
			updated_us   BIGINT NOT NULL
		)`,
		`CREATE TABLE auth_client_secrets (
			client_id  TEXT NOT NULL REFERENCES auth_clients (id) ON DELETE CASCADE,
			pos        INTEGER NOT NULL,
			id         TEXT NOT NULL,
			hash       {{bytes}} NOT NULL,
			alg        TEXT NOT NULL,
			hint       TEXT NOT NULL,
			created_us BIGINT NOT NULL,
			expires_us BIGINT NOT NULL,
			revoked_us BIGINT NOT NULL,
			PRIMARY KEY (client_id, pos)
		)`,
		`CREATE TABLE auth_signing_keys (
			kid                TEXT PRIMARY KEY,
			alg                TEXT NOT NULL,
			state              TEXT NOT NULL,
			public_key         {{bytes}} NOT NULL,
			sealed_private_key {{bytes}} NOT NULL,
			created_us         BIGINT NOT NULL,
			activated_us       BIGINT NOT NULL,
			retired_us         BIGINT NOT NULL
		)`,
		`CREATE TABLE auth_denylist (
			key      TEXT PRIMARY KEY,
			until_us BIGINT NOT NULL
		)`,
		`CREATE INDEX auth_denylist_until ON auth_denylist (until_us)`,
	}},
	{2, "client JWK Set for private_key_jwt", []string{
		`ALTER TABLE auth_clients ADD COLUMN jwks {{bytes}}`,
	}},
	{3, "tenant registry (package routing)", []string{
		`CREATE TABLE routing_tenants (
			id         TEXT PRIMARY KEY,
			name       TEXT NOT NULL,
			backend    TEXT NOT NULL,
			state      TEXT NOT NULL,
			created_us BIGINT NOT NULL,
			updated_us BIGINT NOT NULL,
			revision   BIGINT NOT NULL
		)`,
		`CREATE INDEX routing_tenants_revision ON routing_tenants (revision)`,
		// One row per deleted tenant id (until it is created again), so that other nodes learn
		// about deletions incrementally.
		`CREATE TABLE routing_tenant_removals (
			id       TEXT PRIMARY KEY,
			revision BIGINT NOT NULL
		)`,
		`CREATE INDEX routing_tenant_removals_revision ON routing_tenant_removals (revision)`,
		// The store-wide revision counter: one row, updated first by every tenant write, so that
		// writes commit in revision order (see tenants.go).
		`CREATE TABLE routing_revision (
			one      INTEGER PRIMARY KEY CHECK (one = 1),
			revision BIGINT NOT NULL
		)`,
		`INSERT INTO routing_revision (one, revision) VALUES (1, 0)`,
	}},
}

// SchemaVersion is the highest migration version this package applies.
const SchemaVersion = 3

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS auth_schema_migrations (
	version    INTEGER PRIMARY KEY,
	name       TEXT NOT NULL,
	applied_us BIGINT NOT NULL
)`

// migrate applies the missing migrations in one transaction. On PostgreSQL an advisory lock
// taken first makes concurrent openers wait, then find the work done.
func (s *Store) migrate(ctx context.Context) error {
	return s.migrateWith(ctx, migrations)
}

func (s *Store) migrateWith(ctx context.Context, migrations []migration) (err error) {
	const op = "migrate schema"
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return wrap(s.d, ctx, op, err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if s.d.migrationLock != "" {
		if _, err := tx.ExecContext(ctx, s.d.migrationLock); err != nil {
			return wrap(s.d, ctx, op, err)
		}
	}
	if _, err := tx.ExecContext(ctx, createMigrationsTable); err != nil {
		return wrap(s.d, ctx, op, err)
	}
	applied := map[int]bool{}
	rows, err := tx.QueryContext(ctx, `SELECT version FROM auth_schema_migrations`)
	if err != nil {
		return wrap(s.d, ctx, op, err)
	}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return wrap(s.d, ctx, op, err)
		}
		if known := migrations[len(migrations)-1].version; v > known {
			rows.Close()
			return fmt.Errorf("%w: it has migration %d, this program knows up to %d", ErrSchemaTooNew, v, known)
		}
		applied[v] = true
	}
	if err := rows.Close(); err != nil {
		return wrap(s.d, ctx, op, err)
	}
	if err := rows.Err(); err != nil {
		return wrap(s.d, ctx, op, err)
	}
	for _, m := range migrations {
		if applied[m.version] {
			continue
		}
		for _, stmt := range m.stmts {
			stmt = strings.ReplaceAll(stmt, "{{bytes}}", s.d.bytesType)
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return wrap(s.d, ctx, fmt.Sprintf("%s: migration %d", op, m.version), err)
			}
		}
		if _, err := tx.ExecContext(ctx, s.d.q(`INSERT INTO auth_schema_migrations (version, name, applied_us) VALUES (?, ?, ?)`),
			m.version, m.name, time.Now().UnixMicro()); err != nil {
			return wrap(s.d, ctx, op, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return wrap(s.d, ctx, op, err)
	}
	return nil
}

// AppliedVersions lists the migration versions recorded in the database, in order.
func (s *Store) AppliedVersions(ctx context.Context) ([]int, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT version FROM auth_schema_migrations ORDER BY version`)
	if err != nil {
		return nil, wrap(s.d, ctx, "read schema versions", err)
	}
	defer rows.Close()
	var out []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, wrap(s.d, ctx, "read schema versions", err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(s.d, ctx, "read schema versions", err)
	}
	return out, nil
}
