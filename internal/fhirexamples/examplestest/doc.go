// Package examplestest holds the model tests of the dstu2 and stu3
// packages, written once for both: the round trip and validation of every
// official example, hand-made documents, the resource type registry, the
// fuzz property and seeds, and the benchmark corpus. Each model package
// describes itself with a [Model] (its codec and what differs: exceptions,
// its own broken documents and seeds) and runs the suite from one line:
//
//	func TestModel(t *testing.T) { examplestest.RunModel(t, model) }
//
// It is imported only by _test.go files.
package examplestest
