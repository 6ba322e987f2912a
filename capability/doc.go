// Package capability builds and serves a FHIR server's capability statement:
// a DSTU2 Conformance or an STU3 CapabilityStatement, chosen by the
// [fhir.Version] it is built for.
//
// The statement is derived from what the server registered: the resource
// types, their interactions and their declared search parameters (the same
// [fhir.SearchParam] values the server's parser uses, validated by that
// parser at build time), the system batch interaction, and the security
// settings (the SMART oauth-uris extension with the token and, when
// configured, authorize URLs, and the OAuth security service). A statement
// that lies about what the server parses is therefore impossible by
// construction.
//
// [Build] validates the [Config] and renders the statement once; an Adjust
// hook may change it first (but not its resourceType or fhirVersion). The
// returned [Handler] serves it at GET [base]/metadata with a weak ETag
// (If-None-Match answers 304) and content negotiation from package fhir. It
// needs no token: mount it outside the authentication middleware.
//
// Version differences are data in [fhir.Version]: DSTU2 declares batch as the
// "transaction" system interaction with rest.transactionMode "batch" and
// lists searchParam modifiers and targets; STU3 has a "batch" code and no
// such elements.
package capability
