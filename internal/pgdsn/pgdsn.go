// Package pgdsn edits PostgreSQL connection strings as pgx reads them (a
// postgres:// URL or key=value pairs) without ever quoting one in an
// error: a DSN may hold a password.
package pgdsn

import (
	"errors"
	"net/url"
	"strings"
)

// WithSearchPath returns dsn with its search_path set to schema (a plain
// identifier), replacing any search_path a URL had: the tables of the
// connection's statements are then those of schema.
func WithSearchPath(dsn, schema string) (string, error) {
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		return dsn + " search_path=" + schema, nil
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "", errors.New("pgdsn: invalid PostgreSQL URL")
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), nil
}
