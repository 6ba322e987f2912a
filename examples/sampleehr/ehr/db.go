package ehr

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"

	// The embedded SQLite driver: pure Go, no cgo.
	_ "modernc.org/sqlite"

	"github.com/patientsfhir/patientsfhir/fhirsql"
)

// DB is the sample EHR's database: one SQLite file holding every tenant's
// data. It is safe for concurrent use: one writer connection (seeding) and
// a pool of read-only connections (the backends) over a WAL journal.
type DB struct {
	w, r *sql.DB
	path string
	// stmts runs the backends' reads and searches on r as prepared
	// statements, kept per query text (a search shape).
	stmts *fhirsql.StmtCache

	mu      sync.RWMutex
	tenants map[string]int64 // GUID -> tenant key, for tenants seen seeded

	// trace, when set (tests), sees every statement the backends run.
	trace func(query string, args []any)
	// afterBatch, when set (tests), runs after each seeding transaction.
	afterBatch func()
}

// ErrPath is returned by Open for a path that is not a plain file path.
var ErrPath = errors.New("ehr: Open needs a plain file path")

// Open opens (creating it if needed) the database at path and its schema.
func Open(ctx context.Context, path string) (*DB, error) {
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil, ErrPath
	}
	name := "file:" + (&url.URL{Path: path}).EscapedPath()
	const common = "_pragma=busy_timeout(10000)&_pragma=foreign_keys(0)"
	w, err := sql.Open("sqlite", name+"?"+common+"&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)"+
		"&_pragma=cache_size(-16384)&_pragma=temp_store(MEMORY)&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("ehr: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := migrate(ctx, w); err != nil {
		w.Close()
		return nil, err
	}
	r, err := sql.Open("sqlite", name+"?"+common+"&_pragma=query_only(1)&_pragma=cache_size(-32768)&_pragma=mmap_size(268435456)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("ehr: open %s: %w", path, err)
	}
	r.SetMaxOpenConns(8)
	r.SetMaxIdleConns(8)
	if err := r.PingContext(ctx); err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("ehr: open %s: %w", path, err)
	}
	return &DB{w: w, r: r, path: path, stmts: fhirsql.NewStmtCache(r, 0), tenants: map[string]int64{}}, nil
}

// schemaVersion is the version of schema, kept in PRAGMA user_version.
const schemaVersion = 1

// ErrSchema is returned by Open for a database written by another version
// of this package: its data cannot be read (delete the file and seed
// again).
var ErrSchema = errors.New("ehr: the database has another schema version")

// migrate creates the schema in a new database and checks the version of
// an existing one.
func migrate(ctx context.Context, w *sql.DB) error {
	var v int
	if err := w.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&v); err != nil {
		return fmt.Errorf("ehr: read the schema version: %w", err)
	}
	switch v {
	case schemaVersion:
		return nil
	case 0:
	default:
		return fmt.Errorf("%w: %d, this program needs %d", ErrSchema, v, schemaVersion)
	}
	tx, err := w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("ehr: create schema: %w", err)
	}
	defer tx.Rollback()
	for _, q := range schema {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("ehr: create schema: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, schemaVersion)); err != nil {
		return fmt.Errorf("ehr: create schema: %w", err)
	}
	return tx.Commit()
}

// Close closes the database.
func (db *DB) Close() error {
	return errors.Join(db.stmts.Close(), db.r.Close(), db.w.Close())
}

// Tenant is a seeded tenant.
type Tenant struct {
	// GUID is the tenant's id (the token's scope).
	GUID string
	// Patients is the size of its population.
	Patients int
}

// Tenants lists the seeded tenants in the order they were seeded.
func (db *DB) Tenants(ctx context.Context) ([]Tenant, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT guid, patients FROM tenant WHERE seeded_at != '' ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("ehr: list tenants: %w", err)
	}
	defer rows.Close()
	var out []Tenant
	for rows.Next() {
		var t Tenant
		if err := rows.Scan(&t.GUID, &t.Patients); err != nil {
			return nil, fmt.Errorf("ehr: list tenants: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// noTenant is the key of a tenant that has no data: no row has it.
const noTenant = -1

// tenantKey returns the key of a tenant GUID, noTenant when it has not
// been seeded (not remembered, so that a later seed is seen).
func (db *DB) tenantKey(ctx context.Context, guid string) (int64, error) {
	db.mu.RLock()
	k, ok := db.tenants[guid]
	db.mu.RUnlock()
	if ok {
		return k, nil
	}
	err := db.r.QueryRowContext(ctx, `SELECT id FROM tenant WHERE guid = ? AND seeded_at != ''`, guid).Scan(&k)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return noTenant, nil
	case err != nil:
		return 0, fmt.Errorf("ehr: tenant: %w", err)
	}
	db.mu.Lock()
	db.tenants[guid] = k
	db.mu.Unlock()
	return k, nil
}

// querier is the read pool through the statement cache, traced in tests.
func (db *DB) querier() fhirsql.Querier {
	if db.trace == nil {
		return db.stmts
	}
	return tracer{db.stmts, db.trace}
}

type tracer struct {
	fhirsql.Querier
	f func(string, []any)
}

func (t tracer) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	t.f(q, args)
	return t.Querier.QueryContext(ctx, q, args...)
}

func (t tracer) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	t.f(q, args)
	return t.Querier.QueryRowContext(ctx, q, args...)
}
