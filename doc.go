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
//     every resource and datatype of FHIR 1.0.2 and 3.0.1, with strict decoding,
//     lossless re-encoding and Validate.
//   - fhir: the version-neutral REST machinery (errors as OperationOutcome,
//     search parameters, bundles, paging cursors, batch, content negotiation).
//   - capability: the capability statement built from what is registered.
//   - auth: the client-credentials token issuer, bearer verifier, client
//     registry with secret rotation and signing-key rotation.
//
// See the README for a tour and DESIGN notes.
package patientsfhir
