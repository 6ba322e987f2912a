package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-playground/validator/v10"
	"golang.org/x/sync/singleflight"
)

// GrantClientCredentials is the only grant this server issues tokens for.
const GrantClientCredentials = "client_credentials"

// Registry errors.
var (
	// ErrTooManySecrets is returned by AddSecret when the client already has
	// MaxActiveSecrets active secrets; revoke one first.
	ErrTooManySecrets = errors.New("auth: client already has the maximum number of active secrets")
	// ErrInvalidInput wraps validation failures of registry inputs.
	ErrInvalidInput = errors.New("auth: invalid input")
	// ErrInvalidClient is the single error for every client-authentication
	// failure (unknown client, wrong/expired/revoked secret, disabled
	// client), so callers cannot tell them apart.
	ErrInvalidClient = errors.New("auth: invalid client credentials")
	// ErrUnknownTenant is returned when the TenantValidator refuses a tenant.
	ErrUnknownTenant = errors.New("auth: unknown tenant")
)

// SecretInfo describes a secret without its hash or plaintext.
type SecretInfo struct {
	ID        string    `json:"id"`                  // public secret id (embedded in the secret)
	Hint      string    `json:"hint"`                // last characters of the secret
	CreatedAt time.Time `json:"created_at"`          // when it was generated
	ExpiresAt time.Time `json:"expires_at,omitzero"` // when it stops working
	RevokedAt time.Time `json:"revoked_at,omitzero"` // when it was revoked, if it was
	Active    bool      `json:"active"`              // neither revoked nor expired now
}

// ClientInfo describes a client for listings: never a hash or plaintext.
type ClientInfo struct {
	ID              string          `json:"client_id"`                   // the client_id
	Name            string          `json:"name,omitempty"`              // label for humans
	Disabled        bool            `json:"disabled"`                    // disabled clients cannot authenticate
	GrantTypes      []string        `json:"grant_types"`                 // allowed grants
	Tenants         []string        `json:"tenants"`                     // canonical tenant GUIDs
	Scopes          []string        `json:"scopes,omitempty"`            // extra grantable scopes
	TokenTTLSeconds int             `json:"token_ttl_seconds,omitempty"` // lifetime override (0 = default)
	Secrets         []SecretInfo    `json:"secrets"`                     // secrets without hashes
	JWKS            json.RawMessage `json:"jwks,omitempty"`              // public keys for private_key_jwt
	CreatedAt       time.Time       `json:"created_at"`                  // creation time
	UpdatedAt       time.Time       `json:"updated_at"`                  // last change
}

// NewClient is the input of [Registry.CreateClient].
type NewClient struct {
	// ID is the client_id; generated when empty.
	ID string `json:"client_id" validate:"omitempty,min=1,max=128,clientid"`
	// Name is a label for humans.
	Name string `json:"name" validate:"max=200,printascii"`
	// Tenants are tenant GUIDs (any case; stored lower-case).
	Tenants []string `json:"tenants" validate:"max=1000,dive,uuid"`
	// Scopes are extra grantable scopes such as "system/Patient.read".
	Scopes []string `json:"scopes" validate:"max=100,dive,min=1,max=128,scopetoken"`
	// TokenTTLSeconds overrides the token lifetime (bounded by MaxTokenTTL).
	TokenTTLSeconds int `json:"token_ttl_seconds" validate:"gte=0"`
	// JWKS is an optional public JWK Set for private_key_jwt.
	JWKS json.RawMessage `json:"jwks,omitempty"`
	// NoClientCredentials registers the client without the
	// client_credentials grant (it then gets unauthorized_client).
	NoClientCredentials bool `json:"-"`
}

func init() {
	_ = validate.RegisterValidation("clientid", func(fl validator.FieldLevel) bool { return validClientID(fl.Field().String()) })
	_ = validate.RegisterValidation("scopetoken", func(fl validator.FieldLevel) bool { return validScopeToken(fl.Field().String()) })
}

// validClientID accepts 1..128 characters of [A-Za-z0-9._~-] (unreserved,
// so the id needs no encoding in Basic credentials or URLs).
func validClientID(s string) bool {
	if len(s) == 0 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '~' || c == '-') {
			return false
		}
	}
	return true
}

// validScopeToken accepts RFC 6749 scope-token characters.
func validScopeToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x21 || c == '"' || c == '\\' || c > 0x7e {
			return false
		}
	}
	return s != ""
}

// CanonicalTenant returns the lower-case form of a tenant GUID
// (8-4-4-4-12 hexadecimal digits) and false if s is not one.
func CanonicalTenant(s string) (string, bool) {
	if len(s) != 36 {
		return "", false
	}
	lower := true
	for i := 0; i < len(s) && lower; i++ {
		lower = s[i] < 'A' || s[i] > 'F'
	}
	if lower { // validate without copying
		for i := 0; i < len(s); i++ {
			c := s[i]
			if i == 8 || i == 13 || i == 18 || i == 23 {
				if c != '-' {
					return "", false
				}
			} else if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				return "", false
			}
		}
		return s, true
	}
	b := []byte(s)
	for i, c := range b {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return "", false
			}
		default:
			switch {
			case c >= '0' && c <= '9', c >= 'a' && c <= 'f':
			case c >= 'A' && c <= 'F':
				b[i] = c + 'a' - 'A'
			default:
				return "", false
			}
		}
	}
	return string(b), true
}

type cacheEntry struct {
	c      *Client // nil: known not to exist
	loaded time.Time
}

// maxCacheEntries bounds the client cache (negative entries for unknown ids
// included); when exceeded the cache is emptied.
const maxCacheEntries = 10000

// Registry manages clients and their secrets, and authenticates clients for
// the token endpoint. Reads go through a cache bounded by ClientCacheTTL;
// every change made through this Registry invalidates the local entry at
// once.
type Registry struct {
	store       ClientStore
	deny        DenyList
	hash        hasher
	cfg         *Config
	audit       Auditor
	dummyHash   [32]byte
	mu          sync.RWMutex
	cache       map[string]cacheEntry
	sf          singleflight.Group
	gen         atomic.Uint64 // bumped by Invalidate; a load started before it is not cached
	hits        atomic.Uint64 // cache lookups, for CacheStats
	misses      atomic.Uint64
	revokeToken bool
}

func newRegistry(cfg *Config, store ClientStore, deny DenyList, audit Auditor) *Registry {
	r := &Registry{
		store: store, deny: deny, cfg: cfg, audit: audit,
		hash:        hasher{pepper: cfg.Pepper, pepperID: cfg.PepperID},
		cache:       make(map[string]cacheEntry),
		revokeToken: cfg.RevokeTokensOnSecretRevoke,
	}
	plain, _ := newSecret()
	r.dummyHash, _ = r.hash.sum(r.hash.alg(), plain)
	return r
}

// Invalidate drops a client from this node's cache (use it from a pub/sub
// hook to propagate changes made on other nodes faster than
// ClientCacheTTL).
func (r *Registry) Invalidate(clientID string) {
	r.mu.Lock()
	r.gen.Add(1)
	delete(r.cache, clientID)
	r.mu.Unlock()
}

// cached returns the client record (nil if it does not exist) through the
// cache.
func (r *Registry) cached(ctx context.Context, id string) (*Client, error) {
	now := r.cfg.Now()
	r.mu.RLock()
	e, ok := r.cache[id]
	r.mu.RUnlock()
	if ok && now.Sub(e.loaded) < r.cfg.ClientCacheTTL {
		r.hits.Add(1)
		return e.c, nil
	}
	r.misses.Add(1)
	v, err, _ := r.sf.Do(id, func() (any, error) {
		gen := r.gen.Load()
		c, err := r.store.GetClient(ctx, id)
		if errors.Is(err, ErrNotFound) {
			c, err = nil, nil
		}
		if err != nil {
			return nil, err
		}
		r.mu.Lock()
		// A change made through this Registry while the record was being
		// read must not be hidden by caching the older copy.
		if r.gen.Load() == gen {
			if len(r.cache) >= maxCacheEntries {
				clear(r.cache)
			}
			r.cache[id] = cacheEntry{c: c, loaded: now}
		}
		r.mu.Unlock()
		return c, nil
	})
	if err != nil {
		return nil, err
	}
	c, _ := v.(*Client)
	return c, nil
}

// authResult is what authenticate learned.
type authResult struct {
	client   *Client
	secretID string
	reason   string // for audit on failure
}

// authenticate checks a client's credentials. The work done (one digest and
// one constant-time comparison per candidate record, at least one) does not
// depend on whether the client exists. The returned *Client is shared with
// the cache and must not be modified.
func (r *Registry) authenticate(ctx context.Context, clientID, secret string) (authResult, error) {
	c, err := r.cached(ctx, clientID)
	if err != nil {
		return authResult{reason: "store_error"}, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	now := r.cfg.Now()
	// Exactly one digest and one constant-time comparison on every path:
	// the record named by the secret's embedded id, or a dummy hash when
	// the client, the id or the format is unknown. Every secret this
	// package accepts was generated in the fhcs_<id>_ format, so a secret
	// without an id can never match and needs no scan of the records.
	var rec *SecretRecord
	if id, perr := ParseSecret(secret); perr == nil && c != nil {
		for i := range c.Secrets {
			if c.Secrets[i].ID == id {
				rec = &c.Secrets[i]
				break
			}
		}
	}
	var matched *SecretRecord
	if rec == nil {
		d, _ := r.hash.sum(r.hash.alg(), secret)
		equal(d, r.dummyHash[:])
	} else if d, ok := r.hash.sum(rec.Alg, secret); equal(d, rec.Hash) && ok {
		matched = rec
	}
	switch {
	case c == nil:
		return authResult{reason: "unknown_client"}, ErrInvalidClient
	case matched == nil:
		return authResult{reason: "bad_secret"}, ErrInvalidClient
	case !matched.RevokedAt.IsZero():
		return authResult{reason: "secret_revoked", secretID: matched.ID}, ErrInvalidClient
	case !matched.ExpiresAt.IsZero() && !now.Before(matched.ExpiresAt):
		return authResult{reason: "secret_expired", secretID: matched.ID}, ErrInvalidClient
	case c.Disabled:
		return authResult{reason: "client_disabled", secretID: matched.ID}, ErrInvalidClient
	}
	return authResult{client: c, secretID: matched.ID}, nil
}

// Authenticate checks a client id and secret as the token endpoint does and
// returns the client's description and the id of the secret used. Every
// failure is ErrInvalidClient (or a wrapped ErrUnavailable).
func (r *Registry) Authenticate(ctx context.Context, clientID, secret string) (ClientInfo, string, error) {
	res, err := r.authenticate(ctx, clientID, secret)
	if err != nil {
		return ClientInfo{}, "", err
	}
	return r.info(res.client), res.secretID, nil
}

func active(s *SecretRecord, now time.Time) bool {
	return s.RevokedAt.IsZero() && (s.ExpiresAt.IsZero() || now.Before(s.ExpiresAt))
}

func (r *Registry) info(c *Client) ClientInfo {
	now := r.cfg.Now()
	ci := ClientInfo{
		ID: c.ID, Name: c.Name, Disabled: c.Disabled,
		GrantTypes: slices.Clone(c.GrantTypes), Tenants: slices.Clone(c.Tenants), Scopes: slices.Clone(c.Scopes),
		TokenTTLSeconds: int(c.TokenTTL / time.Second), CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
		Secrets: make([]SecretInfo, 0, len(c.Secrets)), JWKS: slices.Clone(c.JWKS),
	}
	if ci.Tenants == nil {
		ci.Tenants = []string{}
	}
	for i := range c.Secrets {
		ci.Secrets = append(ci.Secrets, secretInfo(&c.Secrets[i], now))
	}
	return ci
}

func secretInfo(s *SecretRecord, now time.Time) SecretInfo {
	return SecretInfo{ID: s.ID, Hint: s.Hint, CreatedAt: s.CreatedAt, ExpiresAt: s.ExpiresAt, RevokedAt: s.RevokedAt, Active: active(s, now)}
}

// canonicalTenants validates, canonicalises, de-duplicates and sorts
// tenants, asking the TenantValidator about each.
func (r *Registry) canonicalTenants(ctx context.Context, in []string) ([]string, error) {
	out := make([]string, 0, len(in))
	for _, t := range in {
		ct, ok := CanonicalTenant(t)
		if !ok {
			return nil, fmt.Errorf("%w: tenants: %q is not a GUID", ErrInvalidInput, sanitize(t, 64))
		}
		if r.cfg.TenantValidator != nil {
			if err := r.cfg.TenantValidator(ctx, ct); err != nil {
				if errors.Is(err, ErrUnavailable) {
					return nil, err
				}
				return nil, fmt.Errorf("%w: %s", ErrUnknownTenant, ct)
			}
		}
		out = append(out, ct)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// CreateClient registers a client with a first secret and returns the
// client's description and the secret's plaintext, which is shown only
// this once.
func (r *Registry) CreateClient(ctx context.Context, nc NewClient, actor string) (ClientInfo, string, error) {
	if err := validateStruct("NewClient", &nc, ErrInvalidInput); err != nil {
		return ClientInfo{}, "", err
	}
	tenants, err := r.canonicalTenants(ctx, nc.Tenants)
	if err != nil {
		return ClientInfo{}, "", err
	}
	if len(nc.JWKS) > 0 {
		if _, err := parseClientJWKS(nc.JWKS); err != nil {
			return ClientInfo{}, "", err
		}
	}
	ttl := time.Duration(nc.TokenTTLSeconds) * time.Second
	if ttl > r.cfg.MaxTokenTTL || (ttl != 0 && ttl < time.Minute) {
		return ClientInfo{}, "", fmt.Errorf("%w: token_ttl_seconds: must be between 60 and %d", ErrInvalidInput, int(r.cfg.MaxTokenTTL/time.Second))
	}
	if nc.ID == "" {
		nc.ID = randomID(24)
	}
	now := r.cfg.Now().UTC()
	plain, rec := r.newSecretRecord(now, 0)
	scopes := slices.Clone(nc.Scopes)
	slices.Sort(scopes)
	c := &Client{
		ID: nc.ID, Name: nc.Name, Tenants: tenants, Scopes: slices.Compact(scopes), TokenTTL: ttl,
		GrantTypes: []string{GrantClientCredentials}, Secrets: []SecretRecord{rec}, CreatedAt: now, UpdatedAt: now,
		JWKS: slices.Clone([]byte(nc.JWKS)),
	}
	if nc.NoClientCredentials {
		c.GrantTypes = []string{}
	}
	if err := r.store.CreateClient(ctx, c); err != nil {
		return ClientInfo{}, "", err
	}
	r.Invalidate(c.ID)
	r.record(ctx, Event{Type: EventClientCreated, ClientID: c.ID, Actor: actor})
	r.record(ctx, Event{Type: EventSecretCreated, ClientID: c.ID, SecretID: rec.ID, Actor: actor})
	return r.info(c), plain, nil
}

func (r *Registry) newSecretRecord(now time.Time, lifetime time.Duration) (string, SecretRecord) {
	plain, id := newSecret()
	if lifetime <= 0 {
		lifetime = r.cfg.SecretLifetime
	}
	d, _ := r.hash.sum(r.hash.alg(), plain)
	return plain, SecretRecord{
		ID: id, Hash: d[:], Alg: r.hash.alg(), Hint: secretHint(plain),
		CreatedAt: now, ExpiresAt: now.Add(lifetime),
	}
}

// GetClient describes one client.
func (r *Registry) GetClient(ctx context.Context, clientID string) (ClientInfo, error) {
	c, err := r.store.GetClient(ctx, clientID)
	if err != nil {
		return ClientInfo{}, err
	}
	return r.info(c), nil
}

// ListClients describes all clients.
func (r *Registry) ListClients(ctx context.Context) ([]ClientInfo, error) {
	cs, err := r.store.ListClients(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]ClientInfo, len(cs))
	for i, c := range cs {
		out[i] = r.info(c)
	}
	return out, nil
}

// update runs fn atomically on the client and invalidates the cache.
func (r *Registry) update(ctx context.Context, clientID string, fn func(*Client, time.Time) error) error {
	now := r.cfg.Now().UTC()
	err := r.store.UpdateClient(ctx, clientID, func(c *Client) error {
		if err := fn(c, now); err != nil {
			return err
		}
		c.UpdatedAt = now
		return nil
	})
	r.Invalidate(clientID)
	return err
}

// maxSecretRecords bounds how many (mostly inactive) secret records a client
// keeps; the oldest inactive ones are pruned first.
const maxSecretRecords = 10

// AddSecret generates a new secret for the client (lifetime 0 means
// SecretLifetime) and returns its plaintext, shown only this once. It fails
// with ErrTooManySecrets when MaxActiveSecrets are already active.
func (r *Registry) AddSecret(ctx context.Context, clientID string, lifetime time.Duration, actor string) (string, SecretInfo, error) {
	if lifetime < 0 {
		return "", SecretInfo{}, fmt.Errorf("%w: lifetime must not be negative", ErrInvalidInput)
	}
	var plain string
	var rec SecretRecord
	err := r.update(ctx, clientID, func(c *Client, now time.Time) error {
		n := 0
		for i := range c.Secrets {
			if active(&c.Secrets[i], now) {
				n++
			}
		}
		if n >= r.cfg.MaxActiveSecrets {
			return ErrTooManySecrets
		}
		for {
			plain, rec = r.newSecretRecord(now, lifetime)
			if !slices.ContainsFunc(c.Secrets, func(s SecretRecord) bool { return s.ID == rec.ID }) {
				break // secret ids are unique within a client (2^-59 collisions, but checked)
			}
		}
		c.Secrets = append(c.Secrets, rec)
		for len(c.Secrets) > maxSecretRecords {
			i := slices.IndexFunc(c.Secrets, func(s SecretRecord) bool { return !active(&s, now) })
			if i < 0 {
				break
			}
			c.Secrets = slices.Delete(c.Secrets, i, i+1)
		}
		return nil
	})
	if err != nil {
		return "", SecretInfo{}, err
	}
	r.record(ctx, Event{Type: EventSecretCreated, ClientID: clientID, SecretID: rec.ID, Actor: actor})
	return plain, secretInfo(&rec, r.cfg.Now()), nil
}

// RevokeSecret revokes one secret at once (idempotent). With
// RevokeTokensOnSecretRevoke the tokens minted with it stop verifying too.
// ErrNotFound if the client or the secret does not exist.
func (r *Registry) RevokeSecret(ctx context.Context, clientID, secretID, actor string) error {
	return r.revokeSecret(ctx, clientID, secretID, actor, nil)
}

// superseded is the self-service revocation rule of SelfServiceFull: a
// secret that is still active may be revoked only when a newer active
// secret exists that is at least grace old. An inactive (revoked or
// expired) secret may always be revoked: that changes nothing.
func superseded(grace time.Duration) func(*Client, int, time.Time) error {
	return func(c *Client, i int, now time.Time) error {
		x := &c.Secrets[i]
		if !active(x, now) {
			return nil
		}
		for j := range c.Secrets {
			s := &c.Secrets[j]
			// Newer: created later, or at the same instant but added after it
			// (the registry appends new secrets).
			newer := s.CreatedAt.After(x.CreatedAt) || (j > i && s.CreatedAt.Equal(x.CreatedAt))
			if j != i && newer && active(s, now) && !now.Before(s.CreatedAt.Add(grace)) {
				return nil
			}
		}
		return ErrOperatorRequired
	}
}

// revokeSecret is RevokeSecret with an optional check run atomically on
// the client record before the change (the self-service rule).
func (r *Registry) revokeSecret(ctx context.Context, clientID, secretID, actor string, check func(*Client, int, time.Time) error) error {
	err := r.update(ctx, clientID, func(c *Client, now time.Time) error {
		i := slices.IndexFunc(c.Secrets, func(s SecretRecord) bool { return s.ID == secretID })
		if i < 0 {
			return fmt.Errorf("secret %q: %w", sanitize(secretID, 32), ErrNotFound)
		}
		if check != nil {
			if err := check(c, i, now); err != nil {
				return err
			}
		}
		if c.Secrets[i].RevokedAt.IsZero() {
			c.Secrets[i].RevokedAt = now
		}
		return nil
	})
	if err != nil {
		return err
	}
	if r.revokeToken && r.deny != nil {
		now := r.cfg.Now()
		if _, err := r.deny.Deny(ctx, secretDenyKey(clientID, secretID), now.Add(r.cfg.MaxTokenTTL+r.cfg.Leeway), now); err != nil {
			return err
		}
	}
	r.record(ctx, Event{Type: EventSecretRevoked, ClientID: clientID, SecretID: secretID, Actor: actor})
	return nil
}

type auditMetaKey struct{}

// auditMeta is the request metadata registry changes made on behalf of an
// HTTP request are audited with.
type auditMeta struct{ ip, ua string }

// withAuditMeta returns ctx carrying the caller's address and User-Agent
// for the registry's audit events.
func withAuditMeta(ctx context.Context, ip, ua string) context.Context {
	return context.WithValue(ctx, auditMetaKey{}, auditMeta{ip: ip, ua: ua})
}

// record audits e, completed with the request metadata in ctx.
func (r *Registry) record(ctx context.Context, e Event) {
	if m, ok := ctx.Value(auditMetaKey{}).(auditMeta); ok {
		if e.RemoteIP == "" {
			e.RemoteIP = m.ip
		}
		if e.UserAgent == "" {
			e.UserAgent = m.ua
		}
	}
	r.audit.Record(ctx, e)
}

func secretDenyKey(clientID, secretID string) string { return "sid:" + clientID + "/" + secretID }

// ListSecrets describes the client's secrets (never hashes or plaintext).
func (r *Registry) ListSecrets(ctx context.Context, clientID string) ([]SecretInfo, error) {
	ci, err := r.GetClient(ctx, clientID)
	if err != nil {
		return nil, err
	}
	return ci.Secrets, nil
}

// SetTenants replaces the tenants the client may request tokens for.
func (r *Registry) SetTenants(ctx context.Context, clientID string, tenants []string, actor string) error {
	ts, err := r.canonicalTenants(ctx, tenants)
	if err != nil {
		return err
	}
	err = r.update(ctx, clientID, func(c *Client, _ time.Time) error { c.Tenants = ts; return nil })
	if err == nil {
		r.record(ctx, Event{Type: EventClientUpdated, ClientID: clientID, Actor: actor, Reason: "tenants"})
	}
	return err
}

// SetTokenTTL sets the client's token lifetime override (0 = default).
func (r *Registry) SetTokenTTL(ctx context.Context, clientID string, ttl time.Duration, actor string) error {
	if ttl != 0 && (ttl < time.Minute || ttl > r.cfg.MaxTokenTTL) {
		return fmt.Errorf("%w: token TTL must be between 1m and MaxTokenTTL", ErrInvalidInput)
	}
	err := r.update(ctx, clientID, func(c *Client, _ time.Time) error { c.TokenTTL = ttl; return nil })
	if err == nil {
		r.record(ctx, Event{Type: EventClientUpdated, ClientID: clientID, Actor: actor, Reason: "token_ttl"})
	}
	return err
}

// SetDisabled disables (true) or re-enables a client. A disabled client
// fails authentication at once on this node and within ClientCacheTTL on
// the others.
func (r *Registry) SetDisabled(ctx context.Context, clientID string, disabled bool, actor string) error {
	err := r.update(ctx, clientID, func(c *Client, _ time.Time) error { c.Disabled = disabled; return nil })
	if err == nil {
		reason := "enabled"
		if disabled {
			reason = "disabled"
		}
		r.record(ctx, Event{Type: EventClientUpdated, ClientID: clientID, Actor: actor, Reason: reason})
	}
	return err
}

// hasGrant reports whether the client may use grant.
func hasGrant(c *Client, grant string) bool { return slices.Contains(c.GrantTypes, grant) }

// scopeAllowed reports whether a non-tenant scope token is granted.
func scopeAllowed(c *Client, s string) bool { return slices.Contains(c.Scopes, s) }

// tenantAllowed reports whether the client may act for tenant (canonical).
func tenantAllowed(c *Client, t string) bool {
	_, ok := slices.BinarySearch(c.Tenants, t)
	return ok || slices.Contains(c.Tenants, t)
}
