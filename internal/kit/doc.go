// Package kit is the version-neutral core of the conformance kits
// (dstu2/dstu2test and stu3/stu3test): the catalogue of every request the
// Microsoft Teams Patients app sends (request lines D0-D9 and S0-S9 of the
// interface specification, with every variant the app may use) as data,
// the rules of the contract (Version.Rules: each with a stable id and its
// spec section), and the driver that sends each request to a real
// http.Handler and checks the response against those rules: status,
// Bundle.total (exact: against every next link and the unpaged count),
// _count, newest first, both sort syntaxes, the required elements, what
// the app displays, patient scoping, resource types, batch order, every
// profile search parameter both ways (a matching value finds the test
// patient, a non-matching one leaves it out, by GET, POST _search and in a
// batch), every advertised parameter accepted, and validity (a version
// hook runs the models' Validate, an optional hook the official JSON
// schema).
//
// Every rule is enforced unless Options.Relax names it; each failure names
// the request, what was wrong, and the rule with its section. The
// sub-package mutation holds, for every rule, a server broken in that one
// way; the package's tests prove that the kit fails each of them for both
// versions and passes the correct in-memory backends.
package kit
