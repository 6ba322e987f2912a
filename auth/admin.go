package auth

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Admin is the registration API (JSON over HTTP). Operator routes require
// "Authorization: Bearer <OperatorToken>" (compared in constant time);
// self-service routes require the client's own credentials with HTTP Basic
// (form-encoded per RFC 6749 §2.3.1), so the Patients app can rotate its
// secret itself. Routes, relative to where it is mounted:
//
//	POST   /clients                         operator: create a client (returns its first secret once)
//	GET    /clients                         operator: list clients (never hashes)
//	GET    /clients/{id}                    operator: describe one client
//	PUT    /clients/{id}/tenants            operator: {"tenants":[...]} replace the tenant list
//	PUT    /clients/{id}/token_ttl          operator: {"token_ttl_seconds":N}
//	PUT    /clients/{id}/jwks               operator: {"jwks":{"keys":[...]}} public keys for private_key_jwt
//	POST   /clients/{id}/disable            operator: disable the client
//	POST   /clients/{id}/enable             operator: enable the client
//	POST   /clients/{id}/secrets            operator: add a secret {"lifetime_seconds":N}
//	DELETE /clients/{id}/secrets/{sid}      operator: revoke a secret
//	GET    /self/secrets                    client: list its secrets (unless SelfServiceOff)
//	POST   /self/secrets                    client: add a secret (at most MaxActiveSecrets active; unless SelfServiceOff)
//	DELETE /self/secrets/{sid}              client: revoke a superseded secret (SelfServiceFull only)
//
// Like the token endpoint, a request takes an in-progress place only once
// its body has been read (under BodyReadTimeout; a declared body over
// MaxBodyBytes gets 413 at once), and failed authentications count against
// the same failure budgets: right credentials are always served.
// Self-service changes are audited with Actor "client" and the caller's
// address; refusals by the policy as admin.denied.
type Admin struct {
	s        *Server
	mux      *http.ServeMux
	operator [32]byte
	enabled  bool
}

func newAdmin(s *Server) *Admin {
	a := &Admin{s: s, mux: http.NewServeMux()}
	if s.cfg.OperatorToken != "" {
		a.operator, a.enabled = sha256.Sum256([]byte(s.cfg.OperatorToken)), true
	}
	op := func(pattern string, h func(w http.ResponseWriter, r *http.Request)) {
		a.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			if !a.operatorOK(w, r) {
				return
			}
			h(w, r)
		})
	}
	op("POST /clients", a.createClient)
	op("GET /clients", a.listClients)
	op("GET /clients/{id}", a.getClient)
	op("PUT /clients/{id}/tenants", a.setTenants)
	op("PUT /clients/{id}/token_ttl", a.setTTL)
	op("PUT /clients/{id}/jwks", a.setJWKS)
	op("POST /clients/{id}/disable", a.setDisabled(true))
	op("POST /clients/{id}/enable", a.setDisabled(false))
	op("POST /clients/{id}/secrets", a.addSecret(false))
	op("DELETE /clients/{id}/secrets/{sid}", a.revokeSecret(false))
	a.mux.HandleFunc("GET /self/secrets", a.selfList)
	a.mux.HandleFunc("POST /self/secrets", a.addSecret(true))
	a.mux.HandleFunc("DELETE /self/secrets/{sid}", a.revokeSecret(true))
	return a
}

// SelfServicePolicy is what a client may do to its own secrets on the
// registration API with its own credentials (Config.SelfService).
type SelfServicePolicy string

// Self-service policies, from the strictest.
const (
	// SelfServiceOff refuses every self-service route (403): only the
	// operator manages secrets.
	SelfServiceOff SelfServicePolicy = "off"
	// SelfServiceAddOnly lets a client list its secrets and add one (up to
	// MaxActiveSecrets); revoking needs the operator, and old secrets end
	// at their expiry.
	SelfServiceAddOnly SelfServicePolicy = "add-only"
	// SelfServiceFull (the default) also lets a client revoke a secret once
	// it is superseded: a newer active secret exists and is at least
	// SelfServiceGrace old. Revoking the newest secret older than the grace
	// period, or a secret younger than it, needs the operator. This is the
	// rotation the Patients app expects (add a second secret, switch, then
	// revoke the old one), without letting a leaked secret lock the real
	// client out before the operator has seen the secret.created event.
	SelfServiceFull SelfServicePolicy = "full"
)

// ErrOperatorRequired is returned when a self-service change is refused by
// the policy: only the operator may make it.
var ErrOperatorRequired = errors.New("auth: this change needs the operator")

// ServeHTTP implements http.Handler.
func (a *Admin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	is := a.s.issuer
	if !is.tlsOK(r) {
		writeJSONError(w, http.StatusBadRequest, ErrCodeInvalidRequest, "TLS is required")
		return
	}
	ip := is.addrs.resolve(r)
	// The body is read before the request takes an in-progress place, so
	// clients that never finish a body cannot hold the operator out.
	bp, berr := readBody(w, r, a.s.cfg.MaxBodyBytes, a.s.cfg.BodyReadTimeout)
	switch berr {
	case bodyOK:
	case bodyTooLarge:
		w.Header().Set("Connection", "close")
		writeJSONError(w, http.StatusRequestEntityTooLarge, ErrCodeInvalidRequest, "the body is too large")
		return
	case bodyTimeout:
		w.Header().Set("Connection", "close")
		writeJSONError(w, http.StatusRequestTimeout, ErrCodeInvalidRequest, "the body was not received in time")
		return
	default:
		writeJSONError(w, http.StatusBadRequest, ErrCodeInvalidRequest, "the body could not be read")
		return
	}
	defer putBody(bp)
	if !is.gate.acquire(ip.key) {
		w.Header().Set("Retry-After", "1")
		writeJSONError(w, http.StatusTooManyRequests, ErrCodeTemporarilyUnavailable, "too many concurrent requests")
		return
	}
	defer is.gate.release(ip.key)
	r = r.WithContext(withAuditMeta(r.Context(), ip.ip, sanitizeUA(r.UserAgent())))
	r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(*bp)), int64(len(*bp))
	a.mux.ServeHTTP(w, r)
}

func writeJSONError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// operatorID is the failure-budget key of operator-token attempts (not a
// valid client id, so it cannot share a client's budget).
const operatorID = "<operator>"

// authFailed answers a failed authentication on the registration API: it
// charges the failure budgets as the token endpoint does and answers 401
// with challenge and code, or 429 with Retry-After once the budget is spent.
func (a *Admin) authFailed(w http.ResponseWriter, r *http.Request, clientID, challenge, code, reason string) {
	ip := a.s.issuer.addrs.resolve(r)
	wait, over := a.s.issuer.chargeFailure(r, ip, clientID)
	a.s.cfg.Auditor.Record(r.Context(), Event{Type: EventAdminDenied, ClientID: sanitizeClientID(clientID), Reason: reason, RemoteIP: ip.ip, Path: pathOnly(r.URL.Path)})
	if over {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds(wait)))
		writeJSONError(w, http.StatusTooManyRequests, ErrCodeTemporarilyUnavailable, "too many failed attempts; retry later")
		return
	}
	w.Header().Set("WWW-Authenticate", challenge)
	writeJSONError(w, http.StatusUnauthorized, code, "authentication failed")
}

// operatorOK checks the operator's bearer token. A failure is an RFC 6750
// answer: a bare Bearer challenge when no bearer token was sent, and
// error="invalid_token" when a wrong one was.
func (a *Admin) operatorOK(w http.ResponseWriter, r *http.Request) bool {
	const prefix = "bearer "
	h := r.Header.Get("Authorization")
	ok, sent := false, false
	if len(h) > len(prefix) && len(h) <= maxAuthorizationBytes && strings.EqualFold(h[:len(prefix)], prefix) {
		sent = true
		sum := sha256.Sum256([]byte(h[len(prefix):]))
		ok = subtle.ConstantTimeCompare(sum[:], a.operator[:]) == 1 && a.enabled
	}
	if !ok {
		challenge, code := `Bearer realm="operator"`, "unauthorized"
		if sent {
			challenge, code = `Bearer realm="operator", error="invalid_token"`, ErrCodeInvalidToken
		}
		a.authFailed(w, r, operatorID, challenge, code, "operator_auth")
	}
	return ok
}

// selfAuth authenticates a client with HTTP Basic for self-service routes
// (body credentials are not accepted here), after checking that the policy
// allows self-service at all.
func (a *Admin) selfAuth(w http.ResponseWriter, r *http.Request) (string, bool) {
	if a.s.cfg.SelfService == SelfServiceOff {
		a.policyRefused(w, r, "", "self_service_off", "self-service secret management is off; ask the operator")
		return "", false
	}
	var id string
	if _, hasAuthz := r.Header["Authorization"]; hasAuthz {
		var secret string
		var ok bool
		if id, secret, _, ok = credentials(r, nil); ok {
			_, _, err := a.s.registry.Authenticate(r.Context(), id, secret)
			if err == nil {
				return id, true
			}
			if errors.Is(err, ErrUnavailable) {
				writeJSONError(w, http.StatusServiceUnavailable, ErrCodeTemporarilyUnavailable, "the service is temporarily unavailable")
				return "", false
			}
		}
	}
	a.authFailed(w, r, id, a.s.issuer.basic, ErrCodeInvalidClient, "client_auth")
	return "", false
}

// policyRefused answers 403 operator_required for a self-service request
// the policy does not allow, and audits it.
func (a *Admin) policyRefused(w http.ResponseWriter, r *http.Request, clientID, reason, desc string) {
	ip := a.s.issuer.addrs.resolve(r)
	a.s.cfg.Auditor.Record(r.Context(), Event{Type: EventAdminDenied, ClientID: clientID, Actor: "client", Reason: reason, RemoteIP: ip.ip, Path: pathOnly(r.URL.Path)})
	writeJSONError(w, http.StatusForbidden, "operator_required", desc)
}

// decode reads a JSON body strictly (unknown fields and trailing data are
// errors).
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if r.Body == nil {
		writeJSONError(w, http.StatusBadRequest, ErrCodeInvalidRequest, "a JSON body is required")
		return false
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	msg := ""
	if err := dec.Decode(v); err != nil {
		msg = decodeProblem(err)
	} else if dec.Decode(new(json.RawMessage)) != io.EOF {
		msg = "the body has data after the JSON object"
	}
	if msg != "" {
		writeJSONError(w, http.StatusBadRequest, ErrCodeInvalidRequest, msg)
		return false
	}
	return true
}

// decodeProblem says what is wrong with a JSON body, naming the field when
// one is to blame. A name taken from the body is bounded and printable
// ASCII only; no value from the body is repeated.
func decodeProblem(err error) string {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.Is(err, io.EOF):
		return "a JSON body is required"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "the body is not valid JSON: it ends too early"
	case errors.As(err, &syntaxErr):
		return "the body is not valid JSON at byte " + strconv.FormatInt(syntaxErr.Offset, 10)
	case errors.As(err, &typeErr) && typeErr.Field == "":
		return "the body must be a JSON object"
	case errors.As(err, &typeErr):
		return "field " + strconv.Quote(sanitize(typeErr.Field, 64)) + ": must be " + jsonKind(typeErr.Type)
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		if n, uerr := strconv.Unquote(name); uerr == nil {
			name = n
		}
		return "field " + strconv.Quote(sanitize(name, 64)) + ": unknown field"
	}
	return "the body is not the expected JSON object"
}

// jsonKind names the JSON value a Go type is decoded from.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	default:
		return "a JSON " + t.Kind().String()
	}
}

// fail maps registry errors to responses without internal detail.
func fail(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, ErrNotFound):
		writeJSONError(w, http.StatusNotFound, "not_found", "no such client or secret")
	case errors.Is(err, ErrConflict):
		writeJSONError(w, http.StatusConflict, "conflict", "the client already exists")
	case errors.Is(err, ErrOperatorRequired):
		writeJSONError(w, http.StatusForbidden, "operator_required", "only the operator can revoke this secret now: it is not superseded by a secret older than the grace period")
	case errors.Is(err, ErrTooManySecrets):
		writeJSONError(w, http.StatusConflict, "too_many_secrets", "revoke a secret before adding another")
	case errors.Is(err, ErrInvalidInput), errors.Is(err, ErrUnknownTenant):
		// Validation messages name fields and never echo secrets.
		writeJSONError(w, http.StatusBadRequest, ErrCodeInvalidRequest, err.Error())
	default:
		writeJSONError(w, http.StatusServiceUnavailable, ErrCodeTemporarilyUnavailable, "the service is temporarily unavailable")
	}
}

// CreatedClient is the response of POST /clients: the client and its first
// secret, shown only this once.
type CreatedClient struct {
	Client ClientInfo `json:"client"`        // the new client
	Secret string     `json:"client_secret"` // its first secret, shown only here
}

// CreatedSecret is the response of adding a secret, shown only this once.
type CreatedSecret struct {
	Secret     string     `json:"client_secret"` // the plaintext, shown only here
	SecretInfo SecretInfo `json:"secret"`        // its description
}

func (a *Admin) createClient(w http.ResponseWriter, r *http.Request) {
	var nc NewClient
	if !decode(w, r, &nc) {
		return
	}
	ci, secret, err := a.s.registry.CreateClient(r.Context(), nc, "operator")
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, CreatedClient{Client: ci, Secret: secret})
}

func (a *Admin) listClients(w http.ResponseWriter, r *http.Request) {
	cs, err := a.s.registry.ListClients(r.Context())
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"clients": cs})
}

func (a *Admin) getClient(w http.ResponseWriter, r *http.Request) {
	ci, err := a.s.registry.GetClient(r.Context(), r.PathValue("id"))
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, ci)
}

func (a *Admin) setTenants(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Tenants []string `json:"tenants" validate:"required,max=1000,dive,uuid"`
	}
	if !decode(w, r, &in) {
		return
	}
	if err := validateStruct("body", &in, ErrInvalidInput); err != nil {
		fail(w, err)
		return
	}
	if err := a.s.registry.SetTenants(r.Context(), r.PathValue("id"), in.Tenants, "operator"); err != nil {
		fail(w, err)
		return
	}
	a.getClient(w, r)
}

func (a *Admin) setTTL(w http.ResponseWriter, r *http.Request) {
	var in struct {
		TTL int `json:"token_ttl_seconds" validate:"gte=0"`
	}
	if !decode(w, r, &in) {
		return
	}
	if err := validateStruct("body", &in, ErrInvalidInput); err != nil {
		fail(w, err)
		return
	}
	if err := a.s.registry.SetTokenTTL(r.Context(), r.PathValue("id"), time.Duration(in.TTL)*time.Second, "operator"); err != nil {
		fail(w, err)
		return
	}
	a.getClient(w, r)
}

func (a *Admin) setJWKS(w http.ResponseWriter, r *http.Request) {
	var in struct {
		JWKS json.RawMessage `json:"jwks"`
	}
	if !decode(w, r, &in) {
		return
	}
	if err := a.s.registry.SetJWKS(r.Context(), r.PathValue("id"), in.JWKS, "operator"); err != nil {
		fail(w, err)
		return
	}
	a.getClient(w, r)
}

func (a *Admin) setDisabled(disabled bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := a.s.registry.SetDisabled(r.Context(), r.PathValue("id"), disabled, "operator"); err != nil {
			fail(w, err)
			return
		}
		a.getClient(w, r)
	}
}

// subject returns the client a secret route acts on: the path's {id} for
// the operator, the authenticated client itself for self-service.
func (a *Admin) subject(w http.ResponseWriter, r *http.Request, self bool) (id, actor string, ok bool) {
	if !self {
		return r.PathValue("id"), "operator", true
	}
	id, ok = a.selfAuth(w, r)
	return id, "client", ok
}

func (a *Admin) addSecret(self bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, actor, ok := a.subject(w, r, self)
		if !ok {
			return
		}
		var in struct {
			Lifetime int `json:"lifetime_seconds" validate:"gte=0"`
		}
		if r.ContentLength != 0 && !decode(w, r, &in) {
			return
		}
		if err := validateStruct("body", &in, ErrInvalidInput); err != nil {
			fail(w, err)
			return
		}
		secret, si, err := a.s.registry.AddSecret(r.Context(), id, time.Duration(in.Lifetime)*time.Second, actor)
		if err != nil {
			fail(w, err)
			return
		}
		writeJSON(w, http.StatusCreated, CreatedSecret{Secret: secret, SecretInfo: si})
	}
}

func (a *Admin) revokeSecret(self bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, actor, ok := a.subject(w, r, self)
		if !ok {
			return
		}
		var check func(*Client, int, time.Time) error
		if self {
			if a.s.cfg.SelfService != SelfServiceFull {
				a.policyRefused(w, r, id, "self_service_revoke", "self-service revocation is off; ask the operator")
				return
			}
			check = superseded(a.s.cfg.SelfServiceGrace)
		}
		err := a.s.registry.revokeSecret(r.Context(), id, r.PathValue("sid"), actor, check)
		if errors.Is(err, ErrOperatorRequired) {
			a.s.cfg.Auditor.Record(r.Context(), Event{Type: EventAdminDenied, ClientID: id, SecretID: sanitize(r.PathValue("sid"), 32), Actor: actor,
				Reason: "self_service_grace", RemoteIP: a.s.issuer.addrs.resolve(r).ip, Path: pathOnly(r.URL.Path)})
		}
		if err != nil {
			fail(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

func (a *Admin) selfList(w http.ResponseWriter, r *http.Request) {
	id, ok := a.selfAuth(w, r)
	if !ok {
		return
	}
	ss, err := a.s.registry.ListSecrets(r.Context(), id)
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"secrets": ss})
}
