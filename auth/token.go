package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"strconv"
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

// appendJSONString appends s as a JSON string. Identifiers here are
// almost always plain ASCII; anything else goes through encoding/json.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// appendClaims encodes c exactly as encoding/json would encode
// AccessClaims (same members, order and forms), without reflection: the
// token endpoint signs one per request.
func appendClaims(b []byte, c *AccessClaims) []byte {
	b = append(b, `{"iss":`...)
	b = appendJSONString(b, c.Issuer)
	b = append(b, `,"sub":`...)
	b = appendJSONString(b, c.Subject)
	b = append(b, `,"aud":[`...)
	for i, a := range c.Audience {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, a)
	}
	b = append(b, `],"exp":`...)
	b = strconv.AppendInt(b, c.ExpiresAt.Unix(), 10)
	b = append(b, `,"nbf":`...)
	b = strconv.AppendInt(b, c.NotBefore.Unix(), 10)
	b = append(b, `,"iat":`...)
	b = strconv.AppendInt(b, c.IssuedAt.Unix(), 10)
	b = append(b, `,"jti":`...)
	b = appendJSONString(b, c.ID)
	b = append(b, `,"client_id":`...)
	b = appendJSONString(b, c.ClientID)
	b = append(b, `,"scope":`...)
	b = appendJSONString(b, c.Scope)
	b = append(b, `,"tid":`...)
	b = appendJSONString(b, c.TenantID)
	if c.SecretID != "" {
		b = append(b, `,"sid":`...)
		b = appendJSONString(b, c.SecretID)
	}
	return append(b, '}')
}

// mint signs an access token and returns it with its claims and the kid
// that signed it.
func (m *KeyManager) mint(ctx context.Context, cfg *Config, clientID, secretID, tenant string, scopes []string, ttl time.Duration) (string, *AccessClaims, string, error) {
	k, err := m.signer(ctx)
	if err != nil {
		return "", nil, "", err
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
	var scratch [320]byte
	payload := appendClaims(scratch[:0], claims)
	buf := make([]byte, 0, len(k.header)+1+base64.RawURLEncoding.EncodedLen(len(payload))+1+200)
	buf = append(buf, k.header...)
	buf = append(buf, '.')
	buf = base64.RawURLEncoding.AppendEncode(buf, payload)
	sig, err := k.method.Sign(string(buf), k.priv)
	if err != nil {
		return "", nil, "", err
	}
	buf = append(buf, '.')
	buf = base64.RawURLEncoding.AppendEncode(buf, sig)
	return string(buf), claims, k.kid, nil
}
