package proxy

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/patientsfhir/patientsfhir/fhir"
	"github.com/patientsfhir/patientsfhir/stu3"
	"github.com/patientsfhir/patientsfhir/stu3/stu3mem"
	"github.com/patientsfhir/patientsfhir/stu3/stu3proxy"
	"github.com/patientsfhir/patientsfhir/upstream"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// search is the Patients app's patient search: family and given with its
// contains reading; it finds Hugh Chau (pat-1) among the fixtures.
const search = "/stu3/Patient?given=Hugh&family=Chau"

// cpuTime is the CPU time (user and system) the process has used.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// get sends one request and reads the whole answer.
func get(b *testing.B, c *http.Client, url string) {
	resp, err := c.Get(url)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("status %d", resp.StatusCode)
	}
}

// query is search as the server hands it to the backend.
var query = stu3.PatientQuery{Search: fhir.Search{Count: 20},
	Family: fhir.StringParam{{{Value: "Chau", Modifier: fhir.ModContains}}},
	Given:  fhir.StringParam{{{Value: "Hugh", Modifier: fhir.ModContains}}}}

// servers starts the upstream (the in-memory backend with the fixtures,
// behind stu3.NewHandler) and the proxy in front of it.
func servers(b *testing.B) (direct, proxied *httptest.Server, backend *stu3proxy.Backend) {
	mem, err := stu3mem.NewWithFixtures()
	if err != nil {
		b.Fatal(err)
	}
	h, err := stu3.NewHandler(stu3.Config{Backend: mem, BasePath: "/stu3", Profile: stu3.PatientsApp(), Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	direct = httptest.NewServer(h)
	b.Cleanup(direct.Close)
	pb, err := stu3proxy.New(upstream.Config{BaseURL: direct.URL + "/stu3", Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pb.Close)
	ph, err := stu3.NewHandler(stu3.Config{Backend: pb, BasePath: "/stu3", Profile: stu3.PatientsApp(), Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	proxied = httptest.NewServer(ph)
	b.Cleanup(proxied.Close)
	return direct, proxied, pb
}

// BenchmarkPatientSearch compares the search served directly, through the
// proxy, and a bare loopback round trip (a handler that writes 2 KiB).
func BenchmarkPatientSearch(b *testing.B) {
	direct, proxied, backend := servers(b)
	body := make([]byte, 2<<10)
	bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(body) }))
	b.Cleanup(bare.Close)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	b.Cleanup(client.CloseIdleConnections)
	for _, bm := range []struct{ name, url string }{
		{"direct", direct.URL + search},
		{"proxied", proxied.URL + search},
		{"roundtrip", bare.URL + "/"},
	} {
		b.Run(bm.name, func(b *testing.B) {
			get(b, client, bm.url) // warm the connections
			b.ReportAllocs()
			start := cpuTime(b)
			for b.Loop() {
				get(b, client, bm.url)
			}
			// CPU time of the whole process (client, proxy and upstream)
			// per request: what the work costs, without the time spent
			// waiting for the CPU on a busy machine.
			b.ReportMetric(float64(cpuTime(b)-start)/float64(b.N), "cpu-ns/op")
		})
	}
	// The proxy backend alone, called as the server calls it: the upstream
	// round trip, the decoding and the typed page, without the proxy's own
	// HTTP server and Bundle writing.
	b.Run("backend", func(b *testing.B) {
		ctx := context.Background()
		b.ReportAllocs()
		start := cpuTime(b)
		for b.Loop() {
			p, err := backend.SearchPatients(ctx, query)
			if err != nil || len(p.Resources) != 1 {
				b.Fatal(err, len(p.Resources))
			}
		}
		b.ReportMetric(float64(cpuTime(b)-start)/float64(b.N), "cpu-ns/op")
	})
}

// BenchmarkInterleaved sends the direct search, the proxied search and the
// bare round trip one after the other in every iteration and reports the
// median latency of each, and the ratios: on a shared machine, load that
// comes and goes then weighs on the three alike.
//
//	proxied/direct     the proxied search's latency over the direct one's
//	extra/roundtrip    (proxied − direct) / roundtrip: the proxy's cost in
//	                   loopback round trips (≥ 1: it makes one more)
func BenchmarkInterleaved(b *testing.B) {
	direct, proxied, _ := servers(b)
	body := make([]byte, 2<<10)
	bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(body) }))
	b.Cleanup(bare.Close)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	b.Cleanup(client.CloseIdleConnections)
	urls := []string{direct.URL + search, proxied.URL + search, bare.URL + "/"}
	lat := make([][]time.Duration, len(urls))
	for _, u := range urls {
		get(b, client, u) // warm the connections
	}
	for b.Loop() {
		for i, u := range urls {
			start := time.Now()
			get(b, client, u)
			lat[i] = append(lat[i], time.Since(start))
		}
	}
	med := make([]float64, len(urls))
	for i := range lat {
		slices.Sort(lat[i])
		med[i] = float64(lat[i][len(lat[i])/2])
	}
	b.ReportMetric(med[0], "direct-p50-ns")
	b.ReportMetric(med[1], "proxied-p50-ns")
	b.ReportMetric(med[2], "roundtrip-p50-ns")
	b.ReportMetric(med[1]/med[0], "proxied/direct")
	b.ReportMetric((med[1]-med[0])/med[2], "extra/roundtrip")
	b.ReportMetric(0, "ns/op") // the three requests together mean nothing
}
