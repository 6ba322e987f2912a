// Package auth compares patientsfhir's OAuth2 client-credentials token
// endpoint and bearer verification with two widely used Go implementations,
// side by side in one run:
//
//   - github.com/go-oauth2/oauth2/v4 in its in-memory setup (plaintext client
//     secrets, opaque tokens kept in an in-memory buntdb store);
//   - github.com/ory/fosite composed with its client-credentials grant and its
//     default secret handling (bcrypt cost 12 client-secret hashes, HMAC opaque
//     tokens, one in-memory session write per token);
//   - a bare net/http handler that answers a constant token body: the floor of
//     what HTTP alone costs, with no authentication and no signing at all.
//
// Every implementation serves the same client_secret_post request (the way
// the Microsoft Teams Patients app asks for a token) in four modes: called
// in-process with an httptest recorder, serially and with b.RunParallel, and
// over loopback HTTP through an httptest.Server, serially and in parallel.
// BenchmarkLoopbackRoundTrip and BenchmarkBearerVerification express the cost
// of verifying a bearer token as a fraction of one HTTP round trip.
//
// Run it, then turn the run into the ratios the project tracks:
//
//	cd bench && go test -run '^$' -bench . -benchmem ./auth | tee /tmp/auth.txt
//	go run ./auth/ratios < /tmp/auth.txt
//
// Only ratios are meaningful: the machine is shared and absolute times drift.
package auth
