// Package fhir is the version-neutral REST machinery of a FHIR DSTU2 or STU3
// server: what every resource handler needs, written once.
//
//   - Versions as data: [DSTU2] and [STU3] are [Version] values that carry
//     everything that differs (fhirVersion, MIME types, the capability
//     resource's name, the _sort spelling of links, how batch is declared).
//   - Errors: sentinel errors ([ErrNotFound], [ErrInvalidSearch], ...), the
//     typed [Error] and [Safe], mapped by one table to an HTTP status and an
//     OperationOutcome issue code ([Classify]). [WriteError] always answers
//     an OperationOutcome with the version's MIME type; the text of an error
//     that is not marked safe never reaches the client.
//   - Content negotiation: [Negotiate] (_format beats Accept; JSON always;
//     XML gets 406), charset=utf-8, _pretty=true.
//   - Search: [SearchParam] declarations (one source of truth for parsing,
//     strict/lenient handling, links and the capability statement), a
//     [Parser] for GET and POST _search requests that yields a [Query] with
//     typed AND/OR value lists, _id/id, _count, _sort in both syntaxes and
//     _summary=count, and a canonical encoding for links.
//   - Pages: a backend returns a [Page] (resources, optional total, opaque
//     next token); [BuildSearchset] derives Bundle.total and the self/next
//     links, sealing the token in an HMAC cursor bound to tenant and query
//     ([Cursors]); [WriteSearchset] streams the Bundle. [ServeSearch] does
//     the whole search interaction around a [SearchFunc].
//   - Batch: [Batch] runs each entry of a batch Bundle through the same
//     in-process handler chain, concurrently up to a bound, and answers a
//     batch-response in request order.
//
// The package imports nothing else of the module; partners' backends import
// it for the query and page types.
package fhir
