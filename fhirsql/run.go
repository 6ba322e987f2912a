package fhirsql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/patientsfhir/patientsfhir/fhir"
)

// Querier is what Run needs of a database: *sql.DB, *sql.Tx and *sql.Conn
// have it. Pass a read transaction to have the page and the total from one
// snapshot.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Run runs the search sel on db and returns one page: at most the query's
// Count resources, Total (always known) and Next when more rows follow.
// columns are the resource table's columns scan needs; scan is called once
// per row and must call its argument once with one destination per column
// (as sql.Rows.Scan), then return the row's resource.
//
// The total costs a COUNT only when it is not known from the page itself
// (a first page that holds every match needs none). Errors of the database
// are wrapped (their text is never shown to a client); context errors keep
// their identity.
func Run[T any](ctx context.Context, db Querier, sel *Select, columns []string, scan func(row func(dest ...any) error) (T, error)) (fhir.Page[T], error) {
	var page fhir.Page[T]
	if err := sel.Err(); err != nil {
		return page, err
	}
	page.TotalKnown = true
	if sel.search.CountOnly || sel.search.Count == 0 {
		n, err := count(ctx, db, sel)
		page.Total = n
		return page, err
	}
	q, args, err := sel.PageSQL(columns...)
	if err != nil {
		return page, err
	}
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return page, dbErr(ctx, sel, "page", err)
	}
	defer rows.Close()
	keys := make([]any, sel.KeyCount())
	ptrs := make([]any, len(keys))
	for i := range keys {
		ptrs[i] = &keys[i]
	}
	more := false
	var last []any
	for rows.Next() {
		if len(page.Resources) == sel.search.Count {
			more = true
			break
		}
		called := false
		v, err := scan(func(dest ...any) error {
			if called {
				return errors.New("fhirsql: the row was already scanned")
			}
			called = true
			return rows.Scan(append(dest, ptrs...)...)
		})
		if err != nil {
			return fhir.Page[T]{}, err
		}
		if !called {
			return fhir.Page[T]{}, errors.New("fhirsql: scan did not read its row")
		}
		page.Resources = append(page.Resources, v)
		last = append(last[:0], keys...)
	}
	if err := rows.Err(); err != nil {
		return fhir.Page[T]{}, dbErr(ctx, sel, "page", err)
	}
	rows.Close()
	if more {
		if page.Next, err = sel.Next(last); err != nil {
			return fhir.Page[T]{}, err
		}
	}
	if sel.after == nil && !more {
		page.Total = len(page.Resources)
		return page, nil
	}
	page.Total, err = count(ctx, db, sel)
	if err != nil {
		return fhir.Page[T]{}, err
	}
	return page, nil
}

func count(ctx context.Context, db Querier, sel *Select) (int, error) {
	q, args, err := sel.CountSQL()
	if err != nil {
		return 0, err
	}
	var n int
	if err := db.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
		return 0, dbErr(ctx, sel, "count", err)
	}
	return n, nil
}

// dbErr wraps a database error; when the context is done, its error is
// the one wrapped (the driver's text may not say so).
func dbErr(ctx context.Context, sel *Select, what string, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		err = cerr
	}
	return fmt.Errorf("fhirsql: %s of %s: %w", what, sel.t.Name, err)
}

// ReadSQL returns the statement reading the columns of the resource whose
// logical id is id, within the scope (the tenant): a read that cannot reach
// another scope's row.
func (t *Table) ReadSQL(d *Dialect, columns []string, id string, scope ...any) (string, []any, error) {
	if err := t.Validate(); err != nil {
		return "", nil, err
	}
	if len(scope) != len(t.Scope) {
		return "", nil, declErr("table %s: %d scope values for scope columns %v", t.Name, len(scope), t.Scope)
	}
	if len(columns) == 0 {
		return "", nil, declErr("table %s: ReadSQL without columns", t.Name)
	}
	w := newWriter(d)
	w.s("SELECT ")
	for i, c := range columns {
		if !ident(c, false) {
			return "", nil, declErr("table %s: column %q is not an identifier", t.Name, c)
		}
		if i > 0 {
			w.s(", ")
		}
		w.s("t.", c)
	}
	w.s(" FROM ", t.Name, " t WHERE ")
	for i, c := range t.Scope {
		w.s("t.", c, " = ")
		w.arg(scope[i])
		w.s(" AND ")
	}
	w.s("t.", t.ID, " = ")
	w.arg(id)
	return w.b.String(), w.args, nil
}
