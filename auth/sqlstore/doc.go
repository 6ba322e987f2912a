// Package sqlstore implements [auth.Store] on SQL databases: SQLite through
// modernc.org/sqlite (pure Go, no cgo; the embedded single-node default) and
// PostgreSQL through github.com/jackc/pgx/v5 (for several nodes sharing one
// registry).
//
//	st, err := sqlstore.OpenSQLite(ctx, "/var/lib/patientsfhir/auth.db")
//	st, err := sqlstore.OpenPostgres(ctx, "postgres://fhir@db/fhir?sslmode=verify-full")
//	defer st.Close()
//
// The same Store is also a [routing.TenantStore]: the tenant registry lives
// in the same database (tables routing_tenants, routing_tenant_removals and
// routing_revision), so a partner opens one Store and gives it to both
// auth.New and routing.NewDirectory.
//
// # Schema and migrations
//
// Open creates or upgrades the schema before returning: versioned migrations
// are applied in one transaction and recorded in auth_schema_migrations, so
// opening an up-to-date database changes nothing. On PostgreSQL the migration
// transaction first takes a transaction-scoped advisory lock (keyed by the
// schema), so several nodes starting at once apply each migration exactly
// once. A database whose schema is newer than this code is refused with
// [ErrSchemaTooNew] rather than written to. To keep the tables in their own
// PostgreSQL schema, put search_path in the DSN
// (postgres://…/db?search_path=auth); the schema must exist.
//
// # Concurrency
//
// Tenant writes (CreateTenant, UpdateTenant, DeleteTenant) first increment
// the one row of routing_revision in their transaction, so they serialise
// and commit in revision order, and TenantChanges can tell every node what
// changed after the revision it last saw with one single-row read when
// nothing did.
//
// UpdateClient and UpdateKey are transactional read-modify-write. On
// PostgreSQL the row is locked with SELECT … FOR UPDATE before the record is
// read, so concurrent updates of one record serialise (and each sees the
// previous one's result) while other records stay independent. On SQLite the
// database runs in WAL mode; writes go through a single connection that opens
// its transactions with BEGIN IMMEDIATE (other processes wait up to the busy
// timeout), while reads use a separate pool and are never blocked by a writer.
//
// # Data
//
// Times are stored as microseconds since the Unix epoch (UTC) in both
// dialects, so records read back equal what was written at microsecond
// precision; token lifetimes are stored exactly. Secrets are stored only as
// the hash records the auth package gives, and signing keys only sealed.
// Errors never carry hashes or key material; failures to reach the database
// wrap [auth.ErrUnavailable], and a cancelled or expired context is reported
// with its own error (testable with errors.Is).
package sqlstore
