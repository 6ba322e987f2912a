package portal

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patientsfhir/patientsfhir/auth"
)

// chromiumPath returns the browser the tests drive: $PORTAL_CHROMIUM or
// Debian's chromium. Without one the browser tests skip, unless
// PORTAL_BROWSER_REQUIRED is set (.ci/run sets it), and then they fail.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{os.Getenv("PORTAL_CHROMIUM"), "/usr/bin/chromium", "chromium", "chromium-browser"} {
		if name == "" {
			continue
		}
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "chromium is not installed, so the portal's browser tests cannot run: apt-get install -y chromium (or set PORTAL_CHROMIUM)"
	if os.Getenv("PORTAL_BROWSER_REQUIRED") != "" {
		require.FailNow(t, msg)
	}
	t.Skip(msg)
	return ""
}

// screenshotDir is where the tests write their screenshots:
// $PORTAL_SCREENSHOTS, or a temporary directory removed after the test.
func screenshotDir(t *testing.T) string {
	if d := os.Getenv("PORTAL_SCREENSHOTS"); d != "" {
		require.NoError(t, os.MkdirAll(d, 0o755))
		return d
	}
	return t.TempDir()
}

// tab is a headless chromium tab on the env's portal.
type tab struct {
	t     *testing.T
	e     *env
	ctx   context.Context
	shots string

	mu      sync.Mutex
	console []string // console errors and CSP violations
}

func newTab(t *testing.T, e *env) *tab {
	t.Helper()
	path := chromiumPath(t)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.UserDataDir(t.TempDir()),
		// The test server's certificate is self-signed; the portal needs
		// TLS for its Secure __Host- cookie.
		chromedp.IgnoreCertErrors,
		chromedp.WindowSize(1280, 900),
	)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	b := &tab{t: t, e: e, ctx: ctx, shots: screenshotDir(t)}
	// The first Do starts the browser and binds its life to the context it
	// gets: ctx, not one with a timeout.
	require.NoError(t, chromedp.Do(ctx), "starting chromium")
	startCtx, done := context.WithTimeout(ctx, 20*time.Second)
	defer done()
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			// 4xx answers are part of the tests; anything else that is an
			// error (a CSP violation, a script error) is a defect.
			if (m.Type == chromedp.ConsoleError || m.IsException()) && !strings.Contains(m.Text, "Failed to load resource") {
				b.mu.Lock()
				b.console = append(b.console, m.String())
				b.mu.Unlock()
			}
		}
	}()
	// Let the copy button write to the clipboard, and the test read it.
	for _, name := range []string{"clipboard-write", "clipboard-read"} {
		_, err := chromedp.CallBrowser(startCtx, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
			Permission: &cdpbrowser.PermissionDescriptor{Name: name}, Setting: cdpbrowser.PermissionSettingGranted, Origin: e.ts.URL,
		})
		require.NoError(t, err)
	}
	return b
}

// do runs actions with a timeout.
func (b *tab) do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	require.NoError(b.t, chromedp.Do(ctx, actions...))
}

// value runs one action that returns a value, with a timeout.
func value[T any](b *tab, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	require.NoError(b.t, err)
	return v
}

// open loads a portal page.
func (b *tab) open(path string) {
	b.t.Helper()
	b.do(chromedp.Navigate(b.e.url(path)), chromedp.WaitReady(chromedp.CSS("main")))
}

// click clicks and waits for the page it loads.
func (b *tab) click(sel string) {
	b.t.Helper()
	_ = value(b, chromedp.WaitEvent(cdppage.LoadEventFired, nil, chromedp.Click(chromedp.CSS(sel))))
	b.do(chromedp.WaitReady(chromedp.CSS("main")))
}

// fill types into a field after clearing it.
func (b *tab) fill(id, text string) {
	b.t.Helper()
	b.do(chromedp.Evaluate[chromedp.Void](`document.getElementById(`+strconv.Quote(id)+`).value = ""`),
		chromedp.SendKeys(chromedp.ID(id), text))
}

func (b *tab) html() string  { return value(b, chromedp.OuterHTML(chromedp.CSS("html"))) }
func (b *tab) path() string  { return strings.TrimPrefix(value(b, chromedp.Location()), b.e.ts.URL) }
func (b *tab) title() string { return value(b, chromedp.Title()) }
func (b *tab) text(sel string) string {
	return strings.TrimSpace(value(b, chromedp.Text(chromedp.CSS(sel))))
}

// screenshot writes the whole page as a PNG and returns its path.
func (b *tab) screenshot(name string) string {
	b.t.Helper()
	png := value(b, chromedp.FullScreenshot(100))
	p := filepath.Join(b.shots, name+".png")
	require.NoError(b.t, os.WriteFile(p, png, 0o644))
	return p
}

// accessibilityProblems is run in each page: labels, headings, ids,
// names of controls, and no sideways scrolling of the page itself.
const accessibilityProblems = `(() => {
  const problems = [];
  if (!document.documentElement.lang) problems.push("html has no lang");
  const h1 = document.querySelectorAll("h1");
  if (h1.length !== 1) problems.push(h1.length + " h1 elements");
  let last = 0;
  for (const h of document.querySelectorAll("h1,h2,h3,h4,h5,h6")) {
    const level = +h.tagName[1];
    if (last && level > last + 1) problems.push("heading skips to " + h.tagName + ": " + h.textContent.trim());
    last = level;
  }
  for (const el of document.querySelectorAll("input:not([type=hidden]), select, textarea")) {
    if (!el.labels || el.labels.length === 0) problems.push("no label for #" + el.id);
    for (const id of (el.getAttribute("aria-describedby") || "").split(" ").filter(Boolean)) {
      if (!document.getElementById(id)) problems.push("#" + el.id + " is described by missing #" + id);
    }
  }
  for (const el of document.querySelectorAll("a, button:not([hidden])")) {
    if (!el.textContent.trim() && !el.getAttribute("aria-label")) problems.push("a " + el.tagName + " without a name");
  }
  const ids = new Set();
  for (const el of document.querySelectorAll("[id]")) {
    if (ids.has(el.id)) problems.push("duplicate id " + el.id);
    ids.add(el.id);
  }
  if (document.documentElement.scrollWidth > window.innerWidth + 1) {
    problems.push("the page scrolls sideways: " + document.documentElement.scrollWidth + " > " + window.innerWidth);
  }
  return problems;
})()`

// checkPage checks the page's accessibility basics.
func (b *tab) checkPage() {
	b.t.Helper()
	problems := value(b, chromedp.Evaluate[[]string](accessibilityProblems))
	assert.Empty(b.t, problems, "page %s", b.path())
}

// The whole operator's job in a real browser: sign in, register a client
// and read its secret, get tokens with it from the real token endpoint,
// rotate it with the two-secret rule, map a tenant and disable it; every
// page is checked for accessibility basics, a secret never appears after
// the page that shows it, and screenshots are written.
func TestPortalInBrowser(t *testing.T) {
	e := newEnv(t, nil)
	b := newTab(t, e)
	var seen []string // every page after the one showing a secret

	// Signed out, every page leads to the sign-in form.
	b.open("/clients")
	assert.Equal(t, DefaultBasePath+"/signin", b.path())
	b.checkPage()
	b.do(chromedp.KeyEvent("\t"))
	assert.Equal(t, "skip", value(b, chromedp.Evaluate[string](`document.activeElement.className`)), "the first Tab reaches the skip link")
	b.screenshot("signin")

	// A wrong credential: the error is next to the field, which has the focus.
	b.fill("f-credential", "not the credential")
	b.click(`form[action$="/signin"] button[type=submit]`)
	assert.Contains(t, b.text("#f-credential-error"), "This is not the operator credential.")
	assert.Equal(t, "f-credential", value(b, chromedp.Evaluate[string](`document.activeElement.id`)))
	assert.Equal(t, "true", value(b, chromedp.Evaluate[string](`document.getElementById("f-credential").getAttribute("aria-invalid")`)))
	assert.Contains(t, b.text(".error-summary"), "This is not the operator credential.")
	b.checkPage()
	b.screenshot("signin-error")
	b.fill("f-credential", testCredential)
	b.click(`form[action$="/signin"] button[type=submit]`)
	require.Equal(t, DefaultBasePath+"/clients", b.path(), "signed in")
	assert.Contains(t, b.text(".notice"), "Signed in.")
	cookies := value(b, chromedp.Evaluate[string](`document.cookie`))
	assert.NotContains(t, cookies, cookieName, "the session cookie is HttpOnly: no script reads it")

	// Register a client: a bad tenant first, then the right form.
	b.fill("f-name", "Contoso Teams")
	b.fill("f-client_id", "contoso-teams")
	b.fill("f-tenants", "not-a-guid")
	b.click(`form[action$="/clients"] button[type=submit]`)
	assert.Contains(t, b.text("#f-tenants-error"), `"not-a-guid" is not a tenant GUID`)
	assert.Equal(t, "f-tenants", value(b, chromedp.Evaluate[string](`document.activeElement.id`)))
	assert.Equal(t, "Contoso Teams", value(b, chromedp.Value(chromedp.ID("f-name"))), "the other values are kept")
	b.checkPage()
	b.fill("f-tenants", tenantA)
	b.click(`form[action$="/clients"] button[type=submit]`)
	require.Equal(t, DefaultBasePath+"/clients/contoso-teams", b.path())
	first := b.text("#new-secret")
	require.True(t, strings.HasPrefix(first, auth.SecretPrefix), "the page shows the secret: %q", first)
	firstID, err := auth.ParseSecret(first)
	require.NoError(t, err)
	assert.Contains(t, b.text(".secret"), "This is the only time the secret is shown.")
	assert.Contains(t, b.text(".secret"), "…"+first[len(first)-4:], "the hint")
	assert.Contains(t, b.text(".secret"), "Expires")
	b.checkPage()
	b.screenshot("client-secret")
	// The copy button, run by the one script the CSP allows.
	b.do(chromedp.Click(chromedp.CSS(`button[data-copy="new-secret"]`)))
	status := value(b, chromedp.Poll[string](`document.getElementById("copy-status").textContent`, chromedp.WithPollingTimeout(5*time.Second)))
	assert.Equal(t, "Copied to the clipboard.", status)
	clip := value(b, chromedp.Evaluate[string](`navigator.clipboard.readText()`, chromedp.EvalAwaitPromise))
	assert.Equal(t, first, clip, "the clipboard holds the secret")

	tok, err := e.token("contoso-teams", first, tenantA)
	require.NoError(t, err, "the secret from the page gets a token from the token endpoint")
	assert.NotEmpty(t, tok.AccessToken)

	// Reloading shows no secret any more.
	b.open("/clients/contoso-teams")
	seen = append(seen, b.html())
	assert.Empty(t, value(b, chromedp.Evaluate[int](`document.querySelectorAll("#new-secret").length`)))

	// A second secret: both work.
	assert.Contains(t, b.text("#rule-title"), "two-secret rule")
	b.click(`form[action$="/clients/contoso-teams/secrets"] button[type=submit]`)
	second := b.text("#new-secret")
	require.True(t, strings.HasPrefix(second, auth.SecretPrefix))
	require.NotEqual(t, first, second)
	assert.Contains(t, b.text("#secrets-caption"), "2 active of at most 2")
	assert.Contains(t, b.text("#add-secret + .panel"), "already has 2 active secrets", "the rule is explained where the form was")
	b.checkPage()
	_, err = e.token("contoso-teams", second, tenantA)
	require.NoError(t, err, "the second secret works")
	_, err = e.token("contoso-teams", first, tenantA)
	require.NoError(t, err, "the first works until it is revoked")

	// Revoke the first: refused from then on, the second still works.
	b.open("/clients/contoso-teams")
	seen = append(seen, b.html())
	b.click(`a[href$="/secrets/` + firstID + `/revoke"]`)
	assert.Contains(t, b.text("h1"), "Revoke the secret ending in")
	b.checkPage()
	seen = append(seen, b.html())
	b.click(`form[action$="/secrets/` + firstID + `/revoke"] button[type=submit]`)
	assert.Contains(t, b.text(".notice"), "is revoked")
	seen = append(seen, b.html())
	e.assertTokenRefused("contoso-teams", first, tenantA, "invalid_client")
	_, err = e.token("contoso-teams", second, tenantA)
	require.NoError(t, err, "the second secret still works")
	b.checkPage()
	b.screenshot("client")

	// Map a tenant to a provider, allow the client: the token endpoint
	// accepts it. Disable it: refused.
	e.assertTokenRefused("contoso-teams", second, tenantB, "invalid_scope")
	b.open("/tenants")
	b.fill("f-id", strings.ToUpper(tenantB))
	b.fill("f-name", "Fabrikam Health")
	b.do(chromedp.SetValue(chromedp.ID("f-provider"), "upstream-b"))
	b.click(`form[action$="/tenants"] button[type=submit]`)
	require.Equal(t, DefaultBasePath+"/tenants/"+tenantB, b.path())
	assert.Contains(t, b.text(".notice"), "mapped to upstream-b")
	b.do(chromedp.SetValue(chromedp.ID("f-client"), "contoso-teams"))
	b.click(`form[action$="/tenants/` + tenantB + `/clients"] button[type=submit]`)
	assert.Contains(t, b.text("#clients + ul"), "contoso-teams")
	b.checkPage()
	b.screenshot("tenant")
	seen = append(seen, b.html())
	_, err = e.token("contoso-teams", second, tenantB)
	require.NoError(t, err, "the mapped tenant is accepted")
	b.click(`form[action$="/tenants/` + tenantB + `/disable"] button[type=submit]`)
	assert.Contains(t, b.text(".notice"), "The tenant is disabled")
	e.assertTokenRefused("contoso-teams", second, tenantB, "invalid_scope")
	b.open("/tenants")
	b.checkPage()
	b.screenshot("tenants")
	seen = append(seen, b.html())

	// Signing keys: rotate, and the JWKS shows the new key.
	b.open("/keys")
	before := b.text("pre.jwks")
	b.click(`form[action$="/keys/rotate"] button[type=submit]`)
	notice := b.text(".notice")
	require.Contains(t, notice, "now signs new tokens")
	kid := strings.Fields(strings.TrimPrefix(notice, "Key "))[0]
	assert.Contains(t, b.text("pre.jwks"), kid)
	assert.NotContains(t, before, kid)
	b.checkPage()
	b.screenshot("keys")
	seen = append(seen, b.html())
	_, err = e.token("contoso-teams", second, tenantA)
	require.NoError(t, err, "tokens are issued with the new key")

	// Activity: counts and refusals with reasons, no secret.
	b.open("/activity")
	counts := b.text("#counts-caption + thead + tbody")
	assert.Contains(t, counts, "contoso-teams")
	assert.Contains(t, b.text("#refused-caption + thead + tbody"), "secret_revoked")
	b.checkPage()
	b.screenshot("activity")
	seen = append(seen, b.html())
	b.open("/activity?client=contoso-teams&tenant=" + tenantB)
	assert.Contains(t, b.text("#counts-caption + thead + tbody"), tenantB)
	seen = append(seen, b.html())

	// On a phone: the same pages, nothing scrolls sideways.
	b.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	for _, p := range []string{"/clients", "/clients/contoso-teams", "/tenants", "/tenants/" + tenantB, "/keys", "/activity"} {
		b.open(p)
		b.checkPage()
		seen = append(seen, b.html())
	}
	b.open("/clients/contoso-teams")
	b.screenshot("client-phone")
	b.do(chromedp.ResetViewport())

	for i, html := range seen {
		assert.NotContains(t, html, first, "page %d after the secret page", i)
		assert.NotContains(t, html, second, "page %d after the secret page", i)
	}
	assert.NotContains(t, e.logs.String(), first, "the logs")
	assert.NotContains(t, e.logs.String(), second, "the logs")
	assert.NotContains(t, e.logs.String(), testCredential, "the logs")

	// Sign out: the pages lead to the sign-in form again.
	b.click(`form.signout button`)
	assert.Equal(t, DefaultBasePath+"/signin", b.path())
	b.open("/clients")
	assert.Equal(t, DefaultBasePath+"/signin", b.path())

	b.mu.Lock()
	assert.Empty(t, b.console, "console errors (CSP violations, script errors)")
	b.mu.Unlock()
	t.Logf("screenshots in %s", b.shots)
}

// Browsers take Secure cookies over plain HTTP from localhost only: the
// portal of a local sample EHR on http://localhost works; elsewhere it
// needs TLS.
func TestPortalOverLocalHTTP(t *testing.T) {
	e := startEnv(t, false, nil)
	b := newTab(t, e)
	local := strings.Replace(e.ts.URL, "127.0.0.1", "localhost", 1)
	b.do(chromedp.Navigate(local+DefaultBasePath+"/signin"), chromedp.WaitReady(chromedp.CSS("main")))
	b.fill("f-credential", testCredential)
	b.click(`form[action$="/signin"] button[type=submit]`)
	assert.Equal(t, local+DefaultBasePath+"/clients", value(b, chromedp.Location()), "signed in over http://localhost")
}
