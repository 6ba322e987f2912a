package auth

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tokenOf returns the access token of a 200 token response.
func tokenOf(t *testing.T, w *httptest.ResponseRecorder) string {
	t.Helper()
	require.Equal(t, http.StatusOK, w.Code, "%s", w.Body)
	var tr TokenResponse
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &tr))
	return tr.AccessToken
}

// A retired signing key is removed while tokens it signed are being
// verified and new tokens issued on other goroutines: every verification
// either succeeds (before the removal) or is refused as an invalid token
// (never another error, never a panic), the key's tokens are refused at
// once afterwards, the JWKS no longer lists it, and the issuer keeps
// issuing tokens that verify, without a restart.
func TestFaultSigningKeyRemovedMidFlight(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	old := e.token()
	oldKID := e.srv.Keys().snap.Load().signer.kid
	_, err := e.srv.Keys().Rotate(ctx)
	require.NoError(t, err)
	_, err = e.srv.Verifier().Verify(ctx, old)
	require.NoError(t, err, "a retired key's token stops verifying before the key is removed")

	var stop atomic.Bool
	var wg sync.WaitGroup
	var verified, refused, other atomic.Int64
	for range 4 {
		wg.Go(func() {
			for !stop.Load() {
				_, err := e.srv.Verifier().Verify(ctx, old)
				switch {
				case err == nil:
					verified.Add(1)
				case errors.Is(err, ErrInvalidToken):
					refused.Add(1)
				default:
					other.Add(1)
				}
			}
		})
	}
	issued := make(chan int, 1)
	wg.Go(func() {
		codes := 0
		for !stop.Load() {
			if w := e.post(e.goodForm().Encode()); w.Code != http.StatusOK {
				codes++
			}
		}
		issued <- codes
	})
	require.NoError(t, e.srv.Keys().Remove(ctx, oldKID))
	_, err = e.srv.Verifier().Verify(ctx, old)
	require.ErrorIs(t, err, ErrInvalidToken, "a removed key's token still verifies on the node that removed it")
	for deadline := time.Now().Add(5 * time.Second); refused.Load() == 0 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond) // let the verifiers meet the removal
	}
	stop.Store(true)
	wg.Wait()
	assert.Zero(t, other.Load(), "a verification failed with something other than an invalid token")
	assert.Zero(t, <-issued, "the token endpoint failed while a key was removed")
	assert.Positive(t, refused.Load())

	w := httptest.NewRecorder()
	e.srv.JWKS().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/.well-known/jwks.json", nil))
	assert.NotContains(t, w.Body.String(), oldKID)
	fresh := tokenOf(t, e.post(e.goodForm().Encode()))
	assert.NotEqual(t, old, fresh)
	_, err = e.srv.Verifier().Verify(ctx, fresh)
	require.NoError(t, err)
	// Through the resource server's middleware: the old token is a 401.
	w = e.get(e.protected(), "/stu3/Patient", "Bearer "+old)
	assert.Equal(t, http.StatusUnauthorized, w.Code)
	assert.Contains(t, w.Header().Get("WWW-Authenticate"), `error="invalid_token"`)
}

// Another node deletes the ACTIVE signing key from the shared store (an
// operator's mistake, or a botched restore). Until this node reloads its
// keys it goes on as before; once it has reloaded, tokens of that key are
// refused, the token-per-request path does not hand them out again, the
// token endpoint answers an RFC 6749 error while no key signs (no token
// without a key), and the next maintenance run makes a new key, after
// which tokens are issued and verify again: no restart.
func TestFaultActiveSigningKeyDeletedUnderneath(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	tok := e.token()
	kid := e.srv.Keys().snap.Load().signer.kid
	assert.Equal(t, tok, tokenOf(t, e.post(e.goodForm().Encode())), "the Patients app's repeated request gets the same token")

	require.NoError(t, e.store.DeleteKey(ctx, kid)) // the other node
	require.NoError(t, e.srv.Keys().Refresh(ctx))   // this node's next reload

	_, err := e.srv.Verifier().Verify(ctx, tok)
	require.ErrorIs(t, err, ErrInvalidToken)
	w := e.post(e.goodForm().Encode())
	assert.NotContains(t, w.Body.String(), tok, "a token of a deleted key was handed out again")
	require.GreaterOrEqual(t, w.Code, 500, "a token was issued without a signing key: %s", w.Body)
	var body struct {
		Error string `json:"error"`
	}
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &body), "%s", w.Body)
	assert.Contains(t, []string{ErrCodeServerError, ErrCodeTemporarilyUnavailable}, body.Error)
	assert.Equal(t, "no-store", w.Header().Get("Cache-Control"))

	require.NoError(t, e.srv.Keys().Maintain(ctx))
	fresh := tokenOf(t, e.post(e.goodForm().Encode()))
	_, err = e.srv.Verifier().Verify(ctx, fresh)
	require.NoError(t, err)
	assert.NotEqual(t, kid, e.srv.Keys().snap.Load().signer.kid)
}
