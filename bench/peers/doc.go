// Package peers measures the Patients app's searches side by side, in one
// run, over the same population (examples/sampleehr/population), on:
//
//   - node-fhir-server-core (npm @asymmetrik/node-fhir-server-core): a
//     minimal in-memory STU3 service written for it (node/server.js) over
//     the population exported as JSON, with indexes by id and by patient and
//     pre-sorted dates, in a cluster of one process per core and without
//     authentication;
//   - a bare net/http handler writing, for exactly the requests measured,
//     the bytes the module's server writes (captured at start-up): the
//     floor, what HTTP alone costs;
//   - this module as a partner deploys it (patientsfhir.New: token endpoint,
//     bearer verification, the tenant registry, the STU3 server with the
//     Patients app's profile) over the sample EHR's SQLite backend;
//   - the same over the module's in-memory engine (stu3mem) loaded with the
//     same population.
//
// Every server runs in its own process. Before measuring, every search is
// sent to every server and must give the same totals and ids. Then each
// search runs closed-loop (each connection sends its next request when the
// last one is answered) on each server in turn, at each connection count.
// The report gives throughput and p99 per search and server, and the
// ratios the project's targets judge: every search at least 10× node at a
// p99 no worse, the module's authenticated chain at least 0.5× the floor.
//
//	cd bench && go run ./peers/cmd/peers
//
// Token issuance against go-oauth2 and fosite is measured by bench/auth.
package peers
