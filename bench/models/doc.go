// Package models compares the decode+encode cost of the patientsfhir FHIR
// models with github.com/google/fhir/go v0.7.4 jsonformat (STU3) and with a
// generic encoding/json decode into any (UseNumber) plus encode, the floor for
// lossless JSON in Go.
//
// Every contender does the same work per operation: decode every file of the
// official example set of a version, then encode what it decoded. Files that
// any contender rejects are excluded from all contenders and counted.
//
// The example files are read from disk, from the main module's
// internal/fhirexamples directory (../../internal/fhirexamples/<version>,
// resolved relative to this package's directory): this is a separate module,
// so it cannot import that internal package. Benchmarks and the ratios command
// therefore run from this directory or with the path given by -examples.
//
// Side-by-side numbers:
//
//	cd bench && go test -run '^$' -bench BenchmarkModels -benchmem ./models
//
// Ratios (ours/jsonformat, ours/generic) from one run, median of -count rounds:
//
//	cd bench && go run ./models/cmd/ratios -count 5
package models
