package auth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"

	"github.com/golang-jwt/jwt/v5"
)

// Supported JWS algorithms for access tokens. Each signing key is used with
// exactly one of them.
const (
	AlgES256 = "ES256"
	AlgRS256 = "RS256"
	AlgEdDSA = "EdDSA"
)

// JWK is the public JSON Web Key form served in the JWKS. It never carries
// private members.
type JWK struct {
	Kty string `json:"kty"`           // EC, RSA or OKP
	Use string `json:"use"`           // always "sig"
	Alg string `json:"alg"`           // the one algorithm of this key
	Kid string `json:"kid"`           // RFC 7638 thumbprint
	Crv string `json:"crv,omitempty"` // P-256 or Ed25519
	X   string `json:"x,omitempty"`   // EC/OKP x coordinate
	Y   string `json:"y,omitempty"`   // EC y coordinate
	N   string `json:"n,omitempty"`   // RSA modulus
	E   string `json:"e,omitempty"`   // RSA exponent
}

// JWKSet is the JSON Web Key Set document.
type JWKSet struct {
	Keys []JWK `json:"keys"` // the public keys
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// publicJWK builds the JWK of a public key (kid left empty).
func publicJWK(pub crypto.PublicKey, alg string) (JWK, error) {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() {
			return JWK{}, fmt.Errorf("auth: unsupported curve %s", k.Curve.Params().Name)
		}
		raw, err := k.Bytes() // uncompressed point 0x04 || X || Y
		if err != nil {
			return JWK{}, err
		}
		return JWK{Kty: "EC", Use: "sig", Alg: alg, Crv: "P-256", X: b64(raw[1:33]), Y: b64(raw[33:65])}, nil
	case *rsa.PublicKey:
		return JWK{Kty: "RSA", Use: "sig", Alg: alg, N: b64(k.N.Bytes()), E: b64(big.NewInt(int64(k.E)).Bytes())}, nil
	case ed25519.PublicKey:
		return JWK{Kty: "OKP", Use: "sig", Alg: alg, Crv: "Ed25519", X: b64(k)}, nil
	}
	return JWK{}, fmt.Errorf("auth: unsupported public key type %T", pub)
}

// Thumbprint returns the RFC 7638 JWK thumbprint (SHA-256, base64url) of j:
// the hash of the required members in lexicographic order, no whitespace.
func (j JWK) Thumbprint() string {
	var canon string
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	switch j.Kty {
	case "EC":
		canon = `{"crv":` + q(j.Crv) + `,"kty":"EC","x":` + q(j.X) + `,"y":` + q(j.Y) + `}`
	case "RSA":
		canon = `{"e":` + q(j.E) + `,"kty":"RSA","n":` + q(j.N) + `}`
	case "OKP":
		canon = `{"crv":` + q(j.Crv) + `,"kty":"OKP","x":` + q(j.X) + `}`
	}
	sum := sha256.Sum256([]byte(canon))
	return b64(sum[:])
}

// generateKey creates a private key for alg.
func generateKey(alg string) (crypto.Signer, error) {
	switch alg {
	case AlgES256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case AlgRS256:
		return rsa.GenerateKey(rand.Reader, 2048)
	case AlgEdDSA:
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		return priv, err
	}
	return nil, fmt.Errorf("auth: unsupported algorithm %q", alg)
}

// signingMethod maps an algorithm name to golang-jwt's method.
func signingMethod(alg string) jwt.SigningMethod {
	switch alg {
	case AlgES256:
		return jwt.SigningMethodES256
	case AlgRS256:
		return jwt.SigningMethodRS256
	case AlgEdDSA:
		return jwt.SigningMethodEdDSA
	}
	return nil
}

// keyMatchesAlg reports whether pub is the right key type for alg.
func keyMatchesAlg(pub crypto.PublicKey, alg string) bool {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		return alg == AlgES256 && k.Curve == elliptic.P256()
	case *rsa.PublicKey:
		return alg == AlgRS256 && k.N.BitLen() >= 2048
	case ed25519.PublicKey:
		return alg == AlgEdDSA
	}
	return false
}

// newKeyRecord generates a key for alg and returns its sealed record.
func newKeyRecord(alg string, s *Sealer) (KeyRecord, crypto.Signer, error) {
	priv, err := generateKey(alg)
	if err != nil {
		return KeyRecord{}, nil, err
	}
	pubDER, err := x509.MarshalPKIXPublicKey(priv.Public())
	if err != nil {
		return KeyRecord{}, nil, err
	}
	j, err := publicJWK(priv.Public(), alg)
	if err != nil {
		return KeyRecord{}, nil, err
	}
	kid := j.Thumbprint()
	privDER, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return KeyRecord{}, nil, err
	}
	return KeyRecord{KID: kid, Alg: alg, PublicKey: pubDER, SealedPrivateKey: s.Seal(privDER, kid)}, priv, nil
}
