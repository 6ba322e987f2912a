package sqlstore_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/patientsfhir/patientsfhir/auth"
	"github.com/patientsfhir/patientsfhir/internal/testsupport"
)

// BenchmarkStores measures the store operations the token endpoint and the verifier can reach:
// GetClient (a client-cache miss), IsDenied (every verified request when the deny-list is on),
// Deny and UpdateClient (admin and revocation paths), on memory, SQLite and (with
// PATIENTSFHIR_TEST_POSTGRES_DSN) PostgreSQL.
//
//	go test -run '^$' -bench Stores -benchmem ./auth/sqlstore
func BenchmarkStores(b *testing.B) {
	stores := []struct {
		name string
		open func(b *testing.B) auth.Store
	}{
		{"memory", func(*testing.B) auth.Store { return auth.NewMemoryStore() }},
		{"sqlite", func(b *testing.B) auth.Store { return openSQLite(b, filepath.Join(b.TempDir(), "auth.db")) }},
		{"postgres", func(b *testing.B) auth.Store { return openPG(b, testsupport.PostgresSchema(b)) }},
	}
	ctx := context.Background()
	now := time.Now()
	for _, st := range stores {
		b.Run("store="+st.name, func(b *testing.B) {
			s := st.open(b)
			if c, ok := s.(interface{ Close() error }); ok {
				defer c.Close()
			}
			c := &auth.Client{ID: "bench", GrantTypes: []string{"client_credentials"}, Tenants: []string{restartTenant},
				Secrets: []auth.SecretRecord{{ID: "a", Hash: make([]byte, 32), Alg: "sha256", CreatedAt: now}, {ID: "b", Hash: make([]byte, 32), Alg: "sha256", CreatedAt: now}}}
			require.NoError(b, s.CreateClient(ctx, c))
			b.Run("op=GetClient", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					_, err := s.GetClient(ctx, "bench")
					require.NoError(b, err)
				}
			})
			b.Run("op=IsDenied", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					_, err := s.IsDenied(ctx, "jti:absent", now)
					require.NoError(b, err)
				}
			})
			var seq atomic.Int64
			b.Run("op=Deny", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					_, err := s.Deny(ctx, fmt.Sprint("jti:", seq.Add(1)), now.Add(time.Minute), now)
					require.NoError(b, err)
				}
			})
			b.Run("op=UpdateClient", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					require.NoError(b, s.UpdateClient(ctx, "bench", func(c *auth.Client) error { c.UpdatedAt = time.Now(); return nil }))
				}
			})
		})
	}
}
