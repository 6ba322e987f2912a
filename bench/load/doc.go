// Package load replays the Microsoft Teams Patients app's traffic against
// the sample EHR service over loopback HTTP and measures it: throughput and
// latency percentiles (p50, p99, p99.9) at doubling rates up to
// saturation, the closed-loop capacity, the service's CPU time, memory and
// goroutines, and a soak that shows whether memory and goroutines stay
// flat.
//
// The service ([Open], [Serve]) is the whole module as a partner deploys
// it: patientsfhir.New with the token endpoint, the tenant registry
// (routing.Directory and routing.Registry over auth/sqlstore, on SQLite or
// PostgreSQL) routing the tenant to the sample EHR's backend
// (examples/sampleehr/ehr) with its data on SQLite or PostgreSQL
// ([Options].Data; a PostgreSQL population is seeded once into a schema of
// its own, sampleehr_<size>, and reused), and the STU3 server with the
// Patients app's profile. It runs in a child process ([StartChild]) so
// that what it uses is its own.
//
// The mix ([Client], [DefaultWeights]) is the app's: every operation first
// asks for a token (same client, secret and tenant, as the app does before
// every call), then sends a Patient search (POST _search with family and
// given), a Patient read, or the batch of the six clinical searches of a
// patient's page, in the proportions 1 : 2 : 2.
//
// Run the sweep, the soak and the sizes with cmd/load (see its doc):
//
//	cd bench && go run ./load/cmd/load
//	cd bench && go run ./load/cmd/load -patients 1000,100000 -dir /var/tmp/load -store sqlite,postgres
//	cd bench && go run ./load/cmd/load -data sqlite,postgres
//	cd bench && go run ./load/cmd/load -soak 1h -rate 50
//
// The package's tests check the mix against the service and run a short
// soak (LOAD_SOAK=10m for a longer one) that fails when the live heap or
// the goroutine count grows.
package load
