package observe

import (
	"log/slog"
	"net/http"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// AccessLog is [Middleware] with an access log and nothing else.
func AccessLog(log *slog.Logger) func(http.Handler) http.Handler {
	return Middleware(log, nil)
}

// Middleware returns middleware that gives each request an id and an
// [Info], then, once the request is served:
//
//   - writes one access-log line to log (nil: none) at Info (Warn for a
//     5xx): request_id, method, route (the pattern, never the path's ids or
//     the query string; it names the version and resource type), status,
//     bytes, duration, tenant and client;
//   - counts it in o.Metrics (nil: not counted): Requests and
//     RequestDuration;
//   - ends a server span of o.TracerProvider (nil: none), started from the
//     caller's W3C traceparent.
//
// The request id is the caller's X-Request-Id when [ValidRequestID] accepts
// it, else [NewRequestID]; it is returned in X-Request-Id and reaches
// every failure log line of the request. No header value other than the
// request id is logged.
func Middleware(log *slog.Logger, o *Observer) func(http.Handler) http.Handler {
	var m *Metrics
	if o != nil {
		m = o.Metrics
	}
	tracer := o.Tracer()
	prop := propagation.TraceContext{}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			t := &tracked{responseWriter: responseWriter{ResponseWriter: w}} // one allocation for the writer, the Info and the header value
			info := &t.info
			if info.ID = r.Header.Get(RequestIDHeader); !ValidRequestID(info.ID) {
				info.ID = NewRequestID()
			}
			t.id[0] = info.ID
			w.Header()[RequestIDHeader] = t.id[:]
			ctx := ContextWithInfo(r.Context(), info)
			var span trace.Span
			if tracer != nil {
				ctx, span = tracer.Start(prop.Extract(ctx, propagation.HeaderCarrier(r.Header)), r.Method,
					trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(attribute.String("http.request.method", r.Method)))
			}
			rw := &t.responseWriter
			r = r.WithContext(ctx)
			next.ServeHTTP(rw, r)
			status := rw.status
			if status == 0 {
				status = http.StatusOK
			}
			end := time.Now()
			d := end.Sub(start)
			route := info.Route
			if route == "" {
				route = patternPath(r.Pattern)
			}
			interaction := info.Interaction
			if interaction == "" {
				interaction = InteractionOther
			}
			if m != nil {
				m.Requests.WithLabelValues(info.Version, interaction, info.Type, StatusLabel(status)).Inc()
				m.RequestDuration.WithLabelValues(info.Version, interaction, info.Type).Observe(d.Seconds())
			}
			if span != nil {
				span.SetName(r.Method + " " + route)
				span.SetAttributes(attribute.String("http.route", route), attribute.Int("http.response.status_code", status),
					attribute.String("patientsfhir.request_id", info.ID))
				if status >= 500 {
					span.SetStatus(codes.Error, http.StatusText(status))
				}
				span.End()
			}
			if log == nil {
				return
			}
			level := slog.LevelInfo
			if status >= 500 {
				level = slog.LevelWarn
			}
			// The handler directly: a Logger would also record the
			// caller's pc, which this line does not need.
			if h := log.Handler(); h.Enabled(ctx, level) {
				rec := slog.NewRecord(end, level, "http request", 0)
				rec.AddAttrs(
					slog.String("request_id", info.ID),
					slog.String("method", r.Method),
					slog.String("route", route),
					slog.Int("status", status),
					slog.Int64("bytes", rw.bytes),
					slog.Duration("duration", d),
					slog.String("tenant", info.Tenant),
					slog.String("client", info.Client))
				_ = h.Handle(ctx, rec)
			}
		})
	}
}

// patternPath returns the path of a ServeMux pattern ("GET /x" is "/x").
func patternPath(p string) string {
	if i := strings.IndexByte(p, ' '); i >= 0 {
		p = p[i+1:]
	}
	return p
}

// tracked is what the middleware allocates per request.
type tracked struct {
	responseWriter
	info Info
	id   [1]string // the X-Request-Id header value
}

// responseWriter records the status and counts the body bytes.
type responseWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

// WriteHeader records the first final status.
func (w *responseWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write counts the bytes (implying 200 when no status was written).
func (w *responseWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Flush implements http.Flusher when the underlying writer does.
func (w *responseWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap returns the underlying writer (for http.ResponseController).
func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
