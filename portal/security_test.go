package portal

import (
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patientsfhir/patientsfhir/auth"
)

// actionRoutes are every form post of a signed-in operator.
var actionRoutes = []string{
	"/signout", "/clients", "/clients/x/secrets", "/clients/x/secrets/y/revoke", "/clients/x/tenants",
	"/clients/x/disable", "/clients/x/enable", "/tenants", "/tenants/" + tenantA, "/tenants/" + tenantA + "/enable",
	"/tenants/" + tenantA + "/disable", "/tenants/" + tenantA + "/clients", "/tenants/" + tenantA + "/clients/x/remove",
	"/keys/rotate",
}

// clientCount is the number of registered clients.
func (e *env) clientCount() int {
	cs, err := e.auth.Registry().ListClients(e.t.(*testing.T).Context())
	require.NoError(e.t, err)
	return len(cs)
}

// refusals counts the admin.denied events with a reason.
func (e *env) refusals(reason string) int {
	return len(e.activity.Recent(DefaultActivitySize, func(en Entry) bool {
		return en.Type == auth.EventAdminDenied && en.Reason == reason
	}))
}

// Form posts without a CSRF token, with another session's token, without a
// session, with an expired session or from another origin are refused, and
// change nothing.
func TestFormPostsAreRefused(t *testing.T) {
	e := newEnv(t, nil)
	a, other := e.browser(), e.browser()
	a.signIn()
	other.signIn()
	page := a.get("/clients")
	tokenA, tokenOther := csrf(t, page.body), csrf(t, other.get("/clients").body)
	require.NotEqual(t, tokenA, tokenOther, "each session has its own token")
	create := func(token string) url.Values {
		return url.Values{"csrf": {token}, "name": {"Mallory"}, "tenants": {tenantA}}
	}

	// Every form post needs the session's token.
	for _, route := range actionRoutes {
		res := a.do(http.MethodPost, route, url.Values{"name": {"x"}})
		assert.Equal(t, http.StatusForbidden, res.status, "%s without a CSRF token", route)
		assert.Contains(t, res.body, "did not come from this session", route)
	}
	res := a.do(http.MethodPost, "/clients", create(tokenOther))
	assert.Equal(t, http.StatusForbidden, res.status, "another session's token")
	res = a.do(http.MethodPost, "/clients", create(tokenA[:len(tokenA)-1]+"x"))
	assert.Equal(t, http.StatusForbidden, res.status, "a forged token")
	assert.GreaterOrEqual(t, e.refusals("portal_csrf"), len(actionRoutes)+2, "refusals are audited")

	// Without a session, whatever the token.
	nobody := e.browser()
	res = nobody.do(http.MethodPost, "/clients", create(tokenA))
	assert.Equal(t, http.StatusForbidden, res.status, "no session")
	assert.Contains(t, res.body, "You are not signed in, so nothing was changed.")
	assert.NotContains(t, res.body, `action="/portal/signout"`, "a refusal page for a stranger has no operator navigation")

	// The sign-in form's token only signs in.
	pending := e.browser()
	res = pending.do(http.MethodPost, "/clients", create(csrf(t, pending.get("/signin").body)))
	assert.Equal(t, http.StatusForbidden, res.status, "a sign-in form's token")

	// Another origin, with the right token and cookie.
	req, err := http.NewRequest(http.MethodPost, e.url("/clients"), strings.NewReader(create(tokenA).Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.Header.Set("Origin", "https://evil.example")
	cross, err := a.c.Do(req)
	require.NoError(t, err)
	cross.Body.Close()
	assert.Equal(t, http.StatusForbidden, cross.StatusCode, "a cross-origin post")

	// Not a form.
	req, err = http.NewRequest(http.MethodPost, e.url("/clients"), strings.NewReader(`{"csrf":"`+tokenA+`"}`))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	notForm, err := a.c.Do(req)
	require.NoError(t, err)
	notForm.Body.Close()
	assert.Equal(t, http.StatusBadRequest, notForm.StatusCode, "a JSON body")

	assert.Zero(t, e.clientCount(), "nothing was created")

	// The same token works while the session lives...
	res = a.do(http.MethodPost, "/clients", create(tokenA))
	require.Equal(t, http.StatusOK, res.status, res.body)
	assert.Equal(t, 1, e.clientCount())

	// ...and not once it has been idle too long.
	e.clock.Advance(30 * time.Minute)
	res = a.do(http.MethodPost, "/clients", create(tokenA))
	assert.Equal(t, http.StatusForbidden, res.status, "an expired session")
	assert.Contains(t, res.body, "Your session has ended, so nothing was changed.")
	assert.Equal(t, 1, e.clientCount())
	res = other.get("/clients")
	assert.Equal(t, DefaultBasePath+"/signin", res.url, "an expired session's pages lead to the sign-in form")
	assert.Contains(t, res.body, "Your session has ended. Sign in again.")
	assert.Equal(t, 1, e.refusals("portal_session_expired"))
}

// A session ends SessionMax after sign-in even when it is used all along.
func TestSessionMaximumAge(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.SessionIdle, c.SessionMax = 10*time.Minute, time.Hour })
	b := e.browser()
	b.signIn()
	for range 5 {
		e.clock.Advance(9 * time.Minute)
		require.Equal(t, DefaultBasePath+"/clients", b.get("/clients").url, "used within the idle bound")
	}
	e.clock.Advance(15 * time.Minute) // 60 minutes since sign-in, 6 since the last request
	assert.Equal(t, DefaultBasePath+"/signin", b.get("/clients").url)
}

// Sign-in attempts are limited per address: an address over its budget
// waits, every other address signs in, and the operator at the limited
// address signs in once the wait is over.
func TestSignInIsLimitedPerAddressWithoutLockOut(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.SignInBurst, c.SignInEvery = 3, 20*time.Second })
	attacker := e.browser()
	attacker.addr = "203.0.113.66"
	for i := range 3 {
		res := attacker.post("/signin", "/signin", url.Values{"credential": {"guess-" + strconv.Itoa(i)}})
		assert.Equal(t, http.StatusUnauthorized, res.status)
		assert.Contains(t, res.body, `id="f-credential-error"`)
		assert.Contains(t, res.body, "This is not the operator credential.")
	}
	res := attacker.post("/signin", "/signin", url.Values{"credential": {"guess"}})
	assert.Equal(t, http.StatusTooManyRequests, res.status)
	assert.Equal(t, "20", res.header.Get("Retry-After"))
	assert.Contains(t, res.body, "Wait 20 seconds, then try again.")
	assert.Equal(t, 3, e.refusals("portal_signin"))
	assert.Equal(t, 1, e.refusals("portal_signin_rate_limited"))

	// The same address waits even with the right credential...
	sameAddr := e.browser()
	sameAddr.addr = attacker.addr
	res = sameAddr.post("/signin", "/signin", url.Values{"credential": {testCredential}})
	assert.Equal(t, http.StatusTooManyRequests, res.status)
	// ...every other address signs in at once...
	e.browser().signIn()
	// ...and the limited address gets an attempt back after the wait.
	e.clock.Advance(20 * time.Second)
	sameAddr.signIn()

	// An IPv6 address's budget is its /64's.
	v6 := e.browser()
	v6.addr = "2001:db8:1:2::1"
	for i := range 3 {
		v6.addr = "2001:db8:1:2::" + strconv.Itoa(i+1)
		assert.Equal(t, http.StatusUnauthorized, v6.post("/signin", "/signin", url.Values{"credential": {"x"}}).status)
	}
	v6.addr = "2001:db8:1:2::99"
	assert.Equal(t, http.StatusTooManyRequests, v6.post("/signin", "/signin", url.Values{"credential": {"x"}}).status)
	assert.NotContains(t, e.logs.String(), testCredential)
}

// The sign-in form needs no session: its token is bound to a nonce cookie,
// so requests for it fill nothing on the server, and a token without its
// cookie (or another browser's) is refused. Signing in starts a new session:
// an identifier planted in the browser is never adopted.
func TestSignInFormAndSession(t *testing.T) {
	e := newEnv(t, nil)
	for range 50 {
		e.browser().get("/signin")
	}
	assert.Empty(t, e.portal.sessions.byKey, "sign-in forms keep no state")

	a, b := e.browser(), e.browser()
	tokenA := csrf(t, a.get("/signin").body)
	csrf(t, b.get("/signin").body)
	res := b.do(http.MethodPost, "/signin", url.Values{"csrf": {tokenA}, "credential": {testCredential}})
	assert.Equal(t, http.StatusForbidden, res.status, "another browser's sign-in token")
	res = e.browser().do(http.MethodPost, "/signin", url.Values{"csrf": {tokenA}, "credential": {testCredential}})
	assert.Equal(t, http.StatusForbidden, res.status, "a token without its cookie")
	res = a.do(http.MethodPost, "/signin", url.Values{"credential": {testCredential}})
	assert.Equal(t, http.StatusForbidden, res.status, "no token")
	assert.Empty(t, e.portal.sessions.byKey)

	u, err := url.Parse(e.ts.URL + "/")
	require.NoError(t, err)
	planted := &http.Cookie{Name: cookieName, Value: strings.Repeat("A", 43), Path: "/"}
	a.c.Jar.SetCookies(u, []*http.Cookie{planted})
	res = a.do(http.MethodPost, "/signin", url.Values{"csrf": {tokenA}, "credential": {testCredential}})
	require.Equal(t, DefaultBasePath+"/clients", res.url, "signed in")
	var session string
	for _, c := range a.c.Jar.Cookies(u) {
		if c.Name == cookieName {
			session = c.Value
		}
		assert.NotEqual(t, signinCookie, c.Name, "the sign-in nonce is removed")
	}
	assert.NotEqual(t, planted.Value, session)
	assert.Len(t, e.portal.sessions.byKey, 1)
	replay := e.browser()
	replay.c.Jar.SetCookies(u, []*http.Cookie{planted})
	assert.Equal(t, DefaultBasePath+"/signin", replay.get("/clients").url, "the planted identifier is not signed in")

	// Signing out ends the session on the server too.
	res = a.post("/clients", "/signout", url.Values{})
	assert.Equal(t, DefaultBasePath+"/signin", res.url)
	assert.Empty(t, e.portal.sessions.byKey)
	replay.c.Jar.SetCookies(u, []*http.Cookie{{Name: cookieName, Value: session, Path: "/"}})
	assert.Equal(t, DefaultBasePath+"/signin", replay.get("/clients").url)
}

// Every answer carries the security headers; pages are not cached; the
// session cookie is Secure, HttpOnly, SameSite=Strict and host-only.
func TestSecurityHeadersAndCookie(t *testing.T) {
	e := newEnv(t, nil)
	b := e.browser()
	noRedirect := *b.c
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	cookie := func(res *http.Response, name string) *http.Cookie {
		for _, c := range res.Cookies() {
			if c.Name == name {
				return c
			}
		}
		return nil
	}
	res, err := noRedirect.Get(e.url("/signin"))
	require.NoError(t, err)
	form, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	res.Body.Close()
	nonce := cookie(res, signinCookie)
	require.NotNil(t, nonce)
	res, err = noRedirect.PostForm(e.url("/signin"), url.Values{"csrf": {csrf(t, string(form))}, "credential": {testCredential}})
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	session := cookie(res, cookieName)
	for _, c := range []*http.Cookie{nonce, session} {
		require.NotNil(t, c)
		assert.True(t, strings.HasPrefix(c.Name, "__Host-"), c.Name)
		assert.True(t, c.Secure, c.Name)
		assert.True(t, c.HttpOnly, c.Name)
		assert.Equal(t, http.SameSiteStrictMode, c.SameSite, c.Name)
		assert.Equal(t, "/", c.Path, c.Name)
		assert.Empty(t, c.Domain, c.Name)
		assert.Positive(t, c.MaxAge, "%s expires", c.Name)
	}
	assert.Equal(t, int((8 * time.Hour).Seconds()), session.MaxAge)

	for _, p := range []string{"/signin", "/clients", "/tenants", "/keys", "/activity", "/clients/nobody", "/nowhere"} {
		res := b.get(p)
		h := res.header
		assert.Equal(t, contentSecurityPolicy, h.Get("Content-Security-Policy"), p)
		assert.Contains(t, h.Get("Content-Security-Policy"), "frame-ancestors 'none'", p)
		assert.NotContains(t, h.Get("Content-Security-Policy"), "unsafe-inline", p)
		assert.Equal(t, "DENY", h.Get("X-Frame-Options"), p)
		assert.Equal(t, "nosniff", h.Get("X-Content-Type-Options"), p)
		assert.Equal(t, "no-referrer", h.Get("Referrer-Policy"), p)
		assert.Equal(t, "no-store", h.Get("Cache-Control"), p)
		assert.Equal(t, "text/html; charset=utf-8", h.Get("Content-Type"), p)
		assert.Contains(t, h.Get("Strict-Transport-Security"), "max-age=", p)
		assert.NotContains(t, res.body, "<script>", p+": no inline script")
		assert.NotContains(t, res.body, "style=", p+": no inline style")
	}
	assert.Equal(t, http.StatusNotFound, b.get("/clients/nobody").status)
	assert.Equal(t, http.StatusNotFound, b.get("/nowhere").status)

	for name, ct := range map[string]string{"portal.css": "text/css; charset=utf-8", "copy.js": "text/javascript; charset=utf-8"} {
		res := b.get("/static/" + name)
		assert.Equal(t, http.StatusOK, res.status, name)
		assert.Equal(t, ct, res.header.Get("Content-Type"), name)
		assert.Equal(t, contentSecurityPolicy, res.header.Get("Content-Security-Policy"), name)
	}
	assert.Equal(t, http.StatusNotFound, b.get("/static/../portal.go").status)
	assert.Equal(t, http.StatusNotFound, b.get("/static/").status, "no directory listing")
}
