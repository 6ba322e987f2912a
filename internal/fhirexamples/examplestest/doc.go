// Package examplestest holds the test logic shared by the dstu2 and stu3
// model packages: the round trip and validation of every official example,
// the fuzz property and seeds, and the benchmark corpus. Each model package
// describes itself with a [Codec] and calls these helpers from its own
// _test.go files, where the exceptions and hand-made cases live.
//
// It is imported only by _test.go files.
package examplestest
