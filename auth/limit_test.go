package auth

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patientsfhir/patientsfhir/internal/testsupport"
)

func TestBucketSetBoundedMemory(t *testing.T) {
	l := newBucketSet(10, 2, 100)
	now := time.Unix(0, 0)
	for i := range 2000 {
		l.fail(fmt.Sprintf("ip%d", i), now)
	}
	assert.LessOrEqual(t, l.size(), 100)
	assert.False(t, l.fail("x", now), "the first failure does not empty a bucket of 2")
	assert.True(t, l.fail("x", now), "the second failure empties it")
	assert.False(t, l.fail("x", now), "a bucket already empty is not emptied again")
	wait, blocked := l.blocked("x", now)
	require.True(t, blocked, "not blocked after burst")
	assert.EqualValues(t, 6, retryAfterSeconds(wait))
	_, blocked = l.blocked("x", now.Add(7*time.Second))
	assert.False(t, blocked, "still blocked after refill")
}

func TestGateBoundsTotalAndPerAddress(t *testing.T) {
	g := newGate(4, 2)
	require.True(t, g.acquire("a"))
	require.True(t, g.acquire("a"))
	assert.False(t, g.acquire("a"), "one address took more than its share")
	require.True(t, g.acquire("b"))
	require.True(t, g.acquire("c"))
	assert.False(t, g.acquire("d"), "over the total")
	g.release("a")
	assert.True(t, g.acquire("d"))
	total, a := g.inUse("a")
	assert.EqualValues(t, 4, total)
	assert.EqualValues(t, 1, a)
}

func TestGlobalInFlightCap(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MaxInFlight = 1 })
	require.True(t, e.srv.issuer.gate.acquire("198.51.100.1")) // one request in progress elsewhere
	w := e.post(e.goodForm().Encode())
	e.srv.issuer.gate.release("198.51.100.1")
	assertOAuthError(t, w, 429, ErrCodeTemporarilyUnavailable)
	assert.NotEmpty(t, w.Header().Get("Retry-After"))
}

func TestPerAddressInFlightCap(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MaxInFlight = 8; c.MaxInFlightPerAddress = 2 })
	for range 2 {
		require.True(t, e.srv.issuer.gate.acquire("192.0.2.10")) // the address e.post uses
	}
	assertOAuthError(t, e.post(e.goodForm().Encode()), 429, ErrCodeTemporarilyUnavailable)
	w := e.post(e.goodForm().Encode(), func(r *http.Request) { r.RemoteAddr = "198.51.100.7:5000" })
	assert.Equal(t, http.StatusOK, w.Code, "another address still gets a place: %s", w.Body)
	e.srv.issuer.gate.release("192.0.2.10")
	assert.Equal(t, http.StatusOK, e.post(e.goodForm().Encode()).Code)
	total, _ := e.srv.issuer.gate.inUse("192.0.2.10")
	assert.EqualValues(t, 1, total, "places are given back")
}

func TestConfigInFlightAndProxies(t *testing.T) {
	for name, mut := range map[string]func(*Config){
		"per address equal to total": func(c *Config) { c.MaxInFlight = 8; c.MaxInFlightPerAddress = 8 },
		"per address over total":     func(c *Config) { c.MaxInFlight = 8; c.MaxInFlightPerAddress = 9 },
		"bad proxy":                  func(c *Config) { c.TrustedProxies = []string{"proxy.example"} },
	} {
		cfg := testConfig(newClock(), &testsupport.Buffer{})
		mut(&cfg)
		_, err := New(t.Context(), cfg, NewMemoryStore())
		assert.ErrorIs(t, err, ErrInvalidConfig, name)
	}
	cfg := testConfig(newClock(), &testsupport.Buffer{})
	srv, err := New(t.Context(), cfg, NewMemoryStore())
	require.NoError(t, err)
	assert.EqualValues(t, 256, srv.Config().MaxInFlight)
	assert.EqualValues(t, 32, srv.Config().MaxInFlightPerAddress)
	assert.Equal(t, 5*time.Second, srv.Config().BodyReadTimeout)
	assert.Equal(t, SelfServiceFull, srv.Config().SelfService)
}

func TestClientAddress(t *testing.T) {
	req := func(peer string, xff ...string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/token", nil)
		r.RemoteAddr = peer
		for _, v := range xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		return r
	}
	proxies, err := parseProxies([]string{"192.0.2.0/24", "2001:db8:1::1"})
	require.NoError(t, err)
	trusting := addrResolver{proxies: proxies}
	none := addrResolver{}
	cases := []struct {
		name string
		res  addrResolver
		r    *http.Request
		ip   string
		key  string
	}{
		{"default ignores X-Forwarded-For", none, req("198.51.100.9:1", "203.0.113.1"), "198.51.100.9", "198.51.100.9"},
		{"untrusted peer's header ignored", trusting, req("198.51.100.9:1", "203.0.113.1"), "198.51.100.9", "198.51.100.9"},
		{"trusted proxy", trusting, req("192.0.2.5:1", "203.0.113.1"), "203.0.113.1", "203.0.113.1"},
		{"spoofed left part skipped", trusting, req("192.0.2.5:1", "1.2.3.4, 203.0.113.1"), "203.0.113.1", "203.0.113.1"},
		{"chain of proxies", trusting, req("192.0.2.5:1", "203.0.113.1, 192.0.2.7", "192.0.2.6"), "203.0.113.1", "203.0.113.1"},
		{"garbage from the client side", trusting, req("192.0.2.5:1", "not-an-ip"), "192.0.2.5", "192.0.2.5"},
		{"only proxies", trusting, req("192.0.2.5:1", "192.0.2.8"), "192.0.2.8", "192.0.2.8"},
		{"IPv6 proxy, IPv6 client keyed by /64", trusting, req("[2001:db8:1::1]:1", "2001:db8:2:3:4::5"), "2001:db8:2:3:4::5", "2001:db8:2:3::/64"},
		{"IPv4-mapped peer", none, req("[::ffff:198.51.100.9]:1"), "198.51.100.9", "198.51.100.9"},
		{"custom function wins", addrResolver{custom: func(*http.Request) string { return "203.0.113.77" }, proxies: proxies}, req("192.0.2.5:1", "203.0.113.1"), "203.0.113.77", "203.0.113.77"},
	}
	for _, c := range cases {
		got := c.res.resolve(c.r)
		assert.Equal(t, clientAddr{ip: c.ip, key: c.key}, got, c.name)
	}
}

// ClientAddress agrees with the token endpoint on who the caller is: the
// peer, or the first untrusted X-Forwarded-For address behind a trusted
// proxy; an IPv6 address's limits key is its /64.
func TestServerClientAddress(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.TrustedProxies = []string{"192.0.2.0/24"} })
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.RemoteAddr = "198.51.100.7:1234"
	r.Header.Set("X-Forwarded-For", "203.0.113.9")
	ip, key := e.srv.ClientAddress(r)
	assert.Equal(t, "198.51.100.7", ip, "an untrusted peer's X-Forwarded-For is ignored")
	assert.Equal(t, ip, key)

	r.RemoteAddr = "192.0.2.1:1234"
	r.Header.Set("X-Forwarded-For", "2001:db8:1:2:3:4:5:6, 192.0.2.3")
	ip, key = e.srv.ClientAddress(r)
	assert.Equal(t, "2001:db8:1:2:3:4:5:6", ip)
	assert.Equal(t, "2001:db8:1:2::/64", key)
}
