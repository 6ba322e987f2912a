// Package auth is the OAuth 2.0 client-credentials authorization server and
// bearer-token verifier of patientsfhir: the token endpoint the Microsoft Teams
// Patients app (and any SMART Backend Services style client) calls, the
// middleware that protects FHIR routes, a client registry with Azure-style
// secret rotation, signing-key rotation with a JWKS endpoint, and the
// discovery documents.
//
// # Persistence
//
// Everything durable goes through the small interfaces in store.go:
// [ClientStore], [KeyStore] and [DenyList], together [Store]. Stores are
// deliberately dumb: they persist records and offer atomic read-modify-write
// (UpdateClient, UpdateKey) so that business rules (at most two active
// secrets, key lifecycle) live here and hold under concurrency on every
// backend. Secrets are stored only as SHA-256 or HMAC-SHA-256 hashes and
// private signing keys only sealed with AES-256-GCM by this package, so a
// store never holds a usable credential.
//
// The in-memory implementation is [MemoryStore] in this package (use
// [NewMemoryStore]); the SQLite and PostgreSQL implementations live in
// auth/sqlstore, and auth/storetest is the conformance suite every store
// passes.
package auth
