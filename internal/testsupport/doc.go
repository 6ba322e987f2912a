// Package testsupport holds small helpers that the tests of several
// packages share: a log sink safe for concurrent writers ([Buffer]), a
// settable clock ([Clock]) and a fresh PostgreSQL schema per test
// ([PostgresSchema]). It is for tests only; nothing outside _test.go files
// should import it.
package testsupport
