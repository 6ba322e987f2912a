package routing

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-playground/validator/v10"
	"golang.org/x/time/rate"

	"github.com/patientsfhir/patientsfhir/auth"
)

// AdminConfig configures [NewAdmin].
type AdminConfig struct {
	// Directory is the tenant directory every change goes through, so that
	// other nodes see it within their MaxStale. Required.
	Directory *Directory `validate:"required"`
	// OperatorToken authenticates the operator: "Authorization: Bearer
	// <token>", compared in constant time. Give it the auth server's
	// auth.Config.OperatorToken, so that one token opens the whole admin
	// API. Required, at least 32 characters.
	OperatorToken string `validate:"required,min=32"`
	// Auditor receives one event per change (tenant.created,
	// tenant.updated, tenant.removed) and per refused operator
	// authentication (admin.denied); default auth.SlogAuditor{Logger}.
	// Events carry the tenant id, the actor, the caller's address and what
	// changed (the names of the fields, the new state and backend), never
	// a tenant's name or a token.
	Auditor auth.Auditor `validate:"-"`
	// Logger is the default Auditor's logger; default slog.Default().
	Logger *slog.Logger `validate:"-"`
	// RequireTLS refuses requests that did not arrive over TLS (400), as
	// auth.Config.RequireTLS does for the auth server's admin API;
	// TrustForwardedProto accepts X-Forwarded-Proto: https as TLS.
	RequireTLS, TrustForwardedProto bool
	// MaxBodyBytes caps a request body: default 16 KiB.
	MaxBodyBytes int64 `validate:"gte=0,lte=1048576"`
	// FailedAuthPerMinute and FailedAuthBurst shape the budget of failed
	// operator authentications from all callers together (defaults
	// 10/min, burst 20): over it a request with a wrong token gets 429
	// with Retry-After instead of 401. A request with the right token is
	// always served.
	FailedAuthPerMinute float64 `validate:"gte=0"`
	FailedAuthBurst     int     `validate:"gte=0"` // see FailedAuthPerMinute
}

// Admin is the tenant administration API (JSON over HTTP), for the
// operator only. Routes, relative to where it is mounted (patientsfhir
// mounts it at /admin, next to the auth server's client API):
//
//	GET    /tenants        list every tenant: {"tenants":[tenant...]}
//	POST   /tenants        add one: {"id","name","backend","state"} (state defaults to active) → 201 tenant
//	GET    /tenants/{id}   describe one
//	PATCH  /tenants/{id}   change some of {"name","backend","state"} → 200 tenant
//	DELETE /tenants/{id}   remove the record → 204
//
// A tenant is {"id","name","backend","state","created_at","updated_at",
// "revision"}. Every change goes through the [Directory]: it takes effect
// on this node before the response and on the others within MaxStale
// (disabling a tenant stops its tokens and its routing; re-pointing its
// backend makes the [Registry] build the new provider's backend).
//
// Errors are JSON, {"error","error_description"}, plus "field" naming the
// member of the body (or "id" of the path) that was wrong: an unknown
// member, a value of the wrong type, a value the tenant rules refuse. They
// never repeat the value. Without the operator's bearer token the answer
// is the auth server's: 401 with a Bearer challenge (realm "operator"),
// or 429 once failures exceed their budget.
type Admin struct {
	dir      *Directory
	audit    auth.Auditor
	operator [32]byte
	tls      struct{ require, forwarded bool }
	maxBody  int64
	failures *rate.Limiter
	mux      *http.ServeMux
}

// NewAdmin validates cfg and returns the tenant administration API.
func NewAdmin(cfg AdminConfig) (*Admin, error) {
	if err := validate.Struct(&cfg); err != nil {
		var verrs validator.ValidationErrors
		if errors.As(err, &verrs) && len(verrs) > 0 {
			return nil, fmt.Errorf("routing: AdminConfig.%s: must satisfy %s %s", verrs[0].Field(), verrs[0].Tag(), verrs[0].Param())
		}
		return nil, fmt.Errorf("routing: AdminConfig: %w", err)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Auditor == nil {
		cfg.Auditor = auth.SlogAuditor{Logger: cfg.Logger}
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = 16 << 10
	}
	if cfg.FailedAuthPerMinute == 0 {
		cfg.FailedAuthPerMinute = 10
	}
	if cfg.FailedAuthBurst == 0 {
		cfg.FailedAuthBurst = 20
	}
	a := &Admin{dir: cfg.Directory, audit: cfg.Auditor, operator: sha256.Sum256([]byte(cfg.OperatorToken)),
		maxBody: cfg.MaxBodyBytes, mux: http.NewServeMux(),
		failures: rate.NewLimiter(rate.Limit(cfg.FailedAuthPerMinute/60), cfg.FailedAuthBurst)}
	a.tls.require, a.tls.forwarded = cfg.RequireTLS, cfg.TrustForwardedProto
	a.mux.HandleFunc("GET /tenants", a.list)
	a.mux.HandleFunc("POST /tenants", a.create)
	a.mux.HandleFunc("GET /tenants/{id}", a.get)
	a.mux.HandleFunc("PATCH /tenants/{id}", a.update)
	a.mux.HandleFunc("DELETE /tenants/{id}", a.remove)
	return a, nil
}

// ServeHTTP implements http.Handler: TLS, the operator's token, the body,
// then the route.
func (a *Admin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.guard(w, r, a.serve)
}

// Guard returns h behind the same TLS and operator checks, for other
// operator routes mounted next to the tenant API (patientsfhir mounts the
// signing-key routes with it).
func (a *Admin) Guard(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { a.guard(w, r, h.ServeHTTP) })
}

// guard runs next if the request arrived over TLS (when required) with
// the operator's token; it has answered otherwise.
func (a *Admin) guard(w http.ResponseWriter, r *http.Request, next http.HandlerFunc) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	if a.tls.require && r.TLS == nil && !(a.tls.forwarded && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")) {
		writeError(w, http.StatusBadRequest, auth.ErrCodeInvalidRequest, "TLS is required", "")
		return
	}
	if a.operatorOK(w, r) {
		next(w, r)
	}
}

// serve reads the body (bounded) and routes the request.
func (a *Admin) serve(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength > a.maxBody {
		w.Header().Set("Connection", "close")
		writeError(w, http.StatusRequestEntityTooLarge, auth.ErrCodeInvalidRequest, "the body is too large", "")
		return
	}
	if r.Body != nil {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, a.maxBody))
		if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
			w.Header().Set("Connection", "close")
			writeError(w, http.StatusRequestEntityTooLarge, auth.ErrCodeInvalidRequest, "the body is too large", "")
			return
		} else if err != nil {
			writeError(w, http.StatusBadRequest, auth.ErrCodeInvalidRequest, "the body could not be read", "")
			return
		}
		r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	}
	a.mux.ServeHTTP(w, r)
}

// maxAuthorization bounds the Authorization header the operator check
// hashes.
const maxAuthorization = 4096

// operatorOK checks the operator's bearer token in constant time and
// answers a failure as auth.Admin does: 401 with a bare Bearer challenge
// when no token was sent and error="invalid_token" when a wrong one was,
// or 429 once the failure budget is spent.
func (a *Admin) operatorOK(w http.ResponseWriter, r *http.Request) bool {
	const prefix = "bearer "
	h := r.Header.Get("Authorization")
	ok, sent := false, false
	if len(h) > len(prefix) && len(h) <= maxAuthorization && strings.EqualFold(h[:len(prefix)], prefix) {
		sent = true
		sum := sha256.Sum256([]byte(h[len(prefix):]))
		ok = subtle.ConstantTimeCompare(sum[:], a.operator[:]) == 1
	}
	if ok {
		return true
	}
	a.audit.Record(r.Context(), auth.Event{Type: auth.EventAdminDenied, Reason: "operator_auth", RemoteIP: remoteIP(r), Path: r.URL.Path})
	if res := a.failures.Reserve(); res.Delay() > 0 {
		wait := res.Delay()
		res.Cancel()
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		writeError(w, http.StatusTooManyRequests, auth.ErrCodeTemporarilyUnavailable, "too many failed attempts; retry later", "")
		return false
	}
	challenge, code := `Bearer realm="operator"`, "unauthorized"
	if sent {
		challenge, code = `Bearer realm="operator", error="invalid_token"`, auth.ErrCodeInvalidToken
	}
	w.Header().Set("WWW-Authenticate", challenge)
	writeError(w, http.StatusUnauthorized, code, "authentication failed", "")
	return false
}

// remoteIP is the connection's peer address, for the audit trail.
func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return ""
	}
	return host
}

// adminError is the JSON body of every error.
type adminError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
	Field       string `json:"field,omitempty"`
}

func writeError(w http.ResponseWriter, status int, code, desc, field string) {
	writeJSON(w, status, adminError{Error: code, Description: desc, Field: field})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// tenantDoc is a tenant as the API shows it.
type tenantDoc struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Backend   string    `json:"backend"`
	State     State     `json:"state"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	Revision  uint64    `json:"revision"`
}

func doc(t Tenant) tenantDoc {
	return tenantDoc{ID: t.ID, Name: t.Name, Backend: t.Backend, State: t.State, CreatedAt: t.CreatedAt,
		UpdatedAt: t.UpdatedAt, Revision: t.Revision}
}

// jsonFields maps the Tenant fields that validation errors name to the
// API's member names.
var jsonFields = map[string]string{"ID": "id", "Name": "name", "Backend": "backend", "State": "state"}

// fail answers a Directory or store error without internal detail.
func fail(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, ErrInvalidTenant):
		desc := strings.TrimPrefix(strings.TrimPrefix(err.Error(), ErrInvalidTenant.Error()), ": ")
		field := ""
		if f, _, ok := strings.Cut(desc, ":"); ok {
			field = jsonFields[f]
			if field != "" {
				desc = field + desc[len(f):]
			}
		}
		writeError(w, http.StatusBadRequest, auth.ErrCodeInvalidRequest, desc, field)
	case errors.Is(err, ErrTenantNotFound):
		writeError(w, http.StatusNotFound, "not_found", "no such tenant", "id")
	case errors.Is(err, ErrTenantExists):
		writeError(w, http.StatusConflict, "conflict", "the tenant already exists", "id")
	default:
		writeError(w, http.StatusServiceUnavailable, auth.ErrCodeTemporarilyUnavailable, "the tenant store is temporarily unavailable", "")
	}
}

// decode reads a JSON object strictly into v: an unknown member, a value of
// the wrong type or trailing data is a 400 naming the member.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if r.Body == nil || r.ContentLength == 0 {
		writeError(w, http.StatusBadRequest, auth.ErrCodeInvalidRequest, "a JSON object is required", "")
		return false
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.Decode(new(json.RawMessage)) != io.EOF {
		err = errors.New("trailing data")
	}
	if err == nil {
		return true
	}
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te) && te.Field != "":
		writeError(w, http.StatusBadRequest, auth.ErrCodeInvalidRequest, te.Field+": must be a JSON "+te.Type.Kind().String(), te.Field)
	case errors.As(err, &te):
		writeError(w, http.StatusBadRequest, auth.ErrCodeInvalidRequest, "the body must be a JSON object", "")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		writeError(w, http.StatusBadRequest, auth.ErrCodeInvalidRequest, name+": unknown field", name)
	case errors.As(err, &se):
		writeError(w, http.StatusBadRequest, auth.ErrCodeInvalidRequest, "the body is not valid JSON (at byte "+strconv.FormatInt(se.Offset, 10)+")", "")
	default:
		writeError(w, http.StatusBadRequest, auth.ErrCodeInvalidRequest, "the body must be one JSON object", "")
	}
	return false
}

// record audits one change made by the operator.
func (a *Admin) record(r *http.Request, typ auth.EventType, tenant, what string) {
	a.audit.Record(r.Context(), auth.Event{Type: typ, Tenant: tenant, Actor: "operator", Reason: what,
		RemoteIP: remoteIP(r), Path: r.URL.Path})
}

// The audit event types of tenant changes.
const (
	EventTenantCreated auth.EventType = "tenant.created"
	EventTenantUpdated auth.EventType = "tenant.updated"
	EventTenantRemoved auth.EventType = "tenant.removed"
)

func (a *Admin) list(w http.ResponseWriter, r *http.Request) {
	ts, err := a.dir.List(r.Context())
	if err != nil {
		fail(w, err)
		return
	}
	out := make([]tenantDoc, len(ts))
	for i, t := range ts {
		out[i] = doc(t)
	}
	writeJSON(w, http.StatusOK, map[string]any{"tenants": out})
}

func (a *Admin) get(w http.ResponseWriter, r *http.Request) {
	t, err := a.dir.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, doc(t))
}

func (a *Admin) create(w http.ResponseWriter, r *http.Request) {
	var in struct {
		ID      string `json:"id"`
		Name    string `json:"name"`
		Backend string `json:"backend"`
		State   State  `json:"state"`
	}
	if !decode(w, r, &in) {
		return
	}
	t, err := a.dir.Add(r.Context(), Tenant{ID: in.ID, Name: in.Name, Backend: in.Backend, State: in.State})
	if err != nil {
		fail(w, err)
		return
	}
	a.record(r, EventTenantCreated, t.ID, "backend="+t.Backend+" state="+string(t.State))
	writeJSON(w, http.StatusCreated, doc(t))
}

func (a *Admin) update(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name    *string `json:"name"`
		Backend *string `json:"backend"`
		State   *State  `json:"state"`
		ID      *string `json:"id"`
	}
	if !decode(w, r, &in) {
		return
	}
	if in.ID != nil {
		writeError(w, http.StatusBadRequest, auth.ErrCodeInvalidRequest, "id: cannot be changed (add a tenant and remove this one)", "id")
		return
	}
	var changed []string
	if in.Name != nil {
		changed = append(changed, "name")
	}
	if in.Backend != nil {
		changed = append(changed, "backend="+*in.Backend)
	}
	if in.State != nil {
		changed = append(changed, "state="+string(*in.State))
	}
	if len(changed) == 0 {
		writeError(w, http.StatusBadRequest, auth.ErrCodeInvalidRequest, "nothing to change: give name, backend or state", "")
		return
	}
	t, err := a.dir.Update(r.Context(), r.PathValue("id"), func(t *Tenant) error {
		if in.Name != nil {
			t.Name = *in.Name
		}
		if in.Backend != nil {
			t.Backend = *in.Backend
		}
		if in.State != nil {
			t.State = *in.State
		}
		return nil
	})
	if err != nil {
		fail(w, err)
		return
	}
	a.record(r, EventTenantUpdated, t.ID, strings.Join(changed, " "))
	writeJSON(w, http.StatusOK, doc(t))
}

func (a *Admin) remove(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := a.dir.Remove(r.Context(), id); err != nil {
		fail(w, err)
		return
	}
	cid, _ := auth.CanonicalTenant(id)
	a.record(r, EventTenantRemoved, cid, "")
	w.WriteHeader(http.StatusNoContent)
}
