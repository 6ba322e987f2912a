package auth

// CacheStats are the cumulative lookups of a cache since start-up, for
// metrics (package observe turns them into hit rates).
type CacheStats struct {
	// Hits are lookups answered from the cache.
	Hits uint64
	// Misses are lookups that went past it (absent or stale entries).
	Misses uint64
}

// CacheStats returns the lookups of the verified-token cache (shared with
// the variants built from [Server.VerifierConfig]); zero when the cache is
// disabled.
func (v *Verifier) CacheStats() CacheStats {
	if v.cache == nil {
		return CacheStats{}
	}
	return CacheStats{Hits: v.cache.hits.Load(), Misses: v.cache.misses.Load()}
}

// CacheStats returns the lookups of the client-record cache of the token
// endpoint.
func (r *Registry) CacheStats() CacheStats {
	return CacheStats{Hits: r.hits.Load(), Misses: r.misses.Load()}
}
