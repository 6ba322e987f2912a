// Command sampleehr is the sample EHR: a complete Patients-app partner
// service over an embedded SQLite database, or PostgreSQL (package
// service). It serves
// /stu3 and /dstu2 from the same data, the token endpoint, discovery, the
// admin API and the operator portal (/portal), and routes two tenants
// (hospitals), each with its own deterministic synthetic population,
// through the persisted tenant registry.
//
//	go run ./examples/sampleehr                             # 127.0.0.1:8080, data in ./sampleehr-data
//	go run ./examples/sampleehr -credentials creds.json     # and the URLs, clients and test patients as JSON
//	go run ./examples/sampleehr -patients 100000 -data big  # a larger population (seeding takes minutes)
//	go run ./examples/sampleehr -portal=false               # without the operator portal
//	go run ./examples/sampleehr -ops-addr 127.0.0.1:9090 -access-log   # metrics and probes, a log line per request
//	PATIENTSFHIR_DATABASE_URL=postgres://… go run ./examples/sampleehr  # data and auth store in PostgreSQL
//
// On first start it creates the data directory, seeds 1,000 patients per
// tenant (-patients, -tenants), creates one client per tenant and prints
// the credentials, the operator token of the admin API, the operator
// portal's sign-in credential and a short curl tour, once. A restart keeps
// everything: clients, secrets, signing keys (sealed with the seal key in
// the data directory, or PATIENTSFHIR_SEAL_KEY), tenants and data.
//
// The operator portal's credential is PATIENTSFHIR_PORTAL_CREDENTIAL when
// set; otherwise it is generated at first start, printed in the banner
// only (never in the log), and its SHA-256 kept in the data directory
// (portal-operator.sha256; delete it for a new one). Browsers keep the
// portal's Secure cookies over plain http only for localhost and
// 127.0.0.1: at any other address, put TLS in front.
//
// -credentials FILE writes, once the server is listening, a JSON file
// (mode 0600) that scripts and patientsfhir check read:
//
//	{"token_url": "...", "bases": {"stu3": "...", "dstu2": "..."},
//	 "tenants": [{"tenant": "<GUID>", "name": "...", "client_id": "...", "client_secret": "...",
//	              "patient": {"id", "family", "given", "birth_date", "gender", "mrn", "mrn_system"}}]}
//
// It serves with patientsfhir.Server.Serve: SIGINT or SIGTERM turn
// /readyz to 503 and shut it down gracefully. See docs/tour.md.
package main
