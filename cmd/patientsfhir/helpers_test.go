package main

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/patientsfhir/patientsfhir/examples/sampleehr/service"
)

// sampleEHR is a running sample EHR: the service behind a real HTTP
// server, and its credentials file.
type sampleEHR struct {
	svc   *service.Service
	url   string
	creds string // the -credentials file
	// wrap, when set, sits in front of the service (a broken server).
	mu   sync.Mutex
	wrap func(http.Handler) http.Handler
}

func (s *sampleEHR) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	wrap := s.wrap
	s.mu.Unlock()
	if wrap != nil {
		wrap(s.svc).ServeHTTP(w, r)
		return
	}
	s.svc.ServeHTTP(w, r)
}

// breakWith puts wrap in front of the service until the test ends.
func (s *sampleEHR) breakWith(t *testing.T, wrap func(http.Handler) http.Handler) {
	s.mu.Lock()
	s.wrap = wrap
	s.mu.Unlock()
	t.Cleanup(func() {
		s.mu.Lock()
		s.wrap = nil
		s.mu.Unlock()
	})
}

// startSampleEHR starts a sample EHR of two tenants with a small
// population (the designated patients are those of any size) in a fresh
// directory.
func startSampleEHR(t *testing.T) *sampleEHR {
	t.Helper()
	dir := t.TempDir()
	s := &sampleEHR{creds: filepath.Join(dir, "creds.json")}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	var err error
	s.svc, err = service.Open(context.Background(), service.Config{Dir: filepath.Join(dir, "data"), PublicURL: ts.URL, Patients: 60,
		Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	t.Cleanup(func() { s.svc.Close() })
	s.url = ts.URL
	require.NoError(t, service.WriteCredentials(s.creds, s.svc.Credentials()))
	return s
}

// result is one run of the command.
type result struct {
	code           int
	stdout, stderr string
}

// cli runs the command with args and the environment vars.
func cli(t *testing.T, vars map[string]string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb, func(k string) string { return vars[k] })
	return result{code, out.String(), errb.String()}
}

// lineOf returns the line of out that starts with prefix, and the
// indented lines under it.
func lineOf(out, prefix string) string {
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		if !strings.HasPrefix(l, prefix) {
			continue
		}
		block := []string{l}
		for _, m := range lines[i+1:] {
			if !strings.HasPrefix(m, "    ") {
				break
			}
			block = append(block, m)
		}
		return strings.Join(block, "\n")
	}
	return ""
}
