package load

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/patientsfhir/patientsfhir"
	"github.com/patientsfhir/patientsfhir/auth"
	"github.com/patientsfhir/patientsfhir/auth/sqlstore"
	"github.com/patientsfhir/patientsfhir/examples/sampleehr/ehr"
	"github.com/patientsfhir/patientsfhir/examples/sampleehr/population"
	"github.com/patientsfhir/patientsfhir/internal/pgdsn"
	"github.com/patientsfhir/patientsfhir/routing"
	"github.com/patientsfhir/patientsfhir/stu3"
)

// Tenant is the tenant of the load: the Patients app's scope.
const Tenant = "7f2c1d9e-0b4a-4c55-9a21-3e8d6f1b2a01"

// Options choose the service under load.
type Options struct {
	// Patients is the size of the tenant's population (default 1,000).
	Patients int
	// Dir holds the sample EHR's SQLite database, sampleehr-<Patients>.db,
	// seeded on first use and reused after (seeding 100,000 patients takes
	// minutes), and the SQLite auth store. Required.
	Dir string
	// Data is where the sample EHR's data lives (Backend "sql"): "sqlite"
	// (default; the file in Dir) or "postgres" (PostgresDSN, in the schema
	// sampleehr_<Patients>, created if missing). Either is seeded on first
	// use and reused by later runs, as a PostgreSQL database outlives them.
	Data string
	// AuthStore is where clients, signing keys and the tenant registry
	// live: "sqlite" (default; a fresh file in Dir per run) or "postgres"
	// (PostgresDSN).
	AuthStore string
	// PostgresDSN is the PostgreSQL database of Data and AuthStore
	// "postgres".
	PostgresDSN string
	// Backend serves the tenant's data: "sql" (default: the sample EHR's
	// database, on Data) or "mem" (the module's in-memory engine, stu3mem,
	// loaded with the same population).
	Backend string
	// Floor, when set, turns Serve into the floor: it answers exactly these
	// requests with the bytes the service answers them with (captured in
	// process at start-up), and nothing else, from a bare net/http handler.
	Floor []Request
	// Logger receives the service's logs (default: discarded).
	Logger *slog.Logger
}

// Service is the sample EHR behind the whole module: the token endpoint,
// the tenant registry (routing.Directory and routing.Registry over the auth
// store) routing the tenant to the sample EHR's backend (ehr.DB.STU3, on
// SQLite or PostgreSQL), and the
// STU3 server with the Patients app's profile, as one http.Handler built by
// patientsfhir.New.
type Service struct {
	// Handler is the server.
	Handler http.Handler
	// ClientID and Secret are the Patients app's credentials.
	ClientID, Secret string
	// Population is the tenant's population.
	Population *population.Population
	// Seeded reports the seeding of this run (zero when the database was
	// reused).
	Seeded ehr.SeedStats

	db     *ehr.DB
	store  io.Closer
	cancel context.CancelFunc
	done   chan struct{}
}

// Open seeds (or reuses) the population and builds the service for
// clients at publicURL (scheme://host:port).
func Open(ctx context.Context, o Options, publicURL string) (*Service, error) {
	if o.Patients == 0 {
		o.Patients = 1000
	}
	if o.Dir == "" {
		return nil, errors.New("load: Options.Dir is required")
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	pop, err := population.New(population.Options{Tenant: Tenant, Patients: o.Patients})
	if err != nil {
		return nil, err
	}
	s := &Service{Population: pop}
	ok := false
	defer func() {
		if !ok {
			s.Close()
		}
	}()
	var backend func(tenant string) stu3.Backend
	switch o.Backend {
	case "", "sql":
		if s.db, err = openData(ctx, o); err != nil {
			return nil, err
		}
		if s.Seeded, err = s.db.Seed(ctx, pop); err != nil && !errors.Is(err, ehr.ErrSeeded) {
			return nil, err
		}
		backend = func(tenant string) stu3.Backend { return s.db.STU3(tenant) }
	case "mem":
		mem, err := memBackend(pop)
		if err != nil {
			return nil, err
		}
		backend = func(string) stu3.Backend { return mem }
	default:
		return nil, fmt.Errorf("load: unknown Backend %q (sql, mem)", o.Backend)
	}

	var st *sqlstore.Store
	switch o.AuthStore {
	case "", "sqlite":
		st, err = sqlstore.OpenSQLite(ctx, filepath.Join(o.Dir, "auth-"+strconv.FormatInt(time.Now().UnixNano(), 36)+".db"))
	case "postgres":
		if o.PostgresDSN == "" {
			return nil, errors.New("load: AuthStore postgres needs PostgresDSN")
		}
		st, err = sqlstore.OpenPostgres(ctx, o.PostgresDSN)
	default:
		return nil, fmt.Errorf("load: unknown AuthStore %q (sqlite, postgres)", o.AuthStore)
	}
	if err != nil {
		return nil, err
	}
	s.store = st
	dir, err := routing.NewDirectory(ctx, routing.DirectoryConfig{Store: st, Logger: log})
	if err != nil {
		return nil, err
	}
	if _, err := dir.Add(ctx, routing.Tenant{ID: Tenant, Name: "load", Backend: "sampleehr", State: routing.StateActive}); err != nil &&
		!errors.Is(err, routing.ErrTenantExists) {
		return nil, err
	}
	router, err := routing.NewRegistry(dir, map[string]routing.Provider[stu3.Backend]{
		"sampleehr": func(_ context.Context, t routing.Tenant) (stu3.Backend, error) { return backend(t.ID), nil },
	})
	if err != nil {
		return nil, err
	}
	seal := make([]byte, 32)
	_, _ = rand.Read(seal)
	srv, err := patientsfhir.New(ctx, patientsfhir.Config{
		PublicURL: publicURL,
		Auth:      auth.Config{SealKey: seal, Insecure: true},
		Store:     st,
		STU3:      &stu3.Config{Router: router, Profile: stu3.PatientsApp()},
		Logger:    log,
	})
	if err != nil {
		return nil, err
	}
	// A client of its own per run: a PostgreSQL store outlives runs.
	id := "patients-app-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	if _, s.Secret, err = srv.Auth().Registry().CreateClient(ctx, auth.NewClient{ID: id, Tenants: []string{Tenant}}, "load"); err != nil {
		return nil, err
	}
	s.ClientID, s.Handler = id, srv
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.cancel, s.done = cancel, make(chan struct{})
	go func() {
		defer close(s.done)
		srv.Run(rctx)
	}()
	ok = true
	return s, nil
}

// openData opens the sample EHR's database that o.Data names.
func openData(ctx context.Context, o Options) (*ehr.DB, error) {
	size := strconv.Itoa(o.Patients)
	switch o.Data {
	case "", "sqlite":
		return ehr.Open(ctx, filepath.Join(o.Dir, "sampleehr-"+size+".db"))
	case "postgres":
		if o.PostgresDSN == "" {
			return nil, errors.New("load: Data postgres needs PostgresDSN")
		}
		dsn, err := postgresSchema(ctx, o.PostgresDSN, "sampleehr_"+size)
		if err != nil {
			return nil, err
		}
		return ehr.OpenPostgres(ctx, dsn)
	default:
		return nil, fmt.Errorf("load: unknown Data %q (sqlite, postgres)", o.Data)
	}
}

// postgresSchema creates schema (a plain identifier) in the database of
// dsn if it is missing, and returns dsn with its search_path set to it.
// Its errors never quote dsn.
func postgresSchema(ctx context.Context, dsn, schema string) (string, error) {
	// The "pgx" driver is registered by package ehr.
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		return "", errors.New("load: invalid PostgreSQL connection string")
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, `CREATE SCHEMA IF NOT EXISTS `+schema); err != nil {
		return "", fmt.Errorf("load: create schema %s: %w", schema, err)
	}
	return pgdsn.WithSearchPath(dsn, schema)
}

// Close stops the service's upkeep and closes its databases. It may be
// called more than once.
func (s *Service) Close() error {
	if s.cancel != nil {
		s.cancel()
		<-s.done
		s.cancel = nil
	}
	var errs []error
	if s.store != nil {
		errs = append(errs, s.store.Close())
		s.store = nil
	}
	if s.db != nil {
		errs = append(errs, s.db.Close())
		s.db = nil
	}
	return errors.Join(errs...)
}

// Ready is what Serve prints, one JSON line, once the service accepts
// requests.
type Ready struct {
	// URL is the service's base URL (the token endpoint is URL+"/token",
	// the STU3 base URL+"/stu3").
	URL string `json:"url"`
	// Stats is the URL of the service's own measurements (Stats) and,
	// below it, net/http/pprof (Stats+"/debug/pprof/").
	Stats string `json:"stats"`
	// ClientID and Secret are the Patients app's credentials.
	ClientID string `json:"client_id"`
	Secret   string `json:"client_secret"`
	// Patients is the population size.
	Patients int `json:"patients"`
	// Seeded is how long seeding took in this run (0 when reused).
	Seeded time.Duration `json:"seeded"`
}

// Serve runs the service on a loopback port until ctx is done, with its
// measurements on a second loopback port, and writes Ready as one JSON
// line to ready once it accepts requests. It is what the load commands run
// in a child process, so that the service's CPU time and memory are its
// own.
func Serve(ctx context.Context, o Options, ready io.Writer) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer ln.Close()
	sln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer sln.Close()
	url := "http://" + ln.Addr().String()
	s, err := Open(ctx, o, url)
	if err != nil {
		return err
	}
	defer s.Close()
	h := s.Handler
	if len(o.Floor) > 0 {
		if h, err = floor(ctx, s, o.Floor); err != nil {
			return err
		}
		s.Close() // the floor holds bytes only
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	ss := &http.Server{Handler: StatsHandler(), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 2)
	go func() { errc <- hs.Serve(ln) }()
	go func() { errc <- ss.Serve(sln) }()
	line, _ := json.Marshal(Ready{URL: url, Stats: "http://" + sln.Addr().String(), ClientID: s.ClientID, Secret: s.Secret,
		Patients: s.Population.Size(), Seeded: s.Seeded.Duration})
	if _, err := ready.Write(append(line, '\n')); err != nil {
		return err
	}
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	return errors.Join(err, hs.Shutdown(sctx), ss.Shutdown(sctx))
}

// Child is a service running in a child process (see Start).
type Child struct {
	Ready
	proc *Process
}

// ServeEnv is the environment variable that turns a binary started by
// StartChild into the service (its value names a file holding the Options
// as JSON): commands and test binaries check it first thing (see
// ServeIfChild).
const ServeEnv = "PATIENTSFHIR_LOAD_SERVE"

// ServeIfChild runs the service and exits when this process was started by
// StartChild; otherwise it returns at once. Call it first in main or TestMain.
func ServeIfChild() {
	v := os.Getenv(ServeEnv)
	if v == "" {
		return
	}
	var o Options
	b, err := os.ReadFile(v)
	if err == nil {
		err = json.Unmarshal(b, &o)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "load: bad", ServeEnv, err)
		os.Exit(2)
	}
	ctx, stop := signalContext()
	defer stop()
	if err := Serve(ctx, o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "load: serve:", err)
		os.Exit(1)
	}
	os.Exit(0)
}
