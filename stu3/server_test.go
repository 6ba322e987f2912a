package stu3_test

import (
	"testing"

	"github.com/patientsfhir/patientsfhir/internal/restserver/servertest"
)

// TestServer runs the server tests shared with DSTU2 (package servertest)
// against the STU3 handler; version, the STU3 side of them, is written by
// internal/servergen.
func TestServer(t *testing.T) { servertest.Run(t, version) }

// BenchmarkServer: see servertest.Bench.
func BenchmarkServer(b *testing.B) { servertest.Bench(b, version) }
