package main

import (
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patientsfhir/patientsfhir/examples/sampleehr/service"
)

// operatorEnv is the environment of the admin commands against s.
func operatorEnv(t *testing.T, s *sampleEHR, dir string) map[string]string {
	t.Helper()
	tok, err := os.ReadFile(filepath.Join(dir, "data", service.OperatorTokenFile))
	require.NoError(t, err)
	return map[string]string{"PATIENTSFHIR_SERVER": s.url, "PATIENTSFHIR_OPERATOR_TOKEN": strings.TrimSpace(string(tok))}
}

// tokenStatus asks the token endpoint of s for a token and returns the
// status.
func tokenStatus(t *testing.T, s *sampleEHR, clientID, secret, tenant string) int {
	t.Helper()
	res, err := http.PostForm(s.url+"/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID},
		"client_secret": {secret}, "scope": {tenant}})
	require.NoError(t, err)
	res.Body.Close()
	return res.StatusCode
}

// ok runs an admin command that must succeed and returns its output.
func ok(t *testing.T, vars map[string]string, args ...string) string {
	t.Helper()
	r := cli(t, vars, args...)
	require.Equal(t, exitOK, r.code, "%v: %s%s", args, r.stdout, r.stderr)
	assert.Empty(t, r.stderr)
	return r.stdout
}

// The operator manages clients, secrets, tenants and keys of a running
// sample EHR from the command line, and each change takes effect.
func TestAdminCommands(t *testing.T) {
	s := startSampleEHR(t)
	vars := operatorEnv(t, s, filepath.Dir(s.creds))
	creds := s.svc.Credentials()
	a, b := creds.Tenants[0], creds.Tenants[1]

	out := ok(t, vars, "tenants", "list")
	assert.Regexp(t, `(?m)^TENANT\s+STATE\s+BACKEND\s+UPDATED\s+NAME$`, out)
	assert.Regexp(t, `(?m)^`+a.Tenant+`\s+active\s+sqlite\s+\S+\s+`+a.Name+`$`, out)

	// A client for both tenants, its secret shown once.
	out = ok(t, vars, "clients", "create", "ops-app", "-tenants", a.Tenant+","+b.Tenant, "-name", "Ops")
	secret := regexp.MustCompile(`client_secret:\s+(fhcs_\S+)\s+\(shown once\)`).FindStringSubmatch(out)
	require.Len(t, secret, 2, out)
	assert.Equal(t, http.StatusOK, tokenStatus(t, s, "ops-app", secret[1], b.Tenant))
	out = ok(t, vars, "clients", "list")
	assert.Regexp(t, `(?m)^ops-app\s+enabled\s+1\s+`+b.Tenant+`,`+a.Tenant+`\s+Ops$`, out, "tenants sorted")
	assert.Regexp(t, `(?m)^patients-app-1\s+enabled\s+1\s+`+a.Tenant+`\s+`, out)

	// Rotation: a second secret, then the first revoked.
	out = ok(t, vars, "secrets", "add", "ops-app")
	second := regexp.MustCompile(`client_secret:\s+(fhcs_\S+)`).FindStringSubmatch(out)
	require.Len(t, second, 2)
	firstID := strings.SplitN(strings.TrimPrefix(secret[1], "fhcs_"), "_", 2)[0]
	out = ok(t, vars, "secrets", "list", "ops-app")
	assert.Regexp(t, `(?m)^`+firstID+`\s+…\S+\s+active\s`, out)
	assert.Equal(t, "revoked secret "+firstID+" of ops-app\n", ok(t, vars, "secrets", "revoke", "ops-app", firstID))
	assert.Equal(t, http.StatusUnauthorized, tokenStatus(t, s, "ops-app", secret[1], a.Tenant))
	assert.Equal(t, http.StatusOK, tokenStatus(t, s, "ops-app", second[1], a.Tenant))
	assert.Regexp(t, `(?m)^`+firstID+`\s+…\S+\s+revoked\s`, ok(t, vars, "secrets", "list", "ops-app"))

	// The client's tenants, disabling and enabling it.
	out = ok(t, vars, "clients", "tenants", "ops-app", a.Tenant)
	assert.Regexp(t, `tenants:\s+`+a.Tenant+`\n`, out)
	assert.Equal(t, http.StatusBadRequest, tokenStatus(t, s, "ops-app", second[1], b.Tenant))
	assert.Regexp(t, `state:\s+disabled`, ok(t, vars, "clients", "disable", "ops-app"))
	assert.Equal(t, http.StatusUnauthorized, tokenStatus(t, s, "ops-app", second[1], a.Tenant))
	ok(t, vars, "clients", "enable", "ops-app")
	assert.Equal(t, http.StatusOK, tokenStatus(t, s, "ops-app", second[1], a.Tenant))

	// Tenants: disable, re-point, rename, enable, add, remove.
	assert.Regexp(t, `state:\s+disabled`, ok(t, vars, "tenants", "disable", a.Tenant))
	assert.Equal(t, http.StatusBadRequest, tokenStatus(t, s, a.ClientID, a.ClientSecret, a.Tenant), "a disabled tenant gets no token")
	ok(t, vars, "tenants", "enable", a.Tenant)
	assert.Equal(t, http.StatusOK, tokenStatus(t, s, a.ClientID, a.ClientSecret, a.Tenant))
	assert.Regexp(t, `backend:\s+elsewhere`, ok(t, vars, "tenants", "set-backend", a.Tenant, "elsewhere"))
	assert.Equal(t, http.StatusBadRequest, tokenStatus(t, s, a.ClientID, a.ClientSecret, a.Tenant), "no provider named elsewhere")
	ok(t, vars, "tenants", "set-backend", a.Tenant, service.Backend)
	assert.Regexp(t, `name:\s+Wingtip East`, ok(t, vars, "tenants", "rename", a.Tenant, "Wingtip East"))
	newTenant := service.TenantID(7)
	out = ok(t, vars, "tenants", "add", newTenant, "-backend", service.Backend, "-name", "New Hospital", "-disabled")
	assert.Regexp(t, `state:\s+disabled`, out)
	assert.Regexp(t, `name:\s+New Hospital`, ok(t, vars, "tenants", "get", newTenant))
	assert.Equal(t, "removed tenant "+newTenant+"\n", ok(t, vars, "tenants", "remove", newTenant))

	// Keys: rotate, the old one retires and is removed.
	out = ok(t, vars, "keys", "list")
	assert.Regexp(t, `(?m)^KID\s+ALG\s+STATE`, out)
	old := regexp.MustCompile(`(?m)^(\S+)\s+ES256\s+active`).FindStringSubmatch(out)
	require.Len(t, old, 2, out)
	out = ok(t, vars, "keys", "rotate")
	assert.Regexp(t, `(?m)^`+regexp.QuoteMeta(old[1])+`\s+ES256\s+retired`, out)
	assert.Regexp(t, `(?m)^\S+\s+ES256\s+active\s.*\(new\)$`, out)
	assert.Equal(t, "removed key "+old[1]+"\n", ok(t, vars, "keys", "remove", old[1]))
	assert.Equal(t, http.StatusOK, tokenStatus(t, s, a.ClientID, a.ClientSecret, a.Tenant), "the new key signs")

	// -json prints the server's answer.
	var doc struct {
		Tenants []struct{ ID, State string }
	}
	require.NoError(t, json.Unmarshal([]byte(ok(t, vars, "tenants", "list", "-json")), &doc))
	require.Len(t, doc.Tenants, 2)
	assert.Equal(t, "active", doc.Tenants[0].State)
}

// Errors say what the server refused and why, naming the field; the
// operator token and the server come from the environment, with clear
// errors when they are missing or wrong.
func TestAdminCommandErrors(t *testing.T) {
	s := startSampleEHR(t)
	vars := operatorEnv(t, s, filepath.Dir(s.creds))
	a := s.svc.Credentials().Tenants[0]
	fail := func(code int, want string, vars map[string]string, args ...string) {
		t.Helper()
		r := cli(t, vars, args...)
		assert.Equal(t, code, r.code, "%v: %s", args, r.stderr)
		assert.Contains(t, r.stderr, want, args)
		assert.Empty(t, r.stdout)
	}
	fail(exitFailed, "patientsfhir tenants: the server answered 400 invalid_request: backend: must be 1 to 64 characters of [A-Za-z0-9._-]",
		vars, "tenants", "set-backend", a.Tenant, "no spaces")
	fail(exitFailed, "the server answered 404 not_found: no such tenant", vars, "tenants", "get", service.TenantID(9))
	fail(exitFailed, "the server answered 409 conflict: the tenant already exists", vars, "tenants", "add", a.Tenant, "-backend", "sqlite")
	fail(exitFailed, "the server answered 400 invalid_request: id: must be a tenant GUID in lower case", vars, "tenants", "add", "contoso", "-backend", "sqlite")
	fail(exitFailed, "the server answered 404 not_found: no such client or secret", vars, "secrets", "add", "nobody")
	fail(exitFailed, "the server answered 409 active_key: the active signing key cannot be retired or removed; rotate first", vars, "keys", "remove",
		activeKey(t, vars))
	fail(exitUsage, "patientsfhir tenants: tenants rename needs <GUID> <name>", vars, "tenants", "rename", a.Tenant)
	fail(exitUsage, `unknown action "explode"`, vars, "keys", "explode")
	fail(exitUsage, "which action?", vars, "clients")
	fail(exitUsage, "set PATIENTSFHIR_OPERATOR_TOKEN to the server's operator token", map[string]string{"PATIENTSFHIR_SERVER": s.url}, "tenants", "list")
	fail(exitFailed, "the server answered 401 invalid_token: authentication failed (the server refused the operator token: check PATIENTSFHIR_OPERATOR_TOKEN)",
		map[string]string{"PATIENTSFHIR_SERVER": s.url, "PATIENTSFHIR_OPERATOR_TOKEN": strings.Repeat("x", 40)}, "tenants", "list")
	fail(exitUsage, `-server "ftp://x" is not an http(s) URL`, vars, "tenants", "list", "-server", "ftp://x")

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	gone := "http://" + ln.Addr().String()
	require.NoError(t, ln.Close())
	fail(exitFailed, "cannot reach "+gone+": ", vars, "keys", "list", "-server", gone)
	fail(exitFailed, "(is the server running? set -server or PATIENTSFHIR_SERVER)", vars, "keys", "list", "-server", gone)

	// A server without the tenant and key routes says so.
	plain := http.NewServeMux()
	plain.Handle("/", http.NotFoundHandler())
	srv := &http.Server{Handler: plain}
	ln, err = net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	fail(exitFailed, "has no such admin route (GET /admin/tenants answered 404)", vars, "tenants", "list", "-server", "http://"+ln.Addr().String())

	r := cli(t, vars, "tenants", "-h")
	assert.Equal(t, exitOK, r.code)
	assert.Contains(t, r.stderr, "set-backend <GUID> <backend>")
}

func activeKey(t *testing.T, vars map[string]string) string {
	t.Helper()
	out := ok(t, vars, "keys", "list")
	m := regexp.MustCompile(`(?m)^(\S+)\s+ES256\s+active`).FindStringSubmatch(out)
	require.Len(t, m, 2, out)
	return m[1]
}
