// Package testsupport holds small helpers that the tests of several
// packages share: a log sink safe for concurrent writers ([Buffer]) and a
// settable clock ([Clock]). It is for tests only; nothing outside _test.go
// files should import it.
package testsupport
