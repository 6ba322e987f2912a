// Package servertest holds the server tests of the dstu2 and stu3 packages
// and of their in-memory backends, written once for both versions.
//
// A version describes itself with a [Version]: its names, its handler, and
// the conversions between its typed backend interfaces and the neutral
// [Backend] that the fakes of this package implement. internal/servergen
// writes that value from the same declaration as the version's server
// (servertest_gen_test.go in stu3, stu3/stu3mem, dstu2, dstu2/dstu2mem), so
// each version package runs the whole suite from one line:
//
//	func TestServer(t *testing.T) { servertest.Run(t, version) }
//
// A test added to [Run] runs for both versions; what truly differs between
// them (an element only one version has) stays in the version's
// server_version_test.go.
//
// It is imported only by _test.go files.
package servertest
