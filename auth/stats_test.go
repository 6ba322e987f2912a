package auth

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The caches count their lookups: a token request reads the client (a
// miss, then a hit), a token the issuer seeded is a verifier hit, a token
// of another server's making is a miss.
func TestCacheStats(t *testing.T) {
	e := newEnv(t, nil)
	assert.Equal(t, CacheStats{}, e.srv.Verifier().CacheStats())
	tok := e.token()
	e.token()
	reg := e.srv.Registry().CacheStats()
	assert.Equal(t, uint64(1), reg.Misses, "the first token request loads the client")
	assert.Equal(t, uint64(1), reg.Hits, "the second finds it cached")

	_, err := e.srv.Verifier().Verify(context.Background(), tok)
	require.NoError(t, err)
	assert.Equal(t, CacheStats{Hits: 1}, e.srv.Verifier().CacheStats(), "the issuer seeded the cache")
	other := newEnv(t, nil).token()
	_, err = e.srv.Verifier().Verify(context.Background(), other)
	assert.Error(t, err)
	assert.Equal(t, CacheStats{Hits: 1, Misses: 1}, e.srv.Verifier().CacheStats())

	vc := e.srv.VerifierConfig()
	vc.CacheSize = -1
	v, err := NewVerifier(vc)
	require.NoError(t, err)
	_, err = v.Verify(context.Background(), tok)
	require.NoError(t, err)
	assert.Equal(t, CacheStats{}, v.CacheStats(), "no cache, no lookups")
}
