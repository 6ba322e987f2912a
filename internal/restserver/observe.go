package restserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/patientsfhir/patientsfhir/auth"
	"github.com/patientsfhir/patientsfhir/fhir"
	"github.com/patientsfhir/patientsfhir/internal/rest"
	"github.com/patientsfhir/patientsfhir/observe"
)

// site is one place where the engine calls a backend: a route's read or
// search. Its labels, span names and metric child are made once, at start-up.
type site struct {
	interaction string // observe.InteractionRead or InteractionSearch
	typ         string
	route       string // the route pattern, e.g. "/stu3/Patient/{id}"
	callSpan    string // "stu3 Patient read backend"
	encodeSpan  string // "stu3 Patient read encode"
	seconds     prometheus.Observer
}

// newSite describes a route's interaction; route is the pattern below the
// base path ("/Patient/{id}").
func (h *Handler[B]) newSite(interaction, typ, route string) *site {
	s := &site{interaction: interaction, typ: typ, route: h.cfg.BasePath + route}
	name := h.spec.Package + " " + typ + " " + interaction
	s.callSpan, s.encodeSpan = name+" backend", name+" encode"
	if h.obs.metrics != nil {
		s.seconds = h.obs.metrics.BackendDuration.WithLabelValues(h.spec.Package, interaction, typ)
	}
	return s
}

// observed is the engine's view of Options.Observer, resolved once.
type observed struct {
	metrics   *observe.Metrics // nil: no metrics
	tracer    trace.Tracer     // nil: no spans
	onFailure func(context.Context, observe.Failure)
	logText   bool             // Observer.LogErrorText
	abandoned prometheus.Gauge // nil without metrics
	// maxAbandoned is the limit of abandoned calls per backend (0: none).
	maxAbandoned int
	abandon      abandonment
}

func (o *observed) init(pkg string, opts Options) {
	o.tracer = opts.Observer.Tracer()
	if opts.Observer != nil {
		o.metrics, o.onFailure, o.logText = opts.Observer.Metrics, opts.Observer.OnFailure, opts.Observer.LogErrorText
	}
	if o.metrics != nil {
		o.abandoned = o.metrics.BackendAbandoned.WithLabelValues(pkg)
	}
	switch {
	case opts.MaxAbandoned == 0:
		o.maxAbandoned = DefaultMaxAbandoned
	case opts.MaxAbandoned > 0:
		o.maxAbandoned = opts.MaxAbandoned
	}
	o.abandon.by = map[any]int{}
}

// DefaultMaxAbandoned is the default limit of calls a backend may leave
// running after their requests gave up.
const DefaultMaxAbandoned = 100

// abandonment counts the backend calls that are still running after their
// request gave up (timeout, client gone), per backend.
type abandonment struct {
	total atomic.Int64 // over all backends: 0 skips the per-backend lookup
	mu    sync.Mutex
	by    map[any]int
}

// backendKey identifies a backend for the abandonment count: a pointer by
// its address, anything else (which may not be comparable) by its type.
func backendKey(b any) any {
	t := reflect.TypeOf(b)
	if t == nil || t.Kind() == reflect.Pointer {
		return b
	}
	return t
}

func (a *abandonment) count(key any) int {
	if a.total.Load() == 0 {
		return 0
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.by[key]
}

func (a *abandonment) add(key any, n int) {
	a.mu.Lock()
	if a.by[key] += n; a.by[key] <= 0 {
		delete(a.by, key)
	}
	a.mu.Unlock()
	a.total.Add(int64(n))
}

// reported marks an error whose failure is logged already, so that guard
// does not log it again.
type reported struct{ error }

func (r reported) Unwrap() error { return r.error }

// panicked is what a recovered backend panic becomes.
type panicked struct {
	value any
	stack []byte
}

func (p *panicked) Error() string { return "backend panicked" }

// call states, for the race between a backend returning and guard giving up.
const (
	running int32 = iota
	finished
	gaveUp
)

// guard runs fn, the call of backend b at site at (reading id, if any),
// under the backend timeout in its own goroutine, recovering a panic; it
// returns as soon as ctx is done even if fn does not, and counts such an
// abandoned call against b until it returns. With MaxAbandoned calls of b
// still running, it fails fast with 503. Every failure is reported once
// (log line, metrics, hook); errors the backend classified as the
// client's (4xx) are not failures.
func (h *Handler[B]) guard(ctx context.Context, at *site, id string, b B, fn func(ctx context.Context) error) (err error) {
	o := &h.obs
	key := backendKey(b)
	if o.maxAbandoned > 0 {
		if n := o.abandon.count(key); n >= o.maxAbandoned {
			err := fhir.NewError(fhir.ErrUnavailable, "The backend is not answering; retry later.")
			h.fail(ctx, at, observe.Failure{Kind: observe.FailureOverloaded, ID: id, Status: http.StatusServiceUnavailable,
				Reason: strconv.Itoa(n) + " calls to this backend are still running after their requests gave up"})
			return reported{err}
		}
	}
	start := time.Now()
	callCtx := ctx
	if o.tracer != nil {
		var span trace.Span
		callCtx, span = o.tracer.Start(ctx, at.callSpan, trace.WithAttributes(
			attribute.String("fhir.type", at.typ), attribute.String("fhir.interaction", at.interaction)))
		defer func() {
			if err != nil {
				span.SetStatus(codes.Error, "backend call failed")
			}
			span.End()
		}()
	}
	callCtx, cancel := context.WithTimeout(callCtx, h.timeout)
	defer cancel()
	done := make(chan error, 1)
	var state atomic.Int32
	go func() {
		var err error
		defer func() {
			if p := recover(); p != nil {
				err = &panicked{value: p, stack: debug.Stack()}
			}
			done <- err
			if !state.CompareAndSwap(running, finished) { // guard gave up on it
				o.abandon.add(key, -1)
				if o.abandoned != nil {
					o.abandoned.Dec()
				}
			}
		}()
		err = fn(callCtx)
	}()
	select {
	case err = <-done:
	case <-callCtx.Done():
		select {
		case err = <-done: // it returned just now: use its answer
		default:
			if state.CompareAndSwap(running, gaveUp) {
				o.abandon.add(key, 1)
				if o.abandoned != nil {
					o.abandoned.Inc()
				}
				err = callCtx.Err()
			} else {
				err = <-done
			}
		}
	}
	d := time.Since(start)
	if at.seconds != nil {
		at.seconds.Observe(d.Seconds())
	}
	return h.report(ctx, at, id, err, d)
}

// report turns what a backend call ended with into the request's error,
// reporting it once when it is a failure.
func (h *Handler[B]) report(ctx context.Context, at *site, id string, err error, d time.Duration) error {
	if err == nil {
		return nil
	}
	var p *panicked
	var rep reported
	switch {
	case errors.As(err, &rep), errors.Is(err, errNotConforming):
		return err // logged where it was found
	case errors.As(err, &p):
		h.fail(ctx, at, observe.Failure{Kind: observe.FailurePanic, ID: id, Status: http.StatusInternalServerError,
			Reason: "the backend panicked", Panic: p.value, Stack: p.stack, Duration: d})
		return reported{errPanic}
	case errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil:
		// The backend timeout, not the request's own deadline: give up.
		h.fail(ctx, at, observe.Failure{Kind: observe.FailureTimeout, ID: id, Status: http.StatusGatewayTimeout,
			Reason: "no answer within " + h.timeout.String(), Duration: d})
		return reported{fhir.NewError(fhir.ErrTimeout, "The backend did not answer in time.")}
	case ctx.Err() != nil:
		// The client went away or its deadline passed: not a backend failure.
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return fhir.NewError(fhir.ErrTimeout, "The backend did not answer in time.")
		}
		return ctx.Err()
	}
	if status := fhir.StatusOf(err); status >= 500 {
		h.fail(ctx, at, observe.Failure{Kind: observe.FailureError, ID: id, Status: status,
			Reason: "the backend returned an error", Err: err, Duration: d})
		return reported{err}
	}
	return err
}

// errorText is what the log says of a backend error's text: all of it with
// Observer.LogErrorText; otherwise only what cannot carry a secret or
// patient data, the message a fhir.Error shows the client anyway.
func (h *Handler[B]) errorText(err error) string {
	if h.obs.logText {
		return clip(err.Error())
	}
	var fe *fhir.Error
	if errors.As(err, &fe) && fe.Message != "" {
		return clip(fe.Message)
	}
	return ""
}

// errorTypes lists the dynamic types of err's chain, outermost first
// ("*fmt.wrapError > *net.OpError"): what failed, without the text.
func errorTypes(err error) string {
	var b strings.Builder
	for i := 0; err != nil && i < 8; i++ {
		if i > 0 {
			b.WriteString(" > ")
		}
		fmt.Fprintf(&b, "%T", err)
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			err = u.Unwrap()
		case interface{ Unwrap() []error }:
			if errs := u.Unwrap(); len(errs) > 0 {
				err = errs[len(errs)-1] // a fhir.Error's cause comes after its kind
			} else {
				err = nil
			}
		default:
			err = nil
		}
	}
	return b.String()
}

// maxLogText bounds an error text or panic value in a log line.
const maxLogText = 1024

func clip(s string) string {
	if len(s) > maxLogText {
		return s[:maxLogText] + "..."
	}
	return s
}

// fail reports one failure: a log line with the request's identifiers,
// the failure counter and the Observer's hook.
func (h *Handler[B]) fail(ctx context.Context, at *site, f observe.Failure) {
	f.RequestID, f.Version, f.Interaction, f.Route, f.Type = observe.RequestID(ctx), h.spec.Package, at.interaction, at.route, at.typ
	if p, ok := auth.PrincipalFrom(ctx); ok {
		f.Tenant, f.Client = p.TenantID, p.ClientID
	}
	if !validID(f.ID) {
		f.ID = ""
	}
	msg, level := "backend failed", slog.LevelError
	switch f.Kind {
	case observe.FailurePanic:
		msg = "backend panicked"
	case observe.FailureTimeout:
		msg = "backend did not answer in time"
	case observe.FailureRefused:
		msg = "backend output refused"
	case observe.FailureOverloaded:
		msg, level = "backend overloaded: failing fast", slog.LevelWarn
	}
	attrs := make([]slog.Attr, 0, 16)
	attrs = append(attrs,
		slog.String("failure", string(f.Kind)),
		slog.String("request_id", f.RequestID),
		slog.String("route", f.Route),
		slog.String("interaction", f.Interaction),
		slog.String("type", f.Type),
		slog.String("id", f.ID),
		slog.String("tenant", f.Tenant),
		slog.String("client", f.Client),
		slog.String("reason", f.Reason),
		slog.Int("status", f.Status),
		slog.Duration("duration", f.Duration))
	if f.Err != nil {
		attrs = append(attrs, slog.String("error_type", errorTypes(f.Err)))
		if msg := h.errorText(f.Err); msg != "" {
			attrs = append(attrs, slog.String("error", msg))
		}
	}
	if f.Kind == observe.FailurePanic {
		attrs = append(attrs, slog.String("panic_type", fmt.Sprintf("%T", f.Panic)))
		if _, isRuntime := f.Panic.(runtime.Error); isRuntime || h.obs.logText {
			attrs = append(attrs, slog.String("panic", clip(fmt.Sprint(f.Panic))))
		}
		attrs = append(attrs, slog.String("stack", string(f.Stack)))
	}
	if len(f.Paths) > 0 {
		attrs = append(attrs, slog.Any("paths", f.Paths))
	}
	h.logger.LogAttrs(ctx, level, h.spec.Package+": "+msg, attrs...)
	if h.obs.metrics != nil {
		h.obs.metrics.BackendFailures.WithLabelValues(f.Version, f.Interaction, f.Type, string(f.Kind)).Inc()
	}
	if h.obs.onFailure != nil {
		h.obs.onFailure(ctx, f)
	}
}

// startSpan starts a span named name when tracing is on (nil otherwise).
func (h *Handler[B]) startSpan(ctx context.Context, name string) trace.Span {
	if h.obs.tracer == nil {
		return nil
	}
	_, span := h.obs.tracer.Start(ctx, name)
	return span
}

// annotate fills the request's observe.Info (nil inside a batch entry, whose
// parent request is described by the batch).
func (h *Handler[B]) annotate(r *http.Request) *observe.Info {
	ctx := r.Context()
	info := observe.InfoFrom(ctx)
	if info == nil || rest.InBatch(ctx) {
		return nil
	}
	info.Version = h.spec.Package
	if p, ok := auth.PrincipalFrom(ctx); ok {
		info.Tenant, info.Client = p.TenantID, p.ClientID
	}
	return info
}
