package load

import (
	"encoding/json"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Stats is what a service process measures of itself.
type Stats struct {
	// At is when the sample was taken.
	At time.Time `json:"at"`
	// CPU is the process's CPU time so far (user and system).
	CPU time.Duration `json:"cpu"`
	// RSS is the resident set size in bytes (/proc/self/statm).
	RSS uint64 `json:"rss"`
	// MaxRSS is the peak resident set size in bytes.
	MaxRSS uint64 `json:"max_rss"`
	// HeapInuse, HeapAlloc and Sys are runtime.MemStats' fields.
	HeapInuse uint64 `json:"heap_inuse"`
	HeapAlloc uint64 `json:"heap_alloc"`
	Sys       uint64 `json:"sys"`
	// NumGC is the number of completed GC cycles.
	NumGC uint32 `json:"num_gc"`
	// Goroutines is runtime.NumGoroutine.
	Goroutines int `json:"goroutines"`
}

// Self measures this process; gc collects garbage first, so that
// HeapAlloc is the live heap.
func Self(gc bool) Stats {
	if gc {
		runtime.GC()
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	st := Stats{At: time.Now(), HeapInuse: ms.HeapInuse, HeapAlloc: ms.HeapAlloc, Sys: ms.Sys, NumGC: ms.NumGC,
		Goroutines: runtime.NumGoroutine()}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		st.CPU = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		st.MaxRSS = uint64(ru.Maxrss) * 1024
	}
	if b, err := os.ReadFile("/proc/self/statm"); err == nil {
		if f := strings.Fields(string(b)); len(f) > 1 {
			if pages, err := strconv.ParseUint(f[1], 10, 64); err == nil {
				st.RSS = pages * uint64(os.Getpagesize())
			}
		}
	}
	return st
}

// StatsHandler serves Self as JSON at / (?gc=1 collects first) and
// net/http/pprof below /debug/pprof/. Serve it on a loopback port only.
func StatsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(Self(r.URL.Query().Get("gc") == "1"))
	})
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}
