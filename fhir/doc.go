// Package fhir is what a partner's backend and the servers share for FHIR
// DSTU2 and STU3: versions, errors, search parameters and their typed
// values, and the page a search returns.
//
//   - Versions as data: [DSTU2] and [STU3] are [Version] values that carry
//     everything that differs (fhirVersion, MIME types, the capability
//     resource's name, the _sort spelling of links, how batch is declared).
//   - Errors: sentinel errors ([ErrNotFound], [ErrInvalidSearch], ...), the
//     typed [Error] and [Safe], mapped by one table to an HTTP status and an
//     OperationOutcome issue code ([Classify], [NewOutcome]). The text of an
//     error that is not marked safe never reaches a client.
//   - Search: [SearchParam] declarations (one source of truth for parsing,
//     strict/lenient handling, links and the capability statement), a
//     [Parser] for GET and POST _search requests that yields a [Query], and
//     the typed values a backend matches against: [StringParam],
//     [TokenParam], [DateParam] and [IDParam], each with a Match method that
//     applies FHIR's semantics.
//   - Pages: every typed query embeds [Search] (ids, page size, sort,
//     the backend's cursor) and every search returns a [Page].
//
// The servers' own machinery (bundles, cursors, batch) is internal to the
// module; this package imports nothing of it.
package fhir
