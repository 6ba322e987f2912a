package ehr

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	// The PostgreSQL driver ("pgx").
	_ "github.com/jackc/pgx/v5/stdlib"
	// The embedded SQLite driver: pure Go, no cgo.
	_ "modernc.org/sqlite"

	"github.com/patientsfhir/patientsfhir/fhirsql"
)

// DB is the sample EHR's database: every tenant's data in one SQLite file
// (Open) or one PostgreSQL schema (OpenPostgres). It is safe for
// concurrent use: a writer pool (seeding) and a pool of read connections
// (the backends); on SQLite one writer connection and read-only ones over a
// WAL journal.
type DB struct {
	w, r *sql.DB
	// d is the SQL dialect of every statement: the backends' reads and
	// searches (through fhirsql), the tenant registry's and the seeding's.
	d *fhirsql.Dialect
	// q holds the package's own statements, written for d.
	q statements
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

// statements are the package's own statements (the searches are built by
// fhirsql) in one dialect.
type statements struct {
	// tenantKey reads the key of a seeded tenant by GUID; tenants lists
	// the seeded ones.
	tenantKey, tenants string
	// findTenant reads a tenant's key and seeding time by GUID,
	// addTenant registers one (returning its key), seeded marks one
	// seeded.
	findTenant, addTenant, seeded string
	// clear deletes a tenant's rows of each data table.
	clear [insCount]string
	// insert inserts one row of each data table (SQLite: PostgreSQL
	// copies them).
	insert [insCount]string
	// analyze refreshes the query planner's statistics.
	analyze string
}

func newStatements(d *fhirsql.Dialect) statements {
	p := d.Placeholder
	q := statements{
		tenantKey:  `SELECT id FROM tenant WHERE guid = ` + p(1) + ` AND seeded_at <> ''`,
		tenants:    `SELECT guid, patients FROM tenant WHERE seeded_at <> '' ORDER BY id`,
		findTenant: `SELECT id, seeded_at FROM tenant WHERE guid = ` + p(1),
		addTenant:  `INSERT INTO tenant (guid, patients, seeded_at) VALUES (` + p(1) + `, 0, '') RETURNING id`,
		seeded:     `UPDATE tenant SET patients = ` + p(1) + `, seeded_at = ` + p(2) + ` WHERE id = ` + p(3),
		// Sampled statistics: quick at any size.
		analyze: `PRAGMA analysis_limit=1000; ANALYZE`,
	}
	names := []string{tenantTable.name}
	for i := range dataTables {
		t := &dataTables[i]
		q.clear[i] = `DELETE FROM ` + t.name + ` WHERE tenant = ` + p(1)
		q.insert[i] = t.insert(d)
		names = append(names, t.name)
	}
	if d == fhirsql.PostgreSQL {
		// This schema's tables only (a bare ANALYZE would read the whole
		// database).
		q.analyze = `ANALYZE ` + strings.Join(names, ", ")
	}
	return q
}

func newDB(d *fhirsql.Dialect, w, r *sql.DB) *DB {
	return &DB{w: w, r: r, d: d, q: newStatements(d), stmts: fhirsql.NewStmtCache(r, 0), tenants: map[string]int64{}}
}

// ErrPath is returned by Open for a path that is not a plain file path.
var ErrPath = errors.New("ehr: Open needs a plain file path")

// Open opens (creating it if needed) the SQLite database at path and its
// schema.
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
	if err := migrate(ctx, fhirsql.SQLite, w); err != nil {
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
	return newDB(fhirsql.SQLite, w, r), nil
}

// OpenPostgres connects to PostgreSQL with a pgx connection string (a
// postgres:// URL or key=value pairs; see
// github.com/jackc/pgx/v5/pgconn.ParseConfig) and creates the schema if
// needed. The tables live in the first schema of the connection's
// search_path: add search_path=name to the DSN to choose one (it must
// exist), e.g. one schema per population. Several processes may open the
// same schema at once (its creation is serialised by an advisory lock);
// seed each tenant from one of them. Errors never quote the DSN.
func OpenPostgres(ctx context.Context, dsn string) (*DB, error) {
	open := func(conns int) (*sql.DB, error) {
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			// ParseConfig errors can quote the DSN, password included.
			return nil, errors.New("ehr: open postgres: invalid connection string")
		}
		db.SetMaxOpenConns(conns)
		db.SetMaxIdleConns(conns)
		db.SetConnMaxIdleTime(5 * time.Minute)
		return db, nil
	}
	// The seeding writes from one connection at a time; beginSeed's
	// transaction and a batch never overlap.
	w, err := open(2)
	if err != nil {
		return nil, err
	}
	if err := migrate(ctx, fhirsql.PostgreSQL, w); err != nil {
		w.Close()
		return nil, err
	}
	r, err := open(16)
	if err != nil {
		w.Close()
		return nil, err
	}
	if err := r.PingContext(ctx); err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("ehr: connect to postgres: %w", err)
	}
	return newDB(fhirsql.PostgreSQL, w, r), nil
}

// schemaVersion is the version of the schema, kept in PRAGMA user_version
// on SQLite and in the one row of table ehr_schema_version on PostgreSQL.
const schemaVersion = 1

// ErrSchema is returned by Open and OpenPostgres for a database written by
// another version of this package: its data cannot be read (delete the
// file, or drop the schema, and seed again).
var ErrSchema = errors.New("ehr: the database has another schema version")

// pgLockClass is the first key of the PostgreSQL advisory lock that
// serialises schema creation ("pfeh" in ASCII); the second is a hash of
// the current schema.
const pgLockClass = 0x70666568

// migrate creates the schema in a new database and checks the version of
// an existing one.
func migrate(ctx context.Context, d *fhirsql.Dialect, w *sql.DB) error {
	fail := func(err error) error { return fmt.Errorf("ehr: create schema: %w", err) }
	tx, err := w.BeginTx(ctx, nil)
	if err != nil {
		return fail(err)
	}
	defer tx.Rollback()
	readVersion, writeVersion := `PRAGMA user_version`, fmt.Sprintf(`PRAGMA user_version = %d`, schemaVersion)
	if d == fhirsql.PostgreSQL {
		readVersion = `SELECT version FROM ehr_schema_version`
		writeVersion = fmt.Sprintf(`INSERT INTO ehr_schema_version (version) VALUES (%d)`, schemaVersion)
		for _, q := range []string{
			fmt.Sprintf(`SELECT pg_advisory_xact_lock(%d, hashtext(coalesce(current_schema(), '')))`, pgLockClass),
			`CREATE TABLE IF NOT EXISTS ehr_schema_version (version BIGINT NOT NULL)`,
		} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fail(err)
			}
		}
	}
	var v int
	switch err := tx.QueryRowContext(ctx, readVersion).Scan(&v); {
	case errors.Is(err, sql.ErrNoRows): // a new PostgreSQL schema
	case err != nil:
		return fmt.Errorf("ehr: read the schema version: %w", err)
	}
	switch v {
	case schemaVersion:
		return nil
	case 0:
	default:
		return fmt.Errorf("%w: %d, this program needs %d", ErrSchema, v, schemaVersion)
	}
	for _, q := range append(schema(d), writeVersion) {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fail(err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fail(err)
	}
	return nil
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
	rows, err := db.r.QueryContext(ctx, db.q.tenants)
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
	err := db.r.QueryRowContext(ctx, db.q.tenantKey, guid).Scan(&k)
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
