// Package proxy measures what the upstream proxy backend (stu3proxy) costs:
// a Patient search served through the proxy against the same search served
// directly by the upstream, both over loopback HTTP with keep-alive, and a
// bare loopback round trip for scale.
//
//	cd bench && go test -run '^$' -bench . -benchmem -count 6 ./proxy | tee /tmp/proxy.txt
//
// The proxied search costs one more loopback round trip (client → proxy →
// upstream) plus the proxy's own work: decoding the upstream's Bundle
// strictly into the models, checking every resource and writing its own
// Bundle. The goal is that this own work stays under one loopback round
// trip: (proxied − direct − roundtrip) / roundtrip < 1.
package proxy
