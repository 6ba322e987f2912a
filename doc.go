// Package patientsfhir builds FHIR servers that the Microsoft Teams "Patients app"
// and any other OAuth2 client-credentials FHIR client can connect to.
//
// A partner implements small typed interfaces over its own EHR and gets a
// conformant FHIR DSTU2 and/or STU3 server with its own OAuth2 token endpoint,
// secret rotation, capability statement and per-tenant routing.
//
// The module is organised as a set of packages whose dependencies point one way:
//
//   - [github.com/patientsfhir/patientsfhir/dstu2] and
//     [github.com/patientsfhir/patientsfhir/stu3]: complete generated models of
//     every resource and datatype of FHIR 1.0.2 and 3.0.1 (strict decoding,
//     lossless re-encoding, Validate), the typed backend interfaces a partner
//     implements, and the HTTP handler built from them; dstu2test and stu3test
//     are the conformance kits, dstu2mem and stu3mem in-memory backends.
//   - [github.com/patientsfhir/patientsfhir/fhir]: the version-neutral REST
//     machinery (errors as OperationOutcome, search parameters, bundles,
//     paging cursors, batch, content negotiation).
//   - [github.com/patientsfhir/patientsfhir/capability]: the capability
//     statement built from what is registered.
//   - [github.com/patientsfhir/patientsfhir/auth]: the client-credentials token
//     issuer, bearer verifier, client registry with secret rotation and
//     signing-key rotation; auth/sqlstore holds the SQLite and PostgreSQL stores.
//   - [github.com/patientsfhir/patientsfhir/fhirjson]: the JSON runtime the
//     generated models share.
//
// The README is the user's guide: a tour with curl, how to plug in an EHR,
// configuration, operations and benchmarks.
package patientsfhir
