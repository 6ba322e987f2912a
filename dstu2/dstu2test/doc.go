// Package dstu2test is the conformance kit of DSTU2 servers for the
// Microsoft Teams Patients app. Call [Run] from your own go test with your
// server's http.Handler (built on your backend) and the identifiers of a
// test patient; it sends every request the app sends (interface lines
// D0-D9, with each variant: both _sort syntaxes, GET and POST _search, id
// and _id, identifier with and without a system, a batch of every clinical
// search) and fails with the request's name and what was wrong.
package dstu2test
