// Package ehr is the sample EHR's storage and backends: every tenant's
// synthetic population (package population) in one database, either an
// embedded SQLite file (Open; modernc.org/sqlite) or a PostgreSQL schema
// (OpenPostgres; pgx), served to the stu3 and dstu2 servers through typed
// backends bound to one tenant each (DB.STU3, DB.DSTU2). Both databases
// hold the same tables (declared once, schema.go, with each dialect's
// types) and answer the same statements, each written in the database's
// fhirsql.Dialect.
//
// It is the reference user of package fhirsql: each search is a fhirsql
// declaration (tables.go) and a few lines that hand the typed query's
// parameters to a fhirsql.Select. Every table has a tenant column that
// starts every index and every statement, so a backend bound to one tenant
// never returns another's rows; every search of the Patients app is served
// by an index (no table scan; the tests check the plan of every statement
// the conformance kits cause, on both databases), returns Bundle.total,
// pages with keyset cursors and sorts both ways.
//
// The resources are stored as JSON in both versions, rendered once at
// seeding from the same version-neutral record, next to the columns their
// searches use. Every search is a JSON searcher (stu3.ObservationJSONSearcher
// and the others): the engine serves the stored bytes without decoding them;
// the typed searchers are the same searches, decoded. Seed writes a population in transactions of a few hundred
// patients while parallel workers render the next ones: SQLite's with
// prepared inserts, PostgreSQL's with one COPY per table, so that a
// population of 100,000 patients (some 4.4 million rows) is written in
// minutes on either.
package ehr
