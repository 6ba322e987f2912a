package patientsfhir

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"

	"github.com/patientsfhir/patientsfhir/auth"
	"github.com/patientsfhir/patientsfhir/routing"
)

// ErrNoOperator is returned by [Server.MountAdmin] for a server without an
// operator token (Config.Auth.OperatorToken) or with Config.Open.
var ErrNoOperator = errors.New("patientsfhir: the admin API needs Config.Auth.OperatorToken")

// MountAdmin adds the operator routes that the auth server's registration
// API does not have to the admin API under /admin, behind the same
// operator token (Config.Auth.OperatorToken):
//
//	GET    /admin/tenants, POST /admin/tenants       list, add tenants      (routing.Admin over dir)
//	GET, PATCH, DELETE /admin/tenants/{id}           describe, change (name, backend, state), remove
//	GET    /admin/keys                               the signing keys (public data only)
//	POST   /admin/keys/rotate                        a new signing key, at once; the old one retires
//	POST   /admin/keys/{kid}/retire                  retire a pending key (it stays published until removed)
//	DELETE /admin/keys/{kid}                         remove a retired or pending key: its tokens stop verifying
//
// The active key is only ever replaced by a rotation (409 active_key
// otherwise), so that tokens can always be issued.
//
// The tenant routes are mounted only when dir is not nil; every change goes
// through dir, so other nodes see it within dir's MaxStale. Changes are
// audited through Config.Auth.Auditor. Call it once, after New and before
// serving; it fails with [ErrNoOperator] when the server has no operator
// token.
func (s *Server) MountAdmin(dir *routing.Directory) error {
	if s.auth == nil || s.auth.Config().OperatorToken == "" {
		return ErrNoOperator
	}
	if _, pattern := s.mux.Handler(&http.Request{Method: http.MethodGet, URL: mustURL(AdminPath + "/keys"), Host: "x"}); pattern == AdminPath+"/keys" {
		return errors.New("patientsfhir: MountAdmin was already called")
	}
	cfg := s.auth.Config()
	guardDir := dir
	if guardDir == nil {
		// No tenant routes: the routing.Admin only lends its operator
		// check, over an empty directory.
		var err error
		if guardDir, err = routing.NewDirectory(context.Background(), routing.DirectoryConfig{Store: routing.NewMemoryStore()}); err != nil {
			return err
		}
	}
	admin, err := routing.NewAdmin(routing.AdminConfig{Directory: guardDir, OperatorToken: cfg.OperatorToken, Auditor: cfg.Auditor,
		Logger: s.log, RequireTLS: cfg.RequireTLS, TrustForwardedProto: cfg.TrustForwardedProto})
	if err != nil {
		return err
	}
	if dir != nil {
		h := http.StripPrefix(AdminPath, admin)
		s.mux.Handle(AdminPath+"/tenants", h)
		s.mux.Handle(AdminPath+"/tenants/", h)
	}
	keys := &keyAdmin{keys: s.auth.Keys(), audit: cfg.Auditor}
	km := http.NewServeMux()
	km.HandleFunc("GET "+AdminPath+"/keys", keys.list)
	km.HandleFunc("POST "+AdminPath+"/keys/rotate", keys.rotate)
	km.HandleFunc("POST "+AdminPath+"/keys/{kid}/retire", keys.retire)
	km.HandleFunc("DELETE "+AdminPath+"/keys/{kid}", keys.remove)
	s.mux.Handle(AdminPath+"/keys", admin.Guard(km))
	s.mux.Handle(AdminPath+"/keys/", admin.Guard(km))
	return nil
}

// mustURL parses a path known to be valid.
func mustURL(p string) *url.URL {
	u, err := url.Parse(p)
	if err != nil {
		panic(err)
	}
	return u
}

// keyAdmin is the signing-key part of the admin API.
type keyAdmin struct {
	keys  *auth.KeyManager
	audit auth.Auditor
}

// EventKeyRetired is audited when the operator retires a signing key
// through the admin API.
const EventKeyRetired auth.EventType = "key.retired"

// keyList is the answer of the key routes.
type keyList struct {
	// KID is the key the request created (rotate).
	KID  string         `json:"kid,omitempty"`
	Keys []auth.KeyInfo `json:"keys"`
}

func writeAdminJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeAdminError(w http.ResponseWriter, status int, code, desc string) {
	writeAdminJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

// unavailable answers a key store failure without detail.
func unavailable(w http.ResponseWriter) {
	writeAdminError(w, http.StatusServiceUnavailable, auth.ErrCodeTemporarilyUnavailable, "the key store is temporarily unavailable")
}

func (k *keyAdmin) answer(w http.ResponseWriter, r *http.Request, status int, kid string) {
	ks, err := k.keys.List(r.Context())
	if err != nil {
		unavailable(w)
		return
	}
	writeAdminJSON(w, status, keyList{KID: kid, Keys: ks})
}

// inactive reports whether kid is in the store and does not sign; it has
// answered when not: the signing key is only ever replaced by a rotation,
// so that tokens can always be issued.
func (k *keyAdmin) inactive(w http.ResponseWriter, r *http.Request, kid string) bool {
	ks, err := k.keys.List(r.Context())
	if err != nil {
		unavailable(w)
		return false
	}
	i := slices.IndexFunc(ks, func(ki auth.KeyInfo) bool { return ki.KID == kid })
	switch {
	case i < 0:
		writeAdminError(w, http.StatusNotFound, "not_found", "no such signing key")
		return false
	case ks[i].State == auth.KeyActive:
		writeAdminError(w, http.StatusConflict, "active_key", "the active signing key cannot be retired or removed; rotate first")
		return false
	}
	return true
}

func (k *keyAdmin) list(w http.ResponseWriter, r *http.Request) { k.answer(w, r, http.StatusOK, "") }

func (k *keyAdmin) rotate(w http.ResponseWriter, r *http.Request) {
	kid, err := k.keys.Rotate(r.Context())
	if err != nil {
		unavailable(w)
		return
	}
	k.answer(w, r, http.StatusCreated, kid)
}

func (k *keyAdmin) retire(w http.ResponseWriter, r *http.Request) {
	kid := r.PathValue("kid")
	if !k.inactive(w, r, kid) {
		return
	}
	if err := k.keys.Retire(r.Context(), kid); err != nil {
		unavailable(w)
		return
	}
	k.audit.Record(r.Context(), auth.Event{Type: EventKeyRetired, KID: kid, Actor: "operator", Path: r.URL.Path})
	k.answer(w, r, http.StatusOK, "")
}

func (k *keyAdmin) remove(w http.ResponseWriter, r *http.Request) {
	kid := r.PathValue("kid")
	if !k.inactive(w, r, kid) {
		return
	}
	switch err := k.keys.Remove(r.Context(), kid); {
	case errors.Is(err, auth.ErrActiveKey):
		writeAdminError(w, http.StatusConflict, "active_key", "the active signing key cannot be retired or removed; rotate first")
	case errors.Is(err, auth.ErrNotFound):
		writeAdminError(w, http.StatusNotFound, "not_found", "no such signing key")
	case err != nil:
		unavailable(w)
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}
