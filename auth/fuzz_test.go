package auth

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzVerify feeds arbitrary tokens to the verifier: it must never panic
// and never accept anything but a token the issuer minted.
func FuzzVerify(f *testing.F) {
	e := newEnv(f, nil)
	tok := e.token()
	f.Add(tok)
	f.Add(tok[:len(tok)-2])
	f.Add("a.b.c")
	f.Add(strings.Repeat(".", 100))
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	v := e.srv.Verifier()
	f.Fuzz(func(t *testing.T, s string) {
		p, err := v.Verify(context.Background(), s)
		require.False(t, err == nil && s != tok, "accepted a token the issuer did not mint: %q -> %+v", s, p)
		require.False(t, err != nil && !errors.Is(err, ErrInvalidToken), "unexpected error class: %v", err)
	})
}

// FuzzTokenEndpoint feeds arbitrary bodies and Authorization values to the
// token endpoint: no panic, always a JSON error or a token, never a 5xx.
func FuzzTokenEndpoint(f *testing.F) {
	e := newEnv(f, func(c *Config) { c.FailedAuthBurst = 1 << 30 })
	f.Add(e.goodForm().Encode(), "")
	f.Add("grant_type=client_credentials&scope=%zz", "Basic Zm9vOmJhcg==")
	f.Add("grant_type=client_credentials", "basic %%%")
	f.Fuzz(func(t *testing.T, body, authz string) {
		r := httptest.NewRequest(http.MethodPost, "/token", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if authz != "" {
			r.Header["Authorization"] = []string{authz}
		}
		w := httptest.NewRecorder()
		e.srv.Issuer().ServeHTTP(w, r)
		require.False(t, w.Code >= 500, "%d %v", w.Code, w.Header())
		require.Equal(t, "no-store", w.Header().Get("Cache-Control"), "%d %v", w.Code, w.Header())
	})
}
