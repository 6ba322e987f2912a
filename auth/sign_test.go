package auth

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/asn1"
	"math/big"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/golang-jwt/jwt/v5"
)

// TestMintedTokensVerifyWithGolangJWT checks the hand-assembled JWS (direct
// crypto/* signing) against golang-jwt's own verification for every
// algorithm, over enough ES256 tokens that short r or s values occur.
func TestMintedTokensVerifyWithGolangJWT(t *testing.T) {
	for alg, n := range map[string]int{AlgES256: 400, AlgEdDSA: 20, AlgRS256: 5} {
		t.Run(alg, func(t *testing.T) {
			e := newEnv(t, func(c *Config) { c.Alg = alg })
			ctx := context.Background()
			for range n {
				prefix := []byte("prefix:")
				out, mt, err := e.srv.Keys().mint(ctx, &e.srv.cfg, e.clientID, "sid0000001", tenantA, nil, time.Minute, prefix)
				require.NoError(t, err)
				require.Equal(t, "prefix:"+mt.token, string(out), "appended %q, token %q", out, mt.token)
				pub, palg, ok := e.srv.Keys().PublicKey(ctx, mt.kid)
				require.True(t, ok, "key %s: %v %s", mt.kid, ok, palg)
				require.Equal(t, alg, palg, "key %s: %v %s", mt.kid, ok, palg)
				var claims AccessClaims
				_, err = jwt.ParseWithClaims(mt.token, &claims, func(*jwt.Token) (any, error) { return pub, nil },
					jwt.WithValidMethods([]string{alg}), jwt.WithTimeFunc(e.clock.Now), jwt.WithStrictDecoding())
				require.NoError(t, err)
				require.Equal(t, mt.jti, claims.ID, "claims %+v vs %+v", claims, mt)
				require.Equal(t, mt.scope, claims.Scope, "claims %+v vs %+v", claims, mt)
				require.True(t, claims.ExpiresAt.Equal(mt.exp), "claims %+v vs %+v", claims, mt)
				require.Equal(t, "sid0000001", claims.SecretID, "claims %+v vs %+v", claims, mt)
			}
		})
	}
}

func TestDERToRawP256(t *testing.T) {
	type sig struct{ R, S *big.Int }
	der := func(r, s *big.Int) []byte {
		b, err := asn1.Marshal(sig{r, s})
		require.NoError(t, err)
		return b
	}
	max := new(big.Int).Lsh(big.NewInt(1), 256)
	for i := range 300 {
		r, _ := rand.Int(rand.Reader, max)
		s, _ := rand.Int(rand.Reader, max)
		if i%3 == 0 { // short values
			r.Rsh(r, uint(i%250))
		}
		if r.Sign() == 0 || s.Sign() == 0 {
			continue
		}
		var got, want [64]byte
		r.FillBytes(want[:32])
		s.FillBytes(want[32:])
		require.True(t, derToRawP256(der(r, s), &got), "r=%x s=%x: got %x", r, s, got)
		require.Equal(t, want, got, "r=%x s=%x: got %x", r, s, got)
	}
	one, big256 := big.NewInt(1), new(big.Int).Lsh(big.NewInt(1), 256)
	good := der(one, one)
	bad := map[string][]byte{
		"empty":           nil,
		"not a sequence":  append([]byte{0x31}, good[1:]...),
		"length mismatch": append(bytes.Clone(good), 0),
		"negative":        der(big.NewInt(-1), one),
		"zero":            der(big.NewInt(0), one),
		"too large":       der(big256, one),
		"non-minimal":     {0x30, 0x07, 0x02, 0x02, 0x00, 0x01, 0x02, 0x01, 0x01},
		"not an integer":  {0x30, 0x06, 0x04, 0x01, 0x01, 0x02, 0x01, 0x01},
		"one integer":     {0x30, 0x03, 0x02, 0x01, 0x01},
		"trailing data":   {0x30, 0x08, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x05, 0x00},
		"truncated":       {0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x05, 0x01},
	}
	for name, b := range bad {
		var out [64]byte
		assert.False(t, derToRawP256(b, &out), "%s: accepted %x", name, b)
	}
}
