// Package fhirsql turns the typed search queries of packages stu3 and dstu2
// (fhir.Search and its fhir.StringParam, fhir.TokenParam, fhir.DateParam and
// fhir.IDParam values) into SQL, so that a partner's SQL backend is a page of
// code. It writes the WHERE clause of every FHIR matching rule the Patients
// app relies on, the ORDER BY of the _sort keys, keyset (seek) pagination
// with opaque cursors instead of OFFSET, and the COUNT that gives
// Bundle.total, for SQLite and PostgreSQL.
//
// You declare once, per resource type, where each search parameter lives in
// your schema (a [Table]): a column of the resource table, or a side table
// with one row per value (names, identifiers) linked to the resource's id.
// Per request you build a [Select] from the typed query and run it with
// [Run], which returns a fhir.Page:
//
//	sel, err := fhirsql.NewSelect(fhirsql.SQLite, &patients, q.Search, tenant)
//	if err != nil {
//		return fhir.Page[*stu3.Patient]{}, err
//	}
//	sel.String("family", q.Family)
//	sel.Token("identifier", q.Identifier)
//	sel.Date("birthdate", q.Birthdate)
//	return fhirsql.Run(ctx, db, sel, []string{"json"}, decodePatient)
//
// Run takes any [Querier]: a *sql.DB, a read transaction, or a [StmtCache],
// which keeps the statements of the search shapes prepared so that the
// database does not parse and plan them again on every request.
//
// # Matching rules
//
// Strings match case- and accent-insensitively on a column that holds
// [Normalize] of the value: the default (starts-with) is a range on that
// column (norm >= 'cha' AND norm < 'chb'), which any B-tree index serves;
// :contains is a range on a suffix table (the rows of [Suffixes]) when one is
// declared, or LIKE '%v%' with % and _ escaped otherwise; :exact compares the
// value as written. Tokens match system|code, code, |code and system| as FHIR
// says, with :not and :text. Dates are ranges [start, end) in two columns and
// every prefix (eq, ne, gt, lt, ge, le, sa, eb, ap) becomes bounds on them.
// The semantics are those of fhir.MatchString, fhir.MatchToken and
// fhir.MatchDate, except that strings (and :text) also ignore accents
// ("Chávez" matches "chavez"; fhir.MatchString folds case only); the
// package's tests compare the SQL results with them on SQLite and
// PostgreSQL, and fuzz the builders against them.
//
// # Safe by construction
//
// Every value of a query is a bind parameter; no value is ever written into
// the SQL text. Table and column names come only from your declaration and
// must be plain identifiers (checked). A Table's Scope columns (the tenant)
// are filtered on in the resource table and in every side table of every
// query, so a query cannot reach another tenant's rows.
//
// # Schema rules
//
// Sort columns, side-table id references and token system columns must be
// NOT NULL (store "" for "no system"). On PostgreSQL, give the normalised
// and suffix columns COLLATE "C" so that their order is the code-point order
// the prefix ranges assume (SQLite's default BINARY collation already is).
// See docs/sql.md for a whole backend.
package fhirsql
