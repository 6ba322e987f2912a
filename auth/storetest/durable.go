package storetest

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/patientsfhir/patientsfhir/auth"
)

// Reopen opens a new store value on the same underlying database every time it is called, as a
// restarted process would. The database starts empty on the first call.
type Reopen func(t *testing.T) auth.Store

// RunDurable checks that every kind of record survives closing and reopening the store:
// clients with their secrets (a rotated secret and a revoked one included), signing keys in
// each lifecycle state, deny-list entries, and a removed key that stays removed. The store is
// closed between opens when it implements io.Closer.
func RunDurable(t *testing.T, reopen Reopen) {
	t.Helper()
	ctx := context.Background()
	closeStore := func(s auth.Store) {
		if c, ok := s.(io.Closer); ok {
			err := c.Close()
			require.NoError(t, err)
		}
	}

	// First life: register, rotate, revoke, manage keys, deny.
	s := reopen(t)
	client := sampleClient("teams")
	client.Secrets = client.Secrets[1:] // one live secret
	mustCreate(t, s, client)
	mustCreate(t, s, &auth.Client{ID: "disabled", Disabled: true, GrantTypes: []string{"client_credentials"}})
	rotated := auth.SecretRecord{ID: "s5YzAbCd", Hash: hash(0xE5), Alg: "sha256", Hint: "r0t", CreatedAt: base.Add(time.Hour)}
	require.NoError(t, s.UpdateClient(ctx, "teams", func(c *auth.Client) error {
		c.Secrets = append(c.Secrets, rotated)           // the new secret
		c.Secrets[0].RevokedAt = base.Add(2 * time.Hour) // the old one, revoked
		c.UpdatedAt = base.Add(2 * time.Hour)
		return nil
	}))
	want := mustGet(t, s, "teams")
	keys := []auth.KeyRecord{sampleKey("k-retired", base), sampleKey("k-active", base.Add(time.Hour)), sampleKey("k-pending", base.Add(2*time.Hour)), sampleKey("k-removed", base.Add(3*time.Hour))}
	for _, k := range keys {
		require.NoError(t, s.CreateKey(ctx, k))
	}
	setState := func(kid string, st auth.KeyState, at time.Time) {
		t.Helper()
		require.NoError(t, s.UpdateKey(ctx, kid, func(k *auth.KeyRecord) error {
			k.State = st
			if st == auth.KeyActive {
				k.ActivatedAt = at
			} else {
				k.RetiredAt = at
			}
			return nil
		}))
	}
	setState("k-retired", auth.KeyActive, base.Add(time.Minute))
	setState("k-retired", auth.KeyRetired, base.Add(time.Hour))
	setState("k-active", auth.KeyActive, base.Add(time.Hour))
	require.NoError(t, s.DeleteKey(ctx, "k-removed"))
	wantKeys := listKeys(t, s)
	deny(t, s, "sid:teams/s2GhIjKl", base.Add(time.Hour), base)
	closeStore(s)

	// Second life: everything is there, and the revoked secret is still revoked.
	s = reopen(t)
	got := mustGet(t, s, "teams")
	d := diffClient(want, got)
	require.Equal(t, "", d, "client after reopen: %s", d)
	require.EqualValues(t, 2, len(got.Secrets), "rotation after reopen: old revoked %v, new revoked %v", got.Secrets[0].RevokedAt, got.Secrets[len(got.Secrets)-1].RevokedAt)
	require.False(t, got.Secrets[0].RevokedAt.IsZero(), "rotation after reopen: old revoked %v, new revoked %v", got.Secrets[0].RevokedAt, got.Secrets[len(got.Secrets)-1].RevokedAt)
	require.True(t, got.Secrets[1].RevokedAt.IsZero(), "rotation after reopen: old revoked %v, new revoked %v", got.Secrets[0].RevokedAt, got.Secrets[len(got.Secrets)-1].RevokedAt)
	c := mustGet(t, s, "disabled")
	require.True(t, c.Disabled, "a disabled client came back enabled")
	gotKeys := listKeys(t, s)
	require.Equal(t, len(wantKeys), len(gotKeys), "%d keys after reopen, want %d", len(gotKeys), len(wantKeys))
	for i := range wantKeys {
		d := diffKey(wantKeys[i], gotKeys[i])
		require.Equal(t, "", d, "key %q after reopen: %s", wantKeys[i].KID, d)
	}
	require.True(t, denied(t, s, "sid:teams/s2GhIjKl", base.Add(time.Minute)), "deny-list entry lost on reopen")
	// Rotate again in the second life, then check a third.
	require.NoError(t, s.UpdateClient(ctx, "teams", func(c *auth.Client) error {
		c.Secrets = c.Secrets[1:]
		return nil
	}))
	closeStore(s)

	s = reopen(t)
	defer closeStore(s)
	got = mustGet(t, s, "teams")
	require.EqualValues(t, 1, len(got.Secrets), "third life: secrets %+v, want only %q", got.Secrets, rotated.ID)
	require.Equal(t, rotated.ID, got.Secrets[0].ID, "third life: secrets %+v, want only %q", got.Secrets, rotated.ID)
	cs, err := s.ListClients(ctx)
	require.NoError(t, err)
	require.EqualValues(t, 2, len(cs), "third life: %d clients, %v", len(cs), err)
}
