package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/patientsfhir/patientsfhir/auth"
)

// Store is an [auth.Store] on SQLite or PostgreSQL. Create it with [OpenSQLite] or
// [OpenPostgres]; it is safe for concurrent use. Close it when done.
type Store struct {
	d *dialect
	w *sql.DB // writes (on SQLite: one connection, BEGIN IMMEDIATE)
	r *sql.DB // reads (the same pool as w on PostgreSQL)

	mu    sync.Mutex
	stmts map[string]*sql.Stmt // prepared reads on r, by query text
}

var _ auth.Store = (*Store)(nil)

// Close closes the store's connections.
func (s *Store) Close() error {
	s.mu.Lock()
	for _, st := range s.stmts {
		_ = st.Close()
	}
	s.stmts = nil
	s.mu.Unlock()
	err := s.w.Close()
	if s.r != s.w {
		err = errors.Join(err, s.r.Close())
	}
	return err
}

// Dialect names the database: "sqlite" or "postgres".
func (s *Store) Dialect() string { return s.d.name }

// read runs a read-only query on the read pool through a statement prepared once (SQLite
// would otherwise compile the statement on every call).
func (s *Store) read(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	query = s.d.q(query)
	s.mu.Lock()
	st, ok := s.stmts[query]
	s.mu.Unlock()
	if !ok {
		var err error
		if st, err = s.r.PrepareContext(ctx, query); err != nil {
			return nil, err
		}
		s.mu.Lock()
		if prev, dup := s.stmts[query]; dup {
			_ = st.Close()
			st = prev
		} else {
			if s.stmts == nil {
				s.stmts = make(map[string]*sql.Stmt)
			}
			s.stmts[query] = st
		}
		s.mu.Unlock()
	}
	return st.QueryContext(ctx, args...)
}

// readQuerier runs queries through the store's prepared read statements.
type readQuerier struct{ s *Store }

func (q readQuerier) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return q.s.read(ctx, query, args...)
}

// txQuerier runs queries in a write transaction.
type txQuerier struct {
	tx *sql.Tx
	d  *dialect
}

func (q txQuerier) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return q.tx.QueryContext(ctx, q.d.q(query), args...)
}

// querier runs a query written with ? placeholders: readQuerier or txQuerier.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

const clientColumns = `c.id, c.name, c.disabled, c.grant_types, c.tenants, c.scopes, c.token_ttl_ns, c.jwks, c.created_us, c.updated_us,
	s.id, s.hash, s.alg, s.hint, s.created_us, s.expires_us, s.revoked_us`

// selectClients reads clients with their secrets in one statement (one consistent snapshot),
// either the client id (one is true) or all of them, ordered by id then secret position.
func (s *Store) selectClients(ctx context.Context, q querier, one bool, id string) ([]*auth.Client, error) {
	query := `SELECT ` + clientColumns + ` FROM auth_clients c LEFT JOIN auth_client_secrets s ON s.client_id = c.id`
	var args []any
	if one {
		query += ` WHERE c.id = ?`
		args = append(args, id)
	}
	query += ` ORDER BY c.id` + s.d.collate + `, s.pos`
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*auth.Client
	for rows.Next() {
		var (
			c                            auth.Client
			grants, tenants, scopes      string
			ttl, created, updated        int64
			sid, salg, shint             sql.NullString
			shash                        []byte
			screated, sexpires, srevoked sql.NullInt64
		)
		if err := rows.Scan(&c.ID, &c.Name, &c.Disabled, &grants, &tenants, &scopes, &ttl, &c.JWKS, &created, &updated,
			&sid, &shash, &salg, &shint, &screated, &sexpires, &srevoked); err != nil {
			return nil, err
		}
		if n := len(out); n == 0 || out[n-1].ID != c.ID {
			if c.GrantTypes, err = decList(grants); err == nil {
				if c.Tenants, err = decList(tenants); err == nil {
					c.Scopes, err = decList(scopes)
				}
			}
			if err != nil {
				return nil, fmt.Errorf("client %q: %w", c.ID, err)
			}
			c.TokenTTL = time.Duration(ttl)
			c.CreatedAt, c.UpdatedAt = decTime(created), decTime(updated)
			out = append(out, &c)
		}
		if sid.Valid {
			cur := out[len(out)-1]
			cur.Secrets = append(cur.Secrets, auth.SecretRecord{
				ID:        sid.String,
				Hash:      shash,
				Alg:       salg.String,
				Hint:      shint.String,
				CreatedAt: decTime(screated.Int64),
				ExpiresAt: decTime(sexpires.Int64),
				RevokedAt: decTime(srevoked.Int64),
			})
		}
	}
	return out, rows.Err()
}

// GetClient implements [auth.ClientStore].
func (s *Store) GetClient(ctx context.Context, id string) (*auth.Client, error) {
	if !storable(id) {
		if err := ctx.Err(); err != nil {
			return nil, wrap(s.d, ctx, "get client", err)
		}
		return nil, fmt.Errorf("sqlstore: client %q: %w", id, auth.ErrNotFound)
	}
	cs, err := s.selectClients(ctx, readQuerier{s}, true, id)
	if err != nil {
		return nil, wrap(s.d, ctx, "get client", err)
	}
	if len(cs) == 0 {
		return nil, fmt.Errorf("sqlstore: client %q: %w", id, auth.ErrNotFound)
	}
	return cs[0], nil
}

// ListClients implements [auth.ClientStore].
func (s *Store) ListClients(ctx context.Context) ([]*auth.Client, error) {
	cs, err := s.selectClients(ctx, readQuerier{s}, false, "")
	if err != nil {
		return nil, wrap(s.d, ctx, "list clients", err)
	}
	return cs, nil
}

// inTx runs fn in a write transaction and commits it unless fn fails or ctx is done.
func (s *Store) inTx(ctx context.Context, op string, fn func(tx *sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return wrap(s.d, ctx, op, err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if err := fn(tx); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return wrap(s.d, ctx, op, err)
	}
	if err := tx.Commit(); err != nil {
		return wrap(s.d, ctx, op, err)
	}
	return nil
}

// CreateClient implements [auth.ClientStore].
func (s *Store) CreateClient(ctx context.Context, c *auth.Client) error {
	const op = "create client"
	if err := checkClient(c); err != nil {
		return err
	}
	return s.inTx(ctx, op, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.d.q(`INSERT INTO auth_clients
			(id, name, disabled, grant_types, tenants, scopes, token_ttl_ns, jwks, created_us, updated_us)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			c.ID, c.Name, c.Disabled, encList(c.GrantTypes), encList(c.Tenants), encList(c.Scopes),
			int64(c.TokenTTL), encBytes(c.JWKS), encTime(c.CreatedAt), encTime(c.UpdatedAt))
		if err != nil {
			err = wrap(s.d, ctx, op, err)
			if errors.Is(err, auth.ErrConflict) {
				return fmt.Errorf("sqlstore: client %q: %w", c.ID, auth.ErrConflict)
			}
			return err
		}
		return s.insertSecrets(ctx, tx, c.ID, c.Secrets)
	})
}

func (s *Store) insertSecrets(ctx context.Context, tx *sql.Tx, clientID string, secrets []auth.SecretRecord) error {
	for i, sr := range secrets {
		hash := sr.Hash
		if hash == nil {
			hash = []byte{}
		}
		if _, err := tx.ExecContext(ctx, s.d.q(`INSERT INTO auth_client_secrets
			(client_id, pos, id, hash, alg, hint, created_us, expires_us, revoked_us)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			clientID, i, sr.ID, hash, sr.Alg, sr.Hint,
			encTime(sr.CreatedAt), encTime(sr.ExpiresAt), encTime(sr.RevokedAt)); err != nil {
			return wrap(s.d, ctx, "store client secret", err)
		}
	}
	return nil
}

// UpdateClient implements [auth.ClientStore]. The client row is locked for the whole
// read-modify-write (SELECT … FOR UPDATE on PostgreSQL, BEGIN IMMEDIATE on SQLite); fn is called
// once.
func (s *Store) UpdateClient(ctx context.Context, id string, fn func(*auth.Client) error) error {
	const op = "update client"
	if !storable(id) {
		if err := ctx.Err(); err != nil {
			return wrap(s.d, ctx, op, err)
		}
		return fmt.Errorf("sqlstore: client %q: %w", id, auth.ErrNotFound)
	}
	return s.inTx(ctx, op, func(tx *sql.Tx) error {
		if s.d.lockClient != "" {
			// Lock first, read second: in READ COMMITTED the read then starts after the previous
			// holder committed and sees its secrets too. (A single SELECT … FOR UPDATE with the
			// join would re-check the client row after the wait but keep secrets from before it.)
			rows, err := tx.QueryContext(ctx, s.d.q(s.d.lockClient), id)
			if err != nil {
				return wrap(s.d, ctx, op, err)
			}
			if err := rows.Close(); err != nil {
				return wrap(s.d, ctx, op, err)
			}
		}
		cs, err := s.selectClients(ctx, txQuerier{tx, s.d}, true, id)
		if err != nil {
			return wrap(s.d, ctx, op, err)
		}
		if len(cs) == 0 {
			return fmt.Errorf("sqlstore: client %q: %w", id, auth.ErrNotFound)
		}
		c := cs[0]
		if err := fn(c); err != nil {
			return err
		}
		if err := checkClient(c); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return wrap(s.d, ctx, op, err)
		}
		if _, err := tx.ExecContext(ctx, s.d.q(`UPDATE auth_clients SET
			name = ?, disabled = ?, grant_types = ?, tenants = ?, scopes = ?, token_ttl_ns = ?, jwks = ?, created_us = ?, updated_us = ?
			WHERE id = ?`),
			c.Name, c.Disabled, encList(c.GrantTypes), encList(c.Tenants), encList(c.Scopes),
			int64(c.TokenTTL), encBytes(c.JWKS), encTime(c.CreatedAt), encTime(c.UpdatedAt), id); err != nil {
			return wrap(s.d, ctx, op, err)
		}
		if _, err := tx.ExecContext(ctx, s.d.q(`DELETE FROM auth_client_secrets WHERE client_id = ?`), id); err != nil {
			return wrap(s.d, ctx, op, err)
		}
		return s.insertSecrets(ctx, tx, id, c.Secrets)
	})
}

const keyColumns = `kid, alg, state, public_key, sealed_private_key, created_us, activated_us, retired_us`

func scanKeys(rows *sql.Rows) ([]auth.KeyRecord, error) {
	defer rows.Close()
	var out []auth.KeyRecord
	for rows.Next() {
		var (
			k                           auth.KeyRecord
			state                       string
			created, activated, retired int64
		)
		if err := rows.Scan(&k.KID, &k.Alg, &state, &k.PublicKey, &k.SealedPrivateKey, &created, &activated, &retired); err != nil {
			return nil, err
		}
		k.State = auth.KeyState(state)
		k.CreatedAt, k.ActivatedAt, k.RetiredAt = decTime(created), decTime(activated), decTime(retired)
		out = append(out, k)
	}
	return out, rows.Err()
}

// ListKeys implements [auth.KeyStore].
func (s *Store) ListKeys(ctx context.Context) ([]auth.KeyRecord, error) {
	rows, err := s.read(ctx, `SELECT `+keyColumns+` FROM auth_signing_keys ORDER BY created_us, kid`+s.d.collate)
	if err != nil {
		return nil, wrap(s.d, ctx, "list keys", err)
	}
	ks, err := scanKeys(rows)
	if err != nil {
		return nil, wrap(s.d, ctx, "list keys", err)
	}
	return ks, nil
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// CreateKey implements [auth.KeyStore].
func (s *Store) CreateKey(ctx context.Context, k auth.KeyRecord) error {
	const op = "create key"
	if err := checkKey(&k); err != nil {
		return err
	}
	_, err := s.w.ExecContext(ctx, s.d.q(`INSERT INTO auth_signing_keys (`+keyColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
		k.KID, k.Alg, string(k.State), nonNil(k.PublicKey), nonNil(k.SealedPrivateKey),
		encTime(k.CreatedAt), encTime(k.ActivatedAt), encTime(k.RetiredAt))
	if err != nil {
		err = wrap(s.d, ctx, op, err)
		if errors.Is(err, auth.ErrConflict) {
			return fmt.Errorf("sqlstore: key %q: %w", k.KID, auth.ErrConflict)
		}
		return err
	}
	return nil
}

// UpdateKey implements [auth.KeyStore] (same locking as UpdateClient).
func (s *Store) UpdateKey(ctx context.Context, kid string, fn func(*auth.KeyRecord) error) error {
	const op = "update key"
	if !storable(kid) {
		if err := ctx.Err(); err != nil {
			return wrap(s.d, ctx, op, err)
		}
		return fmt.Errorf("sqlstore: key %q: %w", kid, auth.ErrNotFound)
	}
	return s.inTx(ctx, op, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, s.d.q(`SELECT `+keyColumns+` FROM auth_signing_keys WHERE kid = ?`+s.d.forUpdateKey), kid)
		if err != nil {
			return wrap(s.d, ctx, op, err)
		}
		ks, err := scanKeys(rows)
		if err != nil {
			return wrap(s.d, ctx, op, err)
		}
		if len(ks) == 0 {
			return fmt.Errorf("sqlstore: key %q: %w", kid, auth.ErrNotFound)
		}
		k := ks[0]
		if err := fn(&k); err != nil {
			return err
		}
		if err := checkKey(&k); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return wrap(s.d, ctx, op, err)
		}
		_, err = tx.ExecContext(ctx, s.d.q(`UPDATE auth_signing_keys SET
			alg = ?, state = ?, public_key = ?, sealed_private_key = ?, created_us = ?, activated_us = ?, retired_us = ?
			WHERE kid = ?`),
			k.Alg, string(k.State), nonNil(k.PublicKey), nonNil(k.SealedPrivateKey),
			encTime(k.CreatedAt), encTime(k.ActivatedAt), encTime(k.RetiredAt), kid)
		return wrap(s.d, ctx, op, err)
	})
}

// DeleteKey implements [auth.KeyStore].
func (s *Store) DeleteKey(ctx context.Context, kid string) error {
	if !storable(kid) {
		if err := ctx.Err(); err != nil {
			return wrap(s.d, ctx, "delete key", err)
		}
		return fmt.Errorf("sqlstore: key %q: %w", kid, auth.ErrNotFound)
	}
	res, err := s.w.ExecContext(ctx, s.d.q(`DELETE FROM auth_signing_keys WHERE kid = ?`), kid)
	if err != nil {
		return wrap(s.d, ctx, "delete key", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return wrap(s.d, ctx, "delete key", err)
	} else if n == 0 {
		return fmt.Errorf("sqlstore: key %q: %w", kid, auth.ErrNotFound)
	}
	return nil
}

// Deny implements [auth.DenyList]. Each step is one atomic statement, so concurrent calls for
// one key agree on which of them added it.
func (s *Store) Deny(ctx context.Context, key string, until, now time.Time) (bool, error) {
	const op = "deny"
	if err := checkText("deny-list key", key); err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return false, wrap(s.d, ctx, op, cerr)
		}
		return false, err
	}
	u, n := until.UnixMicro(), now.UnixMicro()
	exec := func(query string, args ...any) (int64, error) {
		res, err := s.w.ExecContext(ctx, s.d.q(query), args...)
		if err != nil {
			return 0, wrap(s.d, ctx, op, err)
		}
		rows, err := res.RowsAffected()
		return rows, wrap(s.d, ctx, op, err)
	}
	for range 3 {
		// Absent: insert.
		if rows, err := exec(`INSERT INTO auth_denylist (key, until_us) VALUES (?, ?) ON CONFLICT (key) DO NOTHING`, key, u); err != nil || rows == 1 {
			return err == nil, err
		}
		// Present but expired: replace, and it counts as added.
		if rows, err := exec(`UPDATE auth_denylist SET until_us = ? WHERE key = ? AND until_us <= ?`, u, key, n); err != nil || rows == 1 {
			return err == nil, err
		}
		// Present and live: only raise the expiry.
		if rows, err := exec(`UPDATE auth_denylist SET until_us = CASE WHEN until_us < ? THEN ? ELSE until_us END
			WHERE key = ? AND until_us > ?`, u, u, key, n); err != nil || rows == 1 {
			return false, err
		}
		// The entry was purged between two statements: start again.
	}
	return false, fmt.Errorf("sqlstore: %s: entry keeps changing under concurrent purges: %w", op, auth.ErrUnavailable)
}

// IsDenied implements [auth.DenyList].
func (s *Store) IsDenied(ctx context.Context, key string, now time.Time) (bool, error) {
	if !storable(key) {
		// Such a key can never have been stored.
		return false, wrap(s.d, ctx, "check deny-list", ctx.Err())
	}
	rows, err := s.read(ctx, `SELECT 1 FROM auth_denylist WHERE key = ? AND until_us > ?`, key, now.UnixMicro())
	if err != nil {
		return false, wrap(s.d, ctx, "check deny-list", err)
	}
	defer rows.Close()
	found := rows.Next()
	if err := rows.Err(); err != nil {
		return false, wrap(s.d, ctx, "check deny-list", err)
	}
	return found, nil
}

// PurgeDenied implements [auth.DenyList].
func (s *Store) PurgeDenied(ctx context.Context, now time.Time) (int, error) {
	res, err := s.w.ExecContext(ctx, s.d.q(`DELETE FROM auth_denylist WHERE until_us <= ?`), now.UnixMicro())
	if err != nil {
		return 0, wrap(s.d, ctx, "purge deny-list", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, wrap(s.d, ctx, "purge deny-list", err)
	}
	return int(n), nil
}
