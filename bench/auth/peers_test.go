package auth

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/go-oauth2/oauth2/v4/manage"
	"github.com/go-oauth2/oauth2/v4/models"
	gooauth2server "github.com/go-oauth2/oauth2/v4/server"
	gooauth2store "github.com/go-oauth2/oauth2/v4/store"
	"github.com/ory/fosite"
	"github.com/ory/fosite/compose"
	"github.com/ory/fosite/storage"
)

// The one client every implementation knows, and the request it sends.
const (
	benchClientID = "teams-patients-app"
	// benchSecret has the shape of a patientsfhir secret (fhcs_<id>_<43 base64url chars>) so that
	// every implementation hashes or compares an input of the same length.
	benchSecret = "fhcs_k3J9xQ2a_V8dWm1s4Zp7Lq0cRt5yUe2iOb6nAh3GjKf9XwE1vTz"
	benchTenant = "c0ffee00-1234-4abc-8def-001122334455"
)

// constantTokenBody is what the floor handler answers: a token response of the same size as a real
// one (an ES256 JWT with RFC 9068 claims is about 560 bytes).
var constantTokenBody = []byte(`{"access_token":"eyJhbGciOiJFUzI1NiIsImtpZCI6Ik5fR3dTUkZ5VmRQX2FhZ0JZQ2JvWGpJaHhXZ3lZUmZhRk1QRmx6dGpHYWsiLCJ0eXAiOiJhdCtqd3QifQ.eyJpc3MiOiJodHRwczovL2F1dGguZXhhbXBsZS5jb20iLCJzdWIiOiJ0ZWFtcy1wYXRpZW50cy1hcHAiLCJhdWQiOlsiaHR0cHM6Ly9maGlyLmV4YW1wbGUuY29tIl0sImV4cCI6MTc2NDA4NTAwMCwiaWF0IjoxNzY0MDg0NzAwLCJqdGkiOiJXaHR5eE9Cd1lRbHNJZ0tpYkZ0aE93IiwiY2xpZW50X2lkIjoidGVhbXMtcGF0aWVudHMtYXBwIiwic2NvcGUiOiJjMGZmZWUwMC0xMjM0LTRhYmMtOGRlZi0wMDExMjIzMzQ0NTUiLCJ0aWQiOiJjMGZmZWUwMC0xMjM0LTRhYmMtOGRlZi0wMDExMjIzMzQ0NTUifQ.MEUCIQDkT5l1uYq8zF0n4m2cV7pW3xR9sA6bH1jK0dL2eN8oPgIgVb4rT7yU1iO5pA9sD3fG6hJ2kL8zX0cV4bN7mQ1wE5r","token_type":"Bearer","expires_in":300,"scope":"c0ffee00-1234-4abc-8def-001122334455"}`)

// floorHandler is the bare net/http floor: it reads the body (as every token endpoint must) and
// answers the constant token with the headers a token response needs. No authentication, no signing.
func floorHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "client_credentials" {
			http.Error(w, `{"error":"invalid_request"}`, http.StatusBadRequest)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "application/json;charset=UTF-8")
		h.Set("Cache-Control", "no-store")
		h.Set("Pragma", "no-cache")
		_, _ = w.Write(constantTokenBody)
	})
}

// goOAuth2Handler is go-oauth2/oauth2 v4 in its documented in-memory setup: the default manager,
// the in-memory token store (every token is written to it) and the in-memory client store holding
// the plaintext secret. Credentials are read from the form body (client_secret_post).
func goOAuth2Handler(tb testing.TB) http.Handler {
	tb.Helper()
	manager := manage.NewDefaultManager()
	manager.MustTokenStorage(gooauth2store.NewMemoryTokenStore())
	clients := gooauth2store.NewClientStore()
	require.NoError(tb, clients.Set(benchClientID, &models.Client{ID: benchClientID, Secret: benchSecret}))
	manager.MapClientStorage(clients)
	srv := gooauth2server.NewServer(gooauth2server.NewConfig(), manager)
	srv.SetClientInfoHandler(gooauth2server.ClientFormHandler)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := srv.HandleTokenRequest(w, r); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
}

// fositeHandler is ory/fosite composed with its client-credentials grant, its default HMAC
// (opaque) token strategy, its in-memory storage and its default secret handling: the client
// secret is stored as a bcrypt hash at fosite's default cost (12) and compared on every request.
func fositeHandler(tb testing.TB) http.Handler {
	tb.Helper()
	ctx := context.Background()
	cfg := &fosite.Config{
		GlobalSecret: []byte("a-32-byte-global-secret-for-hmac"),
		TokenURL:     "https://auth.example.com/token",
	}
	hash, err := cfg.GetSecretsHasher(ctx).Hash(ctx, []byte(benchSecret))
	require.NoError(tb, err)
	store := storage.NewMemoryStore()
	store.Clients[benchClientID] = &fosite.DefaultClient{
		ID:         benchClientID,
		Secret:     hash,
		GrantTypes: []string{"client_credentials"},
		Scopes:     []string{benchTenant},
	}
	provider := compose.Compose(cfg, store, &compose.CommonStrategy{CoreStrategy: compose.NewOAuth2HMACStrategy(cfg)},
		compose.OAuth2ClientCredentialsGrantFactory)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		ar, err := provider.NewAccessRequest(ctx, r, &fosite.DefaultSession{})
		if err != nil {
			provider.WriteAccessError(ctx, w, ar, err)
			return
		}
		for _, s := range ar.GetRequestedScopes() {
			ar.GrantScope(s)
		}
		resp, err := provider.NewAccessResponse(ctx, ar)
		if err != nil {
			provider.WriteAccessError(ctx, w, ar, err)
			return
		}
		provider.WriteAccessResponse(ctx, w, ar, resp)
	})
}
