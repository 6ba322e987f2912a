package auth

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/golang-jwt/jwt/v5"
)

// recordingAuditor keeps every event for inspection.
type recordingAuditor struct {
	mu     sync.Mutex
	events []Event
	next   Auditor
}

func (r *recordingAuditor) Record(ctx context.Context, e Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
	r.next.Record(ctx, e)
}

func (r *recordingAuditor) dump() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return fmt.Sprintf("%+v", r.events)
}

// TestCase62LogsNeverContainSecrets drives successes and every kind of
// failure with sentinel values and greps the logs and audit events.
func TestCase62LogsNeverContainSecrets(t *testing.T) {
	rec := &recordingAuditor{}
	e := newEnv(t, func(c *Config) {
		rec.next = SlogAuditor{Logger: c.Logger}
		c.Auditor = rec
		c.AllowHyphenGrantType = true
	})
	const sentinelQuery = "SENTINEL-QUERY-7f3a"
	sentinelWrong := SecretPrefix + "SENTINELXX_" + strings.Repeat("S", secretBodyLen)
	tok := e.token()
	var authzValues []string
	basic := func(id, sec string) func(*http.Request) {
		return func(r *http.Request) {
			r.SetBasicAuth(id, sec)
			authzValues = append(authzValues, r.Header.Get("Authorization"))
		}
	}
	query := func(r *http.Request) { r.URL.RawQuery = "q=" + sentinelQuery + "&client_secret=" + e.secret }
	f := e.goodForm()
	bodies := []string{f.Encode(), f.Encode() + "&x=" + sentinelQuery}
	f2 := e.goodForm()
	f2.Set("client_secret", sentinelWrong)
	bodies = append(bodies, f2.Encode())
	f3 := e.goodForm()
	f3.Set("scope", sentinelQuery)
	bodies = append(bodies, f3.Encode())
	for _, b := range bodies {
		e.post(b)
		e.post(b, query)
	}
	nf := url.Values{"grant_type": {"client_credentials"}, "scope": {tenantA}}.Encode()
	e.post(nf, basic(e.clientID, e.secret))
	e.post(nf, basic(e.clientID, sentinelWrong))
	e.post(nf, basic("unknown-client", e.secret))
	e.post(nf, basic(e.secret, e.clientID)) // id and secret swapped
	swapped := e.goodForm()
	swapped.Set("client_id", e.secret)
	swapped.Set("client_secret", e.clientID)
	e.post(swapped.Encode())
	h := e.protected()
	for _, a := range []string{"Bearer " + tok, "Bearer " + tok + "x", "Bearer " + tok[:len(tok)-3] + "abc", "Basic " + e.secret} {
		authzValues = append(authzValues, a)
		e.get(h, "/fhir/Patient?"+sentinelQuery+"=1&access_token="+tok, a)
		e.get(h, "/fhir/Patient?"+sentinelQuery+"=1", a)
	}
	// Registration API with sentinel credentials.
	adm := e.srv.Admin()
	for _, a := range []string{"Bearer " + sentinelWrong, "Bearer " + strings.Repeat("o", 40)} {
		r := httptest.NewRequest("GET", "/clients?"+sentinelQuery, nil)
		r.Header.Set("Authorization", a)
		adm.ServeHTTP(httptest.NewRecorder(), r)
		authzValues = append(authzValues, a)
	}

	logs, events := e.logs.String(), rec.dump()
	require.Contains(t, logs, "token.issued", "expected audit events missing:\n%s", logs)
	require.Contains(t, logs, "token.denied", "expected audit events missing:\n%s", logs)
	require.Contains(t, logs, "bearer.rejected", "expected audit events missing:\n%s", logs)
	for name, s := range map[string]string{"secret": e.secret, "wrong secret": sentinelWrong, "token": tok,
		"token signature": tok[strings.LastIndexByte(tok, '.')+1:], "query": sentinelQuery, "operator token": strings.Repeat("o", 40)} {
		assert.False(t, strings.Contains(logs, s) || strings.Contains(events, s), "%s found in logs or audit events", name)
	}
	for _, a := range authzValues {
		assert.False(t, strings.Contains(logs, a) || strings.Contains(events, a), "Authorization value found in logs")
	}
}

// TestCase63ConcurrentIssuanceWhileRotating issues 1,000 tokens
// concurrently while secrets and signing keys rotate, then checks that
// every issued token verifies until expiry and none after its key is
// removed.
func TestCase63ConcurrentIssuanceWhileRotating(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MaxInFlight, c.MaxInFlightPerAddress, c.ClientFailedAuthBurst = 2000, 1999, 1<<20 })
	ctx := context.Background()
	var secret atomic.Pointer[string]
	s0 := e.secret
	secret.Store(&s0)
	start := e.clock.Now()

	var (
		mu     sync.Mutex
		tokens []string
		failed atomic.Int32
		wg     sync.WaitGroup
	)
	stop := make(chan struct{})
	var rotWG sync.WaitGroup
	rotWG.Add(1)
	go func() { // rotate secrets and keys while requests run
		defer rotWG.Done()
		// Azure-style: the previous secret stays valid for one more
		// rotation, so clients that picked it up just before a rotation
		// still succeed; the one before it is revoked.
		var older string
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if i%4 != 3 {
				if _, err := e.srv.Keys().Rotate(ctx); !assert.NoError(t, err) {
					return
				}
			} else {
				if older != "" {
					oldID, _ := ParseSecret(older)
					if !assert.NoError(t, e.srv.Registry().RevokeSecret(ctx, e.clientID, oldID, "test")) {
						return
					}
				}
				plain, _, err := e.srv.Registry().AddSecret(ctx, e.clientID, 0, "test")
				if !assert.NoError(t, err) {
					return
				}
				older = *secret.Load()
				secret.Store(&plain)
			}
			time.Sleep(3 * time.Millisecond)
		}
	}()
	for i := range 1000 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// A client whose secret was rotated away re-reads its
			// configuration and retries, as the Patients app would.
			var w *httptest.ResponseRecorder
			for attempt := 0; attempt < 5; attempt++ {
				f := url.Values{"grant_type": {"client_credentials"}, "client_id": {e.clientID}, "client_secret": {*secret.Load()}, "scope": {tenantA}}
				r := httptest.NewRequest(http.MethodPost, "/token", strings.NewReader(f.Encode()))
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				r.RemoteAddr = fmt.Sprintf("10.0.%d.%d:1", i/250, i%250)
				w = httptest.NewRecorder()
				e.srv.Issuer().ServeHTTP(w, r)
				if w.Code != http.StatusUnauthorized {
					break
				}
			}
			if w.Code != 200 {
				// Only a request that held a secret across two rotations
				// may lose, and only as invalid_client.
				failed.Add(1)
				assert.Equal(t, 401, w.Code, "status %d: %s", w.Code, w.Body)
				return
			}
			var tr TokenResponse
			require.NoError(t, jsonUnmarshal(w.Body.Bytes(), &tr))
			mu.Lock()
			tokens = append(tokens, tr.AccessToken)
			mu.Unlock()
		}()
	}
	wg.Wait()
	close(stop)
	rotWG.Wait()
	require.False(t, len(tokens) < 900, "only %d of 1000 requests succeeded (%d failed)", len(tokens), failed.Load())

	// Every token verifies until just before its expiry.
	e.clock.Advance(299 * time.Second)
	kids := map[string]int{}
	for _, tok := range tokens {
		_, err := e.srv.Verifier().Verify(ctx, tok)
		require.NoError(t, err)
		hdr, _, _ := jwt.NewParser().ParseUnverified(tok, &AccessClaims{})
		kids[hdr.Header["kid"].(string)]++
	}
	// Removing a retired key makes exactly its tokens fail.
	_, active, _ := e.signer()
	var removed string
	for kid := range kids {
		if kid != active {
			removed = kid
			break
		}
	}
	if removed == "" {
		t.Skip("no rotation happened during issuance (machine too fast)")
	}
	require.NoError(t, e.srv.Keys().Remove(ctx, removed))
	for _, tok := range tokens {
		hdr, _, _ := jwt.NewParser().ParseUnverified(tok, &AccessClaims{})
		_, err := e.srv.Verifier().Verify(ctx, tok)
		require.Equal(t, (err != nil), (hdr.Header["kid"] == removed), "kid %v removed=%v: %v", hdr.Header["kid"], hdr.Header["kid"] == removed, err)
	}
	// After expiry nothing verifies.
	e.clock.Advance(e.srv.Config().Leeway + 2*time.Second)
	for _, tok := range tokens[:10] {
		_, err := e.srv.Verifier().Verify(ctx, tok)
		require.Error(t, err, "token verifies after expiry")
	}
	_ = start
}
