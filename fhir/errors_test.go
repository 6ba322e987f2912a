package fhir

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
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
			if o.Status != tt.status || o.Code != tt.code {
				t.Fatalf("Classify = %d %s, want %d %s", o.Status, o.Code, tt.status, tt.code)
			}
			if !strings.Contains(o.Diagnostics, tt.diag) {
				t.Errorf("diagnostics %q, want it to contain %q", o.Diagnostics, tt.diag)
			}
			for _, leak := range []string{"pq:", "db.go", "/srv", "relation"} {
				if strings.Contains(o.Diagnostics, leak) {
					t.Errorf("diagnostics leak %q: %q", leak, o.Diagnostics)
				}
			}
		})
	}
}

func TestErrorIsAs(t *testing.T) {
	cause := errors.New("socket closed")
	err := fmt.Errorf("ctx: %w", &Error{Kind: ErrUnavailable, Message: "down", Err: cause})
	if !errors.Is(err, ErrUnavailable) || !errors.Is(err, cause) {
		t.Fatal("errors.Is must see both kind and cause")
	}
	var fe *Error
	if !errors.As(err, &fe) || fe.Message != "down" {
		t.Fatal("errors.As must find *Error")
	}
	if Safe(nil, "x") != nil {
		t.Fatal("Safe(nil) must be nil")
	}
	if !strings.Contains(err.Error(), "socket closed") {
		t.Error("Error() keeps the cause for logs")
	}
}

func TestSuppressedSpelling(t *testing.T) {
	if IssueSuppressed != "suppressed" {
		t.Fatalf("issue code is %q", IssueSuppressed)
	}
}
