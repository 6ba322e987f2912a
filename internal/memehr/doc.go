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
// backend interfaces.
//
// # Indexes
//
// A search takes its candidates from the cheapest source its clauses
// allow, then applies every clause to them as a full scan would, so an
// index changes what a search costs, never what it returns (results, order,
// totals and cursors are those of the scan; the tests compare the two on
// random data and random writes):
//
//   - _id: the ids are looked up directly.
//   - A reference clause (patient=, subject=, any reference parameter):
//     the resources whose reference at the parameter's path points to that
//     id ("Patient/p1", "p1", an absolute URL or a versioned reference all
//     key p1). Searches scoped to a patient touch only that patient's
//     resources of the type, whatever the population. With several
//     reference clauses, the smallest set wins.
//   - Otherwise, a plain token clause (identifier=, code=, status=; not
//     :not, :text or "system|"): the resources holding that code or value.
//   - Otherwise, a string clause (family, given, name with or without
//     :contains or :exact) scans a column of the folded strings at its path
//     for the resources of that type only, not whole resources. Name
//     searches still read every Patient, cheaply; there is no n-gram index.
//     A string column also wins over a token clause that matches more than
//     an eighth of the type (gender=male).
//   - Otherwise every resource of the type is read: date, number,
//     quantity, uri, :missing and :not clauses on their own still scan.
//
// Order comes from cached sorted views: the first search of a patient's
// observations newest first sorts that patient's set once, later ones read
// it in order (a per-patient sorted slice per _sort spec, both directions),
// and a search without clauses pages a sorted view of the whole type. A
// write to a set drops its views. A set larger than 4,096 resources that
// other clauses still filter is not sorted into a view; its matches are
// sorted per search, as the scan did.
//
// Indexes are made by the first search that needs them (per type and path:
// it reads every resource of the type once, under the write lock) and then
// kept up to date by Put and Delete; the typed Value is never read.
//
// Everything is held in memory. A resource is kept as its JSON and a
// compact decoded tree (objects as member lists; member names and short
// values shared per store, in tables of bounded size): about 1.3 KB for a
// typical Patients-app resource, plus the indexes and the caller's typed
// value.
package memehr
