package sqlstore_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/patientsfhir/patientsfhir/auth"
	"github.com/patientsfhir/patientsfhir/internal/testsupport"
)

const restartTenant = "c0ffee00-1234-4abc-8def-001122334455"

// sealKey is the configuration's key for private signing keys at rest: the same on every start.
var sealKey = []byte("restart-test-seal-key-32-bytes!!")

func newAuthServer(t *testing.T, st auth.Store) *auth.Server {
	t.Helper()
	srv, err := auth.New(context.Background(), auth.Config{
		Issuer:   "https://auth.example.com",
		Audience: "https://fhir.example.com/stu3",
		SealKey:  sealKey,
		Logger:   slog.New(slog.DiscardHandler),
	}, st)
	require.NoError(t, err)
	return srv
}

// token posts a client_secret_post token request and returns the status and access token.
func token(t *testing.T, srv *auth.Server, clientID, secret string) (int, string) {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {secret}, "scope": {restartTenant}}
	req := httptest.NewRequest(http.MethodPost, "https://auth.example.com/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.RemoteAddr = "192.0.2.10:4711"
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, req)
	var body auth.TokenResponse
	if rec.Code == http.StatusOK {
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body))
	}
	return rec.Code, body.AccessToken
}

// runRestart is the restart test of issue 5 through the real server: a client and its secrets,
// rotated and revoked, and the signing keys survive a process restart; a revoked secret stays
// revoked. open opens the same database every time it is called.
func runRestart(t *testing.T, open func(t *testing.T) auth.Store) {
	ctx := context.Background()
	closeStore := func(st auth.Store) {
		if c, ok := st.(io.Closer); ok {
			require.NoError(t, c.Close())
		}
	}

	// First process: register the Patients app, get a token, rotate its secret.
	st := open(t)
	srv := newAuthServer(t, st)
	_, oldSecret, err := srv.Registry().CreateClient(ctx, auth.NewClient{ID: "patients-app", Tenants: []string{restartTenant}}, "operator")
	require.NoError(t, err)
	code, tok1 := token(t, srv, "patients-app", oldSecret)
	require.Equal(t, http.StatusOK, code, "first token: %d", code)
	p1, err := srv.Verifier().Verify(ctx, tok1)
	require.NoError(t, err)
	newSecret, _, err := srv.Registry().AddSecret(ctx, "patients-app", 0, "patients-app")
	require.NoError(t, err)
	oldID, err := auth.ParseSecret(oldSecret)
	require.NoError(t, err)
	require.NoError(t, srv.Registry().RevokeSecret(ctx, "patients-app", oldID, "patients-app"))
	code, _ = token(t, srv, "patients-app", oldSecret)
	require.Equal(t, http.StatusUnauthorized, code, "revoked secret before restart: %d, want 401", code)
	keysBefore, err := srv.Keys().List(ctx)
	require.NoError(t, err)
	require.NotEqual(t, 0, len(keysBefore), "keys before restart: %v %v", keysBefore, err)
	closeStore(st)

	// Second process, same database and configuration.
	st = open(t)
	defer closeStore(st)
	srv = newAuthServer(t, st)
	code, tok2 := token(t, srv, "patients-app", newSecret)
	require.Equal(t, http.StatusOK, code, "rotated secret after restart: %d, want 200", code)
	code, tok := token(t, srv, "patients-app", oldSecret)
	require.Equal(t, http.StatusUnauthorized, code, "revoked secret after restart: %d, want 401", code)
	require.Equal(t, "", tok, "revoked secret after restart: %d, want 401", code)
	secrets, err := srv.Registry().ListSecrets(ctx, "patients-app")
	require.NoError(t, err)
	require.EqualValues(t, 2, len(secrets), "secrets after restart: %+v %v", secrets, err)
	// The signing key survived (sealed, reopened with the configured key): the token of the first
	// process still verifies, and the new one is signed by the same key.
	_, err = srv.Verifier().Verify(ctx, tok1)
	require.NoError(t, err)
	p2, err := srv.Verifier().Verify(ctx, tok2)
	require.NoError(t, err)
	require.Equal(t, restartTenant, p2.TenantID, "principal after restart: %+v", p2)
	require.Equal(t, "patients-app", p2.ClientID, "principal after restart: %+v", p2)
	require.Equal(t, p2.TenantID, p1.TenantID, "principal after restart: %+v", p2)
	keysAfter, err := srv.Keys().List(ctx)
	require.NoError(t, err)
	require.Equal(t, len(keysBefore), len(keysAfter), "keys after restart %+v, before %+v (%v)", keysAfter, keysBefore, err)
	require.Equal(t, keysBefore[0].KID, keysAfter[0].KID, "keys after restart %+v, before %+v (%v)", keysAfter, keysBefore, err)
}

func TestSQLiteRestartThroughIssuer(t *testing.T) {
	path := filepath.Join(t.TempDir(), "auth.db")
	runRestart(t, func(t *testing.T) auth.Store { return openSQLite(t, path) })
}

func TestPostgresRestartThroughIssuer(t *testing.T) {
	dsn := testsupport.PostgresSchema(t)
	runRestart(t, func(t *testing.T) auth.Store { return openPG(t, dsn) })
}
