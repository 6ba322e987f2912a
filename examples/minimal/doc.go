// Command minimal is a runnable Patients-app FHIR server: the in-memory
// backends (dstu2mem, stu3mem) loaded with the synthetic fixtures (no HL7
// example patients: every patient has what the app shows), split between
// two tenants and served at /dstu2 and /stu3 behind the auth
// package's OAuth2 client-credentials issuer (/token, discovery, JWKS) and
// bearer verifier, all wired by one call to patientsfhir.New. By default the
// issuer keeps its clients and keys in memory (the auth.MemoryStore): a
// restart forgets them and prints new credentials. With -db PATH they live
// in SQLite (auth/sqlstore) and survive restarts; the key sealing the
// signing keys comes from PATIENTSFHIR_SEAL_KEY or from PATH.sealkey.
//
//	go run ./examples/minimal                 # 127.0.0.1:8080, prints a client id and secret
//	go run ./examples/minimal -addr :9090 -tenant <GUID> -client-id my-app
//	go run ./examples/minimal -db demo.db     # clients, secrets and keys survive restarts
//	go run ./examples/minimal -open           # no authentication at all (said loudly)
//
// See docs/minimal.md for a tour of it with curl.
package main
