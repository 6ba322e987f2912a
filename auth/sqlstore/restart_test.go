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

	"github.com/patientsfhir/patientsfhir/auth"
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
	if err != nil {
		t.Fatalf("auth.New: %v", err)
	}
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
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatal(err)
		}
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
			if err := c.Close(); err != nil {
				t.Fatal(err)
			}
		}
	}

	// First process: register the Patients app, get a token, rotate its secret.
	st := open(t)
	srv := newAuthServer(t, st)
	_, oldSecret, err := srv.Registry().CreateClient(ctx, auth.NewClient{ID: "patients-app", Tenants: []string{restartTenant}}, "operator")
	if err != nil {
		t.Fatal(err)
	}
	code, tok1 := token(t, srv, "patients-app", oldSecret)
	if code != http.StatusOK {
		t.Fatalf("first token: %d", code)
	}
	p1, err := srv.Verifier().Verify(ctx, tok1)
	if err != nil {
		t.Fatal(err)
	}
	newSecret, _, err := srv.Registry().AddSecret(ctx, "patients-app", 0, "patients-app")
	if err != nil {
		t.Fatal(err)
	}
	oldID, err := auth.ParseSecret(oldSecret)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Registry().RevokeSecret(ctx, "patients-app", oldID, "patients-app"); err != nil {
		t.Fatal(err)
	}
	if code, _ := token(t, srv, "patients-app", oldSecret); code != http.StatusUnauthorized {
		t.Fatalf("revoked secret before restart: %d, want 401", code)
	}
	keysBefore, err := srv.Keys().List(ctx)
	if err != nil || len(keysBefore) == 0 {
		t.Fatalf("keys before restart: %v %v", keysBefore, err)
	}
	closeStore(st)

	// Second process, same database and configuration.
	st = open(t)
	defer closeStore(st)
	srv = newAuthServer(t, st)
	code, tok2 := token(t, srv, "patients-app", newSecret)
	if code != http.StatusOK {
		t.Fatalf("rotated secret after restart: %d, want 200", code)
	}
	if code, tok := token(t, srv, "patients-app", oldSecret); code != http.StatusUnauthorized || tok != "" {
		t.Fatalf("revoked secret after restart: %d, want 401", code)
	}
	secrets, err := srv.Registry().ListSecrets(ctx, "patients-app")
	if err != nil || len(secrets) != 2 {
		t.Fatalf("secrets after restart: %+v %v", secrets, err)
	}
	// The signing key survived (sealed, reopened with the configured key): the token of the first
	// process still verifies, and the new one is signed by the same key.
	if _, err := srv.Verifier().Verify(ctx, tok1); err != nil {
		t.Fatalf("a token from before the restart no longer verifies: %v", err)
	}
	p2, err := srv.Verifier().Verify(ctx, tok2)
	if err != nil {
		t.Fatal(err)
	}
	if p2.TenantID != restartTenant || p2.ClientID != "patients-app" || p1.TenantID != p2.TenantID {
		t.Fatalf("principal after restart: %+v", p2)
	}
	keysAfter, err := srv.Keys().List(ctx)
	if err != nil || len(keysAfter) != len(keysBefore) || keysAfter[0].KID != keysBefore[0].KID {
		t.Fatalf("keys after restart %+v, before %+v (%v)", keysAfter, keysBefore, err)
	}
}

func TestSQLiteRestartThroughIssuer(t *testing.T) {
	path := filepath.Join(t.TempDir(), "auth.db")
	runRestart(t, func(t *testing.T) auth.Store { return openSQLite(t, path) })
}

func TestPostgresRestartThroughIssuer(t *testing.T) {
	dsn := pgSchemaDSN(t)
	runRestart(t, func(t *testing.T) auth.Store { return openPG(t, dsn) })
}
