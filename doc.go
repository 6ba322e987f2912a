// Package patientsfhir builds FHIR servers that the Microsoft Teams "Patients app"
// and any other OAuth2 client-credentials FHIR client can connect to.
//
// A partner implements small typed interfaces over its own EHR and gets a
// conformant FHIR DSTU2 and/or STU3 server with its own OAuth2 token endpoint,
// secret rotation, capability statement and per-tenant routing.
//
// # One call
//
// [New] builds the whole service as one [http.Handler] from a [Config]: the
// OAuth2 token endpoint, the JWKS and RFC 8414 metadata, each FHIR version's
// SMART configuration and capability statement (readable without a token),
// its data behind the bearer verifier, and the registration API under
// /admin when an operator token is set:
//
//	srv, err := patientsfhir.New(ctx, patientsfhir.Config{
//		PublicURL: "https://fhir.example.com",
//		Auth:      auth.Config{SealKey: sealKey, OperatorToken: operatorToken},
//		Store:     store, // auth/sqlstore for durability
//		STU3:      &stu3.Config{Backend: ehr, Profile: stu3.PatientsApp()},
//	})
//	go srv.Run(ctx) // signing-key rotation
//	http.ListenAndServe(addr, srv)
//
// Every token has one audience, PublicURL, accepted on every mounted FHIR
// base; the capability statements advertise the token URL the server
// really serves. docs/root.md describes the routes and the choices.
//
// # Packages
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
