package auth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// ClientAssertionType is the client_assertion_type of private_key_jwt
// (RFC 7523 §2.2, SMART Backend Services).
const ClientAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// maxAssertionLifetime bounds exp - now of a client assertion (SMART: no
// more than five minutes in the future).
const maxAssertionLifetime = 5 * time.Minute

// assertionAlgs are the algorithms accepted for client assertions.
var assertionAlgs = []string{"RS384", "ES384", "RS256", "ES256"}

// clientKey is one public key from a client's registered JWKS.
type clientKey struct {
	kid string
	alg string // empty: any alg matching the key type
	kty string
	pub crypto.PublicKey
}

// rawJWK is the JSON form of a public JWK in a client's JWKS.
type rawJWK struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Alg string `json:"alg"`
	Use string `json:"use"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
	N   string `json:"n"`
	E   string `json:"e"`
	D   string `json:"d"`
	P   string `json:"p"`
	Q   string `json:"q"`
}

// parseClientJWKS validates a client's public JWK Set for private_key_jwt:
// EC P-256/P-384 or RSA (>= 2048 bits) keys, each with a unique kid, no
// private members, use "sig" if given. It returns the keys.
func parseClientJWKS(raw []byte) ([]clientKey, error) {
	var set struct {
		Keys []rawJWK `json:"keys"`
	}
	if err := json.Unmarshal(raw, &set); err != nil {
		return nil, fmt.Errorf("%w: jwks: not a JWK Set", ErrInvalidInput)
	}
	if len(set.Keys) == 0 || len(set.Keys) > 10 {
		return nil, fmt.Errorf("%w: jwks: 1 to 10 keys required", ErrInvalidInput)
	}
	out := make([]clientKey, 0, len(set.Keys))
	seen := map[string]bool{}
	dec := base64.RawURLEncoding.Strict()
	for i, k := range set.Keys {
		bad := func(why string) error { return fmt.Errorf("%w: jwks.keys[%d]: %s", ErrInvalidInput, i, why) }
		if k.Kid == "" || len(k.Kid) > 128 || !wellFormedKID(k.Kid) || seen[k.Kid] {
			return nil, bad("kid missing, malformed or duplicate")
		}
		if k.D != "" || k.P != "" || k.Q != "" {
			return nil, bad("private key material is not accepted")
		}
		if k.Use != "" && k.Use != "sig" {
			return nil, bad(`use must be "sig"`)
		}
		if k.Alg != "" && !containsStr(assertionAlgs, k.Alg) {
			return nil, bad("unsupported alg")
		}
		ck := clientKey{kid: k.Kid, alg: k.Alg, kty: k.Kty}
		switch k.Kty {
		case "EC":
			var curve elliptic.Curve
			switch k.Crv {
			case "P-256":
				curve = elliptic.P256()
			case "P-384":
				curve = elliptic.P384()
			default:
				return nil, bad("unsupported curve")
			}
			x, err1 := dec.DecodeString(k.X)
			y, err2 := dec.DecodeString(k.Y)
			size := (curve.Params().BitSize + 7) / 8
			if err1 != nil || err2 != nil || len(x) != size || len(y) != size {
				return nil, bad("bad coordinates")
			}
			pub, err := ecdsa.ParseUncompressedPublicKey(curve, append(append([]byte{4}, x...), y...))
			if err != nil {
				return nil, bad("point not on curve")
			}
			ck.pub = pub
		case "RSA":
			n, err1 := dec.DecodeString(k.N)
			e, err2 := dec.DecodeString(k.E)
			if err1 != nil || err2 != nil || len(e) == 0 || len(e) > 4 {
				return nil, bad("bad modulus or exponent")
			}
			pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
			if pub.N.BitLen() < 2048 || pub.E < 3 || pub.E%2 == 0 {
				return nil, bad("RSA keys must have at least 2048 bits and an odd exponent")
			}
			ck.pub = pub
		default:
			return nil, bad("kty must be EC or RSA")
		}
		seen[k.Kid] = true
		out = append(out, ck)
	}
	return out, nil
}

// keyFitsAlg reports whether a client key may verify alg.
func (k clientKey) fits(alg string) bool {
	if k.alg != "" && k.alg != alg {
		return false
	}
	switch pub := k.pub.(type) {
	case *ecdsa.PublicKey:
		return (alg == "ES256" && pub.Curve == elliptic.P256()) || (alg == "ES384" && pub.Curve == elliptic.P384())
	case *rsa.PublicKey:
		return alg == "RS256" || alg == "RS384"
	}
	return false
}

// assertionClaims are the claims of a client assertion.
type assertionClaims struct {
	jwt.RegisteredClaims
}

// errAssertion is the internal reason of an assertion failure (audited, not
// sent).
var errAssertion = errors.New("bad client assertion")

// assertionSubject returns the unverified iss of an assertion, to find the
// client whose keys verify it.
func assertionSubject(assertion string) (string, bool) {
	if len(assertion) > 8192 || !wellFormedJWT(assertion) {
		return "", false
	}
	var c assertionClaims
	if _, _, err := jwt.NewParser().ParseUnverified(assertion, &c); err != nil {
		return "", false
	}
	return c.Issuer, c.Issuer != ""
}

// verifyAssertion checks a private_key_jwt client assertion for client c
// and consumes its jti (replays fail). The audience must be exactly the
// token URL or the issuer (an array may hold only those).
func (r *Registry) verifyAssertion(ctx context.Context, c *Client, assertion string, tokenURL string) (reason string, err error) {
	if len(c.JWKS) == 0 {
		return "no_jwks", errAssertion
	}
	keys, err := parseClientJWKS(c.JWKS)
	if err != nil {
		return "bad_jwks", errAssertion
	}
	now := r.cfg.Now()
	var claims assertionClaims
	parser := jwt.NewParser(
		jwt.WithValidMethods(assertionAlgs),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(r.cfg.Leeway),
		jwt.WithTimeFunc(r.cfg.Now),
		jwt.WithStrictDecoding(),
	)
	_, err = parser.ParseWithClaims(assertion, &claims, func(t *jwt.Token) (any, error) {
		for k := range t.Header {
			if !allowedHeader(k) {
				return nil, fmt.Errorf("header member %q not allowed", k)
			}
		}
		if typ, ok := t.Header["typ"]; ok && !strings.EqualFold(fmt.Sprint(typ), "JWT") {
			return nil, errors.New("typ must be JWT")
		}
		kid, _ := t.Header["kid"].(string)
		for _, k := range keys {
			if k.kid == kid && t.Method != nil && k.fits(t.Method.Alg()) {
				return k.pub, nil
			}
		}
		return nil, errors.New("no registered key for kid and alg")
	})
	if err != nil {
		return "assertion_invalid", errAssertion
	}
	switch {
	case claims.Issuer != c.ID || claims.Subject != c.ID:
		return "assertion_iss_sub", errAssertion
	case claims.ID == "" || len(claims.ID) > 256:
		return "assertion_jti", errAssertion
	case claims.ExpiresAt.Sub(now) > maxAssertionLifetime+r.cfg.Leeway:
		return "assertion_lifetime", errAssertion
	case len(claims.Audience) == 0:
		return "assertion_aud", errAssertion
	}
	for _, a := range claims.Audience {
		if a != tokenURL && a != r.cfg.Issuer {
			return "assertion_aud", errAssertion
		}
	}
	if r.deny == nil {
		return "no_replay_cache", errAssertion
	}
	// The key stays within the DenyList's 256 bytes whatever the jti.
	sum := sha256.Sum256([]byte(claims.ID))
	added, err := r.deny.Deny(ctx, "jwt:"+c.ID+"/"+b64(sum[:]), claims.ExpiresAt.Add(r.cfg.Leeway), now)
	if err != nil {
		return "store_error", fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	if !added {
		return "assertion_replay", errAssertion
	}
	return "", nil
}

// SetJWKS registers (or, with nil, removes) the client's public JWK Set
// for private_key_jwt.
func (r *Registry) SetJWKS(ctx context.Context, clientID string, jwks []byte, actor string) error {
	if string(jwks) == "null" {
		jwks = nil
	}
	if len(jwks) > 0 {
		if _, err := parseClientJWKS(jwks); err != nil {
			return err
		}
	}
	err := r.update(ctx, clientID, func(c *Client, _ time.Time) error { c.JWKS = jwks; return nil })
	if err == nil {
		r.audit.Record(ctx, Event{Type: EventClientUpdated, ClientID: clientID, Actor: actor, Reason: "jwks"})
	}
	return err
}

// authenticateAssertion authenticates a client by private_key_jwt.
// clientIDHint is the optional client_id form parameter, which must then
// name the assertion's issuer.
func (r *Registry) authenticateAssertion(ctx context.Context, clientIDHint, assertion, tokenURL string) (authResult, error) {
	iss, ok := assertionSubject(assertion)
	if !ok || (clientIDHint != "" && clientIDHint != iss) {
		return authResult{reason: "assertion_malformed"}, ErrInvalidClient
	}
	c, err := r.cached(ctx, iss)
	if err != nil {
		return authResult{reason: "store_error"}, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	if c == nil {
		return authResult{reason: "unknown_client"}, ErrInvalidClient
	}
	if reason, err := r.verifyAssertion(ctx, c, assertion, tokenURL); err != nil {
		if errors.Is(err, ErrUnavailable) {
			return authResult{reason: reason}, err
		}
		return authResult{reason: reason}, ErrInvalidClient
	}
	if c.Disabled {
		return authResult{reason: "client_disabled"}, ErrInvalidClient
	}
	return authResult{client: c}, nil
}
