package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patientsfhir/patientsfhir/auth"
	"github.com/patientsfhir/patientsfhir/routing"
)

const (
	faultTenant   = "c0ffee00-1234-4abc-8def-001122334455"
	faultOperator = "operator-token-operator-token-operator-token"
)

// faultServer is an authorization server and a tenant directory over one
// SQLite store, as a node runs them.
type faultServer struct {
	st     *Store
	srv    *auth.Server
	dir    *routing.Directory
	secret string
}

func newFaultServer(t *testing.T, st *Store, maxStale time.Duration) *faultServer {
	t.Helper()
	ctx := context.Background()
	dir, err := routing.NewDirectory(ctx, routing.DirectoryConfig{Store: st, MaxStale: maxStale, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	if _, err := dir.Get(ctx, faultTenant); err != nil {
		_, err = dir.Add(ctx, routing.Tenant{ID: faultTenant, Backend: "ehr", State: routing.StateActive})
		require.NoError(t, err)
	}
	srv, err := auth.New(ctx, auth.Config{Issuer: "https://auth.example.com", Audience: "https://fhir.example.com",
		SealKey: []byte("fault-test-seal-key-32-bytes!!!!"), OperatorToken: faultOperator, TenantValidator: dir.Check,
		Logger: slog.New(slog.DiscardHandler)}, st)
	require.NoError(t, err)
	f := &faultServer{st: st, srv: srv, dir: dir}
	_, f.secret, err = srv.Registry().CreateClient(ctx, auth.NewClient{ID: "app", Tenants: []string{faultTenant}}, "test")
	require.NoError(t, err)
	return f
}

// token asks for the app's token.
func (f *faultServer) token(t *testing.T) (int, string) {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {"app"}, "client_secret": {f.secret}, "scope": {faultTenant}}
	r := httptest.NewRequest(http.MethodPost, "https://auth.example.com/token", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	f.srv.Handler().ServeHTTP(w, r)
	var body struct {
		Error string `json:"error"`
	}
	_ = json.Unmarshal(w.Body.Bytes(), &body)
	return w.Code, body.Error
}

// admin sends a registration request with the operator's token.
func (f *faultServer) admin(t *testing.T, method, path, body string) (int, string, time.Duration) {
	t.Helper()
	r := httptest.NewRequest(method, "https://auth.example.com"+path, strings.NewReader(body))
	r.Header.Set("Authorization", "Bearer "+faultOperator)
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	t0 := time.Now()
	f.srv.Admin().ServeHTTP(w, r)
	took := time.Since(t0)
	var resp struct {
		Error string `json:"error"`
	}
	if w.Code >= 400 {
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &resp), "an error that is not RFC 6749 JSON: %s", w.Body)
	}
	return w.Code, resp.Error, took
}

// Another process holds the database's write lock: writes (new clients,
// secrets, tenants) fail at the busy timeout with ErrUnavailable, which
// the registration API answers 503 temporarily_unavailable; tokens are
// still issued for the client (readers do not wait for writers); once the
// lock is released, writes succeed on the same store.
func TestFaultSQLiteLocked(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "auth.db")
	st, err := openSQLite(ctx, path, 300*time.Millisecond)
	require.NoError(t, err)
	defer st.Close()
	f := newFaultServer(t, st, 0)

	other, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath())
	require.NoError(t, err)
	defer other.Close()
	tx, err := other.BeginTx(ctx, nil)
	require.NoError(t, err)
	_, err = tx.ExecContext(ctx, `UPDATE auth_clients SET name = name`)
	require.NoError(t, err)

	t0 := time.Now()
	_, _, err = f.srv.Registry().AddSecret(ctx, "app", 0, "test")
	require.ErrorIs(t, err, auth.ErrUnavailable)
	assert.Less(t, time.Since(t0), 5*time.Second)
	code, oauthErr, took := f.admin(t, http.MethodPost, "/clients", `{"client_id":"other","tenants":["`+faultTenant+`"]}`)
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Equal(t, auth.ErrCodeTemporarilyUnavailable, oauthErr)
	assert.Less(t, took, 5*time.Second)
	_, err = f.dir.Add(ctx, routing.Tenant{ID: "0badf00d-aaaa-4bbb-8ccc-ddddeeeeffff", Backend: "ehr", State: routing.StateActive})
	require.ErrorIs(t, err, auth.ErrUnavailable)
	code, _ = f.token(t)
	assert.Equal(t, http.StatusOK, code, "a writer's lock stopped token issuance")

	require.NoError(t, tx.Rollback())
	_, _, err = f.srv.Registry().AddSecret(ctx, "app", 0, "test")
	require.NoError(t, err)
	code, _, _ = f.admin(t, http.MethodPost, "/clients", `{"client_id":"other","tenants":["`+faultTenant+`"]}`)
	assert.Equal(t, http.StatusCreated, code)
}

// The disk fills up (simulated with SQLite's max_page_count on the
// store's one writer connection): writes fail with ErrUnavailable (503 on
// the registration API), nothing written before is lost or damaged,
// tokens are still issued, and writes succeed again once there is room;
// every write that was acknowledged is there after a reopen.
func TestFaultSQLiteDiskFull(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "auth.db")
	st, err := openSQLite(ctx, path, 300*time.Millisecond)
	require.NoError(t, err)
	f := newFaultServer(t, st, 0)
	var pages int64
	require.NoError(t, st.w.QueryRowContext(ctx, `PRAGMA page_count`).Scan(&pages))
	require.NoError(t, st.w.QueryRowContext(ctx, `PRAGMA max_page_count = `+strconv.FormatInt(pages, 10)).Scan(new(int64)))

	// Clients are written until the file cannot grow.
	name := bytes.Repeat([]byte("n"), 190)
	var created []string
	var full error
	for i := 0; i < 500 && full == nil; i++ {
		id := "c" + strconv.Itoa(i)
		_, _, err := f.srv.Registry().CreateClient(ctx, auth.NewClient{ID: id, Name: string(name), Tenants: []string{faultTenant}}, "test")
		if err != nil {
			full = err
			break
		}
		created = append(created, id)
	}
	require.Error(t, full, "the database never filled up")
	require.ErrorIs(t, full, auth.ErrUnavailable)
	code, oauthErr, _ := f.admin(t, http.MethodPost, "/clients", `{"client_id":"one-more","name":"`+string(name)+`","tenants":["`+faultTenant+`"]}`)
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Equal(t, auth.ErrCodeTemporarilyUnavailable, oauthErr)
	code, _ = f.token(t)
	assert.Equal(t, http.StatusOK, code, "a full disk stopped token issuance")
	var check string
	require.NoError(t, st.w.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&check))
	assert.Equal(t, "ok", check)

	require.NoError(t, st.w.QueryRowContext(ctx, `PRAGMA max_page_count = 1073741823`).Scan(new(int64)))
	_, _, err = f.srv.Registry().CreateClient(ctx, auth.NewClient{ID: "after", Tenants: []string{faultTenant}}, "test")
	require.NoError(t, err)
	created = append(created, "after", "app")
	require.NoError(t, st.Close())

	st, err = OpenSQLite(ctx, path)
	require.NoError(t, err)
	defer st.Close()
	for _, id := range created {
		_, err := st.GetClient(ctx, id)
		assert.NoError(t, err, "client %s was acknowledged and is gone", id)
	}
}
