package auth

import (
	"math"
	"net"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// ipLimiter is a per-IP token bucket of failed authentications with bounded
// memory. Only failures consume tokens; a request from an IP whose bucket is
// empty is refused before any credential is checked.
type ipLimiter struct {
	mu    sync.Mutex
	m     map[string]*rate.Limiter
	max   int
	limit rate.Limit
	burst int
}

func newIPLimiter(perMinute float64, burst, max int) *ipLimiter {
	return &ipLimiter{m: make(map[string]*rate.Limiter), max: max, limit: rate.Limit(perMinute / 60), burst: burst}
}

// bucket returns key's bucket, creating it (and making room) if needed.
func (l *ipLimiter) bucket(key string, now time.Time) *rate.Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	lim, ok := l.m[key]
	if !ok {
		if len(l.m) >= l.max {
			l.evictLocked(now)
		}
		lim = rate.NewLimiter(l.limit, l.burst)
		l.m[key] = lim
	}
	return lim
}

// take consumes one token for key and reports how long to wait when none
// is left (used for the per-client success limit).
func (l *ipLimiter) take(key string, now time.Time) (time.Duration, bool) {
	lim := l.bucket(key, now)
	r := lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return d, false
	}
	return 0, true
}

// blocked reports whether ip has no failure budget left and how long until
// it has one again.
func (l *ipLimiter) blocked(ip string, now time.Time) (time.Duration, bool) {
	l.mu.Lock()
	lim, ok := l.m[ip]
	l.mu.Unlock()
	if !ok {
		return 0, false
	}
	tokens := lim.TokensAt(now)
	if tokens >= 1 {
		return 0, false
	}
	wait := time.Duration((1 - tokens) / float64(l.limit) * float64(time.Second))
	return wait, true
}

// fail charges one failure to ip.
func (l *ipLimiter) fail(ip string, now time.Time) {
	lim := l.bucket(ip, now)
	lim.AllowN(now, 1)
}

// evictLocked drops idle buckets (full again, so forgetting them changes
// nothing); if none is idle it drops an arbitrary eighth of the map.
func (l *ipLimiter) evictLocked(now time.Time) {
	for ip, lim := range l.m {
		if lim.TokensAt(now) >= float64(l.burst) {
			delete(l.m, ip)
		}
	}
	n := len(l.m) / 8
	for ip := range l.m {
		if len(l.m) < l.max || n <= 0 {
			break
		}
		delete(l.m, ip)
		n--
	}
}

func (l *ipLimiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.m)
}

// retryAfterSeconds renders a wait as a Retry-After value (at least 1).
func retryAfterSeconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}

// remoteIP returns the host part of RemoteAddr.
func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
