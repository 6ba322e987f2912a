package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Server bundles the authorization server: the token endpoint ([Issuer]),
// the bearer [Verifier], the client [Registry], the [KeyManager], the
// discovery documents and the registration API, all built from one [Config]
// and one [Store].
type Server struct {
	cfg      Config
	store    Store
	endpts   Endpoints
	registry *Registry
	keys     *KeyManager
	issuer   *Issuer
	verifier *Verifier
	admin    *Admin
}

// New validates cfg, applies its defaults and builds a Server over store.
// It loads the signing keys and, when none is active, creates one, so the
// returned Server can issue tokens at once.
func New(ctx context.Context, cfg Config, store Store) (*Server, error) {
	if store == nil {
		return nil, fmt.Errorf("%w: store is nil", ErrInvalidConfig)
	}
	cfg.applyDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	sealer, err := NewSealer(cfg.SealKey)
	if err != nil {
		return nil, fmt.Errorf("%w: Config.SealKey: %v", ErrInvalidConfig, err)
	}
	proxies, _ := parseProxies(cfg.TrustedProxies) // validated above
	s := &Server{cfg: cfg, store: store, endpts: cfg.Endpoints()}
	c := &s.cfg
	s.keys = newKeyManager(c, store, sealer, c.Auditor)
	s.registry = newRegistry(c, store, store, c.Auditor)
	s.issuer = &Issuer{
		cfg: c, registry: s.registry, keys: s.keys, audit: c.Auditor,
		failures: failureBudget{
			pair:   newBucketSet(c.FailedAuthPerMinute, c.FailedAuthBurst, c.MaxTrackedIPs),
			client: newBucketSet(c.ClientFailedAuthPerMinute, c.ClientFailedAuthBurst, c.MaxTrackedIPs),
		},
		gate:     newGate(c.MaxInFlight, c.MaxInFlightPerAddress),
		reused:   newReuseCache(c.TokenReuseWindow, c.MaxTrackedIPs),
		addrs:    addrResolver{custom: c.ClientIP, proxies: proxies},
		tokenURL: s.endpts.Token,
		basic:    `Basic realm="` + strings.NewReplacer(`"`, "", `\`, "").Replace(c.Issuer) + `"`,
	}
	if c.ClientTokensPerSecond > 0 {
		s.issuer.perClient = newBucketSet(c.ClientTokensPerSecond*60, c.ClientTokensBurst, c.MaxTrackedIPs)
	}
	vc := VerifierConfig{
		Issuer: c.Issuer, Audience: c.Audience, Keys: s.keys, Leeway: c.Leeway, MaxTokenTTL: c.MaxTokenTTL,
		MaxTokenBytes: c.MaxTokenBytes, Realm: c.Realm, Auditor: c.Auditor, Logger: c.Logger, Now: c.Now,
	}
	if c.DenyList {
		vc.DenyList = store
		vc.SecretRevocation = c.RevokeTokensOnSecretRevoke
	}
	vc.Active = s.principalActive
	if s.verifier, err = NewVerifier(vc); err != nil {
		return nil, err
	}
	s.issuer.verifier = s.verifier
	s.admin = newAdmin(s)
	// A SealKey that cannot open the active key fails here, at start-up,
	// rather than letting this node generate keys the others cannot open.
	if err := s.keys.Refresh(ctx); err != nil {
		if errors.Is(err, ErrUnseal) {
			return nil, fmt.Errorf("%w: Config.SealKey: %w", ErrInvalidConfig, err)
		}
		return nil, err
	}
	if _, err := s.keys.signer(ctx); err != nil {
		if err := s.keys.Maintain(ctx); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Run performs the background upkeep every interval until ctx is done: the
// signing-key schedule ([KeyManager.Maintain]) and purging expired
// deny-list entries. Run it on every node (it is idempotent); a minute is a
// good interval. Failures are reported as audit events and retried.
func (s *Server) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		s.maintain(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *Server) maintain(ctx context.Context) {
	if err := s.keys.Maintain(ctx); err != nil && ctx.Err() == nil {
		s.cfg.Auditor.Record(ctx, Event{Type: EventKeyMaintenanceFailed, Reason: "store_error"})
		s.cfg.Logger.ErrorContext(ctx, "auth: key maintenance failed", "error", err.Error())
	}
	if _, err := s.store.PurgeDenied(ctx, s.cfg.Now()); err != nil && ctx.Err() == nil {
		s.cfg.Logger.ErrorContext(ctx, "auth: deny-list purge failed", "error", err.Error())
	}
}

// principalActive is the VerifierConfig.Active of the server's verifiers:
// the token's client still exists, is enabled and still has the token's
// tenant (through the client cache: within ClientCacheTTL of a change on
// another node, at once for one made here), and the TenantValidator, when
// set, still accepts the tenant.
func (s *Server) principalActive(ctx context.Context, p *Principal) error {
	c, err := s.registry.cached(ctx, p.ClientID)
	if err != nil {
		return fmt.Errorf("%w: client registry: %w", ErrUnavailable, err)
	}
	switch {
	case c == nil:
		return errors.New("client removed")
	case c.Disabled:
		return errors.New("client disabled")
	case !tenantAllowed(c, p.TenantID):
		return errors.New("tenant no longer granted to the client")
	}
	if tv := s.cfg.TenantValidator; tv != nil {
		if err := tv(ctx, p.TenantID); err != nil {
			return fmt.Errorf("tenant check: %w", err)
		}
	}
	return nil
}

// Config returns the effective configuration (defaults applied).
func (s *Server) Config() Config { return s.cfg }

// Endpoints returns the public URLs (same values the handlers and discovery
// documents use; give Token to the capability statement's oauth-uris).
func (s *Server) Endpoints() Endpoints { return s.endpts }

// Issuer returns the token endpoint handler.
func (s *Server) Issuer() *Issuer { return s.issuer }

// VerifierConfig returns the configuration of the server's verifier, to
// build a variant with [NewVerifier] (e.g. with TenantFromRequest or an
// ErrorBody writing OperationOutcomes). Its Active is the server's check of
// the token's client and tenant; a variant that adds a check should call it
// first.
func (s *Server) VerifierConfig() VerifierConfig { return s.verifier.cfg }

// RevokeToken puts a token id on the deny-list until exp (RFC 7009 style
// access-token revocation). It only has an effect when Config.DenyList is on.
func (s *Server) RevokeToken(ctx context.Context, jti string, exp time.Time) error {
	_, err := s.store.Deny(ctx, "jti:"+jti, exp.Add(s.cfg.Leeway), s.cfg.Now())
	s.issuer.reused.forgetJTI(jti)
	return err
}

// ClientAddress returns the caller's address as the token endpoint sees it
// (Config.ClientIP, else the connection's peer, or the first untrusted
// X-Forwarded-For address behind TrustedProxies) and the key its
// per-address limits use (the address; an IPv6 address's /64). Other
// handlers that limit per address (the operator portal's sign-in) use it so
// they agree with the token endpoint on who the caller is.
func (s *Server) ClientAddress(r *http.Request) (ip, key string) {
	a := s.issuer.addrs.resolve(r)
	return a.ip, a.key
}

// Verifier returns the bearer verifier.
func (s *Server) Verifier() *Verifier { return s.verifier }

// Registry returns the client registry.
func (s *Server) Registry() *Registry { return s.registry }

// Keys returns the signing-key manager.
func (s *Server) Keys() *KeyManager { return s.keys }

// Admin returns the registration API handler (mount it under
// RegistrationURL's path with http.StripPrefix).
func (s *Server) Admin() *Admin { return s.admin }

// Handler serves the public endpoints at the paths of their configured
// URLs: the token endpoint, the JWKS, the RFC 8414 metadata and, with
// DenyList, the RFC 7009 revocation endpoint. Mount the
// SMART configuration under each FHIR base ([Server.SMARTConfiguration]).
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle(urlPath(s.endpts.Token), s.issuer)
	mux.Handle(urlPath(s.endpts.JWKS), s.keys.JWKS())
	mux.Handle(urlPath(s.endpts.Metadata), s.Metadata())
	if s.endpts.Revocation != "" {
		mux.Handle(urlPath(s.endpts.Revocation), s.issuer.Revocation())
	}
	return mux
}

func urlPath(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Path == "" {
		return "/"
	}
	return u.Path
}

// AuthorizationServerMetadata is the RFC 8414 document.
type AuthorizationServerMetadata struct {
	Issuer                            string   `json:"issuer"`                                           // the iss of our tokens
	TokenEndpoint                     string   `json:"token_endpoint"`                                   // Endpoints.Token
	JWKSURI                           string   `json:"jwks_uri"`                                         // Endpoints.JWKS
	RegistrationEndpoint              string   `json:"registration_endpoint,omitempty"`                  // Endpoints.Registration
	RevocationEndpoint                string   `json:"revocation_endpoint,omitempty"`                    // Endpoints.Revocation
	ResponseTypesSupported            []string `json:"response_types_supported"`                         // always empty: no authorization endpoint
	GrantTypesSupported               []string `json:"grant_types_supported"`                            // client_credentials
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`            // secret basic/post, private_key_jwt
	TokenEndpointAuthSigningAlgs      []string `json:"token_endpoint_auth_signing_alg_values_supported"` // client-assertion algorithms
}

// SMARTConfiguration is the /.well-known/smart-configuration document
// (SMART App Launch, Backend Services).
type SMARTConfiguration struct {
	Issuer                            string   `json:"issuer"`                                           // the iss of our tokens
	JWKSURI                           string   `json:"jwks_uri"`                                         // Endpoints.JWKS
	TokenEndpoint                     string   `json:"token_endpoint"`                                   // Endpoints.Token
	RegistrationEndpoint              string   `json:"registration_endpoint,omitempty"`                  // Endpoints.Registration
	GrantTypesSupported               []string `json:"grant_types_supported"`                            // client_credentials
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`            // secret basic/post, private_key_jwt
	TokenEndpointAuthSigningAlgs      []string `json:"token_endpoint_auth_signing_alg_values_supported"` // client-assertion algorithms
	Capabilities                      []string `json:"capabilities"`                                     // client-confidential-symmetric/-asymmetric
	CodeChallengeMethodsSupported     []string `json:"code_challenge_methods_supported"`                 // S256 (required by SMART)
	ScopesSupported                   []string `json:"scopes_supported,omitempty"`                       // unused: scopes are tenant GUIDs
}

var authMethods = []string{"client_secret_basic", "client_secret_post", "private_key_jwt"}

// MetadataDocument returns the RFC 8414 document.
func (s *Server) MetadataDocument() AuthorizationServerMetadata {
	return AuthorizationServerMetadata{
		Issuer: s.endpts.Issuer, TokenEndpoint: s.endpts.Token, JWKSURI: s.endpts.JWKS,
		RegistrationEndpoint: s.endpts.Registration, RevocationEndpoint: s.endpts.Revocation, ResponseTypesSupported: []string{},
		GrantTypesSupported: []string{GrantClientCredentials}, TokenEndpointAuthMethodsSupported: authMethods,
		TokenEndpointAuthSigningAlgs: assertionAlgs,
	}
}

// SMARTDocument returns the SMART configuration document.
func (s *Server) SMARTDocument() SMARTConfiguration {
	return SMARTConfiguration{
		Issuer: s.endpts.Issuer, JWKSURI: s.endpts.JWKS, TokenEndpoint: s.endpts.Token,
		RegistrationEndpoint: s.endpts.Registration, GrantTypesSupported: []string{GrantClientCredentials},
		TokenEndpointAuthMethodsSupported: authMethods, TokenEndpointAuthSigningAlgs: assertionAlgs,
		Capabilities:                  []string{"client-confidential-symmetric", "client-confidential-asymmetric"},
		CodeChallengeMethodsSupported: []string{"S256"},
	}
}

func jsonDoc(v any) http.Handler {
	body, _ := json.Marshal(v)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "public, max-age=3600")
		if r.Method == http.MethodGet {
			_, _ = w.Write(body)
		}
	})
}

// Metadata serves the RFC 8414 authorization server metadata (public).
func (s *Server) Metadata() http.Handler { return jsonDoc(s.MetadataDocument()) }

// SMARTConfiguration serves /.well-known/smart-configuration (public).
func (s *Server) SMARTConfiguration() http.Handler { return jsonDoc(s.SMARTDocument()) }

// JWKS serves the JSON Web Key Set (public).
func (s *Server) JWKS() http.Handler { return s.keys.JWKS() }
