package auth

import (
	"errors"
	"io"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// bucketSet is a set of token buckets keyed by string (an address, a client
// id, a pair of them) with bounded memory.
type bucketSet struct {
	mu    sync.Mutex
	m     map[string]*bucket
	max   int
	limit rate.Limit
	burst int
}

// bucket is one key's token bucket and when its running dry was last
// reported.
type bucket struct {
	*rate.Limiter
	reported time.Time // guarded by bucketSet.mu
}

func newBucketSet(perMinute float64, burst, max int) *bucketSet {
	return &bucketSet{m: make(map[string]*bucket), max: max, limit: rate.Limit(perMinute / 60), burst: burst}
}

// bucket returns key's bucket, creating it (and making room) if needed.
func (l *bucketSet) bucket(key string, now time.Time) *bucket {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.m[key]
	if !ok {
		if len(l.m) >= l.max {
			l.evictLocked(now)
		}
		b = &bucket{Limiter: rate.NewLimiter(l.limit, l.burst)}
		l.m[key] = b
	}
	return b
}

// take consumes one token for key and reports how long to wait when none
// is left (used for the per-client success limit).
func (l *bucketSet) take(key string, now time.Time) (time.Duration, bool) {
	lim := l.bucket(key, now)
	r := lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return d, false
	}
	return 0, true
}

// blocked reports whether key has no token left and how long until it has
// one again.
func (l *bucketSet) blocked(key string, now time.Time) (time.Duration, bool) {
	l.mu.Lock()
	b, ok := l.m[key]
	l.mu.Unlock()
	if !ok {
		return 0, false
	}
	tokens := b.TokensAt(now)
	if tokens >= 1 {
		return 0, false
	}
	wait := time.Duration((1 - tokens) / float64(l.limit) * float64(time.Second))
	return wait, true
}

// fail charges one failure to key and reports whether this failure emptied
// the bucket and that was not reported within the time the bucket takes to
// refill completely (the moment worth an alert: once per attack, not once
// per refilled token).
func (l *bucketSet) fail(key string, now time.Time) (report bool) {
	b := l.bucket(key, now)
	before := b.TokensAt(now)
	b.AllowN(now, 1)
	if before < 1 || before >= 2 {
		return false
	}
	refill := time.Duration(float64(l.burst) / float64(l.limit) * float64(time.Second))
	l.mu.Lock()
	defer l.mu.Unlock()
	if !b.reported.IsZero() && now.Sub(b.reported) < refill {
		return false
	}
	b.reported = now
	return true
}

// evictLocked drops idle buckets (full again, so forgetting them changes
// nothing); if none is idle it drops an arbitrary eighth of the map.
func (l *bucketSet) evictLocked(now time.Time) {
	for k, b := range l.m {
		if b.TokensAt(now) >= float64(l.burst) {
			delete(l.m, k)
		}
	}
	n := len(l.m) / 8
	for k := range l.m {
		if len(l.m) < l.max || n <= 0 {
			break
		}
		delete(l.m, k)
		n--
	}
}

func (l *bucketSet) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.m)
}

// failureBudget counts failed client authentications per (address, client
// id) and per client id. It never refuses anything by itself: the caller
// checks the credentials first, and only a request whose credentials failed
// is answered 429 instead of 401 when a budget is spent. Right credentials
// are served whatever others did, so nobody can lock a client out.
type failureBudget struct {
	pair   *bucketSet // key: address key + "|" + client id
	client *bucketSet // key: client id as presented (known or not)
}

// over reports whether a failure of clientID from addr is over either
// budget, and how long until both have room again.
func (f *failureBudget) over(addr clientAddr, clientID string, now time.Time) (time.Duration, bool) {
	wait, blocked := f.pair.blocked(addr.key+"|"+clientID, now)
	if clientID != "" {
		if w, b := f.client.blocked(clientID, now); b {
			wait, blocked = max(wait, w), true
		}
	}
	return wait, blocked
}

// charge records one failure and reports which budgets it just emptied.
func (f *failureBudget) charge(addr clientAddr, clientID string, now time.Time) (pairEmptied, clientEmptied bool) {
	pairEmptied = f.pair.fail(addr.key+"|"+clientID, now)
	if clientID != "" {
		clientEmptied = f.client.fail(clientID, now)
	}
	return pairEmptied, clientEmptied
}

// gate bounds the requests in progress on the token, revocation and admin
// endpoints, in total and per address key. A request takes a place only
// once its body has been read, so a client that never finishes its body
// holds none.
type gate struct {
	mu     sync.Mutex
	total  int
	max    int
	maxPer int
	per    map[string]int
}

func newGate(max, maxPer int) *gate {
	return &gate{max: max, maxPer: maxPer, per: make(map[string]int)}
}

// acquire takes a place for key, or reports false when the total or key's
// share is full.
func (g *gate) acquire(key string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.total >= g.max || g.per[key] >= g.maxPer {
		return false
	}
	g.total++
	g.per[key]++
	return true
}

// release returns a place taken by acquire.
func (g *gate) release(key string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.total--
	if n := g.per[key] - 1; n > 0 {
		g.per[key] = n
	} else {
		delete(g.per, key)
	}
}

// inUse returns the places taken in total and by key.
func (g *gate) inUse(key string) (total, byKey int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.total, g.per[key]
}

// clientAddr is the address a request is attributed to: ip for audit
// events, key for the limits (an IPv6 address counts as its /64, since one
// host usually holds a whole /64).
type clientAddr struct {
	ip  string
	key string
}

// addrResolver finds a request's client address: Config.ClientIP when set;
// otherwise the connection's peer, or, when the peer is a trusted proxy,
// the first untrusted address of X-Forwarded-For read from the right.
type addrResolver struct {
	custom  func(*http.Request) string
	proxies []netip.Prefix
}

// maxForwardedHops bounds the X-Forwarded-For entries examined.
const maxForwardedHops = 32

func parseProxies(in []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(in))
	for _, s := range in {
		s = strings.TrimSpace(s)
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, errors.New("not an IP address or CIDR prefix")
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

func (a *addrResolver) trusted(ip netip.Addr) bool {
	ip = ip.Unmap()
	for _, p := range a.proxies {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// peerTrusted reports whether the connection's peer is a configured proxy.
func (a *addrResolver) peerTrusted(r *http.Request) bool {
	ip, err := netip.ParseAddr(remoteIP(r))
	return err == nil && len(a.proxies) > 0 && a.trusted(ip)
}

func (a *addrResolver) resolve(r *http.Request) clientAddr {
	if a.custom != nil {
		return addrOf(sanitize(a.custom(r), 64))
	}
	peer := remoteIP(r)
	ip, err := netip.ParseAddr(peer)
	if err != nil || len(a.proxies) == 0 || !a.trusted(ip) {
		return addrOf(peer)
	}
	hops := r.Header.Values("X-Forwarded-For")
	seen := 0
	for h := len(hops) - 1; h >= 0; h-- {
		rest := hops[h]
		for rest != "" {
			var entry string
			if k := strings.LastIndexByte(rest, ','); k >= 0 {
				entry, rest = rest[k+1:], rest[:k]
			} else {
				entry, rest = rest, ""
			}
			entry = strings.TrimSpace(entry)
			if entry == "" {
				continue
			}
			if seen++; seen > maxForwardedHops {
				return addrOf(ip.Unmap().String())
			}
			next, err := netip.ParseAddr(entry)
			if err != nil {
				// Written by a trusted hop, so it should be an address: keep the
				// last address we can vouch for.
				return addrOf(ip.Unmap().String())
			}
			ip = next
			if !a.trusted(ip) {
				return addrOf(ip.Unmap().String())
			}
		}
	}
	return addrOf(ip.Unmap().String()) // every hop is a proxy: the leftmost one
}

// addrOf builds the clientAddr of an address string.
func addrOf(s string) clientAddr {
	ip, err := netip.ParseAddr(s)
	if err != nil {
		return clientAddr{ip: s, key: s}
	}
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return clientAddr{ip: ip.String(), key: p.String()}
	}
	return clientAddr{ip: ip.String(), key: ip.String()}
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

// bodyError says why a request body could not be read.
type bodyError int

const (
	bodyOK       bodyError = iota
	bodyTooLarge           // declared Content-Length over the cap: 413 at once
	bodyTimeout            // not received within BodyReadTimeout: 408
	bodyBad                // read error or over the cap while streaming: 400
)

// bodyBufs recycles the buffers request bodies are read into.
var bodyBufs = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// readBody reads r's whole body (at most maxBytes) under a read deadline of
// timeout from now, into a pooled buffer the caller returns with
// putBody. A declared Content-Length over maxBytes is refused before
// anything is read. The deadline is set on the connection through
// http.ResponseController (ignored where unsupported, e.g. a recorder).
func readBody(w http.ResponseWriter, r *http.Request, maxBytes int64, timeout time.Duration) (*[]byte, bodyError) {
	if r.ContentLength > maxBytes {
		return nil, bodyTooLarge
	}
	bp := bodyBufs.Get().(*[]byte)
	b := (*bp)[:0]
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		*bp = b
		return bp, bodyOK
	}
	if timeout > 0 {
		_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(timeout))
	}
	body := http.MaxBytesReader(w, r.Body, maxBytes)
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := body.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			*bp = b[:0]
			putBody(bp)
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return nil, bodyTimeout
			}
			return nil, bodyBad
		}
	}
	*bp = b
	return bp, bodyOK
}

// putBody returns a buffer from readBody to the pool (only buffers of a
// sane size are kept).
func putBody(bp *[]byte) {
	if cap(*bp) <= 64<<10 {
		*bp = (*bp)[:0]
		bodyBufs.Put(bp)
	}
}
