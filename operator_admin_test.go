package patientsfhir_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patientsfhir/patientsfhir"
	"github.com/patientsfhir/patientsfhir/routing"
	"github.com/patientsfhir/patientsfhir/stu3"
)

// adminServer is a server whose STU3 tenants go through a Directory, with
// the operator routes mounted.
func adminServer(t *testing.T) (srvURL string, dir *routing.Directory) {
	t.Helper()
	b3, _ := backends(t)
	var err error
	dir, err = routing.NewDirectory(context.Background(), routing.DirectoryConfig{Store: routing.NewMemoryStore(), Logger: quiet()})
	require.NoError(t, err)
	r3, err := routing.NewRegistry(dir, map[string]routing.Provider[stu3.Backend]{"mem": routing.Fixed[stu3.Backend](b3)})
	require.NoError(t, err)
	ts, srv := serve(t, func(c *patientsfhir.Config) {
		c.Auth.OperatorToken = operatorToken
		c.STU3, c.DSTU2 = &stu3.Config{Router: r3, Profile: stu3.PatientsApp()}, nil
	})
	require.NoError(t, srv.MountAdmin(dir))
	assert.EqualError(t, srv.MountAdmin(dir), "patientsfhir: MountAdmin was already called")
	return ts.URL, dir
}

func operator(t *testing.T, method, u, body string) (int, map[string]any) {
	t.Helper()
	st, b, _ := do(t, http.DefaultClient, method, u, "application/json", body, "Authorization", "Bearer "+operatorToken)
	return st, b
}

// tokenFor asks the token endpoint for a token of tenant.
func tokenFor(t *testing.T, base, clientID, secret, tenant string) (int, map[string]any) {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {secret}, "scope": {tenant}}
	st, b, _ := do(t, http.DefaultClient, "POST", base+"/token", "application/x-www-form-urlencoded", form.Encode())
	return st, b
}

// A tenant added through /admin/tenants gets tokens and data; disabling it
// stops both at once, re-pointing it to a provider that is not registered
// makes it unknown, and enabling it again restores it.
func TestMountAdminTenants(t *testing.T) {
	base, dir := adminServer(t)
	st, b := operator(t, "POST", base+"/admin/tenants", `{"id":"`+tenant+`","name":"Contoso","backend":"mem"}`)
	require.Equal(t, http.StatusCreated, st, b)
	st, b = operator(t, "POST", base+"/admin/clients", `{"client_id":"app","tenants":["`+tenant+`"]}`)
	require.Equal(t, http.StatusCreated, st, b)
	secret := b["client_secret"].(string)

	st, tok := tokenFor(t, base, "app", secret, tenant)
	require.Equal(t, http.StatusOK, st, tok)
	read := func() int {
		st, _, _ := do(t, http.DefaultClient, "GET", base+"/stu3/Patient/pat-1", "", "", "Authorization", "Bearer "+tok["access_token"].(string))
		return st
	}
	assert.Equal(t, http.StatusOK, read())

	st, b = operator(t, "PATCH", base+"/admin/tenants/"+tenant, `{"state":"disabled"}`)
	require.Equal(t, http.StatusOK, st, b)
	assert.Equal(t, http.StatusUnauthorized, read(), "a disabled tenant's tokens stop")
	st, b = tokenFor(t, base, "app", secret, tenant)
	assert.Equal(t, http.StatusBadRequest, st)
	assert.Equal(t, "invalid_scope", b["error"])

	st, b = operator(t, "PATCH", base+"/admin/tenants/"+tenant, `{"state":"active","backend":"nowhere"}`)
	require.Equal(t, http.StatusOK, st, b)
	st, _ = tokenFor(t, base, "app", secret, tenant)
	assert.Equal(t, http.StatusBadRequest, st, "a backend no provider serves is an unknown tenant")

	st, b = operator(t, "PATCH", base+"/admin/tenants/"+tenant, `{"backend":"mem"}`)
	require.Equal(t, http.StatusOK, st, b)
	st, tok = tokenFor(t, base, "app", secret, tenant)
	require.Equal(t, http.StatusOK, st, tok)
	assert.Equal(t, http.StatusOK, read())

	got, err := dir.Get(context.Background(), tenant)
	require.NoError(t, err)
	assert.Equal(t, "mem", got.Backend)

	st, b, h := do(t, http.DefaultClient, "GET", base+"/admin/tenants", "", "")
	assert.Equal(t, http.StatusUnauthorized, st)
	assert.Equal(t, "unauthorized", b["error"])
	assert.Equal(t, `Bearer realm="operator"`, h.Get("WWW-Authenticate"))
}

// The signing keys are listed, rotated (old tokens keep verifying), and
// removed (their tokens stop); the active key cannot be removed.
func TestMountAdminKeys(t *testing.T) {
	base, _ := adminServer(t)
	st, b := operator(t, "POST", base+"/admin/tenants", `{"id":"`+tenant+`","backend":"mem"}`)
	require.Equal(t, http.StatusCreated, st, b)
	st, b = operator(t, "POST", base+"/admin/clients", `{"client_id":"app","tenants":["`+tenant+`"]}`)
	require.Equal(t, http.StatusCreated, st, b)
	secret := b["client_secret"].(string)
	_, tok := tokenFor(t, base, "app", secret, tenant)
	old := tok["access_token"].(string)
	read := func(token string) int {
		st, _, _ := do(t, http.DefaultClient, "GET", base+"/stu3/Patient/pat-1", "", "", "Authorization", "Bearer "+token)
		return st
	}

	st, b = operator(t, "GET", base+"/admin/keys", "")
	require.Equal(t, http.StatusOK, st, b)
	keys := b["keys"].([]any)
	require.Len(t, keys, 1)
	first := keys[0].(map[string]any)
	assert.Equal(t, "active", first["state"])
	assert.Equal(t, "ES256", first["alg"])
	assert.NotContains(t, first, "private_key")

	st, b = operator(t, "DELETE", base+"/admin/keys/"+first["kid"].(string), "")
	assert.Equal(t, http.StatusConflict, st)
	assert.Equal(t, "active_key", b["error"])

	st, b = operator(t, "POST", base+"/admin/keys/rotate", "")
	require.Equal(t, http.StatusCreated, st, b)
	newKID := b["kid"].(string)
	assert.NotEqual(t, first["kid"], newKID)
	states := map[string]string{}
	for _, k := range b["keys"].([]any) {
		states[k.(map[string]any)["kid"].(string)] = k.(map[string]any)["state"].(string)
	}
	assert.Equal(t, map[string]string{first["kid"].(string): "retired", newKID: "active"}, states)
	assert.Equal(t, http.StatusOK, read(old), "a retired key still verifies")

	st, _ = operator(t, "DELETE", base+"/admin/keys/"+first["kid"].(string), "")
	assert.Equal(t, http.StatusNoContent, st)
	assert.Equal(t, http.StatusUnauthorized, read(old), "a removed key's tokens stop")

	st, b = operator(t, "POST", base+"/admin/keys/no-such-kid/retire", "")
	assert.Equal(t, http.StatusNotFound, st)
	assert.Equal(t, "no such signing key", b["error_description"])
	st, b = operator(t, "POST", base+"/admin/keys/"+newKID+"/retire", "")
	assert.Equal(t, http.StatusConflict, st, "the signing key is replaced by a rotation only")
	assert.Equal(t, "active_key", b["error"])
	st, b = operator(t, "POST", base+"/admin/keys/rotate", "")
	require.Equal(t, http.StatusCreated, st, b)
	st, b = operator(t, "POST", base+"/admin/keys/"+newKID+"/retire", "")
	assert.Equal(t, http.StatusOK, st, "retiring a retired key is a no-op")
	assert.Len(t, b["keys"], 2)
	_, tok = tokenFor(t, base, "app", secret, tenant)
	assert.Equal(t, http.StatusOK, read(tok["access_token"].(string)))

	st, _, h := do(t, http.DefaultClient, "POST", base+"/admin/keys/rotate", "", "", "Authorization", "Bearer "+strings.Repeat("x", 40))
	assert.Equal(t, http.StatusUnauthorized, st)
	assert.Equal(t, `Bearer realm="operator", error="invalid_token"`, h.Get("WWW-Authenticate"))
}

// Without an operator token there is no admin API to add routes to.
func TestMountAdminNeedsOperator(t *testing.T) {
	_, srv := serve(t, nil)
	assert.ErrorIs(t, srv.MountAdmin(nil), patientsfhir.ErrNoOperator)
	_, srv = serve(t, func(c *patientsfhir.Config) { c.Auth.OperatorToken = operatorToken })
	assert.NoError(t, srv.MountAdmin(nil), "keys only")
}
