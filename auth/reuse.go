package auth

import (
	"context"
	"strconv"
	"sync"
	"time"
)

// The token-per-request path. The Patients app asks for a new token before
// every FHIR call with the same client, secret and tenant; signing a fresh
// ES256 token each time is most of the token endpoint's cost. With
// Config.TokenReuseWindow the issuer answers such a repeated request with
// the token it minted moments ago, under these rules (every one is checked
// on every reuse, after the request has been authenticated and its scope
// granted exactly as for a new token):
//
//   - same client record (the registry's cached *Client: any change made on
//     this node, or seen after a reload from the store, ends reuse), same
//     secret id, tenant, extra scopes and lifetime;
//   - the token is younger than the window, and than a quarter of its
//     lifetime, so at least three quarters of it remain; expires_in is the
//     true remaining lifetime;
//   - it was signed by the key that signs now (a rotated, retired or removed
//     key ends reuse);
//   - it is not revoked: tokens revoked through this node are forgotten at
//     once, and with the deny-list on, its jti (and secret id) are looked up
//     in the store on every reuse, as the verifier does;
//   - a tenant the TenantValidator refuses is forgotten for every client.
//
// Every answer is audited as token.issued, as before (with the reused
// token's jti and exp).

// reuseKey identifies requests that may share a token.
type reuseKey struct {
	client, secret, tenant, scopes string
	ttl                            time.Duration
}

// reuseEntry is a token minted for a reuseKey and what is needed to answer
// with it again.
type reuseEntry struct {
	client   *Client    // the record it was minted under (pointer identity)
	p        *Principal // its claims, for the deny-list check
	kid      string     // the key that signed it
	minted   time.Time  // when it was minted (not truncated)
	head     []byte     // {"access_token":"<token>","token_type":"Bearer","expires_in":
	tail     []byte     // ,"scope":"<scope>"}
	reusable time.Time  // reuse only before this time
}

// reuseCache holds the latest token per reuseKey, bounded.
type reuseCache struct {
	mu     sync.RWMutex
	m      map[reuseKey]*reuseEntry
	max    int
	window time.Duration
}

func newReuseCache(window time.Duration, max int) *reuseCache {
	if window <= 0 {
		return nil
	}
	return &reuseCache{m: make(map[reuseKey]*reuseEntry), max: max, window: window}
}

// get returns the entry for k if it may answer a request authenticated
// with client c at now, signed by the current key kid.
func (rc *reuseCache) get(k reuseKey, c *Client, kid string, now time.Time) (*reuseEntry, bool) {
	rc.mu.RLock()
	e, ok := rc.m[k]
	rc.mu.RUnlock()
	if !ok || e.client != c || e.kid != kid || !now.Before(e.reusable) || now.Before(e.minted) {
		return nil, false
	}
	return e, true
}

// put remembers a freshly minted token.
func (rc *reuseCache) put(k reuseKey, c *Client, mt mintedToken, p *Principal, ttl time.Duration, minted time.Time) {
	e := &reuseEntry{client: c, p: p, kid: mt.kid, minted: minted,
		reusable: minted.Add(min(rc.window, ttl/4))}
	e.head = append(append(append(make([]byte, 0, len(mt.token)+64), `{"access_token":"`...), mt.token...), `","token_type":"Bearer","expires_in":`...)
	e.tail = append(append(append(make([]byte, 0, len(mt.scope)+13), `,"scope":"`...), mt.scope...), `"}`...)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.m) >= rc.max {
		for key, old := range rc.m {
			if !minted.Before(old.reusable) {
				delete(rc.m, key)
			}
		}
		if len(rc.m) >= rc.max {
			clear(rc.m)
		}
	}
	rc.m[k] = e
}

// forget drops the entries matching drop.
func (rc *reuseCache) forget(drop func(reuseKey, *reuseEntry) bool) {
	if rc == nil {
		return
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for k, e := range rc.m {
		if drop(k, e) {
			delete(rc.m, k)
		}
	}
}

// forgetJTI drops the token with this id (it was revoked).
func (rc *reuseCache) forgetJTI(jti string) {
	rc.forget(func(_ reuseKey, e *reuseEntry) bool { return e.p.JTI == jti })
}

// forgetTenant drops every token of tenant (the TenantValidator refused it).
func (rc *reuseCache) forgetTenant(tenant string) {
	rc.forget(func(k reuseKey, _ *reuseEntry) bool { return k.tenant == tenant })
}

// reuse answers the request with a recent token for k when the rules allow
// it, and reports whether it did.
func (i *Issuer) reuse(ctx context.Context, k reuseKey, c *Client, now time.Time) (*reuseEntry, []byte, bool) {
	if i.reused == nil {
		return nil, nil, false
	}
	key, err := i.keys.signer(ctx)
	if err != nil {
		return nil, nil, false
	}
	e, ok := i.reused.get(k, c, key.kid, now)
	if !ok {
		return nil, nil, false
	}
	if i.verifier != nil && i.verifier.checkDenied(ctx, e.p) != nil {
		i.reused.forgetJTI(e.p.JTI) // revoked (or the deny-list is unreachable: mint, and let that decide)
		return nil, nil, false
	}
	left := e.p.ExpiresAt.Sub(now) / time.Second
	body := make([]byte, 0, len(e.head)+len(e.tail)+8)
	body = append(body, e.head...)
	body = strconv.AppendInt(body, int64(left), 10)
	body = append(body, e.tail...)
	return e, body, true
}
