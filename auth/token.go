package auth

import (
	"context"
	"crypto/rand"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// TokenType is the JWT typ header of access tokens (RFC 9068 §2.1).
const TokenType = "at+jwt"

// AccessClaims are the claims of an access token (RFC 9068 §2.2 plus the
// tenant).
type AccessClaims struct {
	jwt.RegisteredClaims
	// ClientID is the client the token was issued to (= sub).
	ClientID string `json:"client_id"`
	// Scope is the space-separated granted scope: the canonical tenant GUID
	// followed by any granted extra scopes.
	Scope string `json:"scope"`
	// TenantID repeats the tenant GUID so routers need not parse Scope; the
	// verifier checks that both agree.
	TenantID string `json:"tid"`
	// SecretID is the public id of the secret the client authenticated with,
	// so tokens minted with a revoked secret can be denied.
	SecretID string `json:"sid,omitempty"`
}

// newJTI returns 16 random bytes, base64url.
func newJTI() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return b64(b[:])
}

// mint signs an access token.
func (m *KeyManager) mint(ctx context.Context, cfg *Config, clientID, secretID, tenant string, scopes []string, ttl time.Duration) (string, *AccessClaims, error) {
	k, err := m.signer(ctx)
	if err != nil {
		return "", nil, err
	}
	now := cfg.Now().Truncate(time.Second)
	scope := tenant
	if len(scopes) > 0 {
		scope = tenant + " " + strings.Join(scopes, " ")
	}
	claims := &AccessClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    cfg.Issuer,
			Subject:   clientID,
			Audience:  jwt.ClaimStrings{cfg.Audience},
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ID:        newJTI(),
		},
		ClientID: clientID,
		Scope:    scope,
		TenantID: tenant,
		SecretID: secretID,
	}
	t := &jwt.Token{
		Header: map[string]any{"alg": k.method.Alg(), "typ": TokenType, "kid": k.kid},
		Claims: claims,
		Method: k.method,
	}
	s, err := t.SignedString(k.priv)
	if err != nil {
		return "", nil, err
	}
	return s, claims, nil
}
