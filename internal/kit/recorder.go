package kit

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
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

var totalRE = regexp.MustCompile(`"total":\d+,`)

// StripTotal wraps h and removes Bundle.total from every response: a
// broken server for the kits' negative tests.
func StripTotal(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(rec.Code)
		_, _ = w.Write(totalRE.ReplaceAll(rec.Body.Bytes(), nil))
	})
}
