package stu3test

import (
	"net/http"
	"testing"

	"github.com/patientsfhir/patientsfhir/internal/kit"
	"github.com/patientsfhir/patientsfhir/stu3"
)

// TestData names the test patient and its identifiers in your backend.
type TestData = kit.TestData

// Options tune a run: the base path, how to authorize requests, an
// optional JSON-schema validator, and whether a missing display is an
// error.
type Options = kit.Options

// Version is the STU3 contract the kit checks.
var Version = kit.STU3(validate)

// Run checks the handler h against the STU3 Patients-app contract.
// Missing display strings on references the app shows are logged as
// warnings (errors with Options.StrictDisplay).
func Run(t testing.TB, h http.Handler, data TestData, opts Options) {
	t.Helper()
	kit.Run(t, h, Version, data, opts)
}

// Check runs the same checks as Run outside a test (a smoke check of a
// deployment, a CLI) and returns the failures and the log lines (warnings
// start with "warning:").
func Check(h http.Handler, data TestData, opts Options) (failures, logs []string) {
	var rec kit.Recorder
	kit.Run(&rec, h, Version, data, opts)
	return rec.Errors, rec.Logs
}

// validate decodes a resource strictly with the stu3 models and runs its
// Validate method.
func validate(b []byte) error {
	r, err := stu3.UnmarshalResource(b)
	if err != nil {
		return err
	}
	return r.Validate()
}
