package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/patientsfhir/patientsfhir/auth"
	"github.com/patientsfhir/patientsfhir/routing"
)

// Store is also the tenant registry's store: one Store serves auth and routing.
var _ routing.TenantStore = (*Store)(nil)

// Every tenant write first increments the one row of routing_revision in its transaction. On
// PostgreSQL that row lock is held until commit, so tenant writes serialise and commit in the
// order of the revisions they took (a sequence would not: a later number can commit first, and
// a reader that saw it would skip the earlier one for ever). On SQLite writes are serialised
// anyway. So a reader that sees revision R sees every write up to R, which is what
// TenantChanges relies on.

const tenantColumns = `id, name, backend, state, created_us, updated_us, revision`

func scanTenants(rows *sql.Rows) ([]routing.Tenant, error) {
	defer rows.Close()
	var out []routing.Tenant
	for rows.Next() {
		var (
			t                      routing.Tenant
			state                  string
			created, updated, revn int64
		)
		if err := rows.Scan(&t.ID, &t.Name, &t.Backend, &state, &created, &updated, &revn); err != nil {
			return nil, err
		}
		t.State = routing.State(state)
		t.CreatedAt, t.UpdatedAt, t.Revision = decTime(created), decTime(updated), uint64(revn)
		out = append(out, t)
	}
	return out, rows.Err()
}

// checkTenant refuses a record whose text cannot be stored exactly, naming the field only.
func checkTenant(t *routing.Tenant) error {
	if !storable(t.ID) || !storable(t.Name) || !storable(t.Backend) || !storable(string(t.State)) {
		return fmt.Errorf("sqlstore: tenant ID, Name, Backend or State is not storable text (NUL or invalid UTF-8): %w", routing.ErrInvalidTenant)
	}
	return nil
}

// tenantNotFound is the answer for an id that is absent (or could never have been stored).
func (s *Store) tenantNotFound(ctx context.Context, op, id string) error {
	if err := ctx.Err(); err != nil {
		return wrap(s.d, ctx, op, err)
	}
	return fmt.Errorf("sqlstore: tenant %q: %w", id, routing.ErrTenantNotFound)
}

// GetTenant implements [routing.TenantStore].
func (s *Store) GetTenant(ctx context.Context, id string) (routing.Tenant, error) {
	const op = "get tenant"
	if !storable(id) {
		return routing.Tenant{}, s.tenantNotFound(ctx, op, id)
	}
	rows, err := s.read(ctx, `SELECT `+tenantColumns+` FROM routing_tenants WHERE id = ?`, id)
	if err != nil {
		return routing.Tenant{}, wrap(s.d, ctx, op, err)
	}
	ts, err := scanTenants(rows)
	if err != nil {
		return routing.Tenant{}, wrap(s.d, ctx, op, err)
	}
	if len(ts) == 0 {
		return routing.Tenant{}, s.tenantNotFound(ctx, op, id)
	}
	return ts[0], nil
}

// ListTenants implements [routing.TenantStore].
func (s *Store) ListTenants(ctx context.Context) ([]routing.Tenant, error) {
	const op = "list tenants"
	rows, err := s.read(ctx, `SELECT `+tenantColumns+` FROM routing_tenants ORDER BY id`+s.d.collate)
	if err != nil {
		return nil, wrap(s.d, ctx, op, err)
	}
	ts, err := scanTenants(rows)
	if err != nil {
		return nil, wrap(s.d, ctx, op, err)
	}
	return ts, nil
}

// nextRevision takes the next tenant revision in tx (and, on PostgreSQL, the lock that
// serialises tenant writes until tx ends).
func (s *Store) nextRevision(ctx context.Context, tx *sql.Tx, op string) (uint64, error) {
	var rev int64
	if err := tx.QueryRowContext(ctx, `UPDATE routing_revision SET revision = revision + 1 WHERE one = 1 RETURNING revision`).Scan(&rev); err != nil {
		return 0, wrap(s.d, ctx, op, err)
	}
	return uint64(rev), nil
}

// CreateTenant implements [routing.TenantStore].
func (s *Store) CreateTenant(ctx context.Context, t routing.Tenant) (routing.Tenant, error) {
	const op = "create tenant"
	if err := checkTenant(&t); err != nil {
		return routing.Tenant{}, err
	}
	err := s.inTx(ctx, op, func(tx *sql.Tx) error {
		rev, err := s.nextRevision(ctx, tx, op)
		if err != nil {
			return err
		}
		t.Revision = rev
		if _, err := tx.ExecContext(ctx, s.d.q(`INSERT INTO routing_tenants (`+tenantColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)`),
			t.ID, t.Name, t.Backend, string(t.State), encTime(t.CreatedAt), encTime(t.UpdatedAt), int64(rev)); err != nil {
			err = wrap(s.d, ctx, op, err)
			if errors.Is(err, auth.ErrConflict) {
				return fmt.Errorf("sqlstore: tenant %q: %w", t.ID, routing.ErrTenantExists)
			}
			return err
		}
		_, err = tx.ExecContext(ctx, s.d.q(`DELETE FROM routing_tenant_removals WHERE id = ?`), t.ID)
		return wrap(s.d, ctx, op, err)
	})
	if err != nil {
		return routing.Tenant{}, err
	}
	return t, nil
}

// UpdateTenant implements [routing.TenantStore]. Tenant writes are serialised (see the top of
// this file), so the record read is the latest and nothing can change it before the write; fn
// is called once.
func (s *Store) UpdateTenant(ctx context.Context, id string, fn func(*routing.Tenant) error) (routing.Tenant, error) {
	const op = "update tenant"
	if !storable(id) {
		return routing.Tenant{}, s.tenantNotFound(ctx, op, id)
	}
	var t routing.Tenant
	err := s.inTx(ctx, op, func(tx *sql.Tx) error {
		rev, err := s.nextRevision(ctx, tx, op)
		if err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, s.d.q(`SELECT `+tenantColumns+` FROM routing_tenants WHERE id = ?`), id)
		if err != nil {
			return wrap(s.d, ctx, op, err)
		}
		ts, err := scanTenants(rows)
		if err != nil {
			return wrap(s.d, ctx, op, err)
		}
		if len(ts) == 0 {
			return s.tenantNotFound(ctx, op, id)
		}
		t = ts[0]
		if err := fn(&t); err != nil {
			return err
		}
		t.ID, t.Revision = id, rev
		if err := checkTenant(&t); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return wrap(s.d, ctx, op, err)
		}
		_, err = tx.ExecContext(ctx, s.d.q(`UPDATE routing_tenants SET
			name = ?, backend = ?, state = ?, created_us = ?, updated_us = ?, revision = ? WHERE id = ?`),
			t.Name, t.Backend, string(t.State), encTime(t.CreatedAt), encTime(t.UpdatedAt), int64(rev), id)
		return wrap(s.d, ctx, op, err)
	})
	if err != nil {
		return routing.Tenant{}, err
	}
	return t, nil
}

// DeleteTenant implements [routing.TenantStore]. The deletion is recorded (id and revision) so
// that other nodes' TenantChanges report it.
func (s *Store) DeleteTenant(ctx context.Context, id string) error {
	const op = "delete tenant"
	if !storable(id) {
		return s.tenantNotFound(ctx, op, id)
	}
	return s.inTx(ctx, op, func(tx *sql.Tx) error {
		rev, err := s.nextRevision(ctx, tx, op)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, s.d.q(`DELETE FROM routing_tenants WHERE id = ?`), id)
		if err != nil {
			return wrap(s.d, ctx, op, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return wrap(s.d, ctx, op, err)
		} else if n == 0 {
			return s.tenantNotFound(ctx, op, id)
		}
		_, err = tx.ExecContext(ctx, s.d.q(`INSERT INTO routing_tenant_removals (id, revision) VALUES (?, ?)
			ON CONFLICT (id) DO UPDATE SET revision = excluded.revision`), id, int64(rev))
		return wrap(s.d, ctx, op, err)
	})
}

// TenantChanges implements [routing.TenantStore]. When nothing changed it costs one
// single-row read; otherwise the revision, the changed rows and the removals are read in one
// read-only snapshot transaction.
func (s *Store) TenantChanges(ctx context.Context, since uint64) (routing.TenantChanges, error) {
	const op = "read tenant changes"
	if since != 0 {
		rev, err := s.tenantRevision(ctx, readQuerier{s})
		if err != nil {
			return routing.TenantChanges{}, wrap(s.d, ctx, op, err)
		}
		if rev == since {
			return routing.TenantChanges{Revision: rev}, nil
		}
	}
	opts := &sql.TxOptions{ReadOnly: true}
	if s.d.name == postgresDialect.name {
		opts.Isolation = sql.LevelRepeatableRead // one snapshot for the three reads
	}
	tx, err := s.r.BeginTx(ctx, opts) // SQLite: a read transaction is one snapshot
	if err != nil {
		return routing.TenantChanges{}, wrap(s.d, ctx, op, err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only
	q := txQuerier{tx, s.d}
	var ch routing.TenantChanges
	if ch.Revision, err = s.tenantRevision(ctx, q); err != nil {
		return routing.TenantChanges{}, wrap(s.d, ctx, op, err)
	}
	ch.Full = since == 0 || since > ch.Revision
	if ch.Revision == since {
		return ch, nil
	}
	after := int64(since)
	if ch.Full {
		after = 0
	}
	rows, err := q.QueryContext(ctx, `SELECT `+tenantColumns+` FROM routing_tenants WHERE revision > ? ORDER BY revision`, after)
	if err != nil {
		return routing.TenantChanges{}, wrap(s.d, ctx, op, err)
	}
	if ch.Changed, err = scanTenants(rows); err != nil {
		return routing.TenantChanges{}, wrap(s.d, ctx, op, err)
	}
	if !ch.Full {
		rows, err := q.QueryContext(ctx, `SELECT id FROM routing_tenant_removals WHERE revision > ? ORDER BY id`+s.d.collate, after)
		if err != nil {
			return routing.TenantChanges{}, wrap(s.d, ctx, op, err)
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return routing.TenantChanges{}, wrap(s.d, ctx, op, err)
			}
			ch.Removed = append(ch.Removed, id)
		}
		if err := rows.Err(); err != nil {
			return routing.TenantChanges{}, wrap(s.d, ctx, op, err)
		}
	}
	return ch, nil
}

func (s *Store) tenantRevision(ctx context.Context, q querier) (uint64, error) {
	rows, err := q.QueryContext(ctx, `SELECT revision FROM routing_revision WHERE one = 1`)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var rev int64
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return 0, err
		}
		return 0, errors.New("the tenant revision row is missing")
	}
	if err := rows.Scan(&rev); err != nil {
		return 0, err
	}
	return uint64(rev), rows.Err()
}
