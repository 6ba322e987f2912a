package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patientsfhir/patientsfhir/internal/testsupport"
)

func TestConfigValidationNamesTheField(t *testing.T) {
	clock, logs := newClock(), &testsupport.Buffer{}
	cases := map[string]func(*Config){
		"Config.Issuer":         func(c *Config) { c.Issuer = "" },
		"Config.Audience":       func(c *Config) { c.Audience = "not a url" },
		"Config.SealKey":        func(c *Config) { c.SealKey = []byte("short") },
		"Config.TokenTTL":       func(c *Config) { c.TokenTTL = 2 * time.Hour },
		"Config.Leeway":         func(c *Config) { c.Leeway = 5 * time.Minute },
		"Config.Alg":            func(c *Config) { c.Alg = "HS256" },
		"Config.PepperID":       func(c *Config) { c.Pepper = bytes.Repeat([]byte{1}, 32) },
		"Config.OperatorToken":  func(c *Config) { c.OperatorToken = "short" },
		"Config.TokenURL":       func(c *Config) { c.TokenURL = "http://plain.example/token" },
		"Config.KeyRetireGrace": func(c *Config) { c.KeyRetireGrace = time.Minute },
		"Config.Realm":          func(c *Config) { c.Realm = `a"b` },
	}
	for field, mut := range cases {
		cfg := testConfig(clock, logs)
		mut(&cfg)
		_, err := New(context.Background(), cfg, NewMemoryStore())
		assert.False(t, !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), field), "%s: %v", field, err)
	}
	_, err := New(context.Background(), testConfig(clock, logs), nil)
	assert.ErrorIs(t, err, ErrInvalidConfig, "nil store: %v", err)
	_, err = NewVerifier(VerifierConfig{Issuer: issuer})
	assert.False(t, err == nil || !strings.Contains(err.Error(), "VerifierConfig.Audience"), "verifier: %v", err)
	_, err = NewVerifier(VerifierConfig{Issuer: issuer, Audience: aud})
	assert.False(t, err == nil || !strings.Contains(err.Error(), "VerifierConfig.Keys"), "verifier without keys: %v", err)
}

func TestEndpointsDerivation(t *testing.T) {
	c := Config{Issuer: "https://h.example/tenant/auth/"}
	ep := c.Endpoints()
	assert.Equal(t, Endpoints{
		Issuer:   "https://h.example/tenant/auth/",
		Token:    "https://h.example/tenant/auth/token",
		JWKS:     "https://h.example/tenant/auth/.well-known/jwks.json",
		Metadata: "https://h.example/.well-known/oauth-authorization-server/tenant/auth",
	}, ep)
	c.TokenURL = "https://other.example/oauth/token"
	require.Equal(t, c.TokenURL, c.Endpoints().Token, "TokenURL override ignored")
}

func TestSealer(t *testing.T) {
	s, err := NewSealer(testSealKey)
	require.NoError(t, err)
	blob := s.Seal([]byte("private"), "kid1")
	require.False(t, bytes.Contains(blob, []byte("private")), "plaintext visible")
	pt, err := s.Open(blob, "kid1")
	require.NoError(t, err)
	require.Equal(t, "private", string(pt), "%q %v", pt, err)
	_, err = s.Open(blob, "kid2")
	require.ErrorIs(t, err, ErrUnseal, "blob moved to another kid opened")
	other, _ := NewSealer(bytes.Repeat([]byte{8}, 32))
	_, err = other.Open(blob, "kid1")
	require.ErrorIs(t, err, ErrUnseal, "wrong key opened")
	for _, bad := range [][]byte{nil, {1}, append([]byte{2}, blob[1:]...)} {
		_, err := s.Open(bad, "kid1")
		require.ErrorIs(t, err, ErrUnseal, "%v opened", bad)
	}
	_, err = NewSealer([]byte("short"))
	require.Error(t, err, "short key accepted")
}

func TestStoredKeysAreSealedAndSurviveRestart(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	tok := e.token()
	priv, kid, _ := e.signer()
	recs, _ := e.mem.ListKeys(ctx)
	require.EqualValues(t, 1, len(recs), "%+v", recs)
	require.Equal(t, kid, recs[0].KID, "%+v", recs)
	der := fmt.Sprint(priv)
	require.NotContains(t, string(recs[0].SealedPrivateKey), der, "private key in clear")
	// A new process over the same store and SealKey signs with the same key
	// and keeps the client and its secret.
	cfg := testConfig(e.clock, e.logs)
	again, err := New(ctx, cfg, e.mem)
	require.NoError(t, err)
	_, err = again.Verifier().Verify(ctx, tok)
	require.NoError(t, err)
	k, _ := again.Keys().signer(ctx)
	require.Equal(t, kid, k.kid, "restart generated a new key")
	_, _, err = again.Registry().Authenticate(ctx, e.clientID, e.secret)
	require.NoError(t, err)
	// With another SealKey the stored key cannot be opened: start-up fails
	// naming the field instead of generating keys other nodes cannot use.
	cfg.SealKey = bytes.Repeat([]byte{9}, 32)
	_, err = New(ctx, cfg, e.mem)
	require.ErrorIs(t, err, ErrUnseal, "wrong SealKey: %v", err)
	require.Contains(t, err.Error(), "Config.SealKey", "wrong SealKey: %v", err)
}

func TestKeyMaintainSchedule(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.KeyRotationInterval = 24 * time.Hour
		c.KeyPrePublish = time.Hour
		c.KeyRetireGrace = 2 * time.Hour
	})
	ctx := context.Background()
	km := e.srv.Keys()
	states := func() map[KeyState]int {
		ks, _ := km.List(ctx)
		m := map[KeyState]int{}
		for _, k := range ks {
			m[k.State]++
		}
		return m
	}
	_, first, _ := e.signer()
	e.clock.Advance(22 * time.Hour)
	require.NoError(t, km.Maintain(ctx))
	s := states()
	require.EqualValues(t, 1, s[KeyActive], "too early: %v", s)
	require.EqualValues(t, 0, s[KeyPending], "too early: %v", s)
	e.clock.Advance(time.Hour + time.Minute) // 23h01: pre-publish
	_ = km.Maintain(ctx)
	s = states()
	require.EqualValues(t, 1, s[KeyActive], "pre-publish: %v", s)
	require.EqualValues(t, 1, s[KeyPending], "pre-publish: %v", s)
	w := httptest.NewRecorder()
	km.JWKS().ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	require.EqualValues(t, 2, strings.Count(w.Body.String(), `"kid"`), "pending key not published: %s", w.Body)
	etag := w.Header().Get("ETag")
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("If-None-Match", etag)
	w = httptest.NewRecorder()
	km.JWKS().ServeHTTP(w, r)
	require.Equal(t, 304, w.Code, "If-None-Match: %d", w.Code)
	old := e.token()
	e.clock.Advance(time.Hour) // 24h01: activate
	_ = km.Maintain(ctx)
	_, kid, _ := e.signer()
	require.NotEqual(t, first, kid, "not rotated")
	s = states()
	require.EqualValues(t, 1, s[KeyActive], "after activation: %v", s)
	require.EqualValues(t, 1, s[KeyRetired], "after activation: %v", s)
	e.clock.Advance(2*time.Hour + time.Minute) // retired beyond grace: removed
	_ = km.Maintain(ctx)
	s = states()
	require.EqualValues(t, 0, s[KeyRetired], "after grace: %v", s)
	require.EqualValues(t, 1, s[KeyActive], "after grace: %v", s)
	_, err := e.srv.Verifier().Verify(ctx, old)
	require.Error(t, err, "token of a removed key verifies")
	// Two actives (e.g. left by concurrent nodes) are reduced to the newest.
	kid, _ = km.AddPending(ctx)
	_ = e.mem.UpdateKey(ctx, kid, func(k *KeyRecord) error {
		k.State, k.ActivatedAt = KeyActive, e.clock.Now().Add(time.Second)
		return nil
	})
	_ = km.Maintain(ctx)
	s = states()
	require.EqualValues(t, 1, s[KeyActive], "double active: %v", s)
	require.Error(t, km.Activate(ctx, first), "removed key activated")
}

func TestRequireTLS(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.RequireTLS = true; c.TrustForwardedProto = true })
	assertOAuthError(t, e.post(e.goodForm().Encode()), 400, ErrCodeInvalidRequest)
	w := e.post(e.goodForm().Encode(), func(r *http.Request) { r.Header.Set("X-Forwarded-Proto", "https") })
	require.Equal(t, 200, w.Code, "%d", w.Code)
}

func TestParseSecretAndCanonicalTenant(t *testing.T) {
	plain, id := newSecret()
	got, err := ParseSecret(plain)
	require.NoError(t, err)
	require.Equal(t, id, got, "%q %v", got, err)
	for _, bad := range []string{"", plain + "x", strings.Replace(plain, "fhcs_", "fhcx_", 1), plain[:15] + "!" + plain[16:], plain[:len(plain)-1] + "="} {
		_, err := ParseSecret(bad)
		assert.Error(t, err, "%q parsed", bad)
	}
	c, ok := CanonicalTenant(strings.ToUpper(tenantA))
	require.True(t, ok, c)
	require.Equal(t, tenantA, c, c)
	for _, bad := range []string{"", tenantA + "0", "g0ffee00-1111-2222-3333-444455556666", "c0ffee00_1111-2222-3333-444455556666"} {
		_, ok := CanonicalTenant(bad)
		assert.False(t, ok, "%q accepted", bad)
	}
}

func TestPepperedSecrets(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Pepper = bytes.Repeat([]byte{3}, 32); c.PepperID = "p1" })
	c, _ := e.mem.GetClient(context.Background(), e.clientID)
	require.Equal(t, "hmac-sha256:p1", c.Secrets[0].Alg, c.Secrets[0].Alg)
	w := e.post(e.goodForm().Encode())
	require.Equal(t, 200, w.Code, "%d", w.Code)
	// The same store read without the pepper cannot verify the secret.
	cfg := testConfig(e.clock, e.logs)
	other, err := New(context.Background(), cfg, e.mem)
	require.NoError(t, err)
	_, _, err = other.Registry().Authenticate(context.Background(), e.clientID, e.secret)
	require.ErrorIs(t, err, ErrInvalidClient, err)
}

// TestSecretCheckDoesOneHashOnEveryPath counts digests: unknown client,
// unknown secret id, malformed secret and the right secret all cost one.
func TestSecretCheckDoesOneHashOnEveryPath(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	// Give the client the maximum number of records so a scan would show.
	for range 3 {
		plain, _, err := e.srv.Registry().AddSecret(ctx, e.clientID, 0, "t")
		require.NoError(t, err)
		id, _ := ParseSecret(plain)
		_ = e.srv.Registry().RevokeSecret(ctx, e.clientID, id, "t")
	}
	other, _ := newSecret()
	for _, tc := range []struct{ id, secret string }{
		{"nobody", e.secret}, {e.clientID, other}, {e.clientID, "not-a-generated-secret"}, {e.clientID, e.secret},
	} {
		var count atomic.Int64
		e.srv.registry.hash.count = &count
		_, _ = e.srv.registry.authenticate(ctx, tc.id, tc.secret)
		assert.EqualValues(t, 1, count.Load(), "%s/%s: %d digests", tc.id, tc.secret[:8], count.Load())
	}
}

func TestServerRunMaintainsKeysAndPurges(t *testing.T) {
	e := newEnv(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	_, _ = e.mem.Deny(ctx, "jti:old", e.clock.Now().Add(-time.Second), e.clock.Now().Add(-time.Minute))
	_, _ = e.mem.Deny(ctx, "jti:live", e.clock.Now().Add(time.Hour), e.clock.Now())
	done := make(chan struct{})
	go func() { e.srv.Run(ctx, time.Hour); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		d, _ := e.mem.IsDenied(ctx, "jti:live", e.clock.Now())
		require.True(t, d, "live entry purged")
		_ = e.mem.acquire(context.Background())
		_, stillOld := e.mem.deny["jti:old"]
		e.mem.release()
		if !stillOld {
			break
		}
		require.False(t, time.Now().After(deadline), "expired entry never purged")
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
}

func TestPerClientTokenRate(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.ClientTokensPerSecond = 1; c.ClientTokensBurst = 2 })
	for i := range 2 {
		w := e.post(e.goodForm().Encode())
		require.Equal(t, 200, w.Code, "request %d: %d", i, w.Code)
	}
	w := e.post(e.goodForm().Encode())
	assertOAuthError(t, w, 429, ErrCodeTemporarilyUnavailable)
	require.Equal(t, "1", w.Header().Get("Retry-After"), "Retry-After %q", w.Header().Get("Retry-After"))
	// Wrong secrets for that client id from elsewhere do not consume it.
	e.clock.Advance(2 * time.Second)
	bad := e.goodForm()
	bad.Set("client_secret", "wrong")
	for range 5 {
		e.post(bad.Encode(), func(r *http.Request) { r.RemoteAddr = "198.51.100.1:1" })
	}
	w = e.post(e.goodForm().Encode())
	require.Equal(t, 200, w.Code, "after refill: %d", w.Code)
}

func TestRemoveActiveKeyRefused(t *testing.T) {
	e := newEnv(t, nil)
	_, kid, _ := e.signer()
	err := e.srv.Keys().Remove(context.Background(), kid)
	require.ErrorIs(t, err, ErrActiveKey, err)
}

// pausingClients returns the record it read, but only after the test lets
// it, to reproduce a cache fill racing a revocation.
type pausingClients struct {
	*MemoryStore
	read, release chan struct{}
}

func (p pausingClients) GetClient(ctx context.Context, id string) (*Client, error) {
	c, err := p.MemoryStore.GetClient(ctx, id)
	p.read <- struct{}{}
	<-p.release
	return c, err
}

// TestRevocationNotHiddenByConcurrentCacheFill: a cache fill that read the
// record before a revocation must not re-insert the stale copy after it, or
// the revoked secret would keep working on this node for ClientCacheTTL.
func TestRevocationNotHiddenByConcurrentCacheFill(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	p := pausingClients{MemoryStore: e.mem, read: make(chan struct{}), release: make(chan struct{})}
	e.srv.registry.store = p
	done := make(chan error)
	go func() {
		_, err := e.srv.registry.authenticate(ctx, e.clientID, e.secret)
		done <- err
	}()
	<-p.read // the old record has been read
	id, _ := ParseSecret(e.secret)
	e.srv.registry.store = e.mem
	require.NoError(t, e.srv.Registry().RevokeSecret(ctx, e.clientID, id, "t"))
	close(p.release)
	err := <-done
	require.NoError(t, err)
	_, err = e.srv.registry.authenticate(ctx, e.clientID, e.secret)
	require.ErrorIs(t, err, ErrInvalidClient, "revoked secret accepted: a stale cache fill hid the revocation")
}

// TestTwoNodesShareKeys: a key rotated on node 1 verifies on node 2 at once
// (the unknown kid forces one reload), and without such a trigger node 2
// signs with node 1's newest key within KeyRefreshInterval.
func TestTwoNodesShareKeys(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	node2, err := New(ctx, testConfig(e.clock, e.logs), e.mem)
	require.NoError(t, err)
	_, err = e.srv.Keys().Rotate(ctx)
	require.NoError(t, err)
	_, err = node2.Verifier().Verify(ctx, e.token())
	require.NoError(t, err)
	newKid, err := e.srv.Keys().Rotate(ctx)
	require.NoError(t, err)
	k, _ := node2.Keys().signer(ctx)
	require.NotEqual(t, newKid, k.kid, "node 2 reloaded without a reason")
	e.clock.Advance(node2.Config().KeyRefreshInterval + time.Second)
	deadline := time.Now().Add(5 * time.Second)
	for {
		if k, _ := node2.Keys().signer(ctx); k.kid == newKid { // the stale snapshot triggers a background reload
			break
		}
		require.False(t, time.Now().After(deadline), "node 2 never switched to the new signing key")
		time.Sleep(5 * time.Millisecond)
	}
}

// TestAppendClaimsMatchesEncodingJSON: the hand-written claims encoder of
// the hot path produces exactly what encoding/json produces.
func TestAppendClaimsMatchesEncodingJSON(t *testing.T) {
	now := time.Unix(1700000000, 0)
	for _, c := range []AccessClaims{
		{ClientID: "teams-app", Scope: tenantA, TenantID: tenantA, SecretID: "AbC123xyz0"},
		{ClientID: `we"ird\\id<>&é`, Scope: tenantA + " system/Patient.read", TenantID: tenantA},
		{ClientID: "tab\tnewline\n", Scope: tenantA, TenantID: tenantA},
	} {
		c.RegisteredClaims = jwt.RegisteredClaims{Issuer: issuer, Subject: c.ClientID, Audience: jwt.ClaimStrings{aud},
			ExpiresAt: jwt.NewNumericDate(now.Add(time.Minute)), NotBefore: jwt.NewNumericDate(now), IssuedAt: jwt.NewNumericDate(now), ID: "jti-x"}
		want, err := json.Marshal(&c)
		require.NoError(t, err)
		tc := tokenClaims{iss: c.Issuer, sub: c.Subject, aud: c.Audience[0], exp: c.ExpiresAt.Unix(), nbf: c.NotBefore.Unix(),
			iat: c.IssuedAt.Unix(), jti: c.ID, clientID: c.ClientID, scope: c.Scope, tid: c.TenantID, sid: c.SecretID}
		got := appendClaims(nil, &tc)
		assert.Equal(t, string(want), string(got), "\ngot  %s\nwant %s", got, want)
	}
}

func TestFormMediaType(t *testing.T) {
	for ct, want := range map[string]bool{
		"application/x-www-form-urlencoded":                     true,
		"application/x-www-form-urlencoded; charset=UTF-8":      true,
		"Application/X-WWW-Form-Urlencoded;charset=\"utf-8\"":   true,
		"application/x-www-form-urlencoded; charset=ISO-8859-1": false,
		"application/json":                false,
		"multipart/form-data; boundary=x": false,
		"":                                false,
		"application/x-www-form-urlencoded; charset": false,
	} {
		got := formMediaType(ct)
		assert.Equal(t, want, got, "%q: %v", ct, got)
	}
}

// TestConcurrentMaintainOnTwoNodes runs the key schedule on two nodes at
// once through many rotations: afterwards exactly one key is active, both
// nodes sign with it, and each verifies the other's tokens.
func TestConcurrentMaintainOnTwoNodes(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.KeyRotationInterval, c.KeyPrePublish, c.KeyRetireGrace, c.JWKSMaxAge = time.Hour, 10*time.Minute, 2*time.Hour, 10*time.Minute
	})
	ctx := context.Background()
	cfg := testConfig(e.clock, e.logs)
	cfg.KeyRotationInterval, cfg.KeyPrePublish, cfg.KeyRetireGrace, cfg.JWKSMaxAge = time.Hour, 10*time.Minute, 2*time.Hour, 10*time.Minute
	node2, err := New(ctx, cfg, e.mem)
	require.NoError(t, err)
	for range 40 {
		e.clock.Advance(7 * time.Minute)
		done := make(chan error, 2)
		for _, n := range []*Server{e.srv, node2} {
			go func() { done <- n.Keys().Maintain(ctx) }()
		}
		for range 2 {
			require.NoError(t, <-done)
		}
		ks, _ := e.srv.Keys().List(ctx)
		active := countState(ks, KeyActive)
		require.EqualValues(t, 1, active, "after concurrent maintenance: %d active of %d keys", active, len(ks))
		require.False(t, len(ks) > 6, "after concurrent maintenance: %d active of %d keys", active, len(ks))
	}
	_ = e.srv.Keys().Refresh(ctx)
	_ = node2.Keys().Refresh(ctx)
	k1, _ := e.srv.Keys().signer(ctx)
	k2, _ := node2.Keys().signer(ctx)
	require.Equal(t, k2.kid, k1.kid, "nodes sign with different keys: %s %s", k1.kid, k2.kid)
	form := e.goodForm().Encode()
	r := httptest.NewRequest("POST", "/token", strings.NewReader(form))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	node2.Issuer().ServeHTTP(w, r)
	var tr TokenResponse
	require.NoError(t, jsonUnmarshal(w.Body.Bytes(), &tr))
	_, err = e.srv.Verifier().Verify(ctx, tr.AccessToken)
	require.NoError(t, err)
	_, err = node2.Verifier().Verify(ctx, e.token())
	require.NoError(t, err)
}

// TestConcurrentRotateNeverLeavesNoSigner: on-demand rotations on two nodes
// at the same instant (same ActivatedAt) leave exactly one active key.
func TestConcurrentRotateNeverLeavesNoSigner(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	node2, err := New(ctx, testConfig(e.clock, e.logs), e.mem)
	require.NoError(t, err)
	for range 30 {
		done := make(chan error, 2)
		for _, n := range []*Server{e.srv, node2} {
			go func() { _, err := n.Keys().Rotate(ctx); done <- err }()
		}
		for range 2 {
			require.NoError(t, <-done)
		}
		ks, _ := e.srv.Keys().List(ctx)
		active := countState(ks, KeyActive)
		require.EqualValues(t, 1, active, "%d active keys after concurrent rotations", active)
	}
}

func countState(ks []KeyInfo, st KeyState) int {
	n := 0
	for _, k := range ks {
		if k.State == st {
			n++
		}
	}
	return n
}

// TestHandlerServesConfiguredPaths: with an issuer that has a path, every
// endpoint is served exactly where Endpoints (and the metadata) say.
func TestHandlerServesConfiguredPaths(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Issuer = "https://auth.example.test/tenant-x/oauth"; c.DenyList = true })
	ep := e.srv.Endpoints()
	h := e.srv.Handler()
	for _, tc := range []struct {
		url, method string
		want        int
	}{
		{ep.Metadata, "GET", 200}, {ep.JWKS, "GET", 200}, {ep.Token, "POST", 200}, {ep.Revocation, "POST", 401},
		{"https://auth.example.test/token", "POST", 404},
	} {
		var body *strings.Reader
		if tc.url == ep.Token {
			body = strings.NewReader(e.goodForm().Encode())
		} else {
			body = strings.NewReader("token=x")
		}
		r := httptest.NewRequest(tc.method, tc.url, body)
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		assert.Equal(t, tc.want, w.Code, "%s %s: %d, want %d", tc.method, tc.url, w.Code, tc.want)
	}
	require.Equal(t, "https://auth.example.test/.well-known/oauth-authorization-server/tenant-x/oauth", ep.Metadata, ep.Metadata)
}
