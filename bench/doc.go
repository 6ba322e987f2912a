// Package bench compares patientsfhir with other implementations, side by side
// in one run. It is a separate module so that the main go.mod stays lean: the
// peers it measures (google/fhir, go-oauth2, fosite, ...) are required here only.
//
// Run everything with
//
//	cd bench && go test -run '^$' -bench . -benchmem -count 6 ./... | tee bench.txt
//
// and compare with benchstat. Each sub-package reports ratios against its peers.
package bench
