package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/patientsfhir/patientsfhir/auth"
)

// FuzzSQLiteText stores arbitrary text in every kind of text field: it must come back exactly,
// or be refused with auth.ErrInvalidInput (NUL bytes and invalid UTF-8), leaving nothing behind.
func FuzzSQLiteText(f *testing.F) {
	for _, s := range []string{"", "a", "nul\x00", "\xff", "🩺", "'; --", "[\"x\"]", `\u0000`} {
		f.Add(s, s, s)
	}
	s := openSQLite(f, filepath.Join(f.TempDir(), "auth.db"))
	f.Cleanup(func() { s.Close() })
	ctx := context.Background()
	var seq atomic.Int64
	now := time.Unix(1_700_000_000, 0)
	f.Fuzz(func(t *testing.T, name, tenant, key string) {
		valid := func(v ...string) bool {
			for _, x := range v {
				if !utf8.ValidString(x) || slices.Contains([]byte(x), 0) {
					return false
				}
			}
			return true
		}
		id := fmt.Sprint("c", seq.Add(1))
		c := &auth.Client{ID: id, Name: name, Tenants: []string{tenant}, Secrets: []auth.SecretRecord{{ID: "s", Hash: []byte(key), Alg: "sha256", Hint: name}}}
		err := s.CreateClient(ctx, c)
		switch {
		case err == nil:
			got, gerr := s.GetClient(ctx, id)
			require.NoError(t, gerr)
			require.Equal(t, name, got.Name, "round trip of %q/%q: %+v %v", name, tenant, got, gerr)
			require.True(t, slices.Equal(got.Tenants, []string{tenant}), "round trip of %q/%q: %+v %v", name, tenant, got, gerr)
			require.Equal(t, key, string(got.Secrets[0].Hash), "round trip of %q/%q: %+v %v", name, tenant, got, gerr)
			require.Equal(t, name, got.Secrets[0].Hint, "round trip of %q/%q: %+v %v", name, tenant, got, gerr)
		case errors.Is(err, auth.ErrInvalidInput):
			require.False(t, valid(name, tenant), "valid text %q/%q refused: %v", name, tenant, err)
			_, gerr := s.GetClient(ctx, id)
			require.ErrorIs(t, gerr, auth.ErrNotFound, "refused record left behind: %v", gerr)
		default:
			require.Failf(t, "CreateClient failed", "CreateClient(%q/%q): %v", name, tenant, err)
		}
		added, err := s.Deny(ctx, key, now.Add(time.Minute), now)
		switch {
		case err == nil:
			d, derr := s.IsDenied(ctx, key, now)
			require.NoError(t, derr)
			require.True(t, d, "Deny(%q) added=%v but IsDenied=%v %v", key, added, d, derr)
		case errors.Is(err, auth.ErrInvalidInput):
			require.False(t, valid(key), "valid key %q refused: %v", key, err)
		default:
			require.Failf(t, "Deny failed", "Deny(%q): %v", key, err)
		}
		_, err = s.GetClient(ctx, key)
		require.False(t, err != nil && !errors.Is(err, auth.ErrNotFound), "GetClient(%q): %v", key, err)
	})
}
