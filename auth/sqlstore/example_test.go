package sqlstore_test

import (
	"context"
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
