package auth

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	pfauth "github.com/patientsfhir/patientsfhir/auth"
	"github.com/patientsfhir/patientsfhir/auth/sqlstore"
)

// BenchmarkIssuanceByStore issues tokens in-process (parallel) with patientsfhir over each of its
// stores. The registry caches client records (Config.ClientCacheTTL) and the key manager keeps
// keys in memory, so the durable stores should cost issuance almost nothing; the ratios printer
// reports store=sqlite and store=postgres against store=memory.
func BenchmarkIssuanceByStore(b *testing.B) {
	stores := []struct {
		name string
		open func(b *testing.B) pfauth.Store
	}{
		{"memory", func(*testing.B) pfauth.Store { return pfauth.NewMemoryStore() }},
		{"sqlite", func(b *testing.B) pfauth.Store {
			s, err := sqlstore.OpenSQLite(context.Background(), filepath.Join(b.TempDir(), "auth.db"))
			require.NoError(b, err)
			b.Cleanup(func() { s.Close() })
			return s
		}},
		{"postgres", func(b *testing.B) pfauth.Store {
			dsn := os.Getenv("PATIENTSFHIR_TEST_POSTGRES_DSN")
			if dsn == "" {
				b.Skip("PATIENTSFHIR_TEST_POSTGRES_DSN is not set (source .ci/postgres.sh)")
			}
			s, err := sqlstore.OpenPostgres(context.Background(), freshSchema(b, dsn))
			require.NoError(b, err)
			b.Cleanup(func() { s.Close() })
			return s
		}},
	}
	for _, st := range stores {
		b.Run("store="+st.name, func(b *testing.B) {
			srv, secret := oursServerOn(b, st.open(b))
			h, form := srv.Handler(), tokenForm(secret)
			checkTokenResponse(b, "patientsfhir on "+st.name, h, form)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					serveOnce(b, h, form)
				}
			})
		})
	}
}

// freshSchema creates an empty schema (dropped at cleanup) and returns dsn (a postgres:// URL)
// selecting it, so that runs and packages sharing the server never meet.
func freshSchema(b *testing.B, dsn string) string {
	db, err := sql.Open("pgx", dsn) // registered by auth/sqlstore
	require.NoError(b, err)
	var r [8]byte
	_, _ = rand.Read(r[:])
	schema := "pfbench_" + hex.EncodeToString(r[:])
	_, err = db.Exec("CREATE SCHEMA " + schema)
	require.NoError(b, err)
	b.Cleanup(func() {
		_, _ = db.Exec("DROP SCHEMA " + schema + " CASCADE")
		db.Close()
	})
	u, err := url.Parse(dsn)
	require.NoError(b, err)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
