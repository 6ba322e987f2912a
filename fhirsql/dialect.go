package fhirsql

import "strconv"

// Dialect is an SQL flavour: how bind parameters are written.
type Dialect struct {
	name     string
	numbered bool
}

// The supported dialects.
var (
	// SQLite writes ? placeholders (modernc.org/sqlite, mattn/go-sqlite3).
	SQLite = &Dialect{name: "sqlite"}
	// PostgreSQL writes $1, $2, ... placeholders (pgx, lib/pq).
	PostgreSQL = &Dialect{name: "postgres", numbered: true}
)

// String returns the dialect's name: "sqlite" or "postgres".
func (d *Dialect) String() string { return d.name }

// Placeholder returns the n-th bind parameter (from 1) as written in this
// dialect.
func (d *Dialect) Placeholder(n int) string {
	if d.numbered {
		return "$" + strconv.Itoa(n)
	}
	return "?"
}
