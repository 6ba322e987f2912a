package portal

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/patientsfhir/patientsfhir/auth"
)

// BenchmarkIssueWithActivity measures what the portal's Activity adds to
// the token endpoint, whose every answer is audited: the same token request
// with the production auditor alone (JSON to the log, here discarded) and
// with the Activity teed in front of it, on the signing path and on the
// token-per-request path (a recent token reused: the cheapest answer, so the
// largest share of the Activity).
func BenchmarkIssueWithActivity(b *testing.B) {
	for _, path := range []string{"signed", "reused"} {
		for _, auditor := range []string{"log", "activity+log"} {
			b.Run(path+"/"+auditor, func(b *testing.B) {
				issuer, body := benchIssuer(b, path == "reused", auditor != "log")
				b.ReportAllocs()
				for b.Loop() {
					r := httptest.NewRequest(http.MethodPost, "/token", strings.NewReader(body))
					r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
					w := httptest.NewRecorder()
					issuer.ServeHTTP(w, r)
					if w.Code != http.StatusOK {
						b.Fatalf("status %d: %s", w.Code, w.Body)
					}
				}
			})
		}
	}
}

// BenchmarkAuditRecord measures one token.issued event through the
// production auditor alone, the Activity alone, and the Activity in front
// of the production auditor; "parallel" runs on every CPU, for the
// Activity's mutex.
func BenchmarkAuditRecord(b *testing.B) {
	ctx := context.Background()
	e := auth.Event{Type: auth.EventTokenIssued, ClientID: "app", SecretID: "AbCdEfGhIj", Tenant: tenantA,
		JTI: "jti-0123456789", RemoteIP: "192.0.2.1", UserAgent: "Mozilla/5.0 (Teams)"}
	for _, auditor := range []string{"log", "activity", "activity+log"} {
		var a auth.Auditor = auth.SlogAuditor{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))}
		switch auditor {
		case "activity":
			a = NewActivity(0, nil)
		case "activity+log":
			a = NewActivity(0, a)
		}
		b.Run(auditor+"/serial", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				a.Record(ctx, e)
			}
		})
		b.Run(auditor+"/parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					a.Record(ctx, e)
				}
			})
		})
	}
}

// benchIssuer is a token endpoint with one client for tenantA, and the
// form of its token request.
func benchIssuer(b *testing.B, reuse, withActivity bool) (http.Handler, string) {
	ctx := context.Background()
	var audit auth.Auditor = auth.SlogAuditor{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))}
	if withActivity {
		audit = NewActivity(0, audit)
	}
	cfg := auth.Config{Issuer: "https://fhir.example.com", Audience: "https://fhir.example.com",
		SealKey: bytes.Repeat([]byte{9}, 32), Auditor: audit, Logger: slog.New(slog.DiscardHandler)}
	if !reuse {
		cfg.TokenReuseWindow = -1
	}
	srv, err := auth.New(ctx, cfg, auth.NewMemoryStore())
	require.NoError(b, err)
	ci, secret, err := srv.Registry().CreateClient(ctx, auth.NewClient{ID: "app", Tenants: []string{tenantA}}, "bench")
	require.NoError(b, err)
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {ci.ID}, "client_secret": {secret}, "scope": {tenantA}}
	return srv.Issuer(), form.Encode()
}
