package observe

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/trace"
)

// TracerName is the instrumentation name of every span this module starts.
const TracerName = "github.com/patientsfhir/patientsfhir"

// Observer is where a service reports what it does: metrics, spans and
// failures. Every field is optional; a nil *Observer (the default) leaves
// only the failure log lines, which always go to the server's Logger. Set
// it once at start-up and do not change it while serving.
type Observer struct {
	// Metrics, when set, counts requests, backend calls, failures, tokens,
	// batch sizes and cache lookups (see [NewMetrics]).
	Metrics *Metrics
	// TracerProvider, when set, gets spans for each request, the token
	// request, the bearer check, each backend call and each response
	// encoding. Nil: tracing is off and costs a nil check.
	TracerProvider trace.TracerProvider
	// OnFailure, when set, receives every failure after it was logged (to
	// forward it to an error tracker). It runs on the request path (or on
	// an abandoned backend call's goroutine) and must not block for long.
	OnFailure func(ctx context.Context, f Failure)
	// LogErrorText also logs the text of backend errors and the value of
	// panics. Off by default: a backend's error can quote a connection
	// string with its password or a query with a patient's name. Without
	// it the log has the error's types, the message of a fhir.Error (what
	// the client is shown anyway), a runtime error's text ("nil pointer
	// dereference") and the stack; OnFailure always gets the values.
	LogErrorText bool
}

// Tracer returns the module's tracer of o.TracerProvider, or nil when o or
// its TracerProvider is nil (tracing off).
func (o *Observer) Tracer() trace.Tracer {
	if o == nil || o.TracerProvider == nil {
		return nil
	}
	return o.TracerProvider.Tracer(TracerName)
}

// FailureKind classifies a [Failure]; it is the kind label of
// patientsfhir_backend_failures_total.
type FailureKind string

// The failure kinds.
const (
	// FailureError: the backend returned an error answered with a 5xx
	// (its own error, fhir.ErrUnavailable, ...). Errors the backend
	// classified as the client's (fhir.ErrNotFound, 4xx) are not failures.
	FailureError FailureKind = "error"
	// FailurePanic: the backend (or the server while serving) panicked;
	// the value and the stack are logged.
	FailurePanic FailureKind = "panic"
	// FailureTimeout: the backend did not answer within the version's
	// Config.Timeout; the call is left running (abandoned).
	FailureTimeout FailureKind = "timeout"
	// FailureRefused: an output check refused what the backend returned
	// (wrong type or id, Validate failed, another patient's data, a page
	// larger than asked, a next-page token too long).
	FailureRefused FailureKind = "refused"
	// FailureOverloaded: the request failed fast with 503 because too many
	// calls to its backend are still running after their requests gave up
	// (Config.MaxAbandoned).
	FailureOverloaded FailureKind = "overloaded"
)

// Failure is one failure of a backend call, as logged: identifiers,
// route and reason, never resource content, names, birth dates, secrets
// or tokens.
type Failure struct {
	// Kind classifies the failure.
	Kind FailureKind
	// RequestID is the request's id ("" outside [Middleware]).
	RequestID string
	// Version is the FHIR version's package name ("stu3").
	Version string
	// Interaction is the interaction ("read", "search-type").
	Interaction string
	// Route is the route pattern, e.g. "/stu3/Patient/{id}".
	Route string
	// Type is the resource type.
	Type string
	// ID is the resource id read, or of the resource refused ("" if none
	// or malformed).
	ID string
	// Tenant is the verified token's tenant.
	Tenant string
	// Client is the verified token's client id.
	Client string
	// Reason says what went wrong, for people ("Validate failed", "no
	// answer within 30s").
	Reason string
	// Paths are the element paths Validate named ("Patient.gender"), never
	// their values.
	Paths []string
	// Status is the HTTP status the request (or batch entry) got.
	Status int
	// Err is the backend's error (FailureError), or nil. The log names its
	// types; its text only with Observer.LogErrorText.
	Err error
	// Panic is the recovered value (FailurePanic). The log has its type;
	// the value itself for a runtime error or with Observer.LogErrorText.
	Panic any
	// Stack is the panicking goroutine's stack (FailurePanic), logged.
	Stack []byte
	// Duration is how long the call ran before it failed.
	Duration time.Duration
}
