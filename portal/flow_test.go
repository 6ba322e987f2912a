package portal

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The operator's whole job over HTTP: register a client, rotate its secret,
// map a tenant, disable it; the token endpoint follows every change.
func TestClientSecretAndTenantLifecycle(t *testing.T) {
	e := newEnv(t, nil)
	b := e.browser()
	b.signIn()

	res := b.post("/clients", "/clients", url.Values{"name": {"Contoso Teams"}, "client_id": {"contoso-teams"}, "tenants": {tenantA}})
	require.Equal(t, http.StatusOK, res.status, res.body)
	assert.Equal(t, DefaultBasePath+"/clients/contoso-teams", res.url)
	first := secretOn(res.body)
	require.NotEmpty(t, first, "the page after registration shows the secret")
	assert.Contains(t, res.body, "Client contoso-teams registered.")

	tok, err := e.token("contoso-teams", first, tenantA)
	require.NoError(t, err)
	assert.NotEmpty(t, tok.AccessToken)

	res = b.post("/clients/contoso-teams", "/clients/contoso-teams/secrets", url.Values{})
	require.Equal(t, http.StatusOK, res.status, res.body)
	second := secretOn(res.body)
	require.NotEmpty(t, second)
	assert.NotEqual(t, first, second)
	_, err = e.token("contoso-teams", second, tenantA)
	require.NoError(t, err, "the second secret works")
	_, err = e.token("contoso-teams", first, tenantA)
	require.NoError(t, err, "the first still works until revoked")
	ci, err := e.auth.Registry().GetClient(t.Context(), "contoso-teams")
	require.NoError(t, err)
	require.Len(t, ci.Secrets, 2)
	res = b.post("/clients/contoso-teams/secrets/"+ci.Secrets[0].ID+"/revoke", "/clients/contoso-teams/secrets/"+ci.Secrets[0].ID+"/revoke", url.Values{})
	require.Equal(t, http.StatusOK, res.status, res.body)
	assert.Contains(t, res.body, "is revoked")
	e.assertTokenRefused("contoso-teams", first, tenantA, "invalid_client")
	_, err = e.token("contoso-teams", second, tenantA)
	require.NoError(t, err, "the second secret still works")

	// A new tenant: refused until mapped and allowed, then refused again
	// once disabled.
	e.assertTokenRefused("contoso-teams", second, tenantB, "invalid_scope")
	res = b.post("/tenants", "/tenants", url.Values{"id": {tenantB}, "name": {"Fabrikam"}, "provider": {"upstream-b"}})
	require.Equal(t, http.StatusOK, res.status, res.body)
	assert.Equal(t, DefaultBasePath+"/tenants/"+tenantB, res.url)
	res = b.post("/tenants/"+tenantB, "/tenants/"+tenantB+"/clients", url.Values{"client": {"contoso-teams"}})
	require.Equal(t, http.StatusOK, res.status, res.body)
	assert.Contains(t, res.body, "may now get tokens for this tenant")
	_, err = e.token("contoso-teams", second, tenantB)
	require.NoError(t, err, "the mapped tenant is accepted")
	res = b.post("/tenants/"+tenantB, "/tenants/"+tenantB+"/disable", url.Values{})
	require.Equal(t, http.StatusOK, res.status, res.body)
	e.assertTokenRefused("contoso-teams", second, tenantB, "invalid_scope")
	_, err = e.token("contoso-teams", second, tenantA)
	require.NoError(t, err, "the other tenant is not affected")

	for _, p := range []string{"/clients", "/clients/contoso-teams", "/tenants", "/tenants/" + tenantB, "/keys", "/activity"} {
		res := b.get(p)
		assert.Equal(t, http.StatusOK, res.status, p)
		assert.NotContains(t, res.body, first, p)
		assert.NotContains(t, res.body, second, p)
	}
	assert.NotContains(t, e.logs.String(), first)
	assert.NotContains(t, e.logs.String(), second)
}
