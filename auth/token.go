package auth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
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

// tokenClaims are the claims the token endpoint signs, in plain fields so
// that minting allocates nothing for them; appendClaims encodes them
// exactly as encoding/json encodes the equivalent [AccessClaims].
type tokenClaims struct {
	iss, sub, aud string
	exp, nbf, iat int64 // Unix seconds
	jti, clientID string
	scope, tid    string
	sid           string // omitted when empty
}

// appendClaims encodes c exactly as encoding/json would encode the
// equivalent AccessClaims (same members, order and forms), without
// reflection: the token endpoint signs one per request.
func appendClaims(b []byte, c *tokenClaims) []byte {
	b = append(b, `{"iss":`...)
	b = appendJSONString(b, c.iss)
	b = append(b, `,"sub":`...)
	b = appendJSONString(b, c.sub)
	b = append(b, `,"aud":[`...)
	b = appendJSONString(b, c.aud)
	b = append(b, `],"exp":`...)
	b = strconv.AppendInt(b, c.exp, 10)
	b = append(b, `,"nbf":`...)
	b = strconv.AppendInt(b, c.nbf, 10)
	b = append(b, `,"iat":`...)
	b = strconv.AppendInt(b, c.iat, 10)
	b = append(b, `,"jti":`...)
	b = appendJSONString(b, c.jti)
	b = append(b, `,"client_id":`...)
	b = appendJSONString(b, c.clientID)
	b = append(b, `,"scope":`...)
	b = appendJSONString(b, c.scope)
	b = append(b, `,"tid":`...)
	b = appendJSONString(b, c.tid)
	if c.sid != "" {
		b = append(b, `,"sid":`...)
		b = appendJSONString(b, c.sid)
	}
	return append(b, '}')
}

// mintedToken is a signed access token and what the token endpoint needs
// to know about it.
type mintedToken struct {
	token    string
	jti      string
	scope    string
	kid      string
	iat, exp time.Time
}

// mint signs an access token with the active key. The compact JWS is
// appended to dst (the token endpoint's response buffer, so that the token
// is built in place) and also returned as a string.
func (m *KeyManager) mint(ctx context.Context, cfg *Config, clientID, secretID, tenant string, scopes []string, ttl time.Duration, dst []byte) ([]byte, mintedToken, error) {
	k, err := m.signer(ctx)
	if err != nil {
		return dst, mintedToken{}, err
	}
	now := cfg.Now().Truncate(time.Second)
	exp := now.Add(ttl)
	scope := tenant
	if len(scopes) > 0 {
		scope = tenant + " " + strings.Join(scopes, " ")
	}
	c := tokenClaims{
		iss: cfg.Issuer, sub: clientID, aud: cfg.Audience,
		exp: exp.Unix(), nbf: now.Unix(), iat: now.Unix(),
		jti: newJTI(), clientID: clientID, scope: scope, tid: tenant, sid: secretID,
	}
	var scratch [384]byte
	payload := appendClaims(scratch[:0], &c)
	// header.payload.signature, with room for the signature so that
	// signing does not grow the buffer.
	sigLen := 64 // ES256 (r||s) and EdDSA
	if rk, ok := k.priv.(*rsa.PrivateKey); ok {
		sigLen = rk.Size()
	}
	start := len(dst)
	buf := slices.Grow(dst, len(k.header)+1+base64.RawURLEncoding.EncodedLen(len(payload))+1+base64.RawURLEncoding.EncodedLen(sigLen))
	buf = append(buf, k.header...)
	buf = append(buf, '.')
	buf = base64.RawURLEncoding.AppendEncode(buf, payload)
	// The signing input is buf[start:]; appendSignature signs what it is given.
	signed, err := k.appendSignature(buf[start:])
	if err != nil {
		return dst, mintedToken{}, err
	}
	if &signed[0] == &buf[start] { // signed in place (the usual case: capacity was reserved)
		buf = buf[:start+len(signed)]
	} else {
		buf = append(buf[:start], signed...)
	}
	return buf, mintedToken{token: string(signed), jti: c.jti, scope: scope, kid: k.kid, iat: now, exp: exp}, nil
}

// appendSignature signs the JWS signing input in buf and appends '.' and
// the base64url signature. ES256, EdDSA and RS256 call crypto/* directly
// (the JWS forms of RFC 7518 §3.4, RFC 8037 §3.1 and RFC 7518 §3.3), which
// skips golang-jwt's string copies and, for ES256, the detour through
// math/big; any other method goes through golang-jwt.
func (k *activeKey) appendSignature(buf []byte) ([]byte, error) {
	var sig []byte
	switch priv := k.priv.(type) {
	case *ecdsa.PrivateKey:
		if k.method != jwt.SigningMethodES256 {
			break
		}
		digest := sha256.Sum256(buf)
		der, err := ecdsa.SignASN1(rand.Reader, priv, digest[:])
		if err != nil {
			return nil, err
		}
		var raw [64]byte
		if !derToRawP256(der, &raw) {
			return nil, errors.New("auth: malformed ECDSA signature")
		}
		buf = append(buf, '.')
		return base64.RawURLEncoding.AppendEncode(buf, raw[:]), nil
	case ed25519.PrivateKey:
		if k.method != jwt.SigningMethodEdDSA {
			break
		}
		sig = ed25519.Sign(priv, buf)
	case *rsa.PrivateKey:
		if k.method != jwt.SigningMethodRS256 {
			break
		}
		digest := sha256.Sum256(buf)
		var err error
		if sig, err = rsa.SignPKCS1v15(rand.Reader, priv, crypto.SHA256, digest[:]); err != nil {
			return nil, err
		}
	}
	if sig == nil {
		var err error
		if sig, err = k.method.Sign(string(buf), k.priv); err != nil {
			return nil, err
		}
	}
	buf = append(buf, '.')
	return base64.RawURLEncoding.AppendEncode(buf, sig), nil
}

// derToRawP256 converts an ASN.1 DER ECDSA-Sig-Value (SEQUENCE of two
// INTEGERs, as crypto/ecdsa.SignASN1 produces) into the JWS form: r and s
// as 32-byte big-endian values, concatenated. It accepts only minimal,
// positive integers below 2^256 and no trailing data.
func derToRawP256(der []byte, out *[64]byte) bool {
	if len(der) < 2 || der[0] != 0x30 || int(der[1]) != len(der)-2 || der[1] >= 0x80 {
		return false // the longest P-256 signature is 72 bytes: short-form length
	}
	rest := der[2:]
	for i := range 2 {
		if len(rest) < 3 || rest[0] != 0x02 {
			return false
		}
		n := int(rest[1])
		if n == 0 || n > 33 || len(rest) < 2+n {
			return false
		}
		v := rest[2 : 2+n]
		switch {
		case v[0]&0x80 != 0:
			return false // negative
		case v[0] == 0 && (len(v) == 1 || v[1]&0x80 == 0):
			return false // not minimal (or zero)
		case v[0] == 0:
			v = v[1:]
		}
		if len(v) > 32 {
			return false
		}
		copy(out[i*32+32-len(v):(i+1)*32], v)
		rest = rest[2+n:]
	}
	return len(rest) == 0
}
