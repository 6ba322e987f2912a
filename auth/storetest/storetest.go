package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patientsfhir/patientsfhir/auth"
)

// NewStore returns an empty store for one test; it should register its own cleanup with
// t.Cleanup. Stores that implement io.Closer are also closed by the suite.
type NewStore func(t *testing.T) auth.Store

// Run runs the conformance suite, calling newStore for a fresh empty store in every subtest.
func Run(t *testing.T, newStore NewStore) {
	t.Helper()
	open := func(t *testing.T) auth.Store {
		t.Helper()
		s := newStore(t)
		require.NotNil(t, s, "storetest: newStore returned nil")
		if c, ok := s.(io.Closer); ok {
			t.Cleanup(func() { _ = c.Close() })
		}
		return s
	}
	tests := []struct {
		name string
		fn   func(t *testing.T, s auth.Store)
	}{
		{"Clients/CreateGetRoundTrip", testClientRoundTrip},
		{"Clients/CopiesInAndOut", testClientCopies},
		{"Clients/CreateConflict", testClientConflict},
		{"Clients/NotFound", testClientNotFound},
		{"Clients/UpdateWritesEveryField", testClientUpdate},
		{"Clients/UpdateErrorWritesNothing", testClientUpdateError},
		{"Clients/UpdateKeepsID", testClientUpdateKeepsID},
		{"Clients/ListOrderedByID", testClientList},
		{"Clients/OddTextExactOrRefused", testClientOddText},
		{"Clients/ConcurrentMaxTwoSecrets", testClientConcurrentMaxTwo},
		{"Clients/ConcurrentNoLostUpdates", testClientNoLostUpdates},
		{"Keys/Lifecycle", testKeyLifecycle},
		{"Keys/ListOrder", testKeyListOrder},
		{"Keys/ConflictAndNotFound", testKeyConflictNotFound},
		{"Keys/UpdateErrorWritesNothing", testKeyUpdateError},
		{"Keys/ConcurrentActivateOnce", testKeyConcurrentActivate},
		{"DenyList/InsertIfAbsentAndExpiry", testDenyExpiry},
		{"DenyList/RaiseNeverLower", testDenyRaise},
		{"DenyList/Purge", testDenyPurge},
		{"DenyList/ConcurrentDenyOnce", testDenyConcurrent},
		{"DenyList/OddKeys", testDenyOddKeys},
		{"Context/Cancelled", testContextCancelled},
		{"Context/CancelledDuringUpdate", testContextCancelledDuringUpdate},
		{"Context/DeadlineWhileWaiting", testContextDeadlineWhileWaiting},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
}

// --- fixtures and comparison --------------------------------------------------------------

// base is a fixed instant with nanoseconds and a non-UTC zone: stores may keep microseconds
// and UTC, and the comparisons below allow exactly that.
var base = time.Date(2026, 3, 14, 15, 9, 26, 535897932, time.FixedZone("UTC+2", 2*3600))

func hash(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

func sampleClient(id string) *auth.Client {
	return &auth.Client{
		ID:         id,
		Name:       "Teams Patients app — " + id,
		GrantTypes: []string{"client_credentials"},
		Tenants:    []string{"11111111-2222-4333-8444-555555555555", "c0ffee00-1234-4abc-8def-001122334455"},
		Scopes:     []string{"system/Observation.read", "system/Patient.read"},
		TokenTTL:   5*time.Minute + 7*time.Nanosecond,
		Secrets: []auth.SecretRecord{
			{ID: "s1AbCdEf", Hash: hash(0xA1), Alg: "sha256", Hint: "x9Q", CreatedAt: base,
				ExpiresAt: base.Add(90 * 24 * time.Hour), RevokedAt: base.Add(time.Hour)},
			{ID: "s2GhIjKl", Hash: hash(0xB2), Alg: "hmac-sha256:p1", Hint: "k_2", CreatedAt: base.Add(time.Minute)},
		},
		JWKS:      []byte(`{"keys":[{"kty":"EC","crv":"P-384","kid":"app-1","x":"x","y":"y"}]}`),
		CreatedAt: base,
		UpdatedAt: base.Add(time.Minute),
	}
}

func sameTime(a, b time.Time) bool {
	if a.IsZero() || b.IsZero() {
		return a.IsZero() && b.IsZero()
	}
	return a.Truncate(time.Microsecond).Equal(b.Truncate(time.Microsecond))
}

func sameStrings(a, b []string) bool { return slices.Equal(a, b) } // nil equals empty

// diffClient describes the first difference between want and got ("" when equal).
func diffClient(want, got *auth.Client) string {
	switch {
	case want == nil || got == nil:
		if want != got {
			return fmt.Sprintf("want %v, got %v", want, got)
		}
		return ""
	case want.ID != got.ID:
		return fmt.Sprintf("ID %q, got %q", want.ID, got.ID)
	case want.Name != got.Name:
		return fmt.Sprintf("Name %q, got %q", want.Name, got.Name)
	case want.Disabled != got.Disabled:
		return fmt.Sprintf("Disabled %v, got %v", want.Disabled, got.Disabled)
	case !sameStrings(want.GrantTypes, got.GrantTypes):
		return fmt.Sprintf("GrantTypes %q, got %q", want.GrantTypes, got.GrantTypes)
	case !sameStrings(want.Tenants, got.Tenants):
		return fmt.Sprintf("Tenants %q, got %q", want.Tenants, got.Tenants)
	case !sameStrings(want.Scopes, got.Scopes):
		return fmt.Sprintf("Scopes %q, got %q", want.Scopes, got.Scopes)
	case want.TokenTTL != got.TokenTTL:
		return fmt.Sprintf("TokenTTL %v, got %v", want.TokenTTL, got.TokenTTL)
	case !bytes.Equal(want.JWKS, got.JWKS):
		return fmt.Sprintf("JWKS %q, got %q", want.JWKS, got.JWKS)
	case !sameTime(want.CreatedAt, got.CreatedAt):
		return fmt.Sprintf("CreatedAt %v, got %v", want.CreatedAt, got.CreatedAt)
	case !sameTime(want.UpdatedAt, got.UpdatedAt):
		return fmt.Sprintf("UpdatedAt %v, got %v", want.UpdatedAt, got.UpdatedAt)
	case len(want.Secrets) != len(got.Secrets):
		return fmt.Sprintf("%d secrets, got %d", len(want.Secrets), len(got.Secrets))
	}
	for i, w := range want.Secrets {
		g := got.Secrets[i]
		switch {
		case w.ID != g.ID, w.Alg != g.Alg, w.Hint != g.Hint, !bytes.Equal(w.Hash, g.Hash):
			return fmt.Sprintf("secret %d: id/alg/hint/hash %q/%q/%q/%x, got %q/%q/%q/%x", i, w.ID, w.Alg, w.Hint, w.Hash, g.ID, g.Alg, g.Hint, g.Hash)
		case !sameTime(w.CreatedAt, g.CreatedAt), !sameTime(w.ExpiresAt, g.ExpiresAt), !sameTime(w.RevokedAt, g.RevokedAt):
			return fmt.Sprintf("secret %d: times %v/%v/%v, got %v/%v/%v", i, w.CreatedAt, w.ExpiresAt, w.RevokedAt, g.CreatedAt, g.ExpiresAt, g.RevokedAt)
		}
	}
	return ""
}

func sampleKey(kid string, created time.Time) auth.KeyRecord {
	return auth.KeyRecord{
		KID:              kid,
		Alg:              "ES256",
		State:            auth.KeyPending,
		PublicKey:        append([]byte("pkix:"), kid...),
		SealedPrivateKey: append([]byte("sealed:"), kid...),
		CreatedAt:        created,
	}
}

func diffKey(want, got auth.KeyRecord) string {
	switch {
	case want.KID != got.KID, want.Alg != got.Alg, want.State != got.State:
		return fmt.Sprintf("kid/alg/state %q/%q/%q, got %q/%q/%q", want.KID, want.Alg, want.State, got.KID, got.Alg, got.State)
	case !bytes.Equal(want.PublicKey, got.PublicKey), !bytes.Equal(want.SealedPrivateKey, got.SealedPrivateKey):
		return "key bytes differ"
	case !sameTime(want.CreatedAt, got.CreatedAt), !sameTime(want.ActivatedAt, got.ActivatedAt), !sameTime(want.RetiredAt, got.RetiredAt):
		return fmt.Sprintf("times %v/%v/%v, got %v/%v/%v", want.CreatedAt, want.ActivatedAt, want.RetiredAt, got.CreatedAt, got.ActivatedAt, got.RetiredAt)
	}
	return ""
}

func mustGet(t *testing.T, s auth.Store, id string) *auth.Client {
	t.Helper()
	c, err := s.GetClient(context.Background(), id)
	require.NoError(t, err)
	return c
}

func mustCreate(t *testing.T, s auth.Store, c *auth.Client) {
	t.Helper()
	err := s.CreateClient(context.Background(), c)
	require.NoError(t, err)
}

// noSecretIn fails if err's text contains any stored hash or key material.
func noSecretIn(t *testing.T, err error, c *auth.Client) {
	t.Helper()
	if err == nil {
		return
	}
	msg := err.Error()
	for _, sr := range c.Secrets {
		require.False(t, len(sr.Hash) > 0 && (strings.Contains(msg, fmt.Sprintf("%x", sr.Hash)) || strings.Contains(msg, string(sr.Hash))), "error text carries a secret hash: %q", msg)
	}
}

// --- clients ------------------------------------------------------------------------------

func testClientRoundTrip(t *testing.T, s auth.Store) {
	want := sampleClient("teams-app")
	want.Disabled = true
	mustCreate(t, s, want)
	d := diffClient(want, mustGet(t, s, "teams-app"))
	require.Equal(t, "", d, "read back differs: %s", d)
	// A minimal record: empty lists, no secrets, zero times.
	min := &auth.Client{ID: "m"}
	mustCreate(t, s, min)
	got := mustGet(t, s, "m")
	d = diffClient(min, got)
	require.Equal(t, "", d, "minimal record differs: %s", d)
	require.True(t, got.CreatedAt.IsZero(), "zero values not kept: %+v", got)
	require.EqualValues(t, 0, len(got.Secrets), "zero values not kept: %+v", got)
}

func testClientCopies(t *testing.T, s auth.Store) {
	in := sampleClient("c")
	want := in.Clone()
	mustCreate(t, s, in)
	// Changing what was passed in must not reach the store.
	in.Tenants[0] = "mutated"
	in.Secrets[0].Hash[0] ^= 0xFF
	in.JWKS[0] = '['
	in.Name = "mutated"
	got := mustGet(t, s, "c")
	d := diffClient(want, got)
	require.Equal(t, "", d, "store kept the caller's slices: %s", d)
	// Nor changing what was returned.
	got.Tenants[0] = "mutated"
	got.Secrets[0].Hash[0] ^= 0xFF
	got.JWKS[0] = '['
	got.GrantTypes = append(got.GrantTypes[:0], "password")
	d = diffClient(want, mustGet(t, s, "c"))
	require.Equal(t, "", d, "store returned its own slices: %s", d)
	// The copy given to an update's fn is the caller's to keep; the store must not see later changes.
	var kept *auth.Client
	require.NoError(t, s.UpdateClient(context.Background(), "c", func(c *auth.Client) error { kept = c; return nil }))
	kept.Tenants[0] = "mutated-after-update"
	kept.Secrets[0].Hash[0] ^= 0xFF
	d = diffClient(want, mustGet(t, s, "c"))
	require.Equal(t, "", d, "store kept the update's record: %s", d)
	cs, err := s.ListClients(context.Background())
	require.NoError(t, err)
	require.EqualValues(t, 1, len(cs), "ListClients: %v %v", cs, err)
	cs[0].Secrets[0].Hash[0] ^= 0xFF
	d = diffClient(want, mustGet(t, s, "c"))
	require.Equal(t, "", d, "ListClients returned the store's slices: %s", d)
}

// oddText is text a SQL column may not hold as given: NUL bytes, invalid UTF-8, non-BMP runes.
var oddText = []string{"nul\x00inside", "bad\xffutf8", "\xc3", "emoji 🩺 ok", strings.Repeat("é", 300), "'); DROP TABLE auth_clients;--"}

// A store either keeps text exactly or refuses the record with an error: never a silent change.
func testClientOddText(t *testing.T, s auth.Store) {
	ctx := context.Background()
	for i, txt := range oddText {
		c := sampleClient(fmt.Sprintf("odd-%d", i))
		c.Name = txt
		c.Tenants = []string{txt}
		c.Secrets[0].Hint = txt
		if err := s.CreateClient(ctx, c); err != nil {
			_, gerr := s.GetClient(ctx, c.ID)
			require.ErrorIs(t, gerr, auth.ErrNotFound, "%q: CreateClient failed (%v) but left a record behind (%v)", txt, err, gerr)
		} else {
			require.Empty(t, diffClient(c, mustGet(t, s, c.ID)), "%q: stored text changed", txt)
		}
		mustCreate(t, s, &auth.Client{ID: fmt.Sprintf("plain-%d", i)})
		err := s.UpdateClient(ctx, fmt.Sprintf("plain-%d", i), func(c *auth.Client) error { c.Scopes = []string{txt}; return nil })
		got := mustGet(t, s, fmt.Sprintf("plain-%d", i))
		require.False(t, err != nil && len(got.Scopes) != 0, "%q: UpdateClient failed (%v) but wrote %q", txt, err, got.Scopes)
		require.False(t, err == nil && !slices.Equal(got.Scopes, []string{txt}), "%q: updated text changed to %q", txt, got.Scopes)
		// Looking up an odd id finds nothing (or fails) rather than something else.
		got, err = s.GetClient(ctx, txt)
		require.Error(t, err, "GetClient(%q) found a client", txt)
		if ok, err := s.Deny(ctx, "odd:"+txt, base.Add(time.Minute), base); err == nil {
			require.True(t, ok, "Deny(%q) accepted but not kept", txt)
			require.True(t, denied(t, s, "odd:"+txt, base), "Deny(%q) accepted but not kept", txt)
		}
	}
}

func testClientConflict(t *testing.T, s auth.Store) {
	first := sampleClient("dup")
	mustCreate(t, s, first)
	second := sampleClient("dup")
	second.Name = "impostor"
	second.Secrets = []auth.SecretRecord{{ID: "evil", Hash: hash(0xEE), Alg: "sha256"}}
	err := s.CreateClient(context.Background(), second)
	require.ErrorIs(t, err, auth.ErrConflict, "duplicate CreateClient: got %v, want ErrConflict", err)
	noSecretIn(t, err, second)
	d := diffClient(first, mustGet(t, s, "dup"))
	require.Equal(t, "", d, "a refused create changed the record: %s", d)
}

func testClientNotFound(t *testing.T, s auth.Store) {
	ctx := context.Background()
	mustCreate(t, s, sampleClient("present"))
	for _, id := range []string{"absent", "PRESENT", "present ", "", "' OR 1=1--", "../present"} {
		_, err := s.GetClient(ctx, id)
		assert.ErrorIs(t, err, auth.ErrNotFound, "GetClient(%q): got %v, want ErrNotFound", id, err)
		called := false
		err = s.UpdateClient(ctx, id, func(*auth.Client) error { called = true; return nil })
		assert.False(t, !errors.Is(err, auth.ErrNotFound) || called, "UpdateClient(%q): got %v (fn called %v), want ErrNotFound without calling fn", id, err, called)
	}
	cs, err := s.ListClients(ctx)
	require.NoError(t, err)
	require.EqualValues(t, 1, len(cs), "ListClients after failed updates: %d clients, %v", len(cs), err)
}

func testClientUpdate(t *testing.T, s auth.Store) {
	ctx := context.Background()
	mustCreate(t, s, sampleClient("u"))
	want := &auth.Client{
		ID:         "u",
		Name:       "renamed",
		Disabled:   true,
		GrantTypes: []string{"client_credentials", "urn:example:grant"},
		Tenants:    []string{"99999999-2222-4333-8444-555555555555"},
		TokenTTL:   time.Hour,
		JWKS:       []byte(`{"keys":[]}`),
		Secrets: []auth.SecretRecord{
			{ID: "s2GhIjKl", Hash: hash(0xB2), Alg: "hmac-sha256:p1", Hint: "k_2", CreatedAt: base.Add(time.Minute), RevokedAt: base.Add(2 * time.Hour)},
			{ID: "s3MnOpQr", Hash: hash(0xC3), Alg: "sha256", Hint: "zz9", CreatedAt: base.Add(2 * time.Hour), ExpiresAt: base.Add(48 * time.Hour)},
			{ID: "s4StUvWx", Hash: hash(0xD4), Alg: "sha256", Hint: "a-b", CreatedAt: base.Add(3 * time.Hour)},
		},
		CreatedAt: base,
		UpdatedAt: base.Add(3 * time.Hour),
	}
	err := s.UpdateClient(ctx, "u", func(c *auth.Client) error {
		if d := diffClient(sampleClient("u"), c); d != "" {
			return fmt.Errorf("fn was given a different record: %s", d)
		}
		*c = *want.Clone()
		return nil
	})
	require.NoError(t, err)
	d := diffClient(want, mustGet(t, s, "u"))
	require.Equal(t, "", d, "after update: %s", d)
	// Removing every secret and list entry.
	require.NoError(t, s.UpdateClient(ctx, "u", func(c *auth.Client) error {
		c.Secrets, c.Tenants, c.GrantTypes, c.Scopes, c.JWKS = nil, []string{}, nil, nil, nil
		return nil
	}))
	got := mustGet(t, s, "u")
	require.EqualValues(t, 0, len(got.Secrets)+len(got.Tenants)+len(got.GrantTypes)+len(got.Scopes)+len(got.JWKS), "after clearing: %+v", got)
	require.Equal(t, "renamed", got.Name, "after clearing: %+v", got)
}

func testClientUpdateError(t *testing.T, s auth.Store) {
	want := sampleClient("e")
	mustCreate(t, s, want)
	boom := errors.New("rule violated")
	err := s.UpdateClient(context.Background(), "e", func(c *auth.Client) error {
		c.Name = "half-done"
		c.Secrets = append(c.Secrets, auth.SecretRecord{ID: "new", Hash: hash(1), Alg: "sha256"})
		c.Secrets[0].RevokedAt = time.Time{}
		return boom
	})
	require.False(t, err != boom && !errors.Is(err, boom), "UpdateClient returned %v, want fn's error", err)
	d := diffClient(want, mustGet(t, s, "e"))
	require.Equal(t, "", d, "a failed update wrote: %s", d)
}

func testClientUpdateKeepsID(t *testing.T, s auth.Store) {
	ctx := context.Background()
	mustCreate(t, s, sampleClient("keep"))
	require.NoError(t, s.UpdateClient(ctx, "keep", func(c *auth.Client) error { c.ID = "other"; c.Name = "n"; return nil }))
	got := mustGet(t, s, "keep")
	require.Equal(t, "n", got.Name, "update under a changed ID: %+v", got)
	require.Equal(t, "keep", got.ID, "update under a changed ID: %+v", got)
	_, err := s.GetClient(ctx, "other")
	require.ErrorIs(t, err, auth.ErrNotFound, "an update created client %q: %v", "other", err)
}

func testClientList(t *testing.T, s auth.Store) {
	ctx := context.Background()
	cs, err := s.ListClients(ctx)
	require.NoError(t, err)
	require.EqualValues(t, 0, len(cs), "empty store lists %d clients, %v", len(cs), err)
	// Byte order, as Go sorts strings: upper case before lower case, '-' before '.' before digits.
	ids := []string{"b", "B", "a.b", "a-b", "a", "Z9", "_x", "a0", "~"}
	for i, id := range ids {
		c := sampleClient(id)
		c.Secrets = c.Secrets[:i%3]
		mustCreate(t, s, c)
	}
	cs, err = s.ListClients(ctx)
	require.NoError(t, err)
	want := slices.Clone(ids)
	slices.Sort(want)
	var got []string
	for _, c := range cs {
		got = append(got, c.ID)
	}
	require.True(t, slices.Equal(got, want), "ListClients order %q, want %q", got, want)
	for _, c := range cs {
		i := slices.Index(ids, c.ID)
		w := sampleClient(c.ID)
		w.Secrets = w.Secrets[:i%3]
		d := diffClient(w, c)
		require.Equal(t, "", d, "listed %q: %s", c.ID, d)
	}
}

// active counts the secrets neither revoked nor expired at now.
func active(c *auth.Client, now time.Time) int {
	n := 0
	for _, s := range c.Secrets {
		if s.RevokedAt.IsZero() && (s.ExpiresAt.IsZero() || s.ExpiresAt.After(now)) {
			n++
		}
	}
	return n
}

var errTooMany = errors.New("too many active secrets")

// race starts n goroutines at once, each calling try(i), and returns how many reported a win.
// try reports (false, nil) for a refusal the test expects; any error fails the test.
func race(t *testing.T, n int, try func(i int) (bool, error)) int {
	t.Helper()
	var won atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			ok, err := try(i)
			assert.NoError(t, err)
			if ok {
				won.Add(1)
			}
		}()
	}
	close(start)
	wg.Wait()
	return int(won.Load())
}

// refused turns an expected rule violation into a loss and keeps other errors.
func refused(err, rule error) (bool, error) {
	if errors.Is(err, rule) {
		return false, nil
	}
	return err == nil, err
}

// RaceSecrets makes n goroutines add a secret to the existing client id at the same moment,
// spread round-robin over stores (one store, or several nodes on one database), under a
// "at most two active secrets" rule checked inside UpdateClient. It fails t unless exactly two
// additions succeed and the client ends with two more secrets than it had.
func RaceSecrets(t *testing.T, stores []auth.Store, id string, n int) {
	t.Helper()
	ctx := context.Background()
	before := mustGet(t, stores[0], id)
	require.EqualValues(t, 0, active(before, base), "RaceSecrets needs a client without active secrets; %q has %d", id, active(before, base))
	won := race(t, n, func(i int) (bool, error) {
		return refused(stores[i%len(stores)].UpdateClient(ctx, id, func(c *auth.Client) error {
			if active(c, base) >= 2 {
				return errTooMany
			}
			c.Secrets = append(c.Secrets, auth.SecretRecord{ID: fmt.Sprintf("s%02d", i), Hash: hash(byte(i)), Alg: "sha256", CreatedAt: base})
			return nil
		}), errTooMany)
	})
	require.EqualValues(t, 2, won, "%d of %d concurrent additions succeeded; want exactly 2", won, n)
	got := mustGet(t, stores[len(stores)-1], id)
	require.Equal(t, len(before.Secrets)+2, len(got.Secrets), "stored %d secrets, want %d", len(got.Secrets), len(before.Secrets)+2)
}

func testClientConcurrentMaxTwo(t *testing.T, s auth.Store) {
	c := sampleClient("race")
	c.Secrets = nil
	mustCreate(t, s, c)
	RaceSecrets(t, []auth.Store{s}, "race", 20)
}

func testClientNoLostUpdates(t *testing.T, s auth.Store) {
	ctx := context.Background()
	mustCreate(t, s, &auth.Client{ID: "counter"})
	mustCreate(t, s, &auth.Client{ID: "bystander", Name: "untouched"})
	const n = 16
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			assert.NoError(t, s.UpdateClient(ctx, "counter", func(c *auth.Client) error {
				c.TokenTTL++
				c.Tenants = append(c.Tenants, fmt.Sprint(c.TokenTTL))
				return nil
			}))
		}()
	}
	// Reads during the updates see whole records: as many tenants as the counter says.
	for range 10 {
		c := mustGet(t, s, "counter")
		require.Equal(t, len(c.Tenants), int(c.TokenTTL), "torn read: counter %d with %d tenants", c.TokenTTL, len(c.Tenants))
	}
	wg.Wait()
	c := mustGet(t, s, "counter")
	require.Equal(t, time.Duration(n), c.TokenTTL, "after %d increments the counter is %d with %d tenants (lost updates)", n, c.TokenTTL, len(c.Tenants))
	require.Equal(t, n, len(c.Tenants), "after %d increments the counter is %d with %d tenants (lost updates)", n, c.TokenTTL, len(c.Tenants))
	c = mustGet(t, s, "bystander")
	require.Equal(t, "untouched", c.Name, "another client changed: %+v", c)
}

// --- signing keys -------------------------------------------------------------------------

func listKeys(t *testing.T, s auth.Store) []auth.KeyRecord {
	t.Helper()
	ks, err := s.ListKeys(context.Background())
	require.NoError(t, err)
	return ks
}

func testKeyLifecycle(t *testing.T, s auth.Store) {
	ctx := context.Background()
	ks := listKeys(t, s)
	require.EqualValues(t, 0, len(ks), "empty store lists %d keys", len(ks))
	k := sampleKey("kid-1", base)
	require.NoError(t, s.CreateKey(ctx, k))
	steps := []struct {
		state auth.KeyState
		set   func(*auth.KeyRecord)
	}{
		{auth.KeyActive, func(k *auth.KeyRecord) { k.ActivatedAt = base.Add(time.Hour) }},
		{auth.KeyRetired, func(k *auth.KeyRecord) { k.RetiredAt = base.Add(90 * 24 * time.Hour) }},
	}
	want := k
	for _, st := range steps {
		err := s.UpdateKey(ctx, "kid-1", func(r *auth.KeyRecord) error {
			if d := diffKey(want, *r); d != "" {
				return fmt.Errorf("fn given %s", d)
			}
			r.State = st.state
			st.set(r)
			return nil
		})
		require.NoError(t, err)
		want.State = st.state
		st.set(&want)
		ks := listKeys(t, s)
		require.EqualValues(t, 1, len(ks), "%d keys after update", len(ks))
		d := diffKey(want, ks[0])
		require.Equal(t, "", d, "after %s: %s", st.state, d)
	}
	// A returned record is a copy.
	ks = listKeys(t, s)
	ks[0].SealedPrivateKey[0] ^= 0xFF
	d := diffKey(want, listKeys(t, s)[0])
	require.Equal(t, "", d, "ListKeys returned the store's bytes: %s", d)
	// Removed.
	require.NoError(t, s.DeleteKey(ctx, "kid-1"))
	ks = listKeys(t, s)
	require.EqualValues(t, 0, len(ks), "deleted key still listed: %v", ks)
	err := s.DeleteKey(ctx, "kid-1")
	require.ErrorIs(t, err, auth.ErrNotFound, "second DeleteKey: %v, want ErrNotFound", err)
	// A removed kid can be created again (it is only a thumbprint).
	err = s.CreateKey(ctx, sampleKey("kid-1", base))
	require.NoError(t, err)
}

func testKeyListOrder(t *testing.T, s auth.Store) {
	ctx := context.Background()
	// Created out of order; two share a creation time and are then ordered by KID bytes.
	in := []auth.KeyRecord{
		sampleKey("c", base.Add(2*time.Hour)),
		sampleKey("b", base),
		sampleKey("a", base.Add(time.Hour)),
		sampleKey("B", base),
		sampleKey("z", time.Time{}),
	}
	for _, k := range in {
		require.NoError(t, s.CreateKey(ctx, k))
	}
	var got []string
	for _, k := range listKeys(t, s) {
		got = append(got, k.KID)
	}
	want := []string{"z", "B", "b", "a", "c"}
	require.True(t, slices.Equal(got, want), "ListKeys order %q, want %q (CreatedAt, then KID)", got, want)
}

func testKeyConflictNotFound(t *testing.T, s auth.Store) {
	ctx := context.Background()
	k := sampleKey("k", base)
	require.NoError(t, s.CreateKey(ctx, k))
	dup := sampleKey("k", base.Add(time.Hour))
	dup.State = auth.KeyActive
	err := s.CreateKey(ctx, dup)
	require.ErrorIs(t, err, auth.ErrConflict, "duplicate CreateKey")
	require.NotContains(t, err.Error(), "sealed:", "error carries key material")
	d := diffKey(k, listKeys(t, s)[0])
	require.Equal(t, "", d, "a refused create changed the key: %s", d)
	called := false
	err = s.UpdateKey(ctx, "nope", func(*auth.KeyRecord) error { called = true; return nil })
	require.ErrorIs(t, err, auth.ErrNotFound, "UpdateKey(missing): %v (fn called %v)", err, called)
	require.False(t, called, "UpdateKey(missing): %v (fn called %v)", err, called)
	err = s.DeleteKey(ctx, "nope")
	require.ErrorIs(t, err, auth.ErrNotFound, "DeleteKey(missing): %v", err)
	require.NoError(t, s.UpdateKey(ctx, "k", func(r *auth.KeyRecord) error { r.KID = "renamed"; r.Alg = "RS256"; return nil }))
	ks := listKeys(t, s)
	require.EqualValues(t, 1, len(ks), "update under a changed KID: %+v", ks)
	require.Equal(t, "k", ks[0].KID, "update under a changed KID: %+v", ks)
	require.Equal(t, "RS256", ks[0].Alg, "update under a changed KID: %+v", ks)
}

func testKeyUpdateError(t *testing.T, s auth.Store) {
	k := sampleKey("k", base)
	require.NoError(t, s.CreateKey(context.Background(), k))
	boom := errors.New("not pending")
	err := s.UpdateKey(context.Background(), "k", func(r *auth.KeyRecord) error {
		r.State = auth.KeyActive
		r.SealedPrivateKey = nil
		return boom
	})
	require.ErrorIs(t, err, boom, "UpdateKey returned %v, want fn's error", err)
	d := diffKey(k, listKeys(t, s)[0])
	require.Equal(t, "", d, "a failed update wrote: %s", d)
}

func testKeyConcurrentActivate(t *testing.T, s auth.Store) {
	ctx := context.Background()
	require.NoError(t, s.CreateKey(ctx, sampleKey("k", base)))
	errNotPending := errors.New("not pending")
	won := race(t, 10, func(i int) (bool, error) {
		return refused(s.UpdateKey(ctx, "k", func(r *auth.KeyRecord) error {
			if r.State != auth.KeyPending {
				return errNotPending
			}
			r.State = auth.KeyActive
			r.ActivatedAt = base.Add(time.Duration(i+1) * time.Second)
			return nil
		}), errNotPending)
	})
	require.EqualValues(t, 1, won, "%d goroutines activated the key, want exactly 1", won)
	k := listKeys(t, s)[0]
	require.Equal(t, auth.KeyActive, k.State, "after activation: %+v", k)
	require.False(t, k.ActivatedAt.IsZero(), "after activation: %+v", k)
}

// --- deny-list ----------------------------------------------------------------------------

func deny(t *testing.T, s auth.Store, key string, until, now time.Time) bool {
	t.Helper()
	added, err := s.Deny(context.Background(), key, until, now)
	require.NoError(t, err)
	return added
}

func denied(t *testing.T, s auth.Store, key string, now time.Time) bool {
	t.Helper()
	d, err := s.IsDenied(context.Background(), key, now)
	require.NoError(t, err)
	return d
}

func testDenyExpiry(t *testing.T, s auth.Store) {
	now := base
	until := now.Add(5 * time.Minute)
	require.False(t, denied(t, s, "jti:a", now), "unknown key is denied")
	require.True(t, deny(t, s, "jti:a", until, now), "first Deny did not report added")
	require.False(t, deny(t, s, "jti:a", until, now.Add(time.Second)), "second Deny of a live entry reported added (replay accepted)")
	for _, tc := range []struct {
		at   time.Time
		want bool
	}{
		{now, true},
		{until.Add(-time.Microsecond), true},
		{until, false}, // expired at until
		{until.Add(time.Hour), false},
	} {
		got := denied(t, s, "jti:a", tc.at)
		assert.Equal(t, tc.want, got, "IsDenied at until%+v = %v, want %v", tc.at.Sub(until), got, tc.want)
	}
	require.False(t, denied(t, s, "jti:b", now), "another key is denied")
	require.False(t, denied(t, s, "JTI:A", now), "another key is denied")
	// Expired entries count as absent: adding again succeeds and lives until the new time.
	later := until.Add(time.Minute)
	require.True(t, deny(t, s, "jti:a", later.Add(5*time.Minute), later), "Deny over an expired entry did not report added")
	require.True(t, denied(t, s, "jti:a", later.Add(time.Minute)), "re-added entry is not denied")
}

func testDenyRaise(t *testing.T, s auth.Store) {
	now := base
	deny(t, s, "k", now.Add(time.Minute), now)
	require.False(t, deny(t, s, "k", now.Add(10*time.Minute), now), "raising a live entry reported added")
	require.True(t, denied(t, s, "k", now.Add(5*time.Minute)), "expiry was not raised")
	require.False(t, deny(t, s, "k", now.Add(2*time.Minute), now), "an earlier expiry reported added")
	require.True(t, denied(t, s, "k", now.Add(9*time.Minute)), "an earlier expiry lowered the entry's")
}

func testDenyPurge(t *testing.T, s auth.Store) {
	ctx := context.Background()
	now := base
	for i := range 10 {
		deny(t, s, fmt.Sprintf("k%d", i), now.Add(time.Duration(i-5)*time.Minute+time.Minute), now.Add(-time.Hour))
	}
	// Entries k0..k4 have until <= now (k4 exactly now): expired.
	n, err := s.PurgeDenied(ctx, now)
	require.NoError(t, err)
	require.EqualValues(t, 5, n, "PurgeDenied removed %d entries, want 5", n)
	n, err = s.PurgeDenied(ctx, now)
	require.NoError(t, err)
	require.EqualValues(t, 0, n, "second PurgeDenied: %d, %v", n, err)
	for i := range 10 {
		got, want := denied(t, s, fmt.Sprintf("k%d", i), now), i > 4
		assert.Equal(t, want, got, "k%d denied = %v, want %v", i, got, want)
	}
	// A purged key is absent: Deny adds it.
	require.True(t, deny(t, s, "k0", now.Add(time.Minute), now), "Deny after purge did not add")
}

func testDenyConcurrent(t *testing.T, s auth.Store) {
	added := race(t, 20, func(int) (bool, error) {
		return s.Deny(context.Background(), "assertion:replayed", base.Add(time.Minute), base)
	})
	require.EqualValues(t, 1, added, "%d concurrent Deny calls reported added, want exactly 1", added)
}

func testDenyOddKeys(t *testing.T, s auth.Store) {
	keys := []string{
		strings.Repeat("x", 256),
		"sid:client/secret with spaces",
		"jti:ünïcødé-✓",
		"' OR 1=1--",
		"a?b$1",
	}
	for _, k := range keys {
		require.True(t, deny(t, s, k, base.Add(time.Minute), base), "Deny(%.20q) not added", k)
	}
	for _, k := range keys {
		require.True(t, denied(t, s, k, base), "IsDenied(%.20q) = false", k)
	}
	require.False(t, denied(t, s, strings.Repeat("x", 255), base), "a prefix of a denied key is denied")
}

// --- context ------------------------------------------------------------------------------

func testContextCancelled(t *testing.T, s auth.Store) {
	mustCreate(t, s, sampleClient("c"))
	require.NoError(t, s.CreateKey(context.Background(), sampleKey("k", base)))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	calls := map[string]func() error{
		"GetClient":    func() error { _, err := s.GetClient(ctx, "c"); return err },
		"CreateClient": func() error { return s.CreateClient(ctx, sampleClient("new")) },
		"UpdateClient": func() error {
			return s.UpdateClient(ctx, "c", func(c *auth.Client) error { c.Name = "cancelled"; return nil })
		},
		"ListClients": func() error { _, err := s.ListClients(ctx); return err },
		"ListKeys":    func() error { _, err := s.ListKeys(ctx); return err },
		"CreateKey":   func() error { return s.CreateKey(ctx, sampleKey("new", base)) },
		"UpdateKey": func() error {
			return s.UpdateKey(ctx, "k", func(k *auth.KeyRecord) error { k.State = auth.KeyActive; return nil })
		},
		"DeleteKey":   func() error { return s.DeleteKey(ctx, "k") },
		"Deny":        func() error { _, err := s.Deny(ctx, "x", base.Add(time.Hour), base); return err },
		"IsDenied":    func() error { _, err := s.IsDenied(ctx, "x", base); return err },
		"PurgeDenied": func() error { _, err := s.PurgeDenied(ctx, base.Add(time.Hour)); return err },
	}
	for name, call := range calls {
		err := call()
		assert.ErrorIs(t, err, context.Canceled, "%s with a cancelled context: got %v, want context.Canceled", name, err)
	}
	// Nothing was written.
	bg := context.Background()
	c := mustGet(t, s, "c")
	assert.NotEqual(t, "cancelled", c.Name, "UpdateClient wrote under a cancelled context")
	_, err := s.GetClient(bg, "new")
	assert.ErrorIs(t, err, auth.ErrNotFound, "CreateClient wrote under a cancelled context: %v", err)
	ks := listKeys(t, s)
	assert.False(t, len(ks) != 1 || ks[0].State != auth.KeyPending, "key writes under a cancelled context: %+v", ks)
	assert.False(t, denied(t, s, "x", base), "Deny wrote under a cancelled context")
}

func testContextCancelledDuringUpdate(t *testing.T, s auth.Store) {
	want := sampleClient("c")
	mustCreate(t, s, want)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	err := s.UpdateClient(ctx, "c", func(c *auth.Client) error {
		c.Name = "written after cancel"
		c.Secrets = nil
		cancel()
		return nil
	})
	require.ErrorIs(t, err, context.Canceled, "UpdateClient whose context was cancelled inside fn: got %v, want context.Canceled", err)
	d := diffClient(want, mustGet(t, s, "c"))
	require.Equal(t, "", d, "the cancelled update was written: %s", d)
	k := sampleKey("k", base)
	require.NoError(t, s.CreateKey(context.Background(), k))
	kctx, kcancel := context.WithCancel(context.Background())
	err = s.UpdateKey(kctx, "k", func(r *auth.KeyRecord) error { r.State = auth.KeyActive; kcancel(); return nil })
	require.ErrorIs(t, err, context.Canceled, "UpdateKey whose context was cancelled inside fn: got %v", err)
	d = diffKey(k, listKeys(t, s)[0])
	require.Equal(t, "", d, "the cancelled key update was written: %s", d)
}

func testContextDeadlineWhileWaiting(t *testing.T, s auth.Store) {
	mustCreate(t, s, sampleClient("c"))
	entered, release := make(chan struct{}), make(chan struct{})
	holder := make(chan error, 1)
	go func() {
		holder <- s.UpdateClient(context.Background(), "c", func(c *auth.Client) error {
			close(entered)
			<-release
			c.Name = "holder"
			return nil
		})
	}()
	<-entered
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	waiterDone := make(chan error, 1)
	go func() {
		waiterDone <- s.UpdateClient(ctx, "c", func(c *auth.Client) error { c.Name = "waiter"; return nil })
	}()
	var err error
	select {
	case err = <-waiterDone:
	case <-time.After(3 * time.Second):
		close(release)
		require.Fail(t, "an update waiting behind another ignored its context's deadline")
	}
	close(release)
	require.ErrorIs(t, err, context.DeadlineExceeded, "waiting update: got %v, want context.DeadlineExceeded", err)
	err = <-holder
	require.NoError(t, err)
	c := mustGet(t, s, "c")
	require.Equal(t, "holder", c.Name, "name %q, want the holder's", c.Name)
}
