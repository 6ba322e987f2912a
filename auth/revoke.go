package auth

import (
	"errors"
	"net/http"
)

// EventTokenRevoked is audited when a client revokes one of its tokens.
const EventTokenRevoked EventType = "token.revoked"

// Revocation returns the RFC 7009 token revocation endpoint: the client
// authenticates exactly as at the token endpoint and posts token=<access
// token>; a valid token of that client goes on the deny-list until it
// expires. Invalid, expired or unknown tokens get 200 as well (RFC 7009
// §2.2); a token of another client is refused with unauthorized_client.
// It only has an effect with Config.DenyList (the verifier consults the
// deny-list), so mount it only then; the RFC 8414 metadata advertises it
// only then.
func (i *Issuer) Revocation() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ip := i.addrs.resolve(r)
		form, ok := i.readForm(w, r, ip)
		if !ok || !i.hold(w, r, ip) {
			return
		}
		defer i.gate.release(ip.key)
		res, clientID, ok := i.authenticateClient(w, r, ip, form)
		if !ok {
			return
		}
		tok := form.Get("token")
		if tok == "" {
			i.deny(w, r, ip, clientID, "token_missing", http.StatusBadRequest, ErrCodeInvalidRequest, "token is required")
			return
		}
		p, err := i.verifier.Verify(r.Context(), tok)
		switch {
		case errors.Is(err, ErrUnavailable):
			i.deny(w, r, ip, clientID, "store_unavailable", http.StatusServiceUnavailable, ErrCodeTemporarilyUnavailable, "the service is temporarily unavailable")
			return
		case err != nil:
			// Invalid, expired, already revoked or not ours: nothing to do.
		case p.ClientID != res.client.ID:
			i.deny(w, r, ip, clientID, "revoke_foreign_token", http.StatusBadRequest, ErrCodeUnauthorizedClient, "the token was not issued to this client")
			return
		default:
			now := i.cfg.Now()
			if _, err := i.registry.deny.Deny(r.Context(), "jti:"+p.JTI, p.ExpiresAt.Add(i.cfg.Leeway), now); err != nil {
				i.deny(w, r, ip, clientID, "store_unavailable", http.StatusServiceUnavailable, ErrCodeTemporarilyUnavailable, "the service is temporarily unavailable")
				return
			}
			i.reused.forgetJTI(p.JTI)
			i.audit.Record(r.Context(), Event{Type: EventTokenRevoked, ClientID: p.ClientID, JTI: p.JTI, ExpiresAt: p.ExpiresAt, RemoteIP: ip.ip})
		}
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Pragma", "no-cache")
		w.WriteHeader(http.StatusOK)
	})
}
