package sqlstore_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/patientsfhir/patientsfhir/auth"
	"github.com/patientsfhir/patientsfhir/auth/sqlstore"
)

// An embedded SQLite registry: records written before a restart are read after it.
func ExampleOpenSQLite() {
	dir, err := os.MkdirTemp("", "sqlstore-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "auth.db")
	ctx := context.Background()

	st, err := sqlstore.OpenSQLite(ctx, path)
	if err != nil {
		log.Fatal(err)
	}
	err = st.CreateClient(ctx, &auth.Client{
		ID:         "teams-patients-app",
		GrantTypes: []string{"client_credentials"},
		Tenants:    []string{"c0ffee00-1234-4abc-8def-001122334455"},
		Secrets:    []auth.SecretRecord{{ID: "k3J9xQ2a", Hash: make([]byte, 32), Alg: "sha256", CreatedAt: time.Now()}},
	})
	if err != nil {
		log.Fatal(err)
	}
	st.Close()

	// The next process start.
	st, err = sqlstore.OpenSQLite(ctx, path)
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	c, err := st.GetClient(ctx, "teams-patients-app")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.ID, c.Tenants, len(c.Secrets), "secret(s)")
	versions, _ := st.AppliedVersions(ctx)
	fmt.Println(st.Dialect(), "schema versions", versions)
	// Output:
	// teams-patients-app [c0ffee00-1234-4abc-8def-001122334455] 1 secret(s)
	// sqlite schema versions [1 2 3]
}

// startNode is a node's start-up: its registry in SQLite (PostgreSQL for
// several nodes), the issuer over it; serve runs while the store is open.
func startNode(ctx context.Context, path string, sealKey []byte, serve func(*auth.Server) error) error {
	st, err := sqlstore.OpenSQLite(ctx, path) // e.g. "/var/lib/patientsfhir/auth.db"
	// or: st, err := sqlstore.OpenPostgres(ctx, os.Getenv("AUTH_DATABASE_URL"))
	if err != nil {
		return err
	}
	defer st.Close()
	srv, err := auth.New(ctx, auth.Config{Issuer: issuer, Audience: audience, SealKey: sealKey}, st)
	if err != nil {
		return err
	}
	return serve(srv)
}

const issuer, audience = "https://fhir.example.com", "https://fhir.example.com/stu3"

// activeKey is the kid of the key that signs.
func activeKey(ctx context.Context, srv *auth.Server) string {
	keys, _ := srv.Keys().List(ctx)
	for _, k := range keys {
		if k.State == auth.KeyActive {
			return k.KID
		}
	}
	return ""
}

// The issuer over a SQLite registry: the client, its secret and the
// signing key (sealed with the same SealKey) are still there after a
// restart.
func ExampleOpenSQLite_issuer() {
	dir, err := os.MkdirTemp("", "sqlstore-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "auth.db")
	ctx := context.Background()
	sealKey := make([]byte, 32)
	_, _ = rand.Read(sealKey) // in production: from your secret manager, the same on every start

	var secret, kid string
	err = startNode(ctx, path, sealKey, func(srv *auth.Server) error {
		var err error
		_, secret, err = srv.Registry().CreateClient(ctx, auth.NewClient{ID: "patients-app"}, "operator")
		kid = activeKey(ctx, srv)
		return err
	})
	if err != nil {
		log.Fatal(err)
	}

	// The next process start.
	err = startNode(ctx, path, sealKey, func(srv *auth.Server) error {
		_, _, err := srv.Registry().Authenticate(ctx, "patients-app", secret)
		fmt.Println("the secret works:", err == nil)
		fmt.Println("the same key signs:", kid != "" && activeKey(ctx, srv) == kid)
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	// Output:
	// the secret works: true
	// the same key signs: true
}
