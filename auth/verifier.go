package auth

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Bearer error codes (RFC 6750 §3.1).
const (
	ErrCodeInvalidToken      = "invalid_token"
	ErrCodeInsufficientScope = "insufficient_scope"
)

// ErrInvalidToken is wrapped by every token verification failure. The
// wrapped detail is for server-side logs only; clients get a generic
// invalid_token.
var ErrInvalidToken = errors.New("auth: invalid token")

// PublicKeySource finds a verification key by kid. The returned alg is the
// only algorithm the key may be used with. [KeyManager] implements it.
type PublicKeySource interface {
	PublicKey(ctx context.Context, kid string) (pub crypto.PublicKey, alg string, ok bool)
}

// Principal is the authenticated caller of a FHIR request, taken only from
// a verified access token.
type Principal struct {
	// ClientID is the OAuth2 client.
	ClientID string
	// TenantID is the canonical tenant GUID the token was issued for.
	TenantID string
	// Scopes are the granted scope tokens, tenant first.
	Scopes []string
	// JTI is the token id.
	JTI string
	// SecretID is the id of the secret the client authenticated with.
	SecretID string
	// IssuedAt is when the token was issued.
	IssuedAt time.Time
	// ExpiresAt is when the token expires.
	ExpiresAt time.Time
}

// HasScope reports whether s was granted.
func (p *Principal) HasScope(s string) bool { return containsStr(p.Scopes, s) }

type principalKey struct{}

// PrincipalFrom returns the principal the Verifier middleware put in ctx.
func PrincipalFrom(ctx context.Context) (*Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(*Principal)
	return p, ok
}

// ContextWithPrincipal returns ctx carrying p (for handlers invoked outside
// the middleware, e.g. batch entries, and for tests).
func ContextWithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// VerifierConfig configures a [Verifier]. [Server] builds one from its
// Config; use NewVerifier directly in a resource server that shares the
// key store.
type VerifierConfig struct {
	// Issuer must equal the token's iss exactly.
	Issuer string `validate:"required"`
	// Audience must be among the token's aud values.
	Audience string `validate:"required"`
	// Keys finds verification keys by kid.
	Keys PublicKeySource `validate:"-"` // checked by hand: validator would copy the value
	// Leeway tolerates clock skew for exp, nbf and iat (at most 60s).
	Leeway time.Duration `validate:"gte=0,lte=1m"`
	// MaxTokenTTL rejects tokens whose exp-iat exceeds it (default 1h).
	MaxTokenTTL time.Duration `validate:"gte=0,lte=24h"`
	// MaxTokenBytes caps the token length (default 4096).
	MaxTokenBytes int `validate:"gte=0,lte=65536"`
	// Realm is the challenge realm (default "fhir").
	Realm string `validate:"printascii,excludesall=\"\\"`
	// DenyList, when set, is consulted for revoked token ids on every
	// request.
	DenyList DenyList `validate:"-"`
	// SecretRevocation also consults the DenyList for the id of the secret
	// a token was minted with (Config.RevokeTokensOnSecretRevoke).
	SecretRevocation bool
	// CacheSize bounds the cache of verified tokens (default 10000; a
	// negative value disables it). A token seen again is not re-verified
	// cryptographically, but its expiry, its key's presence in the key set
	// and the deny-list are checked on every use.
	CacheSize int
	// Active, when set, is asked on every request, cached tokens included,
	// whether the token's principal may still act: the token verified, but
	// its client or tenant may have been disabled or removed since it was
	// issued. An error refuses the token (401 invalid_token), or answers 503
	// when it wraps ErrUnavailable (the check's store cannot be reached). It
	// must be fast (answer from a cache) and must not modify p.
	//
	// [Server] sets it to its own check: the client still exists, is not
	// disabled and still has the token's tenant (as of its client cache,
	// so within ClientCacheTTL of a change made on another node), and
	// Config.TenantValidator, when set, still accepts the tenant. Without
	// it a token stays valid until it expires (TokenTTL, 300 s by default)
	// whatever happens to its client or tenant.
	Active func(ctx context.Context, p *Principal) error `validate:"-"`
	// TenantFromRequest, when set, returns the tenant a request addresses;
	// a token for another tenant gets 403 insufficient_scope.
	TenantFromRequest func(*http.Request) (string, bool) `validate:"-"`
	// ErrorBody, when set, writes the body of an error response (e.g. a FHIR
	// OperationOutcome); status and WWW-Authenticate are already set on w
	// but the header is not yet written. Default: a small JSON object.
	ErrorBody func(w http.ResponseWriter, r *http.Request, status int, code string) `validate:"-"`
	// Auditor receives bearer.rejected events; default a SlogAuditor.
	Auditor Auditor `validate:"-"`
	// Logger receives operational errors; default slog.Default().
	Logger *slog.Logger `validate:"-"`
	// Now is the clock; default time.Now.
	Now func() time.Time `validate:"-"`

	cache *tokenCache // shared by verifiers built from Server.VerifierConfig
}

// Verifier checks bearer access tokens strictly (RFC 9068 §4, RFC 8725) and
// protects handlers with RFC 6750 semantics.
type Verifier struct {
	cfg    VerifierConfig
	parser *jwt.Parser
	cache  *tokenCache // nil when disabled
}

// NewVerifier validates cfg and returns a Verifier.
func NewVerifier(cfg VerifierConfig) (*Verifier, error) {
	if cfg.MaxTokenTTL == 0 {
		cfg.MaxTokenTTL = time.Hour
	}
	if cfg.MaxTokenBytes == 0 {
		cfg.MaxTokenBytes = 4096
	}
	if cfg.Realm == "" {
		cfg.Realm = "fhir"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Auditor == nil {
		cfg.Auditor = SlogAuditor{Logger: cfg.Logger}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if err := validateStruct("VerifierConfig", &cfg, ErrInvalidConfig); err != nil {
		return nil, err
	}
	if cfg.Keys == nil {
		return nil, fmt.Errorf("%w: VerifierConfig.Keys: must satisfy required", ErrInvalidConfig)
	}
	v := &Verifier{cfg: cfg}
	if cfg.CacheSize == 0 {
		cfg.CacheSize = 10000
		v.cfg.CacheSize = cfg.CacheSize
	}
	switch {
	case cfg.CacheSize <= 0:
		v.cfg.cache = nil
	case cfg.cache != nil && cfg.cache.max == cfg.CacheSize && cfg.cache.iss == cfg.Issuer && cfg.cache.aud == cfg.Audience && cfg.cache.maxTTL == cfg.MaxTokenTTL:
		v.cache = cfg.cache // a variant of the server's verifier with the same token rules shares its cache
	default:
		v.cache = &tokenCache{m: make(map[string]cachedToken), max: cfg.CacheSize, iss: cfg.Issuer, aud: cfg.Audience, maxTTL: cfg.MaxTokenTTL}
		v.cfg.cache = v.cache
	}
	v.parser = jwt.NewParser(
		jwt.WithValidMethods([]string{AlgES256, AlgRS256, AlgEdDSA}),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithIssuer(cfg.Issuer),
		jwt.WithAudience(cfg.Audience),
		jwt.WithLeeway(cfg.Leeway),
		jwt.WithTimeFunc(cfg.Now),
		jwt.WithStrictDecoding(),
	)
	return v, nil
}

// allowedHeader lists the only JOSE header members accepted; anything else
// (jku, x5u, jwk, x5c, crit, ...) rejects the token.
func allowedHeader(k string) bool { return k == "alg" || k == "typ" || k == "kid" }

func invalid(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidToken, fmt.Sprintf(format, a...))
}

// validTokenChars reports whether tok is three non-empty base64url segments.
func wellFormedJWT(tok string) bool {
	dots := 0
	seg := 0
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		switch {
		case c == '.':
			if seg == 0 {
				return false
			}
			dots, seg = dots+1, 0
			if dots > 2 {
				return false
			}
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_':
			seg++
		default:
			return false
		}
	}
	return dots == 2 && seg > 0
}

// errInactive is wrapped (with ErrInvalidToken) by a refusal of
// VerifierConfig.Active.
var errInactive = errors.New("principal no longer active")

// Verify checks a compact JWT access token and returns its principal. Every
// failure wraps ErrInvalidToken, except a deny-list lookup failure and an
// unavailable Active check, which wrap ErrUnavailable.
func (v *Verifier) Verify(ctx context.Context, tok string) (*Principal, error) {
	if len(tok) > v.cfg.MaxTokenBytes {
		return nil, invalid("token too long")
	}
	if !wellFormedJWT(tok) {
		return nil, invalid("not a compact JWS")
	}
	if v.cache != nil {
		if e, ok := v.cache.get(tok); ok {
			return v.reuse(ctx, e)
		}
	}
	var claims AccessClaims
	var kid string
	_, err := v.parser.ParseWithClaims(tok, &claims, func(t *jwt.Token) (any, error) {
		for k := range t.Header {
			if !allowedHeader(k) {
				return nil, fmt.Errorf("header member %q not allowed", k)
			}
		}
		typ, _ := t.Header["typ"].(string)
		if !strings.EqualFold(typ, TokenType) && !strings.EqualFold(typ, "application/"+TokenType) {
			return nil, errors.New("typ is not at+jwt")
		}
		kid, _ = t.Header["kid"].(string)
		if kid == "" || len(kid) > 128 || !wellFormedKID(kid) {
			return nil, errors.New("bad kid")
		}
		pub, alg, ok := v.cfg.Keys.PublicKey(ctx, kid)
		if !ok {
			return nil, errors.New("unknown kid")
		}
		if t.Method == nil || t.Method.Alg() != alg {
			return nil, errors.New("alg does not match the key")
		}
		return pub, nil
	})
	if err != nil {
		return nil, invalid("%v", err)
	}
	switch {
	case claims.IssuedAt == nil:
		return nil, invalid("iat missing")
	case claims.ExpiresAt.Sub(claims.IssuedAt.Time) > v.cfg.MaxTokenTTL:
		return nil, invalid("lifetime exceeds the maximum")
	case claims.ID == "" || claims.ClientID == "" || claims.Subject != claims.ClientID:
		return nil, invalid("jti, client_id or sub missing")
	}
	p := &Principal{ClientID: claims.ClientID, JTI: claims.ID, SecretID: claims.SecretID,
		IssuedAt: claims.IssuedAt.Time, ExpiresAt: claims.ExpiresAt.Time}
	for _, s := range strings.Split(claims.Scope, " ") {
		if s == "" {
			continue
		}
		if t, ok := CanonicalTenant(s); ok {
			if p.TenantID != "" || t != s {
				return nil, invalid("scope must hold exactly one canonical tenant")
			}
			p.TenantID = t
			p.Scopes = append([]string{t}, p.Scopes...)
			continue
		}
		p.Scopes = append(p.Scopes, s)
	}
	if p.TenantID == "" || claims.TenantID != p.TenantID {
		return nil, invalid("tid does not match scope")
	}
	if err := v.checkDenied(ctx, p); err != nil {
		return nil, err
	}
	if v.cache != nil {
		// Cached before the Active check: it is repeated on every use.
		v.cache.put(tok, cachedToken{p: p, kid: kid}, v.cfg.Now())
	}
	if err := v.checkActive(ctx, p); err != nil {
		return nil, err
	}
	return p.clone(), nil
}

// checkActive asks VerifierConfig.Active about the principal.
func (v *Verifier) checkActive(ctx context.Context, p *Principal) error {
	if v.cfg.Active == nil {
		return nil
	}
	err := v.cfg.Active(ctx, p)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrUnavailable):
		return fmt.Errorf("auth: principal check: %w", err)
	}
	return fmt.Errorf("%w: %w: %w", ErrInvalidToken, errInactive, err)
}

// checkDenied consults the deny-list for the token id and the secret id.
func (v *Verifier) checkDenied(ctx context.Context, p *Principal) error {
	if v.cfg.DenyList == nil {
		return nil
	}
	now := v.cfg.Now()
	keys := [2]string{"jti:" + p.JTI}
	if v.cfg.SecretRevocation && p.SecretID != "" {
		keys[1] = secretDenyKey(p.ClientID, p.SecretID)
	}
	for _, key := range keys {
		if key == "" {
			continue
		}
		denied, err := v.cfg.DenyList.IsDenied(ctx, key, now)
		if err != nil {
			return fmt.Errorf("%w: deny-list: %v", ErrUnavailable, err)
		}
		if denied {
			return invalid("revoked")
		}
	}
	return nil
}

// reuse re-checks a cached verified token: not expired (with this
// verifier's leeway), its key still in the key set, not denied.
func (v *Verifier) reuse(ctx context.Context, e cachedToken) (*Principal, error) {
	if !v.cfg.Now().Before(e.p.ExpiresAt.Add(v.cfg.Leeway)) {
		return nil, invalid("token is expired")
	}
	if _, _, ok := v.cfg.Keys.PublicKey(ctx, e.kid); !ok {
		return nil, invalid("key removed")
	}
	if err := v.checkDenied(ctx, e.p); err != nil {
		return nil, err
	}
	if err := v.checkActive(ctx, e.p); err != nil {
		return nil, err
	}
	return e.p.clone(), nil
}

func (p *Principal) clone() *Principal {
	cp := *p
	cp.Scopes = slices.Clone(p.Scopes)
	return &cp
}

// cachedToken is a verified token's principal and the key that signed it.
type cachedToken struct {
	p   *Principal
	kid string
}

// tokenCache maps verified token strings to their principals. Only tokens
// that passed full verification enter it, so it cannot be filled by
// forgeries; it is bounded by max entries: when full, expired entries are
// swept, and if that frees less than a quarter, everything is dropped, so
// a sweep happens at most once per max/4 insertions.
type tokenCache struct {
	mu     sync.RWMutex
	m      map[string]cachedToken
	max    int
	iss    string        // the rules the entries were verified under:
	aud    string        // only verifiers with the same ones share
	maxTTL time.Duration // the cache

	hits, misses atomic.Uint64 // lookups, for CacheStats
}

func (c *tokenCache) get(tok string) (cachedToken, bool) {
	c.mu.RLock()
	e, ok := c.m[tok]
	c.mu.RUnlock()
	if ok {
		c.hits.Add(1)
	} else {
		c.misses.Add(1)
	}
	return e, ok
}

func (c *tokenCache) put(tok string, e cachedToken, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		for k, old := range c.m {
			if !now.Before(old.p.ExpiresAt.Add(time.Minute)) { // past any allowed leeway
				delete(c.m, k)
			}
		}
		if len(c.m) > c.max*3/4 { // keep sweeps amortised O(1) per insertion
			clear(c.m)
		}
	}
	c.m[tok] = e
}

func (c *tokenCache) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}

func wellFormedKID(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// b64token reports whether s matches RFC 6750's b64token.
func b64token(s string) bool {
	if s == "" {
		return false
	}
	i := 0
	for ; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.IndexByte("-._~+/", c) >= 0) {
			break
		}
	}
	if i == 0 {
		return false
	}
	for ; i < len(s); i++ {
		if s[i] != '=' {
			return false
		}
	}
	return true
}

// Middleware authenticates every request with a bearer token in the
// Authorization header and puts the [Principal] in the request context.
// Failures get RFC 6750 responses: 401 with a bare challenge when no bearer
// credentials were sent, 400 invalid_request for malformed ones, 401
// invalid_token for any verification failure, 403 insufficient_scope when
// the token's tenant does not match the request's, and 503 (Retry-After: 1)
// when the deny-list or the Active check cannot reach its store.
func (v *Verifier) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		authz, hasAuthz := r.Header["Authorization"]
		inQuery := strings.Contains(r.URL.RawQuery, "access_token") && r.URL.Query().Has("access_token")
		if !hasAuthz {
			v.reject(w, r, http.StatusUnauthorized, "", "no_credentials")
			return
		}
		if len(authz) != 1 {
			v.reject(w, r, http.StatusBadRequest, ErrCodeInvalidRequest, "duplicate_authorization")
			return
		}
		const prefix = "bearer "
		a := authz[0]
		if len(a) < len(prefix) || !strings.EqualFold(a[:len(prefix)], prefix) {
			if strings.EqualFold(strings.TrimSpace(a), "bearer") {
				v.reject(w, r, http.StatusBadRequest, ErrCodeInvalidRequest, "empty_token")
				return
			}
			v.reject(w, r, http.StatusUnauthorized, "", "other_scheme")
			return
		}
		tok := a[len(prefix):]
		switch {
		case inQuery:
			v.reject(w, r, http.StatusBadRequest, ErrCodeInvalidRequest, "two_methods")
			return
		case len(tok) > v.cfg.MaxTokenBytes || !b64token(tok):
			v.reject(w, r, http.StatusBadRequest, ErrCodeInvalidRequest, "malformed_header")
			return
		}
		p, err := v.Verify(r.Context(), tok)
		if err != nil {
			if errors.Is(err, ErrUnavailable) {
				v.cfg.Logger.ErrorContext(r.Context(), "auth: token check unavailable", "error", err.Error())
				w.Header().Set("Retry-After", "1")
				v.writeError(w, r, http.StatusServiceUnavailable, "")
				return
			}
			reason := "invalid_token"
			if errors.Is(err, errInactive) {
				reason = "principal_inactive"
			}
			v.reject(w, r, http.StatusUnauthorized, ErrCodeInvalidToken, reason)
			return
		}
		if v.cfg.TenantFromRequest != nil {
			if t, ok := v.cfg.TenantFromRequest(r); ok {
				if ct, isGUID := CanonicalTenant(t); !isGUID || ct != p.TenantID {
					v.InsufficientScope(w, r, ct)
					return
				}
			}
		}
		next.ServeHTTP(w, r.WithContext(ContextWithPrincipal(r.Context(), p)))
	})
}

// RequireScope wraps next so that only principals holding scope reach it
// (403 insufficient_scope otherwise). Use it inside Middleware.
func (v *Verifier) RequireScope(scope string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := PrincipalFrom(r.Context())
		if !ok {
			v.reject(w, r, http.StatusUnauthorized, "", "no_principal")
			return
		}
		if !p.HasScope(scope) {
			v.InsufficientScope(w, r, scope)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// InsufficientScope writes a 403 insufficient_scope response; scope, when it
// is a valid scope token, is named in the challenge.
func (v *Verifier) InsufficientScope(w http.ResponseWriter, r *http.Request, scope string) {
	ch := `Bearer realm="` + v.cfg.Realm + `", error="insufficient_scope"`
	if scope != "" && validScopeToken(scope) && len(scope) <= 128 {
		ch += `, scope="` + scope + `"`
	}
	w.Header().Set("WWW-Authenticate", ch)
	v.audit(r, "insufficient_scope")
	v.writeError(w, r, http.StatusForbidden, ErrCodeInsufficientScope)
}

func (v *Verifier) audit(r *http.Request, reason string) {
	v.cfg.Auditor.Record(r.Context(), Event{Type: EventBearerRejected, Reason: reason, Path: pathOnly(r.URL.Path), RemoteIP: remoteIP(r)})
}

func (v *Verifier) reject(w http.ResponseWriter, r *http.Request, status int, code, reason string) {
	ch := `Bearer realm="` + v.cfg.Realm + `"`
	if code != "" {
		ch += `, error="` + code + `"`
	}
	w.Header().Set("WWW-Authenticate", ch)
	v.audit(r, reason)
	v.writeError(w, r, status, code)
}

func (v *Verifier) writeError(w http.ResponseWriter, r *http.Request, status int, code string) {
	w.Header().Set("Cache-Control", "no-store")
	if v.cfg.ErrorBody != nil {
		v.cfg.ErrorBody(w, r, status, code)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if code == "" {
		code = "unauthorized"
		if status == http.StatusServiceUnavailable {
			code = ErrCodeTemporarilyUnavailable
		}
	}
	_, _ = w.Write([]byte(`{"error":"` + code + `"}`))
}
