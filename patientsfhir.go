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
}

// Server is the whole FHIR service as one http.Handler: the token endpoint,
// JWKS and RFC 8414 metadata, each version's SMART configuration,
// capability statement and data, and the admin API. Build it with New.
type Server struct {
	mux  *http.ServeMux
	auth *auth.Server // nil when Open
	log  *slog.Logger
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
//
// Every other path answers 404. Every token is issued for one audience,
// PublicURL, which the verifier accepts on every mounted base: the
// Patients app asks the one token endpoint for a token per request and
// sends no resource indicator, so a per-version audience could not be
// chosen at issue time. The tenant (the token's scope) is what separates
// data; it also binds page cursors unless the version's Config.Tenant is set.
func New(ctx context.Context, cfg Config) (*Server, error) {
	if err := validateConfig(&cfg); err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	s := &Server{mux: http.NewServeMux(), log: log}
	base := strings.TrimSuffix(cfg.PublicURL, "/")

	var security *capability.Security
	if cfg.Open {
		log.Warn("patientsfhir: serving WITHOUT AUTHENTICATION (Config.Open): anyone who can reach the server reads every record", "url", base)
	} else {
		ac := cfg.Auth
		ac.Issuer, ac.Audience = base, base
		if ac.Logger == nil {
			ac.Logger = log
		}
		srv, err := auth.New(ctx, ac, cfg.Store)
		if errors.Is(err, auth.ErrInvalidConfig) {
			return nil, renamed(err, "auth: invalid configuration: ", "Config.Auth")
		} else if err != nil {
			return nil, fmt.Errorf("patientsfhir: starting the authorization server: %w", err)
		}
		s.auth = srv
		security = &capability.Security{TokenURL: srv.Endpoints().Token,
			Description: "OAuth2 client credentials (SMART Backend Services); the scope is the tenant GUID."}
		s.mux.Handle("/", srv.Handler()) // token, JWKS, RFC 8414 metadata, revocation; 404 otherwise
		if ac.OperatorToken != "" {
			s.mux.Handle(AdminPath+"/", http.StripPrefix(AdminPath, srv.Admin()))
		}
	}

	type version struct {
		name string
		cfg  *stu3.Config // dstu2.Config is the same type
		def  string
		fv   *fhir.Version
		mk   func(stu3.Config) (http.Handler, error)
	}
	var versions []version
	if cfg.STU3 != nil {
		versions = append(versions, version{"STU3", cfg.STU3, DefaultSTU3Path, fhir.STU3,
			func(c stu3.Config) (http.Handler, error) { return stu3.NewHandler(c) }})
	}
	if cfg.DSTU2 != nil {
		versions = append(versions, version{"DSTU2", cfg.DSTU2, DefaultDSTU2Path, fhir.DSTU2,
			func(c dstu2.Config) (http.Handler, error) { return dstu2.NewHandler(c) }})
	}
	seen := map[string]string{}
	for _, v := range versions {
		vc := *v.cfg // the partner's struct is left as it was
		field := "Config." + v.name
		if vc.BasePath == "" {
			vc.BasePath = v.def
		}
		if err := checkBasePath(vc.BasePath); err != nil {
			return nil, fmt.Errorf("%w: %s.BasePath: %v", ErrInvalidConfig, field, err)
		}
		if other, dup := seen[vc.BasePath]; dup {
			return nil, fmt.Errorf("%w: %s.BasePath: %q is already Config.%s's", ErrInvalidConfig, field, vc.BasePath, other)
		}
		seen[vc.BasePath] = v.name
		if vc.BaseURL == "" {
			vc.BaseURL = base + vc.BasePath
		}
		if vc.Logger == nil {
			vc.Logger = log
		}
		if security != nil {
			switch {
			case vc.Security == nil:
				sec := *security
				vc.Security = &sec
			case vc.Security.TokenURL == "":
				sec := *vc.Security
				sec.TokenURL = security.TokenURL
				vc.Security = &sec
			case vc.Security.TokenURL != security.TokenURL:
				return nil, fmt.Errorf("%w: %s.Security.TokenURL: %q is not the token endpoint %q (leave it empty)", ErrInvalidConfig, field, vc.Security.TokenURL, security.TokenURL)
			}
			if vc.Tenant == nil {
				vc.Tenant = principalTenant
			}
		}
		h, err := v.mk(vc)
		if err != nil {
			return nil, renamed(err, "restserver: ", field)
		}
		protect := func(h http.Handler) http.Handler { return h }
		if s.auth != nil {
			vcfg := s.auth.VerifierConfig()
			vcfg.ErrorBody = outcomeBody(v.fv)
			verifier, err := auth.NewVerifier(vcfg)
			if err != nil {
				return nil, fmt.Errorf("patientsfhir: %s verifier: %w", v.name, err)
			}
			protect = verifier.Middleware
		}
		p := vc.BasePath
		s.mux.Handle("GET "+p+"/metadata", h) // discovery needs no token
		s.mux.Handle(p+"/", protect(h))
		s.mux.Handle(p, protect(h)) // POST [base]: batch
		if s.auth != nil {
			s.mux.Handle("GET "+p+"/.well-known/smart-configuration", s.auth.SMARTConfiguration())
		}
		log.Info("patientsfhir: FHIR base mounted", "version", v.name, "url", vc.BaseURL, "auth", !cfg.Open)
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

// principalTenant binds page cursors to the token's tenant.
func principalTenant(ctx context.Context) string {
	if p, ok := auth.PrincipalFrom(ctx); ok {
		return p.TenantID
	}
	return ""
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
	s.mux.ServeHTTP(w, r)
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
