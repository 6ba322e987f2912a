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
)

func TestConfigValidationNamesTheField(t *testing.T) {
	clock, logs := newClock(), &syncBuffer{}
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
		if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), field) {
			t.Errorf("%s: %v", field, err)
		}
	}
	if _, err := New(context.Background(), testConfig(clock, logs), nil); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("nil store: %v", err)
	}
	if _, err := NewVerifier(VerifierConfig{Issuer: issuer}); err == nil || !strings.Contains(err.Error(), "VerifierConfig.Audience") {
		t.Errorf("verifier: %v", err)
	}
	if _, err := NewVerifier(VerifierConfig{Issuer: issuer, Audience: aud}); err == nil || !strings.Contains(err.Error(), "VerifierConfig.Keys") {
		t.Errorf("verifier without keys: %v", err)
	}
}

func TestEndpointsDerivation(t *testing.T) {
	c := Config{Issuer: "https://h.example/tenant/auth/"}
	ep := c.Endpoints()
	if ep.Token != "https://h.example/tenant/auth/token" || ep.JWKS != "https://h.example/tenant/auth/.well-known/jwks.json" ||
		ep.Metadata != "https://h.example/.well-known/oauth-authorization-server/tenant/auth" || ep.Authorize != "" {
		t.Fatalf("%+v", ep)
	}
	c.TokenURL = "https://other.example/oauth/token"
	if c.Endpoints().Token != c.TokenURL {
		t.Fatal("TokenURL override ignored")
	}
}

func TestSealer(t *testing.T) {
	s, err := NewSealer(testSealKey)
	if err != nil {
		t.Fatal(err)
	}
	blob := s.Seal([]byte("private"), "kid1")
	if bytes.Contains(blob, []byte("private")) {
		t.Fatal("plaintext visible")
	}
	if pt, err := s.Open(blob, "kid1"); err != nil || string(pt) != "private" {
		t.Fatalf("%q %v", pt, err)
	}
	if _, err := s.Open(blob, "kid2"); !errors.Is(err, ErrUnseal) {
		t.Fatal("blob moved to another kid opened")
	}
	other, _ := NewSealer(bytes.Repeat([]byte{8}, 32))
	if _, err := other.Open(blob, "kid1"); !errors.Is(err, ErrUnseal) {
		t.Fatal("wrong key opened")
	}
	for _, bad := range [][]byte{nil, {1}, append([]byte{2}, blob[1:]...)} {
		if _, err := s.Open(bad, "kid1"); !errors.Is(err, ErrUnseal) {
			t.Fatalf("%v opened", bad)
		}
	}
	if _, err := NewSealer([]byte("short")); err == nil {
		t.Fatal("short key accepted")
	}
}

func TestStoredKeysAreSealedAndSurviveRestart(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	tok := e.token()
	priv, kid, _ := e.signer()
	recs, _ := e.mem.ListKeys(ctx)
	if len(recs) != 1 || recs[0].KID != kid {
		t.Fatalf("%+v", recs)
	}
	der := fmt.Sprint(priv)
	if strings.Contains(string(recs[0].SealedPrivateKey), der) {
		t.Fatal("private key in clear")
	}
	// A new process over the same store and SealKey signs with the same key
	// and keeps the client and its secret.
	cfg := testConfig(e.clock, e.logs)
	again, err := New(ctx, cfg, e.mem)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := again.Verifier().Verify(ctx, tok); err != nil {
		t.Fatal(err)
	}
	k, _ := again.Keys().signer(ctx)
	if k.kid != kid {
		t.Fatal("restart generated a new key")
	}
	if _, _, err := again.Registry().Authenticate(ctx, e.clientID, e.secret); err != nil {
		t.Fatal(err)
	}
	// With another SealKey the stored key cannot be opened: start-up fails
	// naming the field instead of generating keys other nodes cannot use.
	cfg.SealKey = bytes.Repeat([]byte{9}, 32)
	if _, err := New(ctx, cfg, e.mem); !errors.Is(err, ErrUnseal) || !strings.Contains(err.Error(), "Config.SealKey") {
		t.Fatalf("wrong SealKey: %v", err)
	}
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
	if err := km.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	if s := states(); s[KeyActive] != 1 || s[KeyPending] != 0 {
		t.Fatalf("too early: %v", s)
	}
	e.clock.Advance(time.Hour + time.Minute) // 23h01: pre-publish
	_ = km.Maintain(ctx)
	if s := states(); s[KeyActive] != 1 || s[KeyPending] != 1 {
		t.Fatalf("pre-publish: %v", s)
	}
	w := httptest.NewRecorder()
	km.JWKS().ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	if strings.Count(w.Body.String(), `"kid"`) != 2 {
		t.Fatalf("pending key not published: %s", w.Body)
	}
	etag := w.Header().Get("ETag")
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("If-None-Match", etag)
	w = httptest.NewRecorder()
	km.JWKS().ServeHTTP(w, r)
	if w.Code != 304 {
		t.Fatalf("If-None-Match: %d", w.Code)
	}
	old := e.token()
	e.clock.Advance(time.Hour) // 24h01: activate
	_ = km.Maintain(ctx)
	if _, kid, _ := e.signer(); kid == first {
		t.Fatal("not rotated")
	}
	if s := states(); s[KeyActive] != 1 || s[KeyRetired] != 1 {
		t.Fatalf("after activation: %v", s)
	}
	e.clock.Advance(2*time.Hour + time.Minute) // retired beyond grace: removed
	_ = km.Maintain(ctx)
	if s := states(); s[KeyRetired] != 0 || s[KeyActive] != 1 {
		t.Fatalf("after grace: %v", s)
	}
	if _, err := e.srv.Verifier().Verify(ctx, old); err == nil {
		t.Fatal("token of a removed key verifies")
	}
	// Two actives (e.g. left by concurrent nodes) are reduced to the newest.
	kid, _ := km.AddPending(ctx)
	_ = e.mem.UpdateKey(ctx, kid, func(k *KeyRecord) error {
		k.State, k.ActivatedAt = KeyActive, e.clock.Now().Add(time.Second)
		return nil
	})
	_ = km.Maintain(ctx)
	if s := states(); s[KeyActive] != 1 {
		t.Fatalf("double active: %v", s)
	}
	if err := km.Activate(ctx, first); err == nil {
		t.Fatal("removed key activated")
	}
}

func TestRequireTLS(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.RequireTLS = true; c.TrustForwardedProto = true })
	assertOAuthError(t, e.post(e.goodForm().Encode()), 400, ErrCodeInvalidRequest)
	if w := e.post(e.goodForm().Encode(), func(r *http.Request) { r.Header.Set("X-Forwarded-Proto", "https") }); w.Code != 200 {
		t.Fatalf("%d", w.Code)
	}
}

func TestParseSecretAndCanonicalTenant(t *testing.T) {
	plain, id := newSecret()
	if got, err := ParseSecret(plain); err != nil || got != id {
		t.Fatalf("%q %v", got, err)
	}
	for _, bad := range []string{"", plain + "x", strings.Replace(plain, "fhcs_", "fhcx_", 1), plain[:15] + "!" + plain[16:], plain[:len(plain)-1] + "="} {
		if _, err := ParseSecret(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
	if c, ok := CanonicalTenant(strings.ToUpper(tenantA)); !ok || c != tenantA {
		t.Fatal(c)
	}
	for _, bad := range []string{"", tenantA + "0", "g0ffee00-1111-2222-3333-444455556666", "c0ffee00_1111-2222-3333-444455556666"} {
		if _, ok := CanonicalTenant(bad); ok {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestPepperedSecrets(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Pepper = bytes.Repeat([]byte{3}, 32); c.PepperID = "p1" })
	c, _ := e.mem.GetClient(context.Background(), e.clientID)
	if c.Secrets[0].Alg != "hmac-sha256:p1" {
		t.Fatal(c.Secrets[0].Alg)
	}
	if w := e.post(e.goodForm().Encode()); w.Code != 200 {
		t.Fatalf("%d", w.Code)
	}
	// The same store read without the pepper cannot verify the secret.
	cfg := testConfig(e.clock, e.logs)
	other, err := New(context.Background(), cfg, e.mem)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := other.Registry().Authenticate(context.Background(), e.clientID, e.secret); !errors.Is(err, ErrInvalidClient) {
		t.Fatal(err)
	}
}

// TestSecretCheckDoesOneHashOnEveryPath counts digests: unknown client,
// unknown secret id, malformed secret and the right secret all cost one.
func TestSecretCheckDoesOneHashOnEveryPath(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	// Give the client the maximum number of records so a scan would show.
	for range 3 {
		plain, _, err := e.srv.Registry().AddSecret(ctx, e.clientID, 0, "t")
		if err != nil {
			t.Fatal(err)
		}
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
		if count.Load() != 1 {
			t.Errorf("%s/%s: %d digests", tc.id, tc.secret[:8], count.Load())
		}
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
		if d, _ := e.mem.IsDenied(ctx, "jti:live", e.clock.Now()); !d {
			t.Fatal("live entry purged")
		}
		_ = e.mem.acquire(context.Background())
		_, stillOld := e.mem.deny["jti:old"]
		e.mem.release()
		if !stillOld {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("expired entry never purged")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
}

func TestPerClientTokenRate(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.ClientTokensPerSecond = 1; c.ClientTokensBurst = 2 })
	for i := range 2 {
		if w := e.post(e.goodForm().Encode()); w.Code != 200 {
			t.Fatalf("request %d: %d", i, w.Code)
		}
	}
	w := e.post(e.goodForm().Encode())
	assertOAuthError(t, w, 429, ErrCodeTemporarilyUnavailable)
	if w.Header().Get("Retry-After") != "1" {
		t.Fatalf("Retry-After %q", w.Header().Get("Retry-After"))
	}
	// Wrong secrets for that client id from elsewhere do not consume it.
	e.clock.Advance(2 * time.Second)
	bad := e.goodForm()
	bad.Set("client_secret", "wrong")
	for range 5 {
		e.post(bad.Encode(), func(r *http.Request) { r.RemoteAddr = "198.51.100.1:1" })
	}
	if w := e.post(e.goodForm().Encode()); w.Code != 200 {
		t.Fatalf("after refill: %d", w.Code)
	}
}

func TestRemoveActiveKeyRefused(t *testing.T) {
	e := newEnv(t, nil)
	_, kid, _ := e.signer()
	if err := e.srv.Keys().Remove(context.Background(), kid); !errors.Is(err, ErrActiveKey) {
		t.Fatal(err)
	}
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
	if err := e.srv.Registry().RevokeSecret(ctx, e.clientID, id, "t"); err != nil {
		t.Fatal(err)
	}
	close(p.release)
	if err := <-done; err != nil {
		t.Fatalf("the in-flight check saw the old record and should pass: %v", err)
	}
	if _, err := e.srv.registry.authenticate(ctx, e.clientID, e.secret); !errors.Is(err, ErrInvalidClient) {
		t.Fatal("revoked secret accepted: a stale cache fill hid the revocation")
	}
}

// TestTwoNodesShareKeys: a key rotated on node 1 verifies on node 2 at once
// (the unknown kid forces one reload), and without such a trigger node 2
// signs with node 1's newest key within KeyRefreshInterval.
func TestTwoNodesShareKeys(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	node2, err := New(ctx, testConfig(e.clock, e.logs), e.mem)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.srv.Keys().Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := node2.Verifier().Verify(ctx, e.token()); err != nil {
		t.Fatalf("node 2 rejects node 1's new key: %v", err)
	}
	newKid, err := e.srv.Keys().Rotate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if k, _ := node2.Keys().signer(ctx); k.kid == newKid {
		t.Fatal("node 2 reloaded without a reason")
	}
	e.clock.Advance(node2.Config().KeyRefreshInterval + time.Second)
	deadline := time.Now().Add(5 * time.Second)
	for {
		if k, _ := node2.Keys().signer(ctx); k.kid == newKid { // the stale snapshot triggers a background reload
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("node 2 never switched to the new signing key")
		}
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
		if err != nil {
			t.Fatal(err)
		}
		tc := tokenClaims{iss: c.Issuer, sub: c.Subject, aud: c.Audience[0], exp: c.ExpiresAt.Unix(), nbf: c.NotBefore.Unix(),
			iat: c.IssuedAt.Unix(), jti: c.ID, clientID: c.ClientID, scope: c.Scope, tid: c.TenantID, sid: c.SecretID}
		if got := appendClaims(nil, &tc); string(got) != string(want) {
			t.Errorf("\ngot  %s\nwant %s", got, want)
		}
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
		if got := formMediaType(ct); got != want {
			t.Errorf("%q: %v", ct, got)
		}
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
	if err != nil {
		t.Fatal(err)
	}
	for range 40 {
		e.clock.Advance(7 * time.Minute)
		done := make(chan error, 2)
		for _, n := range []*Server{e.srv, node2} {
			go func() { done <- n.Keys().Maintain(ctx) }()
		}
		for range 2 {
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		}
		ks, _ := e.srv.Keys().List(ctx)
		active := countState(ks, KeyActive)
		if active != 1 || len(ks) > 6 {
			t.Fatalf("after concurrent maintenance: %d active of %d keys", active, len(ks))
		}
	}
	_ = e.srv.Keys().Refresh(ctx)
	_ = node2.Keys().Refresh(ctx)
	k1, _ := e.srv.Keys().signer(ctx)
	k2, _ := node2.Keys().signer(ctx)
	if k1.kid != k2.kid {
		t.Fatalf("nodes sign with different keys: %s %s", k1.kid, k2.kid)
	}
	form := e.goodForm().Encode()
	r := httptest.NewRequest("POST", "/token", strings.NewReader(form))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	node2.Issuer().ServeHTTP(w, r)
	var tr TokenResponse
	mustJSON(t, w.Body.Bytes(), &tr)
	if _, err := e.srv.Verifier().Verify(ctx, tr.AccessToken); err != nil {
		t.Fatalf("node 1 rejects node 2's token: %v", err)
	}
	if _, err := node2.Verifier().Verify(ctx, e.token()); err != nil {
		t.Fatalf("node 2 rejects node 1's token: %v", err)
	}
}

// TestConcurrentRotateNeverLeavesNoSigner: on-demand rotations on two nodes
// at the same instant (same ActivatedAt) leave exactly one active key.
func TestConcurrentRotateNeverLeavesNoSigner(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	node2, err := New(ctx, testConfig(e.clock, e.logs), e.mem)
	if err != nil {
		t.Fatal(err)
	}
	for range 30 {
		done := make(chan error, 2)
		for _, n := range []*Server{e.srv, node2} {
			go func() { _, err := n.Keys().Rotate(ctx); done <- err }()
		}
		for range 2 {
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		}
		ks, _ := e.srv.Keys().List(ctx)
		active := countState(ks, KeyActive)
		if active != 1 {
			t.Fatalf("%d active keys after concurrent rotations", active)
		}
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
		if w.Code != tc.want {
			t.Errorf("%s %s: %d, want %d", tc.method, tc.url, w.Code, tc.want)
		}
	}
	if ep.Metadata != "https://auth.example.test/.well-known/oauth-authorization-server/tenant-x/oauth" {
		t.Fatal(ep.Metadata)
	}
}
