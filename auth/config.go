package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-playground/validator/v10"
)

// Config configures a [Server]. Zero fields take the defaults documented on
// each field; [New] validates the result and fails with a message naming
// the field.
type Config struct {
	// Issuer is the authorization server's identifier, the iss claim and the
	// base of the default endpoint URLs: https, no query or fragment.
	Issuer string `validate:"required,url"`
	// TokenURL is where the token endpoint is served; default Issuer+"/token".
	TokenURL string `validate:"omitempty,url"`
	// JWKSURL is where the JWKS is served; default
	// Issuer+"/.well-known/jwks.json".
	JWKSURL string `validate:"omitempty,url"`
	// RevocationURL is where the RFC 7009 revocation endpoint is served when
	// DenyList is on; default Issuer+"/revoke".
	RevocationURL string `validate:"omitempty,url"`
	// RegistrationURL is the base URL of the registration API, advertised as
	// the SMART "register" URI when set.
	RegistrationURL string `validate:"omitempty,url"`
	// Audience is the aud claim: the FHIR base URL (resource identifier).
	Audience string `validate:"required,url"`
	// Insecure allows http:// URLs (tests and local development only).
	Insecure bool

	// Alg is the JWS algorithm of new signing keys: ES256 (default), RS256
	// or EdDSA.
	Alg string `validate:"oneof=ES256 RS256 EdDSA"`
	// TokenTTL is the default access-token lifetime: default 300s, 1m..1h.
	TokenTTL time.Duration `validate:"gte=1m,lte=1h"`
	// MaxTokenTTL bounds per-client TokenTTL overrides and is the verifier's
	// maximum accepted exp-iat: default 1h, at most 24h.
	MaxTokenTTL time.Duration `validate:"gte=1m,lte=24h"`
	// TokenReuseWindow is how long after minting a token the issuer may
	// answer a repeated, correctly authenticated request for the same
	// client, secret, tenant, scopes and lifetime with that same token and
	// its true remaining expires_in, instead of signing a new one (the
	// Patients app asks for a token before every FHIR call). Never longer
	// than a quarter of the token's lifetime; never after a revocation of the
	// token, the secret, the client or the tenant, nor once another key
	// signs. Default 30s; negative disables it. See docs/auth.md.
	TokenReuseWindow time.Duration `validate:"lte=1h"`
	// Leeway is the clock skew tolerated for exp, nbf and iat: default 30s,
	// at most 60s.
	Leeway time.Duration `validate:"gte=0,lte=1m"`

	// SealKey is the 32-byte AES-256-GCM key sealing private signing keys at
	// rest. Required. Losing it makes stored keys unusable (new ones are
	// generated); changing it requires removing the old keys.
	SealKey []byte `validate:"len=32"`
	// Pepper, when set (at least 32 bytes), makes new secret hashes
	// HMAC-SHA-256(pepper, secret) instead of SHA-256(secret).
	Pepper []byte `validate:"omitempty,min=32"`
	// PepperID names the pepper in hash records; required with Pepper.
	PepperID string `validate:"required_with=Pepper,omitempty,alphanum,max=16"`
	// MaxActiveSecrets is the number of unrevoked, unexpired secrets a client
	// may hold at once: default 2.
	MaxActiveSecrets int `validate:"gte=1,lte=5"`
	// SecretLifetime is the default expiry of new secrets: default 365 days.
	SecretLifetime time.Duration `validate:"gte=1h"`
	// ClientCacheTTL bounds how long a client record is cached: a change made
	// on another node (revocation, disabling, tenants) takes effect here
	// within this time. Default 30s, at most 5m; changes made through this
	// node's [Registry] take effect at once. The server's verifiers check the
	// client on every request (VerifierConfig.Active), so tokens already
	// issued to a client that is disabled, or no longer has the token's
	// tenant, stop verifying within the same bound.
	ClientCacheTTL time.Duration `validate:"gte=0,lte=5m"`
	// RevokeTokensOnSecretRevoke puts a revoked secret's id on the deny-list
	// for MaxTokenTTL+Leeway so tokens minted with it stop verifying.
	RevokeTokensOnSecretRevoke bool
	// DenyList makes the verifier consult the store's deny-list (revoked jti
	// and secret ids) on every request. Implied by
	// RevokeTokensOnSecretRevoke.
	DenyList bool

	// RequireTLS refuses token requests not made over TLS.
	RequireTLS bool
	// TrustForwardedProto accepts X-Forwarded-Proto: https as TLS (only behind
	// a proxy that sets it). With TrustedProxies set, only from those.
	TrustForwardedProto bool
	// AllowHyphenGrantType accepts the Teams document's "grant-type" spelling
	// (logged as token.compat_grant_type). Off by default.
	AllowHyphenGrantType bool
	// MaxBodyBytes caps token and admin request bodies: default 16 KiB. A
	// larger declared Content-Length is refused at once with 413.
	MaxBodyBytes int64 `validate:"gte=1024,lte=1048576"`
	// BodyReadTimeout is how long a token, revocation or admin request may
	// take to deliver its body once its headers are in: default 5s, 100ms to
	// 1m. Over it the request gets 408 and its connection is closed. While
	// its body is being read a request holds no in-progress place.
	BodyReadTimeout time.Duration `validate:"gte=100ms,lte=1m"`
	// MaxTokenBytes caps a bearer token's length: default 4096.
	MaxTokenBytes int `validate:"gte=512,lte=65536"`
	// FailedAuthPerMinute and FailedAuthBurst shape the budget of failed
	// client authentications per (client address, client id): defaults
	// 10/min, burst 20. Over it, a request whose credentials fail gets 429
	// with Retry-After instead of 401; a request whose credentials are
	// right is always served, so nobody can lock a client out.
	FailedAuthPerMinute float64 `validate:"gt=0"`
	FailedAuthBurst     int     `validate:"gte=1"` // see FailedAuthPerMinute
	// ClientFailedAuthPerMinute and ClientFailedAuthBurst shape the budget
	// of failed authentications per client id from all addresses together
	// (defaults 60/min, burst 120), with the same effect. The moment either
	// budget runs dry is audited (auth.failures_exceeded) for alerting.
	ClientFailedAuthPerMinute float64 `validate:"gte=0"`
	ClientFailedAuthBurst     int     `validate:"gte=0"` // see ClientFailedAuthPerMinute
	// ClientTokensPerSecond and ClientTokensBurst, when set, limit the
	// tokens issued per client (after successful authentication, so nobody
	// without the secret can consume them); over the limit the client gets
	// 429 with Retry-After. Off by default; 200/s with a burst of 400 covers
	// the Patients app's one token per FHIR call.
	ClientTokensPerSecond float64 `validate:"gte=0"`
	ClientTokensBurst     int     `validate:"gte=0"` // see ClientTokensPerSecond; default 2x the rate
	// MaxTrackedIPs bounds the memory of each limiter: default 10000 keys.
	MaxTrackedIPs int `validate:"gte=16"`
	// MaxInFlight caps token, revocation and admin requests in progress
	// (counted from the moment their body has been read): default 256.
	MaxInFlight int `validate:"gte=1"`
	// MaxInFlightPerAddress caps the requests in progress from one client
	// address (an IPv6 /64): default MaxInFlight/8, and below MaxInFlight,
	// so one address cannot take every place.
	MaxInFlightPerAddress int `validate:"gte=0"`
	// TrustedProxies lists the reverse proxies (IP addresses or CIDR
	// prefixes) whose X-Forwarded-For is believed: for a request from one of
	// them, the client address is the first address of X-Forwarded-For, read
	// from the right, that is not a trusted proxy. Default none: the client
	// address is the connection's peer, and X-Forwarded-For is ignored.
	// Behind a proxy that is not listed, every caller shares the proxy's
	// address (and its per-address limits).
	TrustedProxies []string `validate:"max=256"`
	// ClientIP, when set, replaces the address logic above (e.g. for a CDN
	// header); it must only trust what your proxies set.
	ClientIP func(*http.Request) string `validate:"-"`

	// SelfService is what a client may do to its own secrets with its
	// credentials on the registration API: SelfServiceOff, SelfServiceAddOnly
	// or SelfServiceFull (the default; see [SelfServicePolicy]).
	SelfService SelfServicePolicy `validate:"omitempty,oneof=off add-only full"`
	// SelfServiceGrace is how long a new secret must exist before the client
	// may revoke the secrets it supersedes (SelfServiceFull): default 24h.
	// Within it only the operator can revoke, so a leaked secret cannot be
	// used to lock the real client out before the operator, alerted by the
	// secret.created event, can act.
	SelfServiceGrace time.Duration `validate:"gte=0"`

	// KeyRotationInterval is how long a key signs before Maintain replaces
	// it: default 30 days.
	KeyRotationInterval time.Duration `validate:"gte=1m"`
	// KeyPrePublish is how long a new key is published before it signs:
	// default 1h; must be at least JWKSMaxAge.
	KeyPrePublish time.Duration `validate:"gte=0"`
	// KeyRetireGrace is how long a retired key keeps verifying before
	// Maintain removes it: default 2h; at least MaxTokenTTL+Leeway.
	KeyRetireGrace time.Duration `validate:"gte=0"`
	// KeyRefreshInterval bounds how stale this node's view of the key set
	// may be: default 30s.
	KeyRefreshInterval time.Duration `validate:"gte=1s,lte=1h"`
	// KeyMinRefreshInterval is the minimum time between forced key reloads
	// triggered by unknown kids: default 5s.
	KeyMinRefreshInterval time.Duration `validate:"gte=0,lte=5m"`
	// JWKSMaxAge is the JWKS Cache-Control max-age: default 10m.
	JWKSMaxAge time.Duration `validate:"gte=0,lte=24h"`

	// OperatorToken authenticates the operator on the registration API
	// (Authorization: Bearer <token>, compared in constant time). At least 32
	// characters; empty disables the operator routes.
	OperatorToken string `validate:"omitempty,min=32"`
	// TenantValidator, when set, is the tenant truth: plug in
	// routing.Directory.Check. It is asked whether a tenant exists and is
	// enabled before a token is issued for it (invalid_scope when it
	// refuses; 503 temporarily_unavailable when its error wraps
	// ErrUnavailable), before a client is mapped to it, and on every request
	// the server's verifiers accept (VerifierConfig.Active), so disabling or
	// removing a tenant stops its issued tokens too (401 invalid_token),
	// within the validator's own propagation bound (routing's MaxStale). It
	// is on every request's path: answer from a cache.
	TenantValidator func(ctx context.Context, tenant string) error `validate:"-"`
	// Realm is the bearer challenge realm: default "fhir".
	Realm string `validate:"printascii,excludesall=\"\\"`
	// Logger receives operational logs; default slog.Default().
	Logger *slog.Logger `validate:"-"`
	// Auditor receives audit events; default SlogAuditor{Logger}.
	Auditor Auditor `validate:"-"`
	// Now is the clock; default time.Now. Tests inject a fake.
	Now func() time.Time `validate:"-"`
}

// Endpoints are the public URLs of the authorization server, derived from one
// [Config] so that the discovery documents, the capability statement and
// the handlers can never disagree.
type Endpoints struct {
	Issuer       string // the iss claim
	Token        string // the token endpoint (the capability statement's oauth-uris token)
	JWKS         string // the JSON Web Key Set
	Metadata     string // RFC 8414 /.well-known/oauth-authorization-server
	Revocation   string // RFC 7009 endpoint; empty unless DenyList is on
	Registration string // empty when not configured
	Authorize    string // always empty: there is no authorization endpoint
}

// Endpoints returns the URLs this configuration serves (defaults applied).
func (c Config) Endpoints() Endpoints {
	iss := strings.TrimSuffix(c.Issuer, "/")
	e := Endpoints{Issuer: c.Issuer, Token: c.TokenURL, JWKS: c.JWKSURL, Registration: c.RegistrationURL}
	if e.Token == "" {
		e.Token = iss + "/token"
	}
	if e.JWKS == "" {
		e.JWKS = iss + "/.well-known/jwks.json"
	}
	if c.DenyList || c.RevokeTokensOnSecretRevoke {
		e.Revocation = c.RevocationURL
		if e.Revocation == "" {
			e.Revocation = iss + "/revoke"
		}
	}
	if u, err := url.Parse(c.Issuer); err == nil && u.Host != "" {
		// RFC 8414 §3: the well-known segment goes between host and path.
		e.Metadata = u.Scheme + "://" + u.Host + "/.well-known/oauth-authorization-server" + strings.TrimSuffix(u.Path, "/")
	}
	return e
}

func (c *Config) applyDefaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	if c.Alg == "" {
		c.Alg = AlgES256
	}
	def(&c.TokenTTL, 300*time.Second)
	def(&c.MaxTokenTTL, time.Hour)
	def(&c.Leeway, 30*time.Second)
	def(&c.TokenReuseWindow, 30*time.Second)
	def(&c.SecretLifetime, 365*24*time.Hour)
	def(&c.ClientCacheTTL, 30*time.Second)
	def(&c.KeyRotationInterval, 30*24*time.Hour)
	def(&c.KeyPrePublish, time.Hour)
	def(&c.KeyRetireGrace, 2*time.Hour)
	def(&c.KeyRefreshInterval, 30*time.Second)
	def(&c.KeyMinRefreshInterval, 5*time.Second)
	def(&c.JWKSMaxAge, 10*time.Minute)
	if c.MaxActiveSecrets == 0 {
		c.MaxActiveSecrets = 2
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = 16 << 10
	}
	def(&c.BodyReadTimeout, 5*time.Second)
	if c.ClientFailedAuthPerMinute == 0 {
		c.ClientFailedAuthPerMinute = 60
	}
	if c.ClientFailedAuthBurst == 0 {
		c.ClientFailedAuthBurst = 120
	}
	if c.SelfService == "" {
		c.SelfService = SelfServiceFull
	}
	def(&c.SelfServiceGrace, 24*time.Hour)
	if c.MaxTokenBytes == 0 {
		c.MaxTokenBytes = 4096
	}
	if c.FailedAuthPerMinute == 0 {
		c.FailedAuthPerMinute = 10
	}
	if c.FailedAuthBurst == 0 {
		c.FailedAuthBurst = 20
	}
	if c.ClientTokensPerSecond > 0 && c.ClientTokensBurst == 0 {
		c.ClientTokensBurst = max(1, int(2*c.ClientTokensPerSecond))
	}
	if c.MaxTrackedIPs == 0 {
		c.MaxTrackedIPs = 10000
	}
	if c.MaxInFlight == 0 {
		c.MaxInFlight = 256
	}
	if c.MaxInFlightPerAddress == 0 {
		c.MaxInFlightPerAddress = max(1, c.MaxInFlight/8)
	}
	if c.Realm == "" {
		c.Realm = "fhir"
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Auditor == nil {
		c.Auditor = SlogAuditor{Logger: c.Logger}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.RevokeTokensOnSecretRevoke {
		c.DenyList = true
	}
}

var validate = validator.New(validator.WithRequiredStructEnabled())

// ErrInvalidConfig is wrapped by every configuration and input validation
// error.
var ErrInvalidConfig = errors.New("auth: invalid configuration")

// validateStruct validates v and returns an error naming each failing field
// as <prefix>.<Field>.
func validateStruct(prefix string, v any, base error) error {
	err := validate.Struct(v)
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) {
		if err != nil {
			return fmt.Errorf("%w: %v", base, err)
		}
		return nil
	}
	msgs := make([]string, 0, len(verrs))
	for _, fe := range verrs {
		m := prefix + "." + fe.StructNamespace()[strings.IndexByte(fe.StructNamespace(), '.')+1:] + ": must satisfy " + fe.Tag()
		if fe.Param() != "" {
			m += "=" + fe.Param()
		}
		msgs = append(msgs, m)
	}
	return fmt.Errorf("%w: %s", base, strings.Join(msgs, "; "))
}

func (c *Config) validate() error {
	if err := validateStruct("Config", c, ErrInvalidConfig); err != nil {
		return err
	}
	var problems []string
	for _, f := range [][2]string{{"Issuer", c.Issuer}, {"TokenURL", c.TokenURL}, {"JWKSURL", c.JWKSURL}, {"RevocationURL", c.RevocationURL}, {"Audience", c.Audience}, {"RegistrationURL", c.RegistrationURL}} {
		name, raw := f[0], f[1]
		if raw == "" {
			continue
		}
		u, err := url.Parse(raw)
		switch {
		case err != nil || u.Host == "":
			problems = append(problems, "Config."+name+": must be an absolute URL")
		case u.Scheme != "https" && !(c.Insecure && u.Scheme == "http"):
			problems = append(problems, "Config."+name+": must use https (set Insecure for local http)")
		case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
			problems = append(problems, "Config."+name+": must not have a query, fragment or user info")
		}
	}
	if c.TokenTTL > c.MaxTokenTTL {
		problems = append(problems, "Config.TokenTTL: must not exceed MaxTokenTTL")
	}
	if c.KeyRetireGrace < c.MaxTokenTTL+c.Leeway {
		problems = append(problems, "Config.KeyRetireGrace: must be at least MaxTokenTTL+Leeway")
	}
	if c.MaxInFlightPerAddress > c.MaxInFlight || (c.MaxInFlight > 1 && c.MaxInFlightPerAddress == c.MaxInFlight) {
		problems = append(problems, "Config.MaxInFlightPerAddress: must be below MaxInFlight")
	}
	if _, err := parseProxies(c.TrustedProxies); err != nil {
		problems = append(problems, "Config.TrustedProxies: "+err.Error())
	}
	if c.KeyPrePublish < c.JWKSMaxAge {
		problems = append(problems, "Config.KeyPrePublish: must be at least JWKSMaxAge")
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s", ErrInvalidConfig, strings.Join(problems, "; "))
	}
	return nil
}
