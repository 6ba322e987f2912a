package auth

import (
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/sync/singleflight"
)

// ErrNoSigningKey reports that no active signing key exists (call
// [KeyManager.Maintain] or [KeyManager.Rotate]).
var ErrNoSigningKey = errors.New("auth: no active signing key")

// verifyKey is a public key usable for verification, pinned to one alg.
type verifyKey struct {
	kid    string
	alg    string
	pub    crypto.PublicKey
	method jwt.SigningMethod
}

// activeKey is the key that signs new tokens.
type activeKey struct {
	kid    string
	method jwt.SigningMethod
	priv   crypto.Signer
	header string // base64url JOSE header {"alg","kid","typ"}, computed once
}

// keySnapshot is an immutable view of the published keys.
type keySnapshot struct {
	keys   map[string]*verifyKey
	signer *activeKey
	jwks   []byte
	etag   string
	loaded time.Time
}

// KeyManager owns the signing keys: it generates them (sealing the private
// part before it reaches the [KeyStore]), moves them through the lifecycle
// pending -> active -> retired -> removed, serves the JWKS, and gives the
// issuer its signer and the verifier its public keys from an in-memory
// snapshot. Changes made through this KeyManager apply at once on this node;
// other nodes see them within KeyRefreshInterval (or at once for an unknown
// kid, at most one forced reload per KeyMinRefreshInterval).
type KeyManager struct {
	store        KeyStore
	sealer       *Sealer
	alg          string
	now          func() time.Time
	rotateEvery  time.Duration
	prePublish   time.Duration
	retireGrace  time.Duration
	refreshEvery time.Duration
	minRefresh   time.Duration
	jwksMaxAge   time.Duration
	audit        Auditor

	snap       atomic.Pointer[keySnapshot]
	sf         singleflight.Group
	lastForced atomic.Int64 // unix nanos of the last forced reload
	refreshing atomic.Bool  // a background reload is running
	privs      sync.Map     // kid -> crypto.Signer, unsealed once
	mu         sync.Mutex   // serialises lifecycle changes on this node
}

func newKeyManager(cfg *Config, store KeyStore, sealer *Sealer, audit Auditor) *KeyManager {
	return &KeyManager{
		store: store, sealer: sealer, alg: cfg.Alg, now: cfg.Now,
		rotateEvery: cfg.KeyRotationInterval, prePublish: cfg.KeyPrePublish,
		retireGrace: cfg.KeyRetireGrace, refreshEvery: cfg.KeyRefreshInterval,
		minRefresh: cfg.KeyMinRefreshInterval, jwksMaxAge: cfg.JWKSMaxAge, audit: audit,
	}
}

// Refresh reloads the keys from the store and replaces the snapshot.
func (m *KeyManager) Refresh(ctx context.Context) error {
	_, err, _ := m.sf.Do("refresh", func() (any, error) { return nil, m.load(ctx) })
	return err
}

func (m *KeyManager) load(ctx context.Context) error {
	recs, err := m.store.ListKeys(ctx)
	if err != nil {
		return fmt.Errorf("auth: loading signing keys: %w", err)
	}
	s := &keySnapshot{keys: make(map[string]*verifyKey, len(recs)), loaded: m.now()}
	var set JWKSet
	var newest *KeyRecord
	for i := range recs {
		r := &recs[i]
		pub, err := x509.ParsePKIXPublicKey(r.PublicKey)
		if err != nil || !keyMatchesAlg(pub, r.Alg) {
			continue // a corrupt or foreign record never verifies anything
		}
		j, err := publicJWK(pub, r.Alg)
		if err != nil || j.Thumbprint() != r.KID {
			continue
		}
		j.Kid = r.KID
		set.Keys = append(set.Keys, j)
		s.keys[r.KID] = &verifyKey{kid: r.KID, alg: r.Alg, pub: pub, method: signingMethod(r.Alg)}
		if r.State == KeyActive && (newest == nil || newerActivation(r, newest)) {
			newest = r
		}
	}
	if newest != nil {
		priv, err := m.private(newest)
		if err != nil {
			return err
		}
		hdr, _ := json.Marshal(map[string]string{"alg": newest.Alg, "kid": newest.KID, "typ": TokenType})
		s.signer = &activeKey{kid: newest.KID, method: signingMethod(newest.Alg), priv: priv, header: b64(hdr)}
	}
	if set.Keys == nil {
		set.Keys = []JWK{}
	}
	s.jwks, _ = json.Marshal(set)
	sum := sha256.Sum256(s.jwks)
	s.etag = `"` + b64(sum[:16]) + `"`
	m.snap.Store(s)
	return nil
}

func (m *KeyManager) private(r *KeyRecord) (crypto.Signer, error) {
	if p, ok := m.privs.Load(r.KID); ok {
		return p.(crypto.Signer), nil
	}
	der, err := m.sealer.Open(r.SealedPrivateKey, r.KID)
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", r.KID, err)
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", r.KID, ErrUnseal)
	}
	signer, ok := k.(crypto.Signer)
	if !ok || !keyMatchesAlg(signer.Public(), r.Alg) {
		return nil, fmt.Errorf("key %s: %w", r.KID, ErrUnseal)
	}
	m.privs.Store(r.KID, signer)
	return signer, nil
}

// snapshot returns the current snapshot, loading it if there is none and
// refreshing it in the background when older than KeyRefreshInterval.
func (m *KeyManager) snapshot(ctx context.Context) (*keySnapshot, error) {
	s := m.snap.Load()
	if s == nil {
		if err := m.Refresh(ctx); err != nil {
			return nil, err
		}
		return m.snap.Load(), nil
	}
	if m.now().Sub(s.loaded) >= m.refreshEvery && m.refreshing.CompareAndSwap(false, true) {
		go func() {
			defer m.refreshing.Store(false)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = m.Refresh(ctx)
		}()
	}
	return s, nil
}

// signer returns the active signing key.
func (m *KeyManager) signer(ctx context.Context) (*activeKey, error) {
	s, err := m.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	if s.signer == nil {
		return nil, ErrNoSigningKey
	}
	return s.signer, nil
}

// lookup finds a verification key by kid. An unknown kid forces at most one
// reload per KeyMinRefreshInterval, so a flood of random kids cannot cause a
// refresh storm against the store.
func (m *KeyManager) lookup(ctx context.Context, kid string) (*verifyKey, bool) {
	s, err := m.snapshot(ctx)
	if err != nil {
		return nil, false
	}
	if k, ok := s.keys[kid]; ok {
		return k, true
	}
	now := m.now().UnixNano()
	last := m.lastForced.Load()
	if now-last < int64(m.minRefresh) || !m.lastForced.CompareAndSwap(last, now) {
		return nil, false
	}
	if m.Refresh(ctx) != nil {
		return nil, false
	}
	k, ok := m.snap.Load().keys[kid]
	return k, ok
}

// PublicKey implements [PublicKeySource] over the in-memory key snapshot.
func (m *KeyManager) PublicKey(ctx context.Context, kid string) (crypto.PublicKey, string, bool) {
	k, ok := m.lookup(ctx, kid)
	if !ok {
		return nil, "", false
	}
	return k.pub, k.alg, true
}

// KeyInfo describes one signing key (public data only).
type KeyInfo struct {
	KID         string    `json:"kid"`                   // thumbprint
	Alg         string    `json:"alg"`                   // its one algorithm
	State       KeyState  `json:"state"`                 // pending, active or retired
	CreatedAt   time.Time `json:"created_at"`            // generated
	ActivatedAt time.Time `json:"activated_at,omitzero"` // started signing
	RetiredAt   time.Time `json:"retired_at,omitzero"`   // stopped signing
}

// List returns the keys in the store (public data only).
func (m *KeyManager) List(ctx context.Context) ([]KeyInfo, error) {
	recs, err := m.store.ListKeys(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]KeyInfo, len(recs))
	for i, r := range recs {
		out[i] = KeyInfo{KID: r.KID, Alg: r.Alg, State: r.State, CreatedAt: r.CreatedAt, ActivatedAt: r.ActivatedAt, RetiredAt: r.RetiredAt}
	}
	return out, nil
}

// AddPending generates a new key in the pending state: published in the JWKS
// (so caches of other verifiers learn it) but not yet signing.
func (m *KeyManager) AddPending(ctx context.Context) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	kid, err := m.create(ctx, KeyPending)
	if err != nil {
		return "", err
	}
	return kid, m.load(ctx)
}

func (m *KeyManager) create(ctx context.Context, state KeyState) (string, error) {
	rec, priv, err := newKeyRecord(m.alg, m.sealer)
	if err != nil {
		return "", err
	}
	now := m.now().UTC()
	rec.State, rec.CreatedAt = state, now
	if state == KeyActive {
		rec.ActivatedAt = now
	}
	if err := m.store.CreateKey(ctx, rec); err != nil {
		return "", err
	}
	m.privs.Store(rec.KID, priv)
	return rec.KID, nil
}

// Activate makes kid the signing key and retires every other active key.
func (m *KeyManager) Activate(ctx context.Context, kid string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.activate(ctx, kid); err != nil {
		return err
	}
	return m.load(ctx)
}

// newerActivation orders active keys: the later activation wins, ties go
// to the larger kid. Every node applies the same order, so concurrent
// activations on several nodes retire all but one key, never all of them.
func newerActivation(a, b *KeyRecord) bool {
	if c := a.ActivatedAt.Compare(b.ActivatedAt); c != 0 {
		return c > 0
	}
	return a.KID > b.KID
}

func (m *KeyManager) activate(ctx context.Context, kid string) error {
	now := m.now().UTC()
	before, err := m.store.ListKeys(ctx)
	if err != nil {
		return err
	}
	// An activation is later than every one this node knows of, even on a
	// coarse or skewed clock. Stores keep microseconds, so the stamp is
	// truncated to them and every node compares the same values.
	at := now.Truncate(time.Microsecond)
	for _, r := range before {
		if r.State == KeyActive && r.KID != kid && !at.After(r.ActivatedAt) {
			at = r.ActivatedAt.Add(time.Microsecond)
		}
	}
	var mine KeyRecord
	err = m.store.UpdateKey(ctx, kid, func(k *KeyRecord) error {
		if k.State == KeyRetired {
			return fmt.Errorf("auth: key %s is retired and cannot be re-activated", kid)
		}
		if k.State != KeyActive {
			k.State, k.ActivatedAt = KeyActive, at
		}
		mine = *k
		return nil
	})
	if err != nil {
		return err
	}
	recs, err := m.store.ListKeys(ctx)
	if err != nil {
		return err
	}
	// Only the newest activation may stay active. Whichever of two
	// concurrent activations lists the keys after the other's write sees
	// both, so every older key is retired by someone and the newest by no
	// one.
	for _, r := range recs {
		if r.State == KeyActive && r.KID != kid && newerActivation(&r, &mine) {
			if err := m.retire(ctx, kid, now); err != nil {
				return err
			}
			m.audit.Record(ctx, Event{Type: EventKeyRotated, KID: r.KID, OldKID: kid})
			return nil
		}
	}
	for _, r := range recs {
		if r.State == KeyActive && r.KID != kid && newerActivation(&mine, &r) {
			if err := m.retire(ctx, r.KID, now); err != nil {
				return err
			}
			m.audit.Record(ctx, Event{Type: EventKeyRotated, KID: kid, OldKID: r.KID})
		}
	}
	return nil
}

func (m *KeyManager) retire(ctx context.Context, kid string, now time.Time) error {
	err := m.store.UpdateKey(ctx, kid, func(k *KeyRecord) error {
		if k.State != KeyRetired {
			k.State, k.RetiredAt = KeyRetired, now
		}
		return nil
	})
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

// Rotate generates a new key and makes it the signing key at once; the
// previous key is retired (still verifies until removed). Use it on demand,
// e.g. on suspected compromise together with [KeyManager.Remove]. Scheduled
// rotation with pre-publication is [KeyManager.Maintain].
func (m *KeyManager) Rotate(ctx context.Context) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	kid, err := m.create(ctx, KeyPending)
	if err != nil {
		return "", err
	}
	if err := m.activate(ctx, kid); err != nil {
		return "", err
	}
	return kid, m.load(ctx)
}

// Retire stops kid from signing; it keeps verifying until removed.
func (m *KeyManager) Retire(ctx context.Context, kid string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.retire(ctx, kid, m.now().UTC()); err != nil {
		return err
	}
	return m.load(ctx)
}

// ErrActiveKey is returned by Remove for the key that signs: rotate first.
var ErrActiveKey = errors.New("auth: the active signing key cannot be removed; rotate first")

// Remove deletes kid: tokens it signed stop verifying at once on this node
// and within KeyRefreshInterval on the others. The active key cannot be
// removed (ErrActiveKey): call Rotate first.
func (m *KeyManager) Remove(ctx context.Context, kid string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	recs, err := m.store.ListKeys(ctx)
	if err != nil {
		return err
	}
	for _, r := range recs {
		if r.KID == kid && r.State == KeyActive {
			return ErrActiveKey
		}
	}
	if err := m.store.DeleteKey(ctx, kid); err != nil {
		return err
	}
	m.privs.Delete(kid)
	m.audit.Record(ctx, Event{Type: EventKeyRemoved, KID: kid})
	return m.load(ctx)
}

// Maintain applies the rotation schedule once: it makes sure a key signs,
// pre-publishes the next key KeyPrePublish before the active one is
// KeyRotationInterval old, activates it when due, retires extra active keys
// left by concurrent nodes, and removes retired keys older than
// KeyRetireGrace. It is idempotent and safe to run on every node.
func (m *KeyManager) Maintain(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now().UTC()
	recs, err := m.store.ListKeys(ctx)
	if err != nil {
		return err
	}
	var active, pending []KeyRecord
	for _, r := range recs {
		switch r.State {
		case KeyActive:
			active = append(active, r)
		case KeyPending:
			pending = append(pending, r)
		case KeyRetired:
			if !now.Before(r.RetiredAt.Add(m.retireGrace)) {
				if err := m.store.DeleteKey(ctx, r.KID); err != nil && !errors.Is(err, ErrNotFound) {
					return err
				}
				m.privs.Delete(r.KID)
				m.audit.Record(ctx, Event{Type: EventKeyRemoved, KID: r.KID})
			}
		}
	}
	slices.SortFunc(active, func(a, b KeyRecord) int {
		if newerActivation(&a, &b) {
			return -1
		}
		return 1
	})
	switch {
	case len(active) == 0 && len(pending) > 0:
		err = m.activate(ctx, pending[0].KID)
	case len(active) == 0:
		var kid string
		if kid, err = m.create(ctx, KeyPending); err == nil {
			err = m.activate(ctx, kid)
		}
	default:
		age := now.Sub(active[0].ActivatedAt)
		if len(active) > 1 {
			err = m.activate(ctx, active[0].KID)
		}
		if err == nil && len(pending) > 0 && age >= m.rotateEvery && !now.Before(pending[0].CreatedAt.Add(m.prePublish)) {
			err = m.activate(ctx, pending[0].KID)
		} else if err == nil && len(pending) == 0 && age >= m.rotateEvery-m.prePublish {
			_, err = m.create(ctx, KeyPending)
		}
	}
	if err != nil {
		return err
	}
	return m.load(ctx)
}

// JWKS returns the handler serving the JSON Web Key Set (public keys of
// pending, active and retired keys) with Cache-Control max-age and an ETag.
func (m *KeyManager) JWKS() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		s, err := m.snapshot(r.Context())
		if err != nil {
			http.Error(w, "temporarily unavailable", http.StatusServiceUnavailable)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "application/jwk-set+json")
		h.Set("Cache-Control", fmt.Sprintf("public, max-age=%d", int(m.jwksMaxAge/time.Second)))
		h.Set("ETag", s.etag)
		if match := r.Header.Get("If-None-Match"); match != "" && match == s.etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		if r.Method == http.MethodHead {
			return
		}
		_, _ = w.Write(s.jwks)
	})
}
