package dstu2_test

import (
	"testing"

	"github.com/patientsfhir/patientsfhir/internal/restserver/servertest"
)

// TestServer runs the server tests shared with STU3 (package servertest)
// against the DSTU2 handler; version, the DSTU2 side of them, is written by
// internal/servergen.
func TestServer(t *testing.T) { servertest.Run(t, version) }

// BenchmarkServer: see servertest.Bench.
func BenchmarkServer(b *testing.B) { servertest.Bench(b, version) }
