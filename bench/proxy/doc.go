// Package proxy measures what the upstream proxy backend (stu3proxy) costs:
// a Patient search served through the proxy against the same search served
// directly by the upstream, both over loopback HTTP with keep-alive, and a
// bare loopback round trip for scale.
//
//	cd bench && go test -run '^$' -bench . -benchmem -count 6 ./proxy | tee /tmp/proxy.txt
//
// BenchmarkInterleaved gives the ratios: it sends the three requests one
// after the other in every iteration and reports their median latencies,
// proxied/direct and extra/roundtrip = (proxied − direct) / roundtrip, so
// that the load of a shared machine weighs on all three alike.
// BenchmarkPatientSearch measures each alone, with the CPU time of the
// whole process per request, and the proxy backend alone ("backend").
//
// The proxied search costs one more loopback round trip (client → proxy →
// upstream) plus the proxy's own work: serving the request (parsing,
// checks, writing its own Bundle, as for any backend) and decoding the
// upstream's Bundle strictly into the models.
package proxy
