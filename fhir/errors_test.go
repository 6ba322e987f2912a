package fhir

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestClassifyTable(t *testing.T) {
	partner := errors.New("pq: relation \"patients\" does not exist at /srv/ehr/db.go:42")
	tests := []struct {
		name   string
		err    error
		status int
		code   IssueCode
		diag   string // substring expected in diagnostics
	}{
		{"not found", ErrNotFound, 404, IssueNotFound, "not found"},
		{"wrapped not found", fmt.Errorf("patient 7: %w", ErrNotFound), 404, IssueNotFound, "not found"},
		{"gone", ErrGone, 410, IssueNotFound, "deleted"},
		{"invalid search", ErrInvalidSearch, 400, IssueInvalid, "search"},
		{"invalid request", ErrInvalidRequest, 400, IssueStructure, "not valid"},
		{"not supported", ErrNotSupported, 501, IssueNotSupported, "not supported"},
		{"method", ErrMethodNotAllow, 405, IssueNotSupported, "method"},
		{"406", ErrNotAcceptable, 406, IssueNotSupported, "JSON"},
		{"415", ErrUnsupportedType, 415, IssueNotSupported, "media type"},
		{"413", ErrTooLarge, 413, IssueTooCostly, "larger"},
		{"too costly", ErrTooCostly, 403, IssueTooCostly, "costly"},
		{"unauthorized", ErrUnauthorized, 401, IssueLogin, "Authentication"},
		{"forbidden", ErrForbidden, 403, IssueForbidden, "not allowed"},
		{"conflict", ErrConflict, 409, IssueConflict, "conflicts"},
		{"throttled", ErrThrottled, 429, IssueThrottled, "Too many"},
		{"unavailable", ErrUnavailable, 503, IssueTransient, "unavailable"},
		{"timeout", ErrTimeout, 504, IssueTimeout, "timed out"},
		{"ctx deadline", fmt.Errorf("query: %w", context.DeadlineExceeded), 504, IssueTimeout, "timed out"},
		{"ctx canceled", context.Canceled, 503, IssueTransient, "cancelled"},
		{"partner error", partner, 500, IssueException, "internal error"},
		{"partner error wrapped", fmt.Errorf("search: %w", partner), 500, IssueException, "internal error"},
		{"safe partner error", Safe(partner, "The EHR is being upgraded."), 500, IssueException, "The EHR is being upgraded."},
		{"safe wrapping sentinel", Safe(fmt.Errorf("%w: row 3", ErrNotFound), "No such patient."), 404, IssueNotFound, "No such patient."},
		{"typed error", NewError(ErrForbidden, "Tenant not enabled."), 403, IssueForbidden, "Tenant not enabled."},
		{"typed error with cause", &Error{Kind: ErrUnavailable, Message: "EHR down", Err: partner}, 503, IssueTransient, "EHR down"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := Classify(tt.err)
			assert.Equal(t, tt.status, o.Status)
			assert.Equal(t, tt.code, o.Code)
			assert.Contains(t, o.Diagnostics, tt.diag)
			for _, leak := range []string{"pq:", "db.go", "/srv", "relation"} {
				assert.NotContains(t, o.Diagnostics, leak, "diagnostics leak")
			}
		})
	}
}

func TestErrorIsAs(t *testing.T) {
	cause := errors.New("socket closed")
	err := fmt.Errorf("ctx: %w", &Error{Kind: ErrUnavailable, Message: "down", Err: cause})
	assert.ErrorIs(t, err, ErrUnavailable, "the kind")
	assert.ErrorIs(t, err, cause, "the cause")
	var fe *Error
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "down", fe.Message)
	assert.NoError(t, Safe(nil, "x"), "Safe(nil)")
	assert.ErrorContains(t, err, "socket closed", "Error() keeps the cause for logs")
}

func TestSuppressedSpelling(t *testing.T) {
	assert.Equal(t, IssueCode("suppressed"), IssueSuppressed)
}
