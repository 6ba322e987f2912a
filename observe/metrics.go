package observe

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the service's Prometheus collectors. Every label is a
// bounded set: versions, interactions, the resource types a server knows,
// status codes, failure kinds and the reason codes of package auth; never
// an id, a tenant, a client or a query. The fields are exported so that
// tests (prometheus/testutil) and dashboards can name them; the servers
// update them.
type Metrics struct {
	// Requests is patientsfhir_http_requests_total{version, interaction,
	// type, code}: every request, by FHIR version ("" outside one),
	// interaction, resource type and status code.
	Requests *prometheus.CounterVec
	// RequestDuration is patientsfhir_http_request_duration_seconds
	// {version, interaction, type}: time to serve a request, response
	// written.
	RequestDuration *prometheus.HistogramVec
	// BackendDuration is patientsfhir_backend_call_duration_seconds
	// {version, interaction, type}: time of each backend call (a timed-out
	// call counts its timeout).
	BackendDuration *prometheus.HistogramVec
	// BackendFailures is patientsfhir_backend_failures_total{version,
	// interaction, type, kind}: every [Failure] by [FailureKind].
	BackendFailures *prometheus.CounterVec
	// BackendAbandoned is patientsfhir_backend_abandoned_calls{version}:
	// backend calls still running after their request gave up (timeout or
	// client gone). It falls back as they return.
	BackendAbandoned *prometheus.GaugeVec
	// Tokens is patientsfhir_tokens_total{outcome, reason}: token requests
	// issued (reason "") and denied, by auth's reason code
	// ("invalid_client", "scope", "rate_limited", ...).
	Tokens *prometheus.CounterVec
	// BearerRejected is patientsfhir_bearer_rejected_total{reason}: FHIR
	// requests refused by the bearer check, by auth's reason code.
	BearerRejected *prometheus.CounterVec
	// BatchEntries is patientsfhir_batch_entries{version}: the number of
	// entries of each batch.
	BatchEntries *prometheus.HistogramVec

	caches   *cacheCollector
	gatherer prometheus.Gatherer
}

// LatencyBuckets are the buckets of the duration histograms, in seconds:
// from a millisecond (an in-memory backend) to a minute (a timeout).
var LatencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}

// NewMetrics creates the collectors and registers them with reg: pass a
// prometheus.NewRegistry() of your own (tests stay independent) or
// prometheus.DefaultRegisterer. Registering twice with one registry is an
// error; share one *Metrics between servers instead.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	if reg == nil {
		return nil, errors.New("observe: NewMetrics needs a prometheus.Registerer")
	}
	fhirLabels := []string{"version", "interaction", "type"}
	m := &Metrics{
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "patientsfhir_http_requests_total",
			Help: "HTTP requests served, by FHIR version, interaction, resource type and status code."},
			append(slices.Clone(fhirLabels), "code")),
		RequestDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "patientsfhir_http_request_duration_seconds",
			Help: "Time to serve an HTTP request, by FHIR version, interaction and resource type.", Buckets: LatencyBuckets},
			fhirLabels),
		BackendDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "patientsfhir_backend_call_duration_seconds",
			Help: "Time of each backend call, by FHIR version, interaction and resource type.", Buckets: LatencyBuckets},
			fhirLabels),
		BackendFailures: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "patientsfhir_backend_failures_total",
			Help: "Backend failures (error, panic, timeout, refused output, overloaded), by FHIR version, interaction, resource type and kind."},
			append(slices.Clone(fhirLabels), "kind")),
		BackendAbandoned: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "patientsfhir_backend_abandoned_calls",
			Help: "Backend calls still running after their request gave up, by FHIR version."}, []string{"version"}),
		Tokens: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "patientsfhir_tokens_total",
			Help: "Token requests, by outcome (issued, denied) and denial reason."}, []string{"outcome", "reason"}),
		BearerRejected: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "patientsfhir_bearer_rejected_total",
			Help: "Requests refused by the bearer-token check, by reason."}, []string{"reason"}),
		BatchEntries: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "patientsfhir_batch_entries",
			Help: "Entries per batch, by FHIR version.", Buckets: []float64{1, 2, 3, 4, 6, 8, 12, 16, 25, 50, 100}},
			[]string{"version"}),
		caches: &cacheCollector{desc: prometheus.NewDesc("patientsfhir_cache_lookups_total",
			"Lookups of the bearer verifier's token cache and the client registry's cache, by cache and result (hit, miss).",
			[]string{"cache", "result"}, nil)},
	}
	for _, c := range []prometheus.Collector{m.Requests, m.RequestDuration, m.BackendDuration, m.BackendFailures,
		m.BackendAbandoned, m.Tokens, m.BearerRejected, m.BatchEntries, m.caches} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	m.gatherer, _ = reg.(prometheus.Gatherer)
	return m, nil
}

// Handler serves the metrics in the Prometheus exposition format from the
// registry given to NewMetrics (404 if it is not also a
// prometheus.Gatherer). Mount it on the operator's address, not on the
// public FHIR one (patientsfhir.Server.OpsHandler does).
func (m *Metrics) Handler() http.Handler {
	if m == nil || m.gatherer == nil {
		return http.NotFoundHandler()
	}
	return promhttp.HandlerFor(m.gatherer, promhttp.HandlerOpts{})
}

// WatchCache adds a cache to patientsfhir_cache_lookups_total{cache=name}:
// stats is read at each scrape and returns the cumulative hits and misses.
// Caches watched under one name are summed (several servers in one
// process). name must be a constant ("verifier", "client").
func (m *Metrics) WatchCache(name string, stats func() (hits, misses uint64)) {
	if m == nil || stats == nil {
		return
	}
	m.caches.mu.Lock()
	defer m.caches.mu.Unlock()
	m.caches.sources = append(m.caches.sources, cacheSource{name, stats})
}

type cacheSource struct {
	name  string
	stats func() (hits, misses uint64)
}

// cacheCollector reads the watched caches' counters at scrape time.
type cacheCollector struct {
	desc    *prometheus.Desc
	mu      sync.Mutex
	sources []cacheSource
}

// Describe implements prometheus.Collector.
func (c *cacheCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect implements prometheus.Collector.
func (c *cacheCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	type hm struct{ hits, misses uint64 }
	sums := map[string]hm{}
	var names []string
	for _, s := range c.sources {
		h, mi := s.stats()
		old, seen := sums[s.name]
		if !seen {
			names = append(names, s.name)
		}
		sums[s.name] = hm{old.hits + h, old.misses + mi}
	}
	c.mu.Unlock()
	for _, n := range names {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.CounterValue, float64(sums[n].hits), n, "hit")
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.CounterValue, float64(sums[n].misses), n, "miss")
	}
}

// statusCodes holds the status labels "100".."599", so that labelling a request
// does not format a number.
var statusCodes = func() (c [600]string) {
	for i := 100; i < len(c); i++ {
		c[i] = strconv.Itoa(i)
	}
	return c
}()

// StatusLabel returns the code label of an HTTP status ("other" outside
// 100-599).
func StatusLabel(status int) string {
	if status >= 100 && status < len(statusCodes) {
		return statusCodes[status]
	}
	return "other"
}

// reasonLabel bounds a reason code taken from an audit event: auth's
// reasons are short snake_case constants; anything else is "other".
func reasonLabel(s string) string {
	if len(s) == 0 || len(s) > 40 {
		return "other"
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_') {
			return "other"
		}
	}
	return s
}
