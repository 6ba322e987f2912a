package portal

import (
	"crypto/rand"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/go-playground/validator/v10"

	"github.com/patientsfhir/patientsfhir/auth"
	"github.com/patientsfhir/patientsfhir/routing"
)

// DefaultBasePath is where the portal is served when Config.BasePath is
// empty: /portal/signin, /portal/clients and so on.
const DefaultBasePath = "/portal"

// ErrInvalidConfig is wrapped by every error [New] returns for a bad
// [Config]; the message names the field (Config.Credential, ...).
var ErrInvalidConfig = errors.New("portal: invalid configuration")

// Config configures a [Portal]. Zero fields take the defaults documented on
// each; [New] validates the result and fails naming the field.
type Config struct {
	// Auth is the authorization server whose clients, secrets and signing
	// keys the portal manages. Required; patientsfhir.New fills it (leave
	// it nil there).
	Auth *auth.Server `validate:"-"`
	// Tenants is the tenant directory the tenant pages manage (plug its
	// Check in as auth.Config.TenantValidator so the token endpoint follows
	// it). Nil: the tenant pages say tenants are not managed here, and
	// clients' tenant lists take any GUID the auth server accepts.
	Tenants *routing.Directory `validate:"-"`
	// Providers are the backend provider names a tenant may be mapped to:
	// the keys of the providers map given to routing.NewRegistry. The
	// tenant form offers them and accepts no other. Empty: any valid
	// backend name (1 to 64 characters of [A-Za-z0-9._-]) is accepted.
	Providers []string `validate:"max=1000"`
	// Activity is the ring of recent audit events the activity page shows;
	// it must be (or feed) the auth server's Auditor. Nil: the activity
	// page says nothing is recorded. patientsfhir.New makes one.
	Activity *Activity `validate:"-"`
	// Credential is the operator's sign-in credential, at least 16
	// characters, typically from an environment variable. When empty, one
	// is generated: see CredentialFile.
	Credential string `validate:"omitempty,min=16,max=1024"`
	// CredentialFile, used when Credential is empty, keeps the SHA-256 of
	// the generated credential: when the file does not exist, a credential
	// is generated, its digest written to the file (mode 0600) and the
	// credential printed once to Announce; later starts read the digest.
	// Delete the file to get a new credential at the next start. Empty: a
	// credential is generated and printed at every start.
	CredentialFile string `validate:"-"`
	// Announce receives the generated credential (never the Logger): the
	// operator's terminal. Default os.Stderr.
	Announce io.Writer `validate:"-"`
	// BasePath is the path the portal is served under: default
	// DefaultBasePath. "/x" or "/x/y", no trailing slash.
	BasePath string `validate:"-"`
	// SessionIdle ends a session after this long without a request:
	// default 30 minutes, 1 minute to 12 hours.
	SessionIdle time.Duration `validate:"gte=1m,lte=12h"`
	// SessionMax ends a session this long after sign-in whatever happens:
	// default 8 hours, at least SessionIdle, at most 7 days.
	SessionMax time.Duration `validate:"gte=1m,lte=168h"`
	// MaxSessions bounds the sessions kept in memory (only sign-ins make
	// sessions); when it is reached the session used least recently ends.
	// Default 1000.
	MaxSessions int `validate:"gte=10,lte=1000000"`
	// SignInBurst is how many sign-in attempts an address may make at once:
	// default 5.
	SignInBurst int `validate:"gte=1,lte=100"`
	// SignInEvery is how often an address regains one attempt once its
	// burst is spent: default 20 seconds. An address over its budget is
	// told how long to wait; other addresses are not affected.
	SignInEvery time.Duration `validate:"gte=0,lte=1h"`
	// MaxTrackedAddresses bounds the memory of the sign-in limiter:
	// default 10000 addresses.
	MaxTrackedAddresses int `validate:"gte=16"`
	// Logger receives operational logs (sign-ins, changes made; never a
	// credential, secret or token). Default slog.Default().
	Logger *slog.Logger `validate:"-"`
	// Now is the clock of sessions and sign-in limits: default time.Now.
	// Tests inject a fake.
	Now func() time.Time `validate:"-"`
}

func (c *Config) applyDefaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.SessionIdle, 30*time.Minute)
	def(&c.SessionMax, 8*time.Hour)
	def(&c.SignInEvery, 20*time.Second)
	if c.MaxSessions == 0 {
		c.MaxSessions = 1000
	}
	if c.SignInBurst == 0 {
		c.SignInBurst = 5
	}
	if c.MaxTrackedAddresses == 0 {
		c.MaxTrackedAddresses = 10000
	}
	if c.BasePath == "" {
		c.BasePath = DefaultBasePath
	}
	if c.Announce == nil {
		c.Announce = os.Stderr
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

var validate = validator.New(validator.WithRequiredStructEnabled())

// validate checks c (defaults applied) and names every field in error.
func (c *Config) validate() error {
	var problems []string
	var verrs validator.ValidationErrors
	if err := validate.Struct(c); errors.As(err, &verrs) {
		for _, fe := range verrs {
			m := fe.StructNamespace() + ": must satisfy " + fe.Tag()
			if fe.Param() != "" {
				m += "=" + fe.Param()
			}
			problems = append(problems, m)
		}
	} else if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidConfig, err)
	}
	if c.Auth == nil {
		problems = append(problems, "Config.Auth: required")
	}
	if !validBasePath(c.BasePath) {
		problems = append(problems, "Config.BasePath: must be /x or /x/y without a trailing slash or pattern characters")
	}
	if c.SessionMax < c.SessionIdle {
		problems = append(problems, "Config.SessionMax: must be at least SessionIdle")
	}
	for _, p := range c.Providers {
		if !validProviderName(p) {
			problems = append(problems, "Config.Providers: "+fmt.Sprintf("%q", p)+" is not a backend name (1 to 64 characters of [A-Za-z0-9._-])")
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s", ErrInvalidConfig, strings.Join(problems, "; "))
	}
	return nil
}

func validBasePath(p string) bool {
	if !strings.HasPrefix(p, "/") || p == "/" || strings.HasSuffix(p, "/") || strings.Contains(p, "//") {
		return false
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '/' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// validProviderName is routing's rule for Tenant.Backend.
func validProviderName(s string) bool {
	t := routing.Tenant{ID: "00000000-0000-0000-0000-000000000000", Backend: s, State: routing.StateActive}
	return t.Validate() == nil
}

// Portal is the operator portal: an http.Handler serving every page under
// its BasePath. Build it with [New].
type Portal struct {
	cfg       Config
	base      string
	mux       *http.ServeMux
	handler   http.Handler
	sessions  *sessions
	limiter   *limiter
	cred      [32]byte // SHA-256 of the operator credential
	signinKey [32]byte // binds sign-in forms to their nonce cookie
	log       *slog.Logger
	audit     auth.Auditor
	providers []string
	static    staticFiles
	templates map[string]*template.Template
}

// New validates cfg and builds the portal. When neither Credential nor an
// existing CredentialFile gives the operator credential, New generates one
// and prints it to Announce.
func New(cfg Config) (*Portal, error) {
	cfg.applyDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	p := &Portal{
		cfg: cfg, base: cfg.BasePath, log: cfg.Logger, audit: cfg.Auth.Config().Auditor,
		sessions:  newSessions(cfg.MaxSessions, cfg.SessionIdle, cfg.SessionMax, cfg.Now),
		limiter:   newLimiter(cfg.SignInEvery, cfg.SignInBurst, cfg.MaxTrackedAddresses),
		providers: slices.Sorted(slices.Values(cfg.Providers)),
	}
	p.providers = slices.Compact(p.providers)
	cred, err := p.credential()
	if err != nil {
		return nil, err
	}
	p.cred = cred
	_, _ = rand.Read(p.signinKey[:]) // crypto/rand.Read never fails on supported platforms
	p.static = newStaticFiles(p.base + "/static/")
	if p.templates, err = p.parseTemplates(p.static); err != nil {
		return nil, fmt.Errorf("portal: parsing the templates: %w", err)
	}
	p.routes()
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.refuse(w, r, http.StatusForbidden, "cross_origin", "This form was not sent from this portal, so it was refused.")
	}))
	p.handler = cop.Handler(p.mux)
	return p, nil
}

// BasePath returns the path the portal serves under, e.g. "/portal".
// Mount it there: mux.Handle(p.BasePath()+"/", p).
func (p *Portal) BasePath() string { return p.base }

// ServeHTTP implements http.Handler: every response carries the security
// headers (Content-Security-Policy and friends); pages are never cached.
func (p *Portal) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
	if r.TLS != nil {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
	p.handler.ServeHTTP(w, r)
}

// contentSecurityPolicy allows only the portal's own stylesheet, script and
// forms: no inline script or style, no framing, no other origin.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// routes registers every page and form post.
func (p *Portal) routes() {
	p.mux = http.NewServeMux()
	b := p.base
	p.mux.Handle("GET "+b+"/static/", p.static.handler)
	home := func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, p.path("clients"), http.StatusSeeOther)
	}
	p.mux.HandleFunc("GET "+b+"/{$}", home)
	p.mux.HandleFunc("GET "+b, home)
	p.mux.HandleFunc("GET "+b+"/signin", p.signinForm)
	p.mux.HandleFunc("POST "+b+"/signin", p.signin)
	p.action("POST "+b+"/signout", p.signout)

	p.page("GET "+b+"/clients", p.clientsPage)
	p.action("POST "+b+"/clients", p.createClient)
	p.page("GET "+b+"/clients/{id}", p.clientPage)
	p.action("POST "+b+"/clients/{id}/secrets", p.addSecret)
	p.page("GET "+b+"/clients/{id}/secrets/{sid}/revoke", p.confirmRevoke)
	p.action("POST "+b+"/clients/{id}/secrets/{sid}/revoke", p.revokeSecret)
	p.action("POST "+b+"/clients/{id}/tenants", p.setClientTenants)
	p.action("POST "+b+"/clients/{id}/disable", p.setClientDisabled(true))
	p.action("POST "+b+"/clients/{id}/enable", p.setClientDisabled(false))

	p.page("GET "+b+"/tenants", p.tenantsPage)
	p.action("POST "+b+"/tenants", p.addTenant)
	p.page("GET "+b+"/tenants/{id}", p.tenantPage)
	p.action("POST "+b+"/tenants/{id}", p.editTenant)
	p.action("POST "+b+"/tenants/{id}/enable", p.setTenantState(routing.StateActive))
	p.action("POST "+b+"/tenants/{id}/disable", p.setTenantState(routing.StateDisabled))
	p.action("POST "+b+"/tenants/{id}/clients", p.allowClient(false))
	p.action("POST "+b+"/tenants/{id}/clients/{cid}/remove", p.allowClient(true))

	p.page("GET "+b+"/keys", p.keysPage)
	p.action("POST "+b+"/keys/rotate", p.rotateKey)
	p.page("GET "+b+"/activity", p.activityPage)

	p.page(b+"/", func(w http.ResponseWriter, r *http.Request, sess *session) {
		p.notFound(w, r, sess, "There is no such page.")
	})
}

// actor is who the audit trail says made a change through the portal.
const actor = "operator:portal"
