package auth

import (
	"encoding/base64"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// OAuth 2.0 error codes used by the token endpoint (RFC 6749 §5.2).
const (
	ErrCodeInvalidRequest         = "invalid_request"
	ErrCodeInvalidClient          = "invalid_client"
	ErrCodeUnauthorizedClient     = "unauthorized_client"
	ErrCodeUnsupportedGrantType   = "unsupported_grant_type"
	ErrCodeInvalidScope           = "invalid_scope"
	ErrCodeTemporarilyUnavailable = "temporarily_unavailable"
	ErrCodeServerError            = "server_error"
)

// Issuer is the token endpoint (RFC 6749 §4.4 client credentials). It is an
// http.Handler for POST requests to the token URL.
type Issuer struct {
	cfg       *Config
	registry  *Registry
	keys      *KeyManager
	failures  failureBudget
	perClient *bucketSet  // nil when ClientTokensPerSecond is 0
	gate      *gate       // requests in progress, in total and per address
	reused    *reuseCache // nil when TokenReuseWindow is negative
	addrs     addrResolver
	audit     Auditor
	basic     string // WWW-Authenticate challenge for invalid_client
	tokenURL  string // accepted client-assertion audience (with the issuer)
	verifier  *Verifier
}

// TokenResponse is the successful token endpoint response (RFC 6749 §5.1).
type TokenResponse struct {
	AccessToken string `json:"access_token"` // the JWT
	TokenType   string `json:"token_type"`   // always "Bearer"
	ExpiresIn   int    `json:"expires_in"`   // lifetime in seconds
	Scope       string `json:"scope"`        // the granted scope: canonical tenant first
}

// setJSONNoStore sets the headers of every token-endpoint response (RFC
// 6749 §5.1): JSON, Cache-Control: no-store, Pragma: no-cache. The three
// values share one fresh backing array (one allocation instead of three;
// never a shared package-level slice a later handler could modify).
func setJSONNoStore(h http.Header) {
	v := make([]string, 3)
	v[0], v[1], v[2] = "application/json;charset=UTF-8", "no-store", "no-cache"
	h["Content-Type"], h["Cache-Control"], h["Pragma"] = v[0:1:1], v[1:2:2], v[2:3:3]
}

// oauthError writes an RFC 6749 §5.2 error with a fixed description.
func writeOAuthError(w http.ResponseWriter, status int, code, desc string) {
	setJSONNoStore(w.Header())
	w.WriteHeader(status)
	// code and desc are constants from this package: no escaping needed.
	_, _ = w.Write([]byte(`{"error":"` + code + `","error_description":"` + desc + `"}`))
}

// formMediaType accepts application/x-www-form-urlencoded, with at most a
// UTF-8 charset parameter; the exact common forms skip the parser.
func formMediaType(ct string) bool {
	switch ct {
	case "application/x-www-form-urlencoded", "application/x-www-form-urlencoded; charset=UTF-8", "application/x-www-form-urlencoded; charset=utf-8":
		return true
	}
	mt, params, err := mime.ParseMediaType(ct)
	return err == nil && mt == "application/x-www-form-urlencoded" && (params["charset"] == "" || strings.EqualFold(params["charset"], "utf-8"))
}

// credParams are form parameters that carry credentials and so must never
// appear in the URL.
var credParams = []string{"client_secret", "client_id", "client_assertion", "grant_type", "scope", "token"}

func (i *Issuer) deny(w http.ResponseWriter, r *http.Request, ip clientAddr, clientID, reason string, status int, code, desc string) {
	i.audit.Record(r.Context(), Event{Type: EventTokenDenied, ClientID: sanitizeClientID(clientID), RemoteIP: ip.ip, Reason: reason, UserAgent: sanitizeUA(r.UserAgent())})
	if code == ErrCodeInvalidClient {
		w.Header().Set("WWW-Authenticate", i.basic)
	}
	writeOAuthError(w, status, code, desc)
}

// ServeHTTP implements the token endpoint. The checks run cheapest first:
// TLS, method, declared body size, media type, the body (read under
// BodyReadTimeout, before the request takes an in-progress place), form
// parsing, grant type, client authentication (with the failure budgets),
// grant, scope, then signing.
func (i *Issuer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ip := i.addrs.resolve(r)
	form, ok := i.readForm(w, r, ip)
	if !ok {
		return
	}
	if !i.hold(w, r, ip) {
		return
	}
	defer i.gate.release(ip.key)
	// 6. Grant type.
	grant := form.Get("grant_type")
	if !form.Has("grant_type") && i.cfg.AllowHyphenGrantType && form.Get("grant-type") != "" {
		grant = form.Get("grant-type")
		i.audit.Record(r.Context(), Event{Type: EventCompatGrantType, RemoteIP: ip.ip, UserAgent: sanitizeUA(r.UserAgent())})
	}
	switch grant {
	case "":
		i.deny(w, r, ip, "", "grant_type_missing", http.StatusBadRequest, ErrCodeInvalidRequest, "grant_type is required")
		return
	case GrantClientCredentials:
	default:
		i.deny(w, r, ip, "", "grant_type_unsupported", http.StatusBadRequest, ErrCodeUnsupportedGrantType, "only client_credentials is supported")
		return
	}
	res, clientID, ok := i.authenticateClient(w, r, ip, form)
	if !ok {
		return
	}
	now := i.cfg.Now()
	c := res.client
	// 11. Grant allowed.
	if !hasGrant(c, GrantClientCredentials) {
		i.deny(w, r, ip, clientID, "grant_not_allowed", http.StatusBadRequest, ErrCodeUnauthorizedClient, "the client may not use client_credentials")
		return
	}
	// 12. Scope.
	tenant, extra, ok := i.grantScope(c, form.Get("scope"))
	if ok && i.cfg.TenantValidator != nil {
		if err := i.cfg.TenantValidator(r.Context(), tenant); err != nil {
			if errors.Is(err, ErrUnavailable) {
				i.cfg.Logger.ErrorContext(r.Context(), "auth: tenant check unavailable", "error", err.Error())
				i.deny(w, r, ip, clientID, "tenant_check_unavailable", http.StatusServiceUnavailable, ErrCodeTemporarilyUnavailable, "the service is temporarily unavailable")
				return
			}
			i.reused.forgetTenant(tenant) // no token of a refused tenant is handed out again
			ok = false
		}
	}
	if !ok {
		i.deny(w, r, ip, clientID, "scope", http.StatusBadRequest, ErrCodeInvalidScope, "the requested scope is not allowed for this client")
		return
	}
	if i.perClient != nil {
		if wait, ok := i.perClient.take(c.ID, now); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds(wait)))
			i.deny(w, r, ip, clientID, "client_rate_limited", http.StatusTooManyRequests, ErrCodeTemporarilyUnavailable, "too many token requests; retry later")
			return
		}
	}
	ttl := i.cfg.TokenTTL
	if c.TokenTTL > 0 {
		ttl = min(c.TokenTTL, i.cfg.MaxTokenTTL)
	}
	// 13a. The token-per-request path: a token minted moments ago for the
	// same client record, secret, tenant, scopes and lifetime (see reuse.go).
	var rk reuseKey
	if i.reused != nil {
		rk = reuseKey{client: c.ID, secret: res.secretID, tenant: tenant, ttl: ttl}
		if len(extra) > 0 {
			rk.scopes = strings.Join(extra, " ")
		}
		if e, body, ok := i.reuse(r.Context(), rk, c, now); ok {
			setJSONNoStore(w.Header())
			_, _ = w.Write(body)
			i.audit.Record(r.Context(), Event{Type: EventTokenIssued, ClientID: c.ID, SecretID: res.secretID, Tenant: tenant,
				JTI: e.p.JTI, ExpiresAt: e.p.ExpiresAt, RemoteIP: ip.ip, UserAgent: sanitizeUA(r.UserAgent())})
			return
		}
	}
	// 13b. Sign.
	buf := make([]byte, 0, 768) // an ES256 token response is about 700 bytes
	buf = append(buf, `{"access_token":"`...)
	buf, mt, err := i.keys.mint(r.Context(), i.cfg, c.ID, res.secretID, tenant, extra, ttl, buf)
	if err != nil {
		i.cfg.Logger.ErrorContext(r.Context(), "auth: signing failed", "error", err.Error())
		i.deny(w, r, ip, clientID, "signing_failed", http.StatusInternalServerError, ErrCodeServerError, "internal error")
		return
	}
	// 14. Response.
	setJSONNoStore(w.Header())
	buf = append(buf, `","token_type":"Bearer","expires_in":`...)
	buf = strconv.AppendInt(buf, int64(ttl/time.Second), 10)
	buf = append(buf, `,"scope":"`...)
	buf = append(buf, mt.scope...) // canonical GUID and validated scope tokens: no escaping needed
	buf = append(buf, `"}`...)
	_, _ = w.Write(buf)
	// The token's first use on this node need not verify the signature we
	// just made: seed the verifier's cache (same checks on use as any hit).
	p := &Principal{
		ClientID: c.ID, TenantID: tenant, Scopes: append([]string{tenant}, extra...), JTI: mt.jti,
		SecretID: res.secretID, IssuedAt: mt.iat, ExpiresAt: mt.exp,
	}
	if i.verifier != nil && i.verifier.cache != nil {
		i.verifier.cache.put(mt.token, cachedToken{p: p, kid: mt.kid}, now)
	}
	if i.reused != nil {
		i.reused.put(rk, c, mt, p, ttl, now)
	}
	// 15. Audit.
	i.audit.Record(r.Context(), Event{Type: EventTokenIssued, ClientID: c.ID, SecretID: res.secretID, Tenant: tenant,
		JTI: mt.jti, ExpiresAt: mt.exp, RemoteIP: ip.ip, UserAgent: sanitizeUA(r.UserAgent())})
}

// hold takes an in-progress place for ip (total and per address) or
// answers 429. Only requests whose body has been read get here.
func (i *Issuer) hold(w http.ResponseWriter, r *http.Request, ip clientAddr) bool {
	if i.gate.acquire(ip.key) {
		return true
	}
	w.Header().Set("Retry-After", "1")
	i.deny(w, r, ip, "", "overloaded", http.StatusTooManyRequests, ErrCodeTemporarilyUnavailable, "too many concurrent requests")
	return false
}

// tlsOK reports whether r arrived over TLS (or, with TrustForwardedProto,
// from a proxy that says it did).
func (i *Issuer) tlsOK(r *http.Request) bool {
	if !i.cfg.RequireTLS || r.TLS != nil {
		return true
	}
	return i.cfg.TrustForwardedProto && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") &&
		(len(i.addrs.proxies) == 0 || i.addrs.peerTrusted(r))
}

// readForm runs steps 1-5 shared by the token and revocation endpoints:
// TLS, method, the declared body size, the media type, reading the body
// under BodyReadTimeout and parsing it (no credentials in the URL, no
// repeated parameter). On failure it has written the response.
func (i *Issuer) readForm(w http.ResponseWriter, r *http.Request, ip clientAddr) (formParams, bool) {
	// 1. TLS.
	if !i.tlsOK(r) {
		i.deny(w, r, ip, "", "tls_required", http.StatusBadRequest, ErrCodeInvalidRequest, "TLS is required")
		return nil, false
	}
	// 2. Method.
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		i.deny(w, r, ip, "", "method", http.StatusMethodNotAllowed, ErrCodeInvalidRequest, "this endpoint accepts POST only")
		return nil, false
	}
	// 3. Declared size: refused before anything is read.
	if r.ContentLength > i.cfg.MaxBodyBytes {
		w.Header().Set("Connection", "close")
		i.deny(w, r, ip, "", "body_too_large", http.StatusRequestEntityTooLarge, ErrCodeInvalidRequest, "the body is too large")
		return nil, false
	}
	// 4. Media type.
	if !formMediaType(r.Header.Get("Content-Type")) {
		i.deny(w, r, ip, "", "media_type", http.StatusBadRequest, ErrCodeInvalidRequest, "the body must be application/x-www-form-urlencoded")
		return nil, false
	}
	// 5. Body, under its deadline, then the form: body only; no
	// credentials in the URL; no repeated parameter.
	bp, berr := readBody(w, r, i.cfg.MaxBodyBytes, i.cfg.BodyReadTimeout)
	switch berr {
	case bodyOK:
	case bodyTimeout:
		w.Header().Set("Connection", "close")
		i.deny(w, r, ip, "", "body_timeout", http.StatusRequestTimeout, ErrCodeInvalidRequest, "the body was not received in time")
		return nil, false
	default:
		i.deny(w, r, ip, "", "bad_body", http.StatusBadRequest, ErrCodeInvalidRequest, "the body could not be parsed")
		return nil, false
	}
	form, err := parseForm(string(*bp))
	putBody(bp)
	if err != nil {
		i.deny(w, r, ip, "", "bad_body", http.StatusBadRequest, ErrCodeInvalidRequest, "the body could not be parsed")
		return nil, false
	}
	if r.URL.RawQuery != "" {
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			i.deny(w, r, ip, "", "bad_body", http.StatusBadRequest, ErrCodeInvalidRequest, "the body could not be parsed")
			return nil, false
		}
		for _, p := range credParams {
			if _, ok := q[p]; ok {
				i.deny(w, r, ip, "", "params_in_query", http.StatusBadRequest, ErrCodeInvalidRequest, "parameters must be sent in the body, not the URL")
				return nil, false
			}
		}
	}
	if form.repeated() {
		i.deny(w, r, ip, "", "duplicate_param", http.StatusBadRequest, ErrCodeInvalidRequest, "a parameter was sent more than once")
		return nil, false
	}
	return form, true
}

// authenticateClient runs steps 7-10: exactly one client authentication
// method and its check. A failure is charged to the failure budgets of
// (address, client id) and of the client id; when either was already spent
// the failure is answered 429 instead of 401. Right credentials are never
// refused because of failures, whoever made them.
func (i *Issuer) authenticateClient(w http.ResponseWriter, r *http.Request, ip clientAddr, form formParams) (authResult, string, bool) {
	var err error
	var res authResult
	clientID := form.Get("client_id")
	if form.Get("client_assertion") != "" || form.Get("client_assertion_type") != "" {
		// 8-10 for private_key_jwt: no other method, the registered type,
		// a signature by one of the client's keys, an unused jti.
		_, hasAuthz := r.Header["Authorization"]
		if hasAuthz || form.Get("client_secret") != "" {
			i.deny(w, r, ip, "", "auth_methods", http.StatusBadRequest, ErrCodeInvalidRequest, "malformed client authentication")
			return authResult{}, "", false
		}
		if form.Get("client_assertion_type") != ClientAssertionType {
			res, err = authResult{reason: "assertion_type"}, ErrInvalidClient
		} else {
			res, err = i.registry.authenticateAssertion(r.Context(), clientID, form.Get("client_assertion"), i.tokenURL)
		}
	} else {
		// 8. Credentials: exactly one method.
		var secret, code string
		var ok bool
		clientID, secret, code, ok = credentials(r, form)
		if !ok {
			if code == ErrCodeInvalidClient {
				i.authFailed(w, r, ip, clientID, "bad_credentials")
			} else {
				i.deny(w, r, ip, "", "auth_methods", http.StatusBadRequest, ErrCodeInvalidRequest, "malformed client authentication")
			}
			return authResult{}, "", false
		}
		// 9-10. Client and secret.
		res, err = i.registry.authenticate(r.Context(), clientID, secret)
	}
	if err != nil {
		if errors.Is(err, ErrInvalidClient) {
			i.authFailed(w, r, ip, clientID, res.reason)
			return authResult{}, "", false
		}
		i.deny(w, r, ip, clientID, "store_unavailable", http.StatusServiceUnavailable, ErrCodeTemporarilyUnavailable, "the service is temporarily unavailable")
		return authResult{}, "", false
	}
	if clientID == "" {
		clientID = res.client.ID
	}
	return res, clientID, true
}

// authFailed answers a failed client authentication: 401 invalid_client,
// or 429 with Retry-After when the failure budget of (address, client id)
// or of the client id was already spent.
func (i *Issuer) authFailed(w http.ResponseWriter, r *http.Request, ip clientAddr, clientID, reason string) {
	if wait, over := i.chargeFailure(r, ip, clientID); over {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds(wait)))
		i.deny(w, r, ip, clientID, "rate_limited", http.StatusTooManyRequests, ErrCodeTemporarilyUnavailable, "too many failed attempts; retry later")
		return
	}
	i.deny(w, r, ip, clientID, reason, http.StatusUnauthorized, ErrCodeInvalidClient, "client authentication failed")
}

// chargeFailure charges one failed authentication of clientID (as sent,
// known or not, so that the answer tells nothing about which ids exist)
// from ip, audits a budget that just ran dry, and reports whether the
// budget was already spent before this failure.
func (i *Issuer) chargeFailure(r *http.Request, ip clientAddr, clientID string) (time.Duration, bool) {
	now := i.cfg.Now()
	id := sanitizeClientID(clientID)
	wait, over := i.failures.over(ip, id, now)
	pairDry, clientDry := i.failures.charge(ip, id, now)
	if pairDry {
		i.audit.Record(r.Context(), Event{Type: EventFailuresExceeded, ClientID: id, RemoteIP: ip.ip, Reason: "address_client"})
	}
	if clientDry {
		i.audit.Record(r.Context(), Event{Type: EventFailuresExceeded, ClientID: id, Reason: "client"})
	}
	return wait, over
}

// maxAuthorizationBytes caps the Authorization header of token and
// registration requests (Go's server allows 1 MB of headers by default).
const maxAuthorizationBytes = 4096

// credentials extracts the client credentials from exactly one method.
// On failure code says which error applies (invalid_request for two methods
// or a bad % escape, invalid_client for missing or undecodable credentials);
// clientID is returned when known, for the audit trail.
func credentials(r *http.Request, form formParams) (clientID, secret, code string, ok bool) {
	// RFC 6749 §3.2: a parameter sent without a value counts as omitted.
	authz, hasAuthz := r.Header["Authorization"]
	bodySecret := form.Get("client_secret") != ""
	if !hasAuthz {
		clientID, secret = form.Get("client_id"), form.Get("client_secret")
		if clientID == "" || !bodySecret {
			return clientID, "", ErrCodeInvalidClient, false
		}
		return clientID, secret, "", true
	}
	if len(authz) != 1 || len(authz[0]) > maxAuthorizationBytes {
		return "", "", ErrCodeInvalidRequest, false
	}
	const prefix = "basic "
	a := authz[0]
	if len(a) < len(prefix) || !strings.EqualFold(a[:len(prefix)], prefix) {
		return "", "", ErrCodeInvalidClient, false // another scheme: no usable client authentication
	}
	if bodySecret {
		return "", "", ErrCodeInvalidRequest, false // RFC 6749 §2.3: one method only
	}
	raw, err := base64.StdEncoding.DecodeString(a[len(prefix):])
	if err != nil {
		return "", "", ErrCodeInvalidClient, false
	}
	id, sec, found := strings.Cut(string(raw), ":")
	if !found {
		return "", "", ErrCodeInvalidClient, false
	}
	// RFC 6749 §2.3.1: both halves are form-urlencoded before base64.
	if id, err = url.QueryUnescape(id); err != nil {
		return "", "", ErrCodeInvalidRequest, false
	}
	if sec, err = url.QueryUnescape(sec); err != nil {
		return "", "", ErrCodeInvalidRequest, false
	}
	if bid := form.Get("client_id"); bid != "" && bid != id {
		return "", "", ErrCodeInvalidRequest, false
	}
	if id == "" || sec == "" {
		return id, "", ErrCodeInvalidClient, false
	}
	return id, sec, "", true
}

// grantScope checks the requested scope: exactly one tenant GUID (any case)
// that the client may use, plus only extra scope tokens the client was
// granted. No partial grants. (ServeHTTP then asks the TenantValidator.)
func (i *Issuer) grantScope(c *Client, scope string) (tenant string, extra []string, ok bool) {
	if len(scope) > 4096 {
		return "", nil, false
	}
	for rest := scope; rest != ""; {
		var tok string
		if tok, rest, _ = strings.Cut(rest, " "); tok == "" {
			continue
		}
		if t, isGUID := CanonicalTenant(tok); isGUID {
			if tenant != "" && tenant != t {
				return "", nil, false
			}
			tenant = t
			continue
		}
		if !validScopeToken(tok) || !scopeAllowed(c, tok) {
			return "", nil, false
		}
		if !containsStr(extra, tok) {
			extra = append(extra, tok)
		}
	}
	if tenant == "" || !tenantAllowed(c, tenant) {
		return "", nil, false
	}
	return tenant, extra, true
}

func containsStr(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// sanitizeUA bounds a User-Agent for audit events.
func sanitizeUA(ua string) string {
	if len(ua) > 200 {
		ua = ua[:200]
	}
	clean := true
	for i := 0; i < len(ua) && clean; i++ {
		clean = ua[i] >= 0x20 && ua[i] <= 0x7e
	}
	if clean {
		return ua
	}
	b := []byte(ua)
	for k, c := range b {
		if c < 0x20 || c > 0x7e {
			b[k] = '?'
		}
	}
	return string(b)
}
