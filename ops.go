package patientsfhir

import (
	"context"
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/patientsfhir/patientsfhir/auth"
	"github.com/patientsfhir/patientsfhir/observe"
	"github.com/patientsfhir/patientsfhir/routing"
)

// Ops configures what operators see of the service and how it stops. The
// zero value logs every backend failure to Config.Logger and nothing else.
type Ops struct {
	// Observer receives the metrics, spans and failures of the whole
	// service: every request (see observe.Middleware), the token endpoint
	// and the bearer checks (through an auth.Auditor), and each version's
	// backend calls (unless that version's own Config.Observer is set).
	// Build its Metrics with observe.NewMetrics on a registry of yours and
	// serve them with [Server.OpsHandler], never on the public address.
	Observer *observe.Observer
	// AccessLog writes one line per request to Config.Logger: request id,
	// method, route pattern, status, bytes, duration, tenant and client
	// (never a query string or a header other than X-Request-Id).
	AccessLog bool
	// PublicHealth also serves GET /healthz and /readyz on the public
	// handler, for a load balancer that probes the service port. They
	// are always served by [Server.OpsHandler].
	PublicHealth bool
	// Ready are readiness checks added to those New finds: the Store and
	// each version's Router when they implement observe.Pinger
	// (auth/sqlstore.Store does).
	Ready []observe.Check
	// GracePeriod bounds how long [Server.Serve] waits for in-flight
	// requests once told to stop (default 25s: inside Kubernetes' 30s).
	GracePeriod time.Duration
	// DrainDelay is how long Serve keeps serving after SIGTERM with
	// /readyz answering 503, so that load balancers stop sending before
	// the listener closes (default 0).
	DrainDelay time.Duration
}

// opsState is what New made of Config.Ops.
type opsState struct {
	cfg     Ops
	log     *slog.Logger
	tracer  trace.Tracer // nil: tracing off
	handler http.Handler // the public handler: the mux behind the middleware
	health  *observe.Health
	// timeout is the longest backend timeout of the versions, for the
	// HTTP server's WriteTimeout.
	timeout time.Duration
}

// opsMount is a version's part of Config that the operations wiring fills
// in or reads.
type opsMount struct {
	observer  **observe.Observer
	cursorKey *[]byte
	ready     observe.Pinger // the Router, when it can be pinged
	timeout   time.Duration
}

// opsMountOf describes a version's Config for the operations wiring.
func opsMountOf[B any](observer **observe.Observer, cursorKey *[]byte, r routing.Router[B], timeout time.Duration) opsMount {
	m := opsMount{observer: observer, cursorKey: cursorKey, timeout: timeout}
	m.ready, _ = any(r).(observe.Pinger)
	return m
}

func newOps(cfg *Config, log *slog.Logger) *opsState {
	return &opsState{cfg: cfg.Ops, log: log, tracer: cfg.Ops.Observer.Tracer(), timeout: 30 * time.Second,
		health: &observe.Health{Checks: slices.Clone(cfg.Ops.Ready), Logger: log}}
}

// observed reports whether requests go through observe.Middleware.
func (o *opsState) observed() bool { return o.cfg.AccessLog || o.cfg.Observer != nil }

// auditor returns the authorization server's Auditor: a's own (default a
// SlogAuditor), counted in the metrics and noting a token request's client
// in the access log.
func (o *opsState) auditor(a auth.Config) auth.Auditor {
	if !o.observed() {
		return a.Auditor
	}
	next := a.Auditor
	if next == nil {
		next = auth.SlogAuditor{Logger: a.Logger}
	}
	var m *observe.Metrics
	if o.cfg.Observer != nil {
		m = o.cfg.Observer.Metrics
	}
	return observe.Auditor(next, m)
}

// version prepares a version's Config: the Observer by default, and the
// page-cursor key derived from the seal key, so that every node sharing
// the seal key accepts the others' next links.
func (o *opsState) version(cfg *Config, name string, m opsMount) {
	if *m.observer == nil {
		*m.observer = o.cfg.Observer
	}
	if m.timeout > o.timeout {
		o.timeout = m.timeout
	}
	if m.ready != nil {
		o.health.Checks = append(o.health.Checks, observe.Check{Name: strings.ToLower(name) + " router", Pinger: m.ready})
	}
	if *m.cursorKey != nil {
		return
	}
	if cfg.Open {
		o.log.Warn("patientsfhir: page cursors are sealed with a random key of this process: next links fail after a restart and on other nodes; set CursorKey (the same on every node)",
			"version", name)
		return
	}
	*m.cursorKey = cursorKey(cfg.Auth.SealKey, name)
}

// cursorKey derives a version's page-cursor key from the seal key (HKDF-
// SHA256 with a label of its own: the seal key itself seals nothing else
// with it).
func cursorKey(sealKey []byte, version string) []byte {
	k, err := hkdf.Key(sha256.New, sealKey, nil, "patientsfhir page cursors v1 "+strings.ToLower(version), 32)
	if err != nil {
		panic(err) // only for a length HKDF cannot produce
	}
	return k
}

// bearer wraps the bearer-check middleware in a span "bearer check" that
// ends when the check hands the request on (or refuses it).
func (o *opsState) bearer(version string, mw func(http.Handler) http.Handler) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		if o.tracer == nil {
			return o.mark(version, mw(next))
		}
		inner := mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx := r.Context()
			if b, ok := ctx.Value(bearerSpanKey{}).(*bearerSpan); ok {
				b.passed = true
				b.span.End()
				ctx = trace.ContextWithSpan(ctx, b.parent)
			}
			next.ServeHTTP(w, r.WithContext(ctx))
		}))
		return o.mark(version, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b := &bearerSpan{parent: trace.SpanFromContext(r.Context())}
			var ctx context.Context
			ctx, b.span = o.tracer.Start(r.Context(), "bearer check")
			inner.ServeHTTP(w, r.WithContext(context.WithValue(ctx, bearerSpanKey{}, b)))
			if !b.passed {
				b.span.SetStatus(codes.Error, "refused")
				b.span.End()
			}
		}))
	}
}

type bearerSpanKey struct{}

type bearerSpan struct {
	parent, span trace.Span
	passed       bool
}

// mark names the FHIR version in the request's observe.Info, so that a
// request the bearer check refuses is counted under its version too.
func (o *opsState) mark(version string, h http.Handler) http.Handler {
	if !o.observed() {
		return h
	}
	version = strings.ToLower(version)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if info := observe.InfoFrom(r.Context()); info != nil {
			info.Version = version
		}
		h.ServeHTTP(w, r)
	})
}

// token wraps the authorization server's public endpoints: names the
// token request in the request's observe.Info, with a span.
func (o *opsState) token(srv *auth.Server) http.Handler {
	h := srv.Handler()
	if !o.observed() {
		return h
	}
	tokenPath := "/token"
	if u, err := url.Parse(srv.Endpoints().Token); err == nil {
		tokenPath = u.Path
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != tokenPath {
			h.ServeHTTP(w, r)
			return
		}
		if info := observe.InfoFrom(r.Context()); info != nil {
			info.Interaction, info.Route = observe.InteractionToken, tokenPath
		}
		if o.tracer == nil {
			h.ServeHTTP(w, r)
			return
		}
		ctx, span := o.tracer.Start(r.Context(), "token request")
		defer span.End()
		h.ServeHTTP(w, r.WithContext(ctx))
	})
}

// finish completes the wiring once every route is mounted: the store's
// readiness check, the cache metrics, the public probes and the
// middleware.
func (o *opsState) finish(s *Server, store auth.Store) {
	if p, ok := store.(observe.Pinger); ok {
		o.health.Checks = append([]observe.Check{{Name: "store", Pinger: p}}, o.health.Checks...)
	}
	if o.cfg.Observer != nil && o.cfg.Observer.Metrics != nil && s.auth != nil {
		m, a := o.cfg.Observer.Metrics, s.auth
		m.WatchCache("verifier", func() (uint64, uint64) { st := a.Verifier().CacheStats(); return st.Hits, st.Misses })
		m.WatchCache("client", func() (uint64, uint64) { st := a.Registry().CacheStats(); return st.Hits, st.Misses })
	}
	if o.cfg.PublicHealth {
		s.mux.Handle("GET /healthz", o.health)
		s.mux.Handle("GET /readyz", o.health)
	}
	o.handler = s.mux
	if o.observed() {
		var log *slog.Logger
		if o.cfg.AccessLog {
			log = o.log
		}
		o.handler = observe.Middleware(log, o.cfg.Observer)(s.mux)
	}
}

// OpsHandler serves what operators scrape and probe, on an address of
// their choosing (never the public one): GET /metrics (Config.Ops.Observer's
// Metrics, 404 without), GET /healthz (the process serves) and GET /readyz
// (the store and routers answer; 503 naming the failing checks, and 503
// once Serve is shutting down).
func (s *Server) OpsHandler() http.Handler {
	mux := http.NewServeMux()
	var m *observe.Metrics
	if s.ops.cfg.Observer != nil {
		m = s.ops.cfg.Observer.Metrics
	}
	mux.Handle("GET /metrics", m.Handler())
	mux.Handle("GET /healthz", s.ops.health)
	mux.Handle("GET /readyz", s.ops.health)
	return mux
}

// Health returns the readiness probe (to add checks before serving, or to
// ask it directly).
func (s *Server) Health() *observe.Health { return s.ops.health }

// ListenAndServe listens on addr (the public address) and, unless opsAddr
// is "", on opsAddr (OpsHandler), and serves them with [Server.Serve].
func (s *Server) ListenAndServe(ctx context.Context, addr, opsAddr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	var opsLn net.Listener
	if opsAddr != "" {
		if opsLn, err = net.Listen("tcp", opsAddr); err != nil {
			ln.Close()
			return err
		}
	}
	return s.Serve(ctx, ln, opsLn)
}

// HTTPServer returns an http.Server for h with the timeouts this service
// needs: 10s to read the headers, 30s for the body, a write timeout above
// the longest backend timeout, 2 minutes idle, 64 KiB of headers.
func (s *Server) HTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      s.ops.timeout + 30*time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
}

// ErrGracePeriod is returned by Serve when requests were still running at
// the end of Config.Ops.GracePeriod (their connections were closed).
var ErrGracePeriod = errors.New("patientsfhir: requests still running at the end of the grace period were cut")

// Serve serves the service on ln (wrap it with tls.NewListener for HTTPS)
// and OpsHandler on opsLn (nil: not served) with [Server.HTTPServer]'s
// timeouts, runs the upkeep of [Server.Run], and stops when ctx is done or
// the process gets SIGTERM or SIGINT: /readyz turns 503, Serve waits
// Config.Ops.DrainDelay, closes the listener (new connections are
// refused), lets in-flight requests finish within Config.Ops.GracePeriod,
// and returns nil (ErrGracePeriod if some had to be cut; a listener's error
// if one failed).
func (s *Server) Serve(ctx context.Context, ln, opsLn net.Listener) error {
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, os.Interrupt)
	defer stop()
	upkeep, stopUpkeep := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { s.Run(upkeep) })
	defer func() { stopUpkeep(); wg.Wait() }()

	servers := []*http.Server{s.HTTPServer(s)}
	listeners := []net.Listener{ln}
	if opsLn != nil {
		servers = append(servers, s.HTTPServer(s.OpsHandler()))
		listeners = append(listeners, opsLn)
	}
	errc := make(chan error, len(servers))
	for i, hs := range servers {
		go func() { errc <- hs.Serve(listeners[i]) }()
	}
	s.log.Info("patientsfhir: serving", "addr", ln.Addr().String(), "ops", opsAddr(opsLn))
	var failed error
	running := len(servers)
	select {
	case failed = <-errc:
		running--
	case <-ctx.Done():
	}
	s.ops.health.Drain()
	s.log.Info("patientsfhir: shutting down", "drain", s.ops.cfg.DrainDelay, "grace", s.grace())
	if failed == nil && s.ops.cfg.DrainDelay > 0 {
		time.Sleep(s.ops.cfg.DrainDelay)
	}
	sctx, cancel := context.WithTimeout(context.Background(), s.grace())
	defer cancel()
	var err error
	for _, hs := range servers { // the public server first: the probes answer until it is done
		if serr := hs.Shutdown(sctx); serr != nil {
			_ = hs.Close()
			err = ErrGracePeriod
		}
	}
	for range running {
		if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) && failed == nil {
			failed = serr
		}
	}
	if failed != nil {
		return fmt.Errorf("patientsfhir: serving: %w", failed)
	}
	if err != nil {
		s.log.Error("patientsfhir: grace period over", "grace", s.grace())
		return err
	}
	s.log.Info("patientsfhir: stopped")
	return nil
}

func (s *Server) grace() time.Duration {
	if s.ops.cfg.GracePeriod > 0 {
		return s.ops.cfg.GracePeriod
	}
	return 25 * time.Second
}

func opsAddr(ln net.Listener) string {
	if ln == nil {
		return ""
	}
	return ln.Addr().String()
}
