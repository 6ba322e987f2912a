// Package auth is the OAuth 2.0 client-credentials authorization server and
// bearer-token verifier of patientsfhir: the token endpoint the Microsoft
// Teams Patients app (and any SMART Backend Services style client) calls,
// the middleware that protects FHIR routes, a client registry with
// Azure-style secret rotation, signing-key rotation with a JWKS endpoint,
// the discovery documents and a registration API.
//
// # Overview
//
// [New] builds a [Server] from a validated [Config] and a [Store]:
//
//   - [Server.Issuer] is the token endpoint (RFC 6749 §4.4) with
//     client_secret_post and client_secret_basic. The scope is the tenant
//     GUID, canonicalised to lower case and checked against the client's
//     tenants and the optional TenantValidator hook.
//   - Access tokens are RFC 9068 JWTs ([AccessClaims], typ at+jwt, kid = RFC
//     7638 thumbprint), ES256 by default, RS256 and EdDSA available. Nothing
//     is stored per token.
//   - [Server.Verifier] returns the [Verifier] whose Middleware checks
//     bearer tokens strictly and puts a [Principal] in the request context
//     ([PrincipalFrom]); errors follow RFC 6750.
//   - [Server.Registry] manages clients and secrets: secrets are 256 random
//     bits in the form fhcs_<id>_<random> ([ParseSecret]), shown once,
//     stored as SHA-256 or HMAC-SHA-256 hashes and checked in constant time
//     with one digest on every path; at most MaxActiveSecrets are active.
//   - [Server.Keys] manages signing keys: pending -> active -> retired ->
//     removed, on a schedule ([Server.Run]) or on demand, private keys
//     sealed with AES-256-GCM ([Sealer]) before they reach a store.
//   - [Server.Handler] serves the token endpoint, the JWKS and the RFC 8414
//     metadata at the paths of [Config.Endpoints]; [Server.SMARTConfiguration]
//     serves /.well-known/smart-configuration; [Server.Admin] is the
//     registration API.
//
// The URLs come from one place, [Config.Endpoints], so the handlers, the
// discovery documents and the capability statement's SMART oauth-uris
// extension cannot disagree.
//
// # Persistence
//
// Everything durable goes through the small interfaces in store.go:
// [ClientStore], [KeyStore] and [DenyList], together [Store]. Stores are
// deliberately dumb: they persist records and offer atomic read-modify-write
// (UpdateClient, UpdateKey) so that business rules (at most two active
// secrets, key lifecycle) live here and hold under concurrency on every
// backend. Secrets are stored only as hashes and private signing keys only
// sealed by this package, so a store never holds a usable credential.
//
// The in-memory implementation is [MemoryStore] in this package (use
// [NewMemoryStore]); the SQLite and PostgreSQL implementations live in
// auth/sqlstore, and auth/storetest is the conformance suite every store
// passes.
//
// # Security notes
//
// Audit events ([Event], [Auditor]) never carry secrets, tokens,
// Authorization values or query strings. Request bodies are read under
// Config.BodyReadTimeout before a request takes an in-progress place
// (capped in total and per address). Failed authentications count against
// budgets per (address, client id) and per client id: over them a wrong
// secret gets 429 with Retry-After, while the right one is always served,
// so no client id can be locked out. The client address honours
// X-Forwarded-For only from Config.TrustedProxies. Self-service secret
// changes follow Config.SelfService. A repeated token request may be
// answered with the token minted moments ago (Config.TokenReuseWindow).
// See docs/auth.md for configuration, the threat model, rotation runbooks,
// multi-node bounds and the error tables.
package auth
