package kit

import (
	"fmt"
	"sync"
)

// Recorder is a [T] that records failures and log lines instead of
// failing: the kits' Check functions use it, and so do the kits' own tests
// that prove a broken server fails. It is safe for concurrent use.
type Recorder struct {
	mu     sync.Mutex
	Errors []string
	Logs   []string
}

// Helper implements T.
func (r *Recorder) Helper() {}

// Errorf implements T: it records a failure.
func (r *Recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Errors = append(r.Errors, fmt.Sprintf(format, args...))
}

// Logf implements T: it records a log line (warnings among them).
func (r *Recorder) Logf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Logs = append(r.Logs, fmt.Sprintf(format, args...))
}
