package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/patientsfhir/patientsfhir/auth"
)

// dialect holds what differs between SQLite and PostgreSQL; the queries themselves are shared
// and written with ? placeholders.
type dialect struct {
	name string
	// numbered rewrites ? placeholders to $1, $2, ... (PostgreSQL).
	numbered bool
	// bytesType is the column type for byte strings.
	bytesType string
	// lockClient locks a client row for an update before it is read; forUpdateKey is appended
	// to the read of a key row. Both are empty where the write transaction itself is exclusive.
	lockClient, forUpdateKey string
	// collate makes ORDER BY on identifiers compare bytes, like Go's string order.
	collate string
	// migrationLock is run first in the migration transaction to serialise nodes.
	migrationLock string
	// classify maps a driver error to the package's sentinels (or returns it unchanged).
	classify func(error) error
}

var sqliteDialect = &dialect{
	name:      "sqlite",
	bytesType: "BLOB",
	classify:  classifySQLite,
}

// pgLockClass is the first key of the PostgreSQL advisory lock that serialises migrations
// ("pfau" in ASCII); the second key is a hash of the current schema.
const pgLockClass = 0x70666175

var postgresDialect = &dialect{
	name:          "postgres",
	numbered:      true,
	bytesType:     "BYTEA",
	lockClient:    "SELECT id FROM auth_clients WHERE id = ? FOR UPDATE",
	forUpdateKey:  " FOR UPDATE",
	collate:       ` COLLATE "C"`,
	migrationLock: "SELECT pg_advisory_xact_lock(" + strconv.Itoa(pgLockClass) + ", hashtext(coalesce(current_schema(), '')))",
	classify:      classifyPostgres,
}

// q rewrites a query written with ? placeholders for the dialect. The package's queries contain
// no ? inside literals.
func (d *dialect) q(query string) string {
	if !d.numbered {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// SQLite busy timeout: how long a writer waits for another process's write lock.
const sqliteBusyTimeout = 5 * time.Second

// OpenSQLite opens (creating it if needed) the SQLite database file at path and brings its
// schema up to date. The database is put in WAL mode with synchronous=FULL, so a committed
// revocation survives a crash. path must name a file: an in-memory database is not supported
// (use auth.NewMemoryStore). Several processes may open the same file; their writes wait for
// each other up to 5 s.
func OpenSQLite(ctx context.Context, path string) (*Store, error) {
	return openSQLite(ctx, path, sqliteBusyTimeout)
}

func openSQLite(ctx context.Context, path string, busyTimeout time.Duration) (*Store, error) {
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil, errors.New("sqlstore: OpenSQLite needs a plain file path")
	}
	// Create the file readable by its owner only: it holds secret hashes and
	// sealed private keys. SQLite gives its -wal and -shm files the same
	// mode. An existing file keeps the mode its owner chose.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: open sqlite: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("sqlstore: open sqlite: %w", err)
	}
	name := "file:" + (&url.URL{Path: path}).EscapedPath()
	common := "_pragma=busy_timeout(" + strconv.Itoa(int(busyTimeout/time.Millisecond)) + ")" +
		"&_pragma=foreign_keys(1)&_pragma=synchronous(FULL)"
	// One writer connection whose transactions start with BEGIN IMMEDIATE: writers queue in
	// process (honouring their contexts) and take the file's write lock up front, so a
	// read-modify-write can never fail half-way with SQLITE_BUSY.
	w, err := sql.Open("sqlite", name+"?"+common+"&_pragma=journal_mode(WAL)&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("sqlstore: open sqlite: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, wrap(sqliteDialect, ctx, "open sqlite", err)
	}
	r, err := sql.Open("sqlite", name+"?"+common+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlstore: open sqlite: %w", err)
	}
	r.SetMaxOpenConns(4)
	r.SetMaxIdleConns(4)
	s := &Store{d: sqliteDialect, w: w, r: r}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// OpenPostgres connects to PostgreSQL with a pgx connection string (a postgres:// URL or
// key=value pairs; see github.com/jackc/pgx/v5/pgconn.ParseConfig) and brings the schema up to
// date. The tables live in the first schema of the connection's search_path; add
// search_path=name to the DSN to choose one (it must exist). Nodes may open the same database
// at the same time: migrations are serialised with an advisory lock.
func OpenPostgres(ctx context.Context, dsn string) (*Store, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		// ParseConfig errors can quote the DSN, password included: never pass them on.
		return nil, errors.New("sqlstore: open postgres: invalid connection string")
	}
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(8)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, wrap(postgresDialect, ctx, "connect to postgres", err)
	}
	s := &Store{d: postgresDialect, w: db, r: db}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// wrap turns a driver error into the package's error for operation op: context errors keep
// their identity (and a deadline also reports auth.ErrUnavailable), unreachable databases
// report auth.ErrUnavailable, constraint violations auth.ErrConflict.
func wrap(d *dialect, ctx context.Context, op string, err error) error {
	if err == nil {
		return nil
	}
	if cerr := ctx.Err(); cerr != nil {
		if errors.Is(cerr, context.DeadlineExceeded) {
			return fmt.Errorf("sqlstore: %s: %w: %w", op, auth.ErrUnavailable, cerr)
		}
		return fmt.Errorf("sqlstore: %s: %w", op, cerr)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("sqlstore: %s: %w: %w", op, auth.ErrUnavailable, err)
	}
	return fmt.Errorf("sqlstore: %s: %w", op, d.classify(err))
}

// classifySQLite maps SQLite result codes: busy/locked and I/O failures are unavailability,
// primary-key and unique violations are conflicts.
func classifySQLite(err error) error {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		if errors.Is(err, sql.ErrConnDone) {
			return fmt.Errorf("%w: %w", auth.ErrUnavailable, err)
		}
		return err
	}
	switch se.Code() {
	case sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY, sqlite3.SQLITE_CONSTRAINT_UNIQUE:
		return fmt.Errorf("%w: %w", auth.ErrConflict, err)
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN,
		sqlite3.SQLITE_FULL, sqlite3.SQLITE_READONLY:
		return fmt.Errorf("%w: %w", auth.ErrUnavailable, err)
	}
	return err
}

// classifyPostgres maps SQLSTATEs: unique violations are conflicts; connection, resource and
// shutdown classes, and any failure that never got an answer from the server, are
// unavailability.
func classifyPostgres(err error) error {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return fmt.Errorf("%w: %w", auth.ErrUnavailable, err)
	}
	switch {
	case pe.Code == "23505":
		return fmt.Errorf("%w: %w", auth.ErrConflict, err)
	case strings.HasPrefix(pe.Code, "08"), strings.HasPrefix(pe.Code, "53"), strings.HasPrefix(pe.Code, "57P"),
		pe.Code == "40001", pe.Code == "40P01", pe.Code == "55P03":
		return fmt.Errorf("%w: %w", auth.ErrUnavailable, err)
	}
	return err
}
