package auth

import (
	"context"
	"errors"
	"slices"
	"time"
)

// Sentinel errors returned by every [Store] implementation. Stores wrap
// driver errors with %w where useful; callers test with [errors.Is].
var (
	// ErrNotFound reports that the client, key or entry does not exist.
	ErrNotFound = errors.New("auth: not found")
	// ErrConflict reports that a record with the same identifier already exists
	// (CreateClient, CreateKey).
	ErrConflict = errors.New("auth: already exists")
	// ErrUnavailable is returned (wrapped) by stores when the backing database
	// cannot be reached or times out. The token endpoint answers 503 for it and
	// for any other unexpected store error.
	ErrUnavailable = errors.New("auth: store unavailable")
)

// Client is the persisted record of one OAuth2 client. Business rules (how many
// secrets may be active, which grants are valid, the format of tenant ids) are
// enforced by the auth package, not by stores: a store persists whatever record
// it is given.
//
// Stores return copies: a caller may modify a returned *Client freely, and a
// store never keeps a reference to a record passed in.
type Client struct {
	// ID is the public client_id (1 to 128 characters of [A-Za-z0-9._~-]).
	ID string
	// Name is an optional human label shown in admin listings.
	Name string
	// Disabled clients fail authentication with invalid_client.
	Disabled bool
	// GrantTypes lists the OAuth2 grants the client may use; the token
	// endpoint requires "client_credentials".
	GrantTypes []string
	// Tenants are the canonical (lower-case) tenant GUIDs the client may ask
	// tokens for, sorted.
	Tenants []string
	// Scopes are optional extra scopes (e.g. SMART "system/Patient.read") the
	// client may request besides its tenant, sorted.
	Scopes []string
	// TokenTTL overrides the issuer's default token lifetime when non-zero;
	// it is bounded by the issuer's configuration.
	TokenTTL time.Duration
	// Secrets holds every secret record, including revoked and expired ones
	// (kept for the audit trail until pruned by the auth package).
	Secrets []SecretRecord
	// JWKS is the client's registered public JWK Set (JSON) for
	// private_key_jwt authentication; empty when the client has none.
	// Added after the first version of this interface: stores persist it
	// as an opaque blob.
	JWKS []byte
	// CreatedAt is set by the auth package when the client is created (UTC).
	CreatedAt time.Time
	// UpdatedAt is set by the auth package on every change (UTC).
	UpdatedAt time.Time
}

// SecretRecord is the stored form of one client secret. The plaintext is never
// stored: only its hash.
type SecretRecord struct {
	// ID is the public secret id embedded in the secret string (see
	// [ParseSecret]); unique within a client.
	ID string
	// Hash is SHA-256(secret) or HMAC-SHA-256(pepper, secret), 32 bytes.
	Hash []byte
	// Alg names the hash: "sha256" or "hmac-sha256:<pepper id>".
	Alg string
	// Hint is the last characters of the secret, for humans (like Azure's hint).
	Hint string
	// CreatedAt is when the secret was generated (UTC).
	CreatedAt time.Time
	// ExpiresAt is when the secret stops working; zero means never.
	ExpiresAt time.Time
	// RevokedAt is when the secret was revoked; zero means not revoked.
	RevokedAt time.Time
}

// KeyState is the lifecycle state of a signing key:
// pending -> active -> retired -> (removed: the record is deleted).
type KeyState string

// The signing-key lifecycle states.
const (
	// KeyPending keys are published in the JWKS but do not sign yet.
	KeyPending KeyState = "pending"
	// KeyActive keys sign new tokens (the most recently activated one signs)
	// and are published.
	KeyActive KeyState = "active"
	// KeyRetired keys no longer sign but stay published so tokens they signed
	// verify until the keys are removed.
	KeyRetired KeyState = "retired"
)

// KeyRecord is the stored form of one signing key. The private key is sealed
// (AES-256-GCM, see [Sealer]) by the auth package before it reaches a store, so
// a store only ever holds ciphertext.
type KeyRecord struct {
	// KID is the RFC 7638 JWK thumbprint of the public key (base64url).
	KID string
	// Alg is the one JWS algorithm this key is used with: "ES256", "RS256" or
	// "EdDSA".
	Alg string
	// State is the lifecycle state.
	State KeyState
	// PublicKey is the PKIX (SubjectPublicKeyInfo) DER encoding.
	PublicKey []byte
	// SealedPrivateKey is the AES-GCM sealed PKCS#8 DER private key.
	SealedPrivateKey []byte
	// CreatedAt is when the key was generated (UTC).
	CreatedAt time.Time
	// ActivatedAt is when the key became active; zero while pending.
	ActivatedAt time.Time
	// RetiredAt is when the key stopped signing; zero unless retired.
	RetiredAt time.Time
}

// ClientStore persists client records. Implementations must be safe for
// concurrent use.
type ClientStore interface {
	// GetClient returns a copy of the client or an error wrapping ErrNotFound.
	GetClient(ctx context.Context, id string) (*Client, error)
	// CreateClient inserts a new client; ErrConflict if the id exists.
	CreateClient(ctx context.Context, c *Client) error
	// UpdateClient atomically reads the client, calls fn with a copy, and
	// writes the modified copy back, all in one transaction (or under one
	// lock), so that concurrent updates serialise. If fn returns an error
	// nothing is written and that error is returned unchanged. ErrNotFound if
	// the client does not exist. fn may be called more than once if the store
	// retries a serialisation failure, so it must have no side effects beyond
	// the record.
	UpdateClient(ctx context.Context, id string, fn func(*Client) error) error
	// ListClients returns copies of all clients ordered by ID.
	ListClients(ctx context.Context) ([]*Client, error)
}

// KeyStore persists signing-key records. Implementations must be safe for
// concurrent use.
type KeyStore interface {
	// ListKeys returns copies of all key records ordered by CreatedAt, then
	// KID.
	ListKeys(ctx context.Context) ([]KeyRecord, error)
	// CreateKey inserts a new key; ErrConflict if the KID exists.
	CreateKey(ctx context.Context, k KeyRecord) error
	// UpdateKey atomically reads the key, calls fn with a copy and writes it
	// back (same contract as UpdateClient; KID must not change).
	UpdateKey(ctx context.Context, kid string, fn func(*KeyRecord) error) error
	// DeleteKey removes the key (the "removed" state); ErrNotFound if absent.
	DeleteKey(ctx context.Context, kid string) error
}

// DenyList stores short-lived opaque entries (revoked token ids, revoked
// secret ids, consumed assertion ids) until an expiry time. Keys are opaque
// strings up to 256 bytes chosen by the auth package (e.g. "jti:<id>",
// "sid:<client>/<secret id>"). Implementations must be safe for concurrent use.
type DenyList interface {
	// Deny records key until the given time. It is atomic insert-if-absent:
	// added is true if the key was not present (or present but expired at
	// now), false if an unexpired entry already existed (whose expiry is then
	// raised to until if later). This makes it usable as a replay cache.
	Deny(ctx context.Context, key string, until, now time.Time) (added bool, err error)
	// IsDenied reports whether key has an entry whose expiry is after now.
	IsDenied(ctx context.Context, key string, now time.Time) (bool, error)
	// PurgeDenied deletes entries that expired at or before now and reports
	// how many were removed.
	PurgeDenied(ctx context.Context, now time.Time) (int, error)
}

// Store is everything the auth package persists. [MemoryStore] implements it
// in memory; package auth/sqlstore implements it on SQLite and PostgreSQL; the
// conformance suite in auth/storetest checks any implementation.
type Store interface {
	ClientStore
	KeyStore
	DenyList
}

// Clone returns a deep copy of c (nil for nil).
func (c *Client) Clone() *Client {
	if c == nil {
		return nil
	}
	cp := *c
	cp.GrantTypes = slices.Clone(c.GrantTypes)
	cp.Tenants = slices.Clone(c.Tenants)
	cp.Scopes = slices.Clone(c.Scopes)
	cp.JWKS = slices.Clone(c.JWKS)
	if c.Secrets != nil {
		cp.Secrets = make([]SecretRecord, len(c.Secrets))
		for i, s := range c.Secrets {
			s.Hash = slices.Clone(s.Hash)
			cp.Secrets[i] = s
		}
	}
	return &cp
}

// Clone returns a deep copy of k.
func (k KeyRecord) Clone() KeyRecord {
	k.PublicKey = slices.Clone(k.PublicKey)
	k.SealedPrivateKey = slices.Clone(k.SealedPrivateKey)
	return k
}
