package ehr

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/patientsfhir/patientsfhir/capability"
	"github.com/patientsfhir/patientsfhir/dstu2"
	"github.com/patientsfhir/patientsfhir/examples/sampleehr/population"
	"github.com/patientsfhir/patientsfhir/stu3"
)

// Two tenants with overlapping ids (pat-1 ... pat-N in both) and
// different data.
const (
	tenantA = "7f2c1d9e-0b4a-4c55-9a21-3e8d6f1b2a01"
	tenantB = "c41e8a77-5d36-4f0e-b2c9-98a0f4e61d22"
	size    = 400
)

var shared struct {
	once sync.Once
	db   *DB
	pops map[string]*population.Population
	err  error
	dir  string
}

// seeded returns the database shared by the tests, seeded once with both
// tenants.
func seeded(t testing.TB) (*DB, map[string]*population.Population) {
	t.Helper()
	shared.once.Do(func() {
		ctx := context.Background()
		shared.db, shared.err = Open(ctx, filepath.Join(shared.dir, "ehr.db"))
		if shared.err != nil {
			return
		}
		shared.pops = map[string]*population.Population{}
		for _, tenant := range []string{tenantA, tenantB} {
			p, err := population.New(population.Options{Tenant: tenant, Patients: size})
			if err != nil {
				shared.err = err
				return
			}
			if _, err := shared.db.Seed(ctx, p); err != nil {
				shared.err = err
				return
			}
			shared.pops[tenant] = p
		}
	})
	require.NoError(t, shared.err)
	return shared.db, shared.pops
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "sampleehr-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	shared.dir = dir
	code := m.Run()
	if shared.db != nil {
		shared.db.Close()
	}
	os.RemoveAll(dir)
	// No goroutine outlives the tests once the shared database is closed.
	if err := goleak.Find(); err != nil && code == 0 {
		fmt.Fprintln(os.Stderr, "goleak:", err)
		code = 1
	}
	os.Exit(code)
}

// The one place that builds the servers over the backends (the lead's
// wiring may change this call).
var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func stu3Handler(t testing.TB, b *STU3Backend) http.Handler {
	t.Helper()
	h, err := stu3.NewHandler(stu3.Config{Backend: b, BasePath: "/stu3", Profile: stu3.PatientsApp(), Logger: quiet,
		Security: &capability.Security{TokenURL: "https://ehr.example.org/token"}})
	require.NoError(t, err)
	return h
}

func dstu2Handler(t testing.TB, b *DSTU2Backend) http.Handler {
	t.Helper()
	h, err := dstu2.NewHandler(dstu2.Config{Backend: b, BasePath: "/dstu2", Profile: dstu2.PatientsApp(), Logger: quiet,
		Security: &capability.Security{TokenURL: "https://ehr.example.org/token"}})
	require.NoError(t, err)
	return h
}
