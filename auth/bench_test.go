package auth

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// benchEnv builds an environment whose audit events are formatted by a
// JSON slog handler, as in production, and discarded. reuse false turns
// the token-per-request path off, so that every request signs.
func benchEnv(b *testing.B, alg string, reuse bool) *env {
	return newEnv(b, func(c *Config) {
		c.Alg = alg
		c.Logger = slog.New(slog.NewJSONHandler(io.Discard, nil))
		if !reuse {
			c.TokenReuseWindow = -1
		}
	})
}

// BenchmarkIssue measures one full token request in process: form parsing,
// client authentication (SHA-256, constant time), signing (or, for
// "reused", the token-per-request path answering with a recent token), JSON
// and the audit event.
func BenchmarkIssue(b *testing.B) {
	for _, mode := range []string{AlgES256, AlgEdDSA, AlgRS256, AlgES256 + "/reused"} {
		b.Run(mode, func(b *testing.B) {
			alg, reused := strings.CutSuffix(mode, "/reused")
			e := benchEnv(b, alg, reused)
			body := e.goodForm().Encode()
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				r := httptest.NewRequest(http.MethodPost, "/token", strings.NewReader(body))
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				w := httptest.NewRecorder()
				e.srv.Issuer().ServeHTTP(w, r)
				require.Equal(b, http.StatusOK, w.Code)
			}
		})
	}
}

// BenchmarkVerify measures bearer verification of a valid token: "first"
// is a token's first use (full signature and claims check, what each
// Patients-app request costs, as it fetches a token per call), "cached" a
// token used again (expiry, key presence and deny-list re-checked only).
func BenchmarkVerify(b *testing.B) {
	for _, alg := range []string{AlgES256, AlgEdDSA, AlgRS256} {
		for _, mode := range []string{"first", "cached"} {
			b.Run(alg+"/"+mode, func(b *testing.B) {
				e := benchEnv(b, alg, false)
				tok := e.token()
				vc := e.srv.VerifierConfig()
				if mode == "first" {
					vc.CacheSize = -1
				}
				v, err := NewVerifier(vc)
				require.NoError(b, err)
				ctx := context.Background()
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					_, err := v.Verify(ctx, tok)
					require.NoError(b, err)
				}
			})
		}
	}
}

// BenchmarkAuthenticate measures the secret check alone, for a known
// client and for an unknown one (which must cost the same).
func BenchmarkAuthenticate(b *testing.B) {
	e := benchEnv(b, AlgES256, false)
	ctx := context.Background()
	for _, tc := range []struct{ name, id string }{{"known", e.clientID}, {"unknown", "nobody"}} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = e.srv.registry.authenticate(ctx, tc.id, e.secret+"x")
			}
		})
	}
}
