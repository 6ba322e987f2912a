package patientsfhir

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/go-playground/validator/v10"

	"github.com/patientsfhir/patientsfhir/auth"
	"github.com/patientsfhir/patientsfhir/capability"
	"github.com/patientsfhir/patientsfhir/dstu2"
	"github.com/patientsfhir/patientsfhir/fhir"
	"github.com/patientsfhir/patientsfhir/portal"
	"github.com/patientsfhir/patientsfhir/routing"
	"github.com/patientsfhir/patientsfhir/stu3"
)

// ErrInvalidConfig is wrapped by every error New returns for a bad Config;
// the message names the field (Config.PublicURL, Config.STU3.BasePath, ...).
var ErrInvalidConfig = errors.New("patientsfhir: invalid configuration")

// AdminPath is where the registration API ([auth.Admin]) is mounted when
// Config.Auth.OperatorToken is set: POST /admin/clients and so on.
const AdminPath = "/admin"

// Default mount points of the two FHIR versions.
const (
	DefaultSTU3Path  = "/stu3"
	DefaultDSTU2Path = "/dstu2"
)

// Config configures a Server. New validates it and fails with an error
// naming the field.
type Config struct {
	// PublicURL is the base URL clients use, scheme and host only, e.g.
	// "https://fhir.example.com" (http only with Auth.Insecure or Open).
	// The token issuer, the token audience, the token URL
	// (PublicURL+"/token") and every FHIR base URL (PublicURL+BasePath)
	// derive from it. Required.
	PublicURL string `validate:"required,url"`
	// Auth is the authorization server's configuration. New fills Issuer
	// and Audience with PublicURL (a different value is an error, so the
	// token's iss and aud always match what the server checks), and Logger
	// with Logger. SealKey (32 bytes) is required unless Open; set
	// OperatorToken to mount the admin API under /admin. Every other
	// field keeps auth's safe default when zero. Must be zero when Open
	// (New names the set fields: no authorization server runs).
	Auth auth.Config `validate:"-"`
	// Store persists clients, signing keys and the deny-list. Required
	// unless Open. auth.NewMemoryStore forgets everything at a restart
	// (clients, secrets, keys: every token becomes invalid); use
	// auth/sqlstore (SQLite on one node, PostgreSQL for several) in
	// production. Must be nil when Open.
	Store auth.Store `validate:"-"`
	// STU3 mounts an STU3 server (default BasePath "/stu3"; BaseURL
	// defaults to PublicURL+BasePath). At least one of STU3 and DSTU2 is
	// required. Security.TokenURL is filled with the token endpoint; a
	// different value is an error.
	STU3 *stu3.Config `validate:"required_without=DSTU2"`
	// DSTU2 mounts a DSTU2 server (default BasePath "/dstu2"); as STU3.
	DSTU2 *dstu2.Config `validate:"required_without=STU3"`
	// Open serves every FHIR request WITHOUT authentication: no token
	// endpoint, no admin API, no security section in the capability
	// statement. Local experiments only; New logs a warning.
	Open bool
	// Logger receives operational logs (never secrets, tokens or patient
	// data); it is also the default Logger of Auth and of each version.
	// Default slog.Default().
	Logger *slog.Logger `validate:"-"`
	// Ops configures access logs, metrics, tracing, the failure hook,
	// health probes and shutdown (see [Ops]). Each version's page cursors
	// are sealed with a key derived from Auth.SealKey unless its CursorKey
	// is set, so nodes that share the seal key page across each other.
	Ops Ops `validate:"-"`
	// Portal mounts the operator portal (package portal) at its BasePath,
	// default /portal: clients, secrets, tenants, signing keys and
	// activity in a browser. New fills its Auth (leave it nil) and tees
	// the auth server's audit events into its Activity. Not with Open.
	Portal *portal.Config `validate:"-"`
}

// Server is the whole FHIR service as one http.Handler: the token endpoint,
// JWKS and RFC 8414 metadata, each version's SMART configuration,
// capability statement and data, and the admin API. Build it with New.
type Server struct {
	mux  *http.ServeMux
	auth *auth.Server // nil when Open
	log  *slog.Logger
	ops  *opsState // Config.Ops: middleware, probes, shutdown (ops.go)
}

var validate = validator.New(validator.WithRequiredStructEnabled())

// New validates cfg and builds the Server. Routes, relative to PublicURL:
//
//	POST /token, GET /.well-known/jwks.json, GET /.well-known/oauth-authorization-server
//	                                          the authorization server (not when Open)
//	GET  {base}/.well-known/smart-configuration  SMART discovery (not when Open)
//	GET  {base}/metadata                      the capability statement, without a token
//	     {base}/..., POST {base}              everything else, behind the bearer verifier
//	     /admin/...                           the registration API (only with Auth.OperatorToken)
//	     /portal/...                          the operator portal (only with Portal)
//
// Every other path answers 404. Every token is issued for one audience,
// PublicURL, which the verifier accepts on every mounted base: the
// Patients app asks the one token endpoint for a token per request and
// sends no resource indicator, so a per-version audience could not be
// chosen at issue time. The tenant (the token's scope) is what separates
// data; it also binds page cursors.
func New(ctx context.Context, cfg Config) (*Server, error) {
	if err := validateConfig(&cfg); err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	s := &Server{mux: http.NewServeMux(), log: log, ops: newOps(&cfg, log)}
	base := strings.TrimSuffix(cfg.PublicURL, "/")

	var versions []*mount
	if cfg.STU3 != nil {
		vc := *cfg.STU3 // the partner's struct is left as it was
		versions = append(versions, &mount{name: "STU3", def: DefaultSTU3Path, fv: fhir.STU3,
			basePath: &vc.BasePath, baseURL: &vc.BaseURL, logger: &vc.Logger, security: &vc.Security,
			ops: opsMountOf(&vc.Observer, &vc.CursorKey, vc.Router, vc.Timeout),
			build: func() (http.Handler, error) {
				h, err := stu3.NewHandler(vc)
				if ce := (*stu3.ConfigError)(nil); errors.As(err, &ce) {
					return nil, &fieldError{ce.Field, ce.Err}
				}
				return h, err
			}})
		if vc.Router != nil {
			versions[len(versions)-1].router = routes(vc.Router)
		}
	}
	if cfg.DSTU2 != nil {
		vc := *cfg.DSTU2
		versions = append(versions, &mount{name: "DSTU2", def: DefaultDSTU2Path, fv: fhir.DSTU2,
			basePath: &vc.BasePath, baseURL: &vc.BaseURL, logger: &vc.Logger, security: &vc.Security,
			ops: opsMountOf(&vc.Observer, &vc.CursorKey, vc.Router, vc.Timeout),
			build: func() (http.Handler, error) {
				h, err := dstu2.NewHandler(vc)
				if ce := (*dstu2.ConfigError)(nil); errors.As(err, &ce) {
					return nil, &fieldError{ce.Field, ce.Err}
				}
				return h, err
			}})
		if vc.Router != nil {
			versions[len(versions)-1].router = routes(vc.Router)
		}
	}
	var security *capability.Security
	var activity *portal.Activity
	if cfg.Open {
		log.Warn("patientsfhir: serving WITHOUT AUTHENTICATION (Config.Open): anyone who can reach the server reads every record", "url", base)
	} else {
		ac := cfg.Auth
		ac.Issuer, ac.Audience = base, base
		if ac.TenantValidator == nil {
			ac.TenantValidator = knownTenant(versions)
		}
		if ac.Logger == nil {
			ac.Logger = log
		}
		ac.Auditor = s.ops.auditor(ac)
		activity = portalActivity(&cfg, &ac)
		srv, err := auth.New(ctx, ac, cfg.Store)
		if errors.Is(err, auth.ErrInvalidConfig) {
			return nil, renamed(err, "auth: invalid configuration: ", "Config.Auth")
		} else if err != nil {
			return nil, fmt.Errorf("patientsfhir: starting the authorization server: %w", err)
		}
		s.auth = srv
		security = &capability.Security{TokenURL: srv.Endpoints().Token,
			Description: "OAuth2 client credentials (SMART Backend Services); the scope is the tenant GUID."}
		s.mux.Handle("/", s.ops.token(srv)) // token, JWKS, RFC 8414 metadata, revocation; 404 otherwise
		if ac.OperatorToken != "" {
			s.mux.Handle(AdminPath+"/", http.StripPrefix(AdminPath, srv.Admin()))
		}
	}

	seen := map[string]string{}
	for _, v := range versions {
		field := "Config." + v.name
		if *v.basePath == "" {
			*v.basePath = v.def
		}
		if err := checkBasePath(*v.basePath); err != nil {
			return nil, fmt.Errorf("%w: %s.BasePath: %v", ErrInvalidConfig, field, err)
		}
		if other, dup := seen[*v.basePath]; dup {
			return nil, fmt.Errorf("%w: %s.BasePath: %q is already Config.%s's", ErrInvalidConfig, field, *v.basePath, other)
		}
		seen[*v.basePath] = v.name
		if *v.baseURL == "" {
			*v.baseURL = base + *v.basePath
		}
		if *v.logger == nil {
			*v.logger = log
		}
		s.ops.version(&cfg, v.name, v.ops)
		if security != nil {
			switch sec := *v.security; {
			case sec == nil:
				c := *security
				*v.security = &c
			case sec.TokenURL == "":
				c := *sec
				c.TokenURL = security.TokenURL
				*v.security = &c
			case sec.TokenURL != security.TokenURL:
				return nil, fmt.Errorf("%w: %s.Security.TokenURL: %q is not the token endpoint %q (leave it empty)", ErrInvalidConfig, field, sec.TokenURL, security.TokenURL)
			}
		}
		h, err := v.build()
		if fe := (*fieldError)(nil); errors.As(err, &fe) {
			f := field
			if fe.field != "" {
				f += "." + fe.field
			}
			return nil, fmt.Errorf("%w: %s: %w", ErrInvalidConfig, f, fe.err)
		} else if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrInvalidConfig, field, err)
		}
		protect := func(h http.Handler) http.Handler { return h }
		if s.auth != nil {
			vcfg := s.auth.VerifierConfig()
			vcfg.ErrorBody = outcomeBody(v.fv)
			verifier, err := auth.NewVerifier(vcfg)
			if err != nil {
				return nil, fmt.Errorf("patientsfhir: %s verifier: %w", v.name, err)
			}
			protect = s.ops.bearer(v.name, verifier.Middleware)
		}
		p := *v.basePath
		s.mux.Handle("GET "+p+"/metadata", h) // discovery needs no token
		s.mux.Handle(p+"/", protect(h))
		s.mux.Handle(p, protect(h)) // POST [base]: batch
		if s.auth != nil {
			s.mux.Handle("GET "+p+"/.well-known/smart-configuration", s.auth.SMARTConfiguration())
		}
		log.Info("patientsfhir: FHIR base mounted", "version", v.name, "url", *v.baseURL, "auth", !cfg.Open)
	}
	s.ops.finish(s, cfg.Store)
	if err := s.mountPortal(&cfg, activity, versions); err != nil {
		return nil, err
	}
	return s, nil
}

// renamed wraps err, an error of a nested configuration, in
// ErrInvalidConfig, naming its fields from the root Config: auth's
// "Config.SealKey" becomes "Config.Auth.SealKey". err stays in the chain.
func renamed(err error, prefix, field string) error {
	msg := strings.TrimPrefix(err.Error(), prefix)
	if strings.Contains(msg, "Config.") {
		msg = strings.ReplaceAll(msg, "Config.", field+".")
	} else {
		msg = field + ": " + msg
	}
	return &configError{msg: msg, err: err}
}

// configError is a nested configuration's error renamed for Config.
type configError struct {
	msg string
	err error
}

func (e *configError) Error() string { return ErrInvalidConfig.Error() + ": " + e.msg }

func (e *configError) Unwrap() []error { return []error{ErrInvalidConfig, e.err} }

// outcomeBody writes the verifier's refusals (401, 400, 403, 503) on a FHIR
// base as an OperationOutcome in the version's media type, as every other
// FHIR error; the status and the RFC 6750 WWW-Authenticate challenge are
// the verifier's. The diagnostics are the RFC 6750 error code only.
func outcomeBody(v *fhir.Version) func(http.ResponseWriter, *http.Request, int, string) {
	return func(w http.ResponseWriter, _ *http.Request, status int, code string) {
		if code == "" {
			code = "a bearer access token is required"
		}
		issue := fhir.Issue{Severity: "error", Code: fhir.IssueLogin, Diagnostics: code}
		switch {
		case status == http.StatusForbidden:
			issue.Code = fhir.IssueForbidden
		case status == http.StatusBadRequest:
			issue.Code = fhir.IssueInvalid
		case status >= 500:
			issue.Code = fhir.IssueTransient
		}
		body, _ := json.Marshal(fhir.OperationOutcome{ResourceType: "OperationOutcome", Issue: []fhir.Issue{issue}})
		w.Header().Set("Content-Type", v.MIMEType+"; charset=utf-8")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}
}

// knownTenant is the token endpoint's tenant check: a tenant gets tokens
// only if a version's router routes it (one tenant truth for tokens and
// data). Versions configured with a Backend serve every tenant a client is
// registered for.
func knownTenant(versions []*mount) func(ctx context.Context, tenant string) error {
	return func(ctx context.Context, tenant string) error {
		var err error = routing.ErrUnknownTenant
		for _, v := range versions {
			if v.router == nil {
				return nil
			}
			if err = v.router(ctx, tenant); err == nil {
				return nil
			}
		}
		return err
	}
}

// fieldError is a version's ConfigError: the field below the version's
// Config, and what is wrong.
type fieldError struct {
	field string
	err   error
}

func (e *fieldError) Error() string { return e.field + ": " + e.err.Error() }

// mount is one FHIR version to mount: pointers into a copy of its Config
// for the fields New fills in, and how to build its handler.
type mount struct {
	name, def string
	fv        *fhir.Version
	router    tenantRouter
	basePath  *string
	baseURL   *string
	logger    **slog.Logger
	security  **capability.Security
	ops       opsMount
	build     func() (http.Handler, error)
}

// tenantRouter is what New needs of a version's router: whether it routes
// a tenant (nil error) or why not.
type tenantRouter func(ctx context.Context, tenant string) error

// routes returns the tenantRouter of r.
func routes[B any](r routing.Router[B]) tenantRouter {
	return func(ctx context.Context, tenant string) error {
		_, err := r.Route(ctx, tenant)
		return err
	}
}

// validateConfig checks cfg with validator tags, then the rules tags
// cannot say; every message names the field.
func validateConfig(cfg *Config) error {
	var problems []string
	var verrs validator.ValidationErrors
	if err := validate.Struct(cfg); errors.As(err, &verrs) {
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
	if u, err := url.Parse(cfg.PublicURL); cfg.PublicURL != "" && (err != nil || u.Host == "" ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil) {
		problems = append(problems, "Config.PublicURL: must be scheme://host[:port] without a path, query or fragment")
	}
	if !cfg.Open && !cfg.Auth.Insecure && strings.HasPrefix(cfg.PublicURL, "http://") {
		problems = append(problems, "Config.PublicURL: http needs Auth.Insecure (local development only)")
	}
	if !cfg.Open && cfg.Store == nil {
		problems = append(problems, "Config.Store: required unless Open (auth/sqlstore for durability)")
	}
	if cfg.Open && cfg.Store != nil {
		problems = append(problems, "Config.Store: must be nil when Open (no authorization server runs)")
	}
	if cfg.Open {
		if set := nonZeroFields(reflect.ValueOf(cfg.Auth), "Config.Auth"); len(set) > 0 {
			problems = append(problems, strings.Join(set, ", ")+": must be zero when Open (no authorization server runs)")
		}
	}
	if !cfg.Open && (cfg.Auth.Issuer != "" && cfg.Auth.Issuer != strings.TrimSuffix(cfg.PublicURL, "/")) {
		problems = append(problems, "Config.Auth.Issuer: leave empty (it is PublicURL)")
	}
	if !cfg.Open && (cfg.Auth.Audience != "" && cfg.Auth.Audience != strings.TrimSuffix(cfg.PublicURL, "/")) {
		problems = append(problems, "Config.Auth.Audience: leave empty (it is PublicURL)")
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s", ErrInvalidConfig, strings.Join(problems, "; "))
	}
	return nil
}

// nonZeroFields names the exported fields of the struct v that are set.
func nonZeroFields(v reflect.Value, prefix string) []string {
	var out []string
	for i := range v.NumField() {
		if f := v.Type().Field(i); f.IsExported() && !v.Field(i).IsZero() {
			out = append(out, prefix+"."+f.Name)
		}
	}
	return out
}

// checkBasePath accepts "/x" or "/x/y": absolute, no trailing slash, no
// pattern characters.
func checkBasePath(p string) error {
	switch {
	case !strings.HasPrefix(p, "/") || p == "/":
		return errors.New("must start with / and name a segment")
	case strings.HasSuffix(p, "/"):
		return errors.New("must not end with /")
	case strings.ContainsAny(p, "{} \t?#"), strings.HasPrefix(p, AdminPath+"/"), p == AdminPath, strings.HasPrefix(p, "/.well-known"):
		return fmt.Errorf("%q is not allowed", p)
	}
	return nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.ops.handler.ServeHTTP(w, r)
}

// Auth returns the authorization server (client registry, signing keys,
// endpoints), or nil when Config.Open.
func (s *Server) Auth() *auth.Server {
	return s.auth
}

// Run performs the authorization server's upkeep (signing-key rotation,
// deny-list purging) every minute until ctx is done; run it in a goroutine
// on every node. With Open it just waits for ctx.
func (s *Server) Run(ctx context.Context) {
	if s.auth == nil {
		<-ctx.Done()
		return
	}
	s.auth.Run(ctx, time.Minute)
}
