package sqlstore

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

// TestMain runs the crash test's helper process when the test binary is
// started as one, and otherwise fails the package's tests when a goroutine
// outlives them.
func TestMain(m *testing.M) {
	if v := os.Getenv(crashEnv); v != "" {
		os.Exit(crashHelper(v))
	}
	goleak.VerifyTestMain(m)
}
