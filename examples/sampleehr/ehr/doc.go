// Package ehr is the sample EHR's storage and backends: every tenant's
// synthetic population (package population) in one embedded SQLite file
// (modernc.org/sqlite), served to the stu3 and dstu2 servers through
// typed backends bound to one tenant each (DB.STU3, DB.DSTU2).
//
// It is the reference user of package fhirsql: each search is a fhirsql
// declaration (tables.go) and a few lines that hand the typed query's
// parameters to a fhirsql.Select. Every table has a tenant column that
// starts every index and every statement, so a backend bound to one tenant
// never returns another's rows; every search of the Patients app is served
// by an index (no table scan; the tests check EXPLAIN QUERY PLAN of every
// statement the conformance kits cause), returns Bundle.total, pages with
// keyset cursors and sorts both ways.
//
// The resources are stored as JSON in both versions, rendered once at
// seeding from the same version-neutral record, next to the columns their
// searches use. Seed writes a population in transactions of a few hundred
// patients while parallel workers render the next ones.
package ehr
