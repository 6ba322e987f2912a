package stu3mem_test

import (
	"testing"

	"github.com/patientsfhir/patientsfhir/internal/restserver/servertest"
)

// TestBackend runs the in-memory backend tests shared with dstu2mem
// (servertest.MemBackend); version is written by internal/servergen.
func TestBackend(t *testing.T) { servertest.MemBackend(t, version) }
