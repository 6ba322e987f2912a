package auth

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// testOAuth2Client drives the token endpoint over real HTTP with
// golang.org/x/oauth2/clientcredentials in all three auth styles (case 38).
func testOAuth2Client(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Insecure = true })
	var requests atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		e.srv.Handler().ServeHTTP(w, r)
	}))
	defer ts.Close()
	styles := map[string]oauth2.AuthStyle{
		"InHeader": oauth2.AuthStyleInHeader, "InParams": oauth2.AuthStyleInParams, "AutoDetect": oauth2.AuthStyleAutoDetect,
	}
	for name, style := range styles {
		t.Run(name, func(t *testing.T) {
			cc := clientcredentials.Config{
				ClientID: e.clientID, ClientSecret: e.secret, TokenURL: ts.URL + "/token",
				Scopes: []string{tenantA}, AuthStyle: style,
			}
			tok, err := cc.Token(context.Background())
			require.NoError(t, err)
			require.Equal(t, "Bearer", tok.Type(), "token %+v scope %v", tok, tok.Extra("scope"))
			require.Equal(t, tenantA, tok.Extra("scope"), "token %+v scope %v", tok, tok.Extra("scope"))
			require.False(t, tok.Expiry.IsZero(), "token %+v scope %v", tok, tok.Extra("scope"))
			require.False(t, time.Until(tok.Expiry) > 301*time.Second, "token %+v scope %v", tok, tok.Extra("scope"))
			_, err = e.srv.Verifier().Verify(context.Background(), tok.AccessToken)
			require.NoError(t, err)
			// A wrong secret fails; AutoDetect retries with the other style,
			// so it makes two requests where a pinned style makes one.
			bad := cc
			bad.ClientSecret = e.secret[:len(e.secret)-1] + "x"
			bad.TokenURL = ts.URL + "/token?style=" + name // x/oauth2 caches AutoDetect's choice per URL
			before := requests.Load()
			_, err = bad.Token(context.Background())
			re, ok := err.(*oauth2.RetrieveError)
			require.True(t, ok, "wrong secret: %v", err)
			require.Equal(t, ErrCodeInvalidClient, re.ErrorCode, "wrong secret: %v", err)
			require.EqualValues(t, 401, re.Response.StatusCode, "wrong secret: %v", err)
			want := int32(1)
			if style == oauth2.AuthStyleAutoDetect {
				want = 2
			}
			got := requests.Load() - before
			require.Equal(t, want, got, "%s made %d requests for a wrong secret, want %d", name, got, want)
		})
	}
}
