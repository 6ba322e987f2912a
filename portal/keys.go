package portal

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"time"

	"github.com/patientsfhir/patientsfhir/auth"
)

// keysPage lists the signing keys and the JWKS clients see.
type keysPage struct {
	Keys        []auth.KeyInfo
	JWKS        string // as served, indented
	JWKSURL     string
	RotateEvery time.Duration
	RetireGrace time.Duration
	PrePublish  time.Duration
}

func (p *Portal) keysPage(w http.ResponseWriter, r *http.Request, sess *session) {
	keys, err := p.cfg.Auth.Keys().List(r.Context())
	if err != nil {
		p.unavailable(w, r, sess, err)
		return
	}
	// Newest first; the active key on top.
	slices.SortStableFunc(keys, func(a, b auth.KeyInfo) int { return b.CreatedAt.Compare(a.CreatedAt) })
	slices.SortStableFunc(keys, func(a, b auth.KeyInfo) int {
		return boolOrder(b.State == auth.KeyActive) - boolOrder(a.State == auth.KeyActive)
	})
	ac := p.cfg.Auth.Config()
	data := keysPage{Keys: keys, JWKSURL: p.cfg.Auth.Endpoints().JWKS, RotateEvery: ac.KeyRotationInterval,
		RetireGrace: ac.KeyRetireGrace, PrePublish: ac.KeyPrePublish}
	// The JWKS exactly as the JWKS endpoint serves it to clients.
	rec := httptest.NewRecorder()
	p.cfg.Auth.JWKS().ServeHTTP(rec, httptest.NewRequestWithContext(r.Context(), http.MethodGet, data.JWKSURL, nil))
	var pretty bytes.Buffer
	if rec.Code != http.StatusOK || json.Indent(&pretty, rec.Body.Bytes(), "", "  ") != nil {
		p.unavailable(w, r, sess, errJWKS)
		return
	}
	data.JWKS = pretty.String()
	p.render(w, r, http.StatusOK, sess, "keys", "Signing keys", "keys", "", data)
}

func boolOrder(b bool) int {
	if b {
		return 1
	}
	return 0
}

// errJWKS reports a JWKS the key manager could not serve.
var errJWKS = jwksError{}

type jwksError struct{}

func (jwksError) Error() string { return "portal: the JWKS could not be read" }

func (p *Portal) rotateKey(w http.ResponseWriter, r *http.Request, sess *session) {
	kid, err := p.cfg.Auth.Keys().Rotate(r.Context())
	if err != nil {
		p.unavailable(w, r, sess, err)
		return
	}
	p.log.InfoContext(r.Context(), "portal: signing key rotated", "kid", kid)
	p.done(w, r, sess, "Key "+kid+" now signs new tokens. The previous key is retired: it still verifies the tokens it signed until maintenance removes it.", p.path("keys"))
}
