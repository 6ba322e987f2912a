// Command patientsfhir is the operator's command for Patients-app FHIR
// servers.
//
//	patientsfhir check [flags] [<base-url>...]
//
// check probes any FHIR server the way the Microsoft Teams Patients app
// does, whatever it is written in: the capability statement without a
// token, the token URL from its oauth-uris extension, a token with the
// tenant as scope, no data without a valid token, then every request the
// app sends by running the conformance kit (the engine of the dstu2test
// and stu3test kits) over HTTP, with every body validated against the
// official JSON schema; then a batch with a failing entry and, given
// several tenants, that no tenant's token finds another tenant's test
// patient. It prints one line per check (a failure lists each finding
// with its rule id and the section of the interface that states it), then
// "N passed, M failed", and exits 1 when a check failed. On a terminal it
// shows the request in progress.
//
//	patientsfhir clients  list | get | create | tenants | disable | enable
//	patientsfhir secrets  list | add | revoke
//	patientsfhir tenants  list | get | add | rename | set-backend | disable | enable | remove
//	patientsfhir keys     list | rotate | retire | remove
//
// These call a running server's admin API (-server or PATIENTSFHIR_SERVER,
// default http://127.0.0.1:8080) with the operator token from
// PATIENTSFHIR_OPERATOR_TOKEN, and print a table (-json: the server's
// answer). Errors say what the server refused and why, naming the field.
package main
