package fhir

import (
	"context"
	"errors"
	"net/http"
)

// IssueCode is an OperationOutcome issue.code (value set issue-type, the
// same in DSTU2 and STU3).
type IssueCode string

// The issue codes the module writes.
const (
	IssueInvalid      IssueCode = "invalid"
	IssueStructure    IssueCode = "structure"
	IssueValue        IssueCode = "value"
	IssueSecurity     IssueCode = "security"
	IssueLogin        IssueCode = "login"
	IssueForbidden    IssueCode = "forbidden"
	IssueSuppressed   IssueCode = "suppressed" // spelled as in the spec (not "surpressed")
	IssueProcessing   IssueCode = "processing"
	IssueNotSupported IssueCode = "not-supported"
	IssueNotFound     IssueCode = "not-found"
	IssueTooLong      IssueCode = "too-long"
	IssueTooCostly    IssueCode = "too-costly"
	IssueConflict     IssueCode = "conflict"
	IssueTransient    IssueCode = "transient"
	IssueException    IssueCode = "exception"
	IssueTimeout      IssueCode = "timeout"
	IssueThrottled    IssueCode = "throttled"
	IssueInformation  IssueCode = "informational"
)

// Sentinel errors. Return them (or wrap them with %w, or with [NewError]) from
// a backend or a handler; [Classify] maps each to one HTTP status and one
// OperationOutcome issue code through a single table.
var (
	ErrNotFound        = errors.New("fhir: resource not found")
	ErrGone            = errors.New("fhir: resource deleted")
	ErrInvalidSearch   = errors.New("fhir: invalid search parameter")
	ErrInvalidRequest  = errors.New("fhir: invalid request")
	ErrNotSupported    = errors.New("fhir: not supported")
	ErrMethodNotAllow  = errors.New("fhir: method not allowed")
	ErrNotAcceptable   = errors.New("fhir: format not acceptable")
	ErrUnsupportedType = errors.New("fhir: unsupported media type")
	ErrTooLarge        = errors.New("fhir: request too large")
	ErrTooCostly       = errors.New("fhir: request too costly")
	ErrUnauthorized    = errors.New("fhir: authentication required")
	ErrForbidden       = errors.New("fhir: forbidden")
	ErrConflict        = errors.New("fhir: conflict")
	ErrThrottled       = errors.New("fhir: too many requests")
	ErrUnavailable     = errors.New("fhir: backend unavailable")
	ErrBadGateway      = errors.New("fhir: upstream server failed")
	ErrTimeout         = errors.New("fhir: backend timeout")
	ErrInternal        = errors.New("fhir: internal error")
)

// errorRow is one line of the error table.
type errorRow struct {
	sentinel error
	status   int
	code     IssueCode
	message  string // generic text shown when no safe message is given
}

// errorTable is the one place that maps errors to HTTP status and issue code.
// The first matching row wins; context errors are matched too, so that a
// backend that returns ctx.Err() gets a timeout, not an exception.
var errorTable = []errorRow{
	{ErrNotFound, http.StatusNotFound, IssueNotFound, "The resource was not found."},
	{ErrGone, http.StatusGone, IssueNotFound, "The resource has been deleted."},
	{ErrInvalidSearch, http.StatusBadRequest, IssueInvalid, "The search is not valid."},
	{ErrInvalidRequest, http.StatusBadRequest, IssueStructure, "The request is not valid."},
	{ErrNotSupported, http.StatusNotImplemented, IssueNotSupported, "The operation is not supported."},
	{ErrMethodNotAllow, http.StatusMethodNotAllowed, IssueNotSupported, "The method is not allowed here."},
	{ErrNotAcceptable, http.StatusNotAcceptable, IssueNotSupported, "Only JSON is supported."},
	{ErrUnsupportedType, http.StatusUnsupportedMediaType, IssueNotSupported, "The request body's media type is not supported."},
	{ErrTooLarge, http.StatusRequestEntityTooLarge, IssueTooCostly, "The request is larger than this server accepts."},
	{ErrTooCostly, http.StatusForbidden, IssueTooCostly, "The request is too costly to process."},
	{ErrUnauthorized, http.StatusUnauthorized, IssueLogin, "Authentication is required."},
	{ErrForbidden, http.StatusForbidden, IssueForbidden, "Access is not allowed."},
	{ErrConflict, http.StatusConflict, IssueConflict, "The request conflicts with the current state."},
	{ErrThrottled, http.StatusTooManyRequests, IssueThrottled, "Too many requests."},
	{ErrUnavailable, http.StatusServiceUnavailable, IssueTransient, "The service is temporarily unavailable."},
	{ErrBadGateway, http.StatusBadGateway, IssueTransient, "The upstream server failed."},
	{ErrTimeout, http.StatusGatewayTimeout, IssueTimeout, "The request timed out."},
	{context.DeadlineExceeded, http.StatusGatewayTimeout, IssueTimeout, "The request timed out."},
	{context.Canceled, http.StatusServiceUnavailable, IssueTransient, "The request was cancelled."},
	{ErrInternal, http.StatusInternalServerError, IssueException, "An internal error occurred."},
}

// internalRow is what an unknown (partner) error becomes.
var internalRow = errorRow{ErrInternal, http.StatusInternalServerError, IssueException, "An internal error occurred."}

// Error is a FHIR error with a message that is safe to show to the client.
// Kind is one of the package's sentinel errors and decides the status; Err is
// an optional cause that is never shown.
type Error struct {
	// Kind is the sentinel error that classifies this error (ErrNotFound, ...).
	Kind error
	// Message is shown to the client as OperationOutcome.issue.diagnostics.
	Message string
	// Err is the underlying cause, for logs; it never reaches a response.
	Err error
}

// NewError returns an error of the given kind with a message that is safe to
// show to the client.
func NewError(kind error, message string) *Error { return &Error{Kind: kind, Message: message} }

// Error implements error. It includes the cause, so it is for logs only.
func (e *Error) Error() string {
	s := e.Message
	if e.Kind != nil {
		s = e.Kind.Error() + ": " + s
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap exposes the kind and the cause to errors.Is and errors.As.
func (e *Error) Unwrap() []error {
	out := make([]error, 0, 2)
	if e.Kind != nil {
		out = append(out, e.Kind)
	}
	if e.Err != nil {
		out = append(out, e.Err)
	}
	return out
}

// Safe marks a partner error as safe to show: the client sees message as the
// diagnostics, and the status comes from err's chain if it wraps one of the
// package's sentinels (500 otherwise). err itself is kept for logs only.
func Safe(err error, message string) error {
	if err == nil {
		return nil
	}
	return &Error{Kind: kindOf(err).sentinel, Message: message, Err: err}
}

func kindOf(err error) errorRow {
	for _, row := range errorTable {
		if errors.Is(err, row.sentinel) {
			return row
		}
	}
	return internalRow
}

// Outcome is the classification of an error: what the client is told.
type Outcome struct {
	// Status is the HTTP status code.
	Status int
	// Code is the OperationOutcome issue code.
	Code IssueCode
	// Diagnostics is the client-visible text.
	Diagnostics string
}

// Classify maps an error to its HTTP status, issue code and client-visible
// message using the package's single error table. Errors that match no
// sentinel become 500 "exception" with a generic message: their text is never
// shown unless they are wrapped with [Safe] or [NewError].
func Classify(err error) Outcome {
	row := kindOf(err)
	out := Outcome{Status: row.status, Code: row.code, Diagnostics: row.message}
	var fe *Error
	if errors.As(err, &fe) && fe.Message != "" {
		out.Diagnostics = fe.Message
	}
	return out
}

// StatusOf returns the HTTP status code that err maps to.
func StatusOf(err error) int { return Classify(err).Status }

// Issue is one OperationOutcome issue; the fields are the FHIR elements of
// the same JSON name.
type Issue struct {
	Severity    string    `json:"severity"`
	Code        IssueCode `json:"code"`
	Diagnostics string    `json:"diagnostics,omitempty"`
}

// OperationOutcome is the JSON form of an OperationOutcome, identical in
// DSTU2 and STU3 for the elements the module writes.
type OperationOutcome struct {
	ResourceType string  `json:"resourceType"`
	Issue        []Issue `json:"issue"`
}

// NewOutcome returns the OperationOutcome that err maps to, and its status.
func NewOutcome(err error) (OperationOutcome, int) {
	o := Classify(err)
	return OperationOutcome{
		ResourceType: "OperationOutcome",
		Issue:        []Issue{{Severity: "error", Code: o.Code, Diagnostics: o.Diagnostics}},
	}, o.Status
}

// ErrorForStatus returns the sentinel error whose row in the error table has
// the HTTP status (the first one), ErrInternal for another 5xx and
// ErrInvalidRequest otherwise: how a batch entry's status becomes an error.
func ErrorForStatus(status int) error {
	for _, row := range errorTable {
		if row.status == status {
			return row.sentinel
		}
	}
	if status >= 500 {
		return ErrInternal
	}
	return ErrInvalidRequest
}
