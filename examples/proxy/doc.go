// Command proxy is a runnable Patients-app FHIR service whose tenants are
// served by their providers' own FHIR servers: each tenant's requests are
// forwarded to its upstream (STU3 at /stu3, DSTU2 at /dstu2), behind this
// module's OAuth2 client-credentials token endpoint, tenant routing and
// output checks (stu3proxy, dstu2proxy, package upstream).
//
// To try it without a hospital, start two demo upstreams first: the same
// binary serves the module's in-memory EHR with some of the fixture
// patients (docs/fixtures.md), without the Patients-app profile, as a
// provider's server would:
//
//	go run ./examples/proxy upstream -addr 127.0.0.1:8081 -patients pat-1,pat-2 &
//	UPSTREAM_TOKEN=b-secret go run ./examples/proxy upstream -addr 127.0.0.1:8082 -patients pat-3,pat-4,pat-5 &
//	UPSTREAM_B_TOKEN=b-secret go run ./examples/proxy -upstream-a http://127.0.0.1:8081 -upstream-b http://127.0.0.1:8082
//
// The proxy prints a client id and secret; the first tenant reads pat-1 and
// pat-2, the second pat-3 to pat-5. UPSTREAM_A_TOKEN and UPSTREAM_B_TOKEN
// are the bearer tokens sent to the upstreams (from the environment, never
// from flags). See docs/proxy.md for a tour with curl.
package main
