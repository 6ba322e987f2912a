// Package memehr is a version-neutral in-memory EHR: it stores decoded FHIR
// resources of one version and really executes searches over them, driven
// by the declared [fhir.SearchParam]s (their Path says where each parameter
// looks). It implements token, string (starts-with, :contains, :exact),
// date (prefixes and partial-date ranges), reference, number, quantity and
// uri matching, :missing and :not, _id, _sort on any declared parameter,
// _count and opaque page cursors.
//
// It backs the conformance-kit tests and examples/minimal; the typed
// adapters (dstu2/dstu2mem, stu3/stu3mem) turn it into the dstu2 and stu3
// backend interfaces. It is a test and demo engine: everything is scanned
// linearly, which is fine for thousands of resources.
package memehr
