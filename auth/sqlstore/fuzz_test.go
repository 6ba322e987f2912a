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
			if gerr != nil || got.Name != name || !slices.Equal(got.Tenants, []string{tenant}) || string(got.Secrets[0].Hash) != key || got.Secrets[0].Hint != name {
				t.Fatalf("round trip of %q/%q: %+v %v", name, tenant, got, gerr)
			}
		case errors.Is(err, auth.ErrInvalidInput):
			if valid(name, tenant) {
				t.Fatalf("valid text %q/%q refused: %v", name, tenant, err)
			}
			if _, gerr := s.GetClient(ctx, id); !errors.Is(gerr, auth.ErrNotFound) {
				t.Fatalf("refused record left behind: %v", gerr)
			}
		default:
			t.Fatalf("CreateClient(%q/%q): %v", name, tenant, err)
		}
		added, err := s.Deny(ctx, key, now.Add(time.Minute), now)
		switch {
		case err == nil:
			if d, derr := s.IsDenied(ctx, key, now); derr != nil || !d {
				t.Fatalf("Deny(%q) added=%v but IsDenied=%v %v", key, added, d, derr)
			}
		case errors.Is(err, auth.ErrInvalidInput):
			if valid(key) {
				t.Fatalf("valid key %q refused: %v", key, err)
			}
		default:
			t.Fatalf("Deny(%q): %v", key, err)
		}
		if _, err := s.GetClient(ctx, key); err != nil && !errors.Is(err, auth.ErrNotFound) {
			t.Fatalf("GetClient(%q): %v", key, err)
		}
	})
}
