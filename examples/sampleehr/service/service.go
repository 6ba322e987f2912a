package service

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/patientsfhir/patientsfhir"
	"github.com/patientsfhir/patientsfhir/auth"
	"github.com/patientsfhir/patientsfhir/auth/sqlstore"
	"github.com/patientsfhir/patientsfhir/dstu2"
	"github.com/patientsfhir/patientsfhir/examples/sampleehr/ehr"
	"github.com/patientsfhir/patientsfhir/examples/sampleehr/population"
	"github.com/patientsfhir/patientsfhir/portal"
	"github.com/patientsfhir/patientsfhir/routing"
	"github.com/patientsfhir/patientsfhir/stu3"
)

// Backend is the provider name of the tenant records the service
// registers: the SQLite EHR bound to the tenant (routing.Tenant.Backend).
const Backend = "sqlite"

// Defaults of [Config].
const (
	DefaultPatients = 1000
	DefaultTenants  = 2
	MaxTenants      = 100
)

// The files of the data directory.
const (
	EHRFile           = "ehr.db"         // every tenant's population (package ehr)
	AuthFile          = "auth.db"        // clients, secrets, signing keys and tenant records (auth/sqlstore)
	SealKeyFile       = "seal.key"       // the 32-byte key sealing the signing keys, mode 0600
	OperatorTokenFile = "operator.token" // the operator token of the admin API, mode 0600
	ClientsFile       = "clients.json"   // the demo clients and their secrets, mode 0600
	// PortalCredentialFile keeps the SHA-256 of the operator portal's
	// generated credential (mode 0600; never the credential itself).
	PortalCredentialFile = "portal-operator.sha256"
)

// defaultTenants are the first tenants: fixed, so that their populations,
// and the outputs shown in the README and docs/tour.md, are the same on
// every machine (and the same for every population size below 2,500,
// which lets CI seed fewer patients than the docs).
var defaultTenants = []string{
	"b713e65a-b28c-4de1-b539-eac477f9df03",
	"8e814bcf-cf62-4da9-925f-4b7ce456ebe6",
}

// TenantID returns the GUID of the i-th tenant (from 0) of the service.
func TenantID(i int) string {
	if i < len(defaultTenants) {
		return defaultTenants[i]
	}
	h := sha256.Sum256(fmt.Appendf(nil, "patientsfhir sampleehr tenant %d", i))
	h[6] = h[6]&0x0f | 0x40 // a version 4, variant 1 GUID
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// ClientID returns the client id of the i-th tenant's demo client.
func ClientID(i int) string { return fmt.Sprintf("patients-app-%d", i+1) }

// Config configures [Open].
type Config struct {
	// Dir is the data directory, created (mode 0700) on first start.
	// Required.
	Dir string
	// PostgresDSN, when set, keeps the populations (ehr.OpenPostgres) and
	// the auth store (clients, signing keys, tenant records:
	// sqlstore.OpenPostgres) in this PostgreSQL database instead of the
	// SQLite files in Dir, which still holds the seal key, the operator
	// token, the portal's credential digest and the demo clients' secrets.
	// The two share the database without sharing a table.
	PostgresDSN string
	// PublicURL is the base URL clients use, scheme://host[:port]: the
	// token URL and the FHIR bases derive from it. Required.
	PublicURL string
	// Patients is the size of each tenant's population when it is seeded
	// (the first start); default 1,000. A tenant already seeded keeps its
	// size.
	Patients int
	// Tenants is the number of tenants, each with its own population and
	// demo client; default 2, at most 100. Tenants added later are seeded
	// on the next start.
	Tenants int
	// SealKey is the 32-byte key sealing the signing keys at rest; nil
	// reads Dir/seal.key, created with random bytes on first start.
	SealKey []byte
	// OperatorToken opens the admin API (/admin); "" reads
	// Dir/operator.token, generated on first start.
	OperatorToken string
	// NoPortal leaves the operator portal (package portal, served at
	// /portal) out.
	NoPortal bool
	// PortalCredential is the operator portal's sign-in credential, at
	// least 16 characters. "" generates one on first start, shown once in
	// Start.PortalAnnouncement, and keeps its SHA-256 in
	// Dir/portal-operator.sha256 for later starts (delete the file for a
	// new one).
	PortalCredential string
	// TrustedProxies are the reverse proxies (IP addresses or CIDR
	// prefixes, e.g. the TLS terminator in front of the service) whose
	// X-Forwarded-For names the client: see auth.Config.TrustedProxies.
	// Without them, behind a proxy every caller shares the proxy's address
	// and so its rate limits (token endpoint, portal sign-in).
	TrustedProxies []string
	// Ops configures the service's metrics, access log, probes and
	// shutdown (patientsfhir.Config.Ops); the zero value keeps only the
	// failure log lines. Serve the metrics and probes with
	// Server().OpsHandler, or Server().Serve with an operator listener.
	Ops patientsfhir.Ops
	// Logger receives the service's logs (never secrets or patient data);
	// default slog.Default().
	Logger *slog.Logger
}

// Service is the sample EHR: the whole FHIR service over the data
// directory, as one http.Handler. Open builds it.
type Service struct {
	log   *slog.Logger
	db    *ehr.DB
	store *sqlstore.Store
	dir   *routing.Directory
	srv   *patientsfhir.Server
	creds Credentials
	start Start
}

// Start says what [Open] created: what a banner shows once.
type Start struct {
	// Seeded are the tenants seeded by this start.
	Seeded []Seeding
	// NewClients are the ids of the clients created by this start: their
	// secrets are new.
	NewClients []string
	// OperatorToken is the operator token if this start generated it, ""
	// if it was given or read from the data directory.
	OperatorToken string
	// Patients is the size of each tenant's population (the first
	// tenant's, when they differ).
	Patients int
	// Portal is the operator portal's URL, "" when it is left out.
	Portal string
	// PortalAnnouncement is what the portal printed when this start
	// generated its operator credential: the sign-in URL and the
	// credential, to be shown once (it never reaches the log). "" when
	// the credential was given or its digest read from the data
	// directory.
	PortalAnnouncement string
}

// Seeding is one tenant seeded by a start.
type Seeding struct {
	// Tenant is the tenant's GUID.
	Tenant string
	// Stats are the seeding's statistics.
	Stats ehr.SeedStats
}

// ErrConfig is wrapped by the errors of a bad [Config].
var ErrConfig = errors.New("sampleehr: invalid configuration")

// Open opens the service in cfg.Dir. On first start it creates the
// directory, the seal key and the operator token, seeds every tenant's
// population, registers the tenants in the directory and creates one
// client per tenant; a later start finds them all there. It returns when
// the service is ready to serve (seeding 1,000 patients takes seconds);
// ctx cancels the seeding (a seeding cut short is redone by the next
// start).
func Open(ctx context.Context, cfg Config) (_ *Service, err error) {
	if cfg.Patients == 0 {
		cfg.Patients = DefaultPatients
	}
	if cfg.Tenants == 0 {
		cfg.Tenants = DefaultTenants
	}
	switch {
	case cfg.Dir == "":
		return nil, fmt.Errorf("%w: Dir is required", ErrConfig)
	case cfg.PublicURL == "":
		return nil, fmt.Errorf("%w: PublicURL is required", ErrConfig)
	case cfg.Patients < 1:
		return nil, fmt.Errorf("%w: Patients must be at least 1", ErrConfig)
	case cfg.Tenants < 1 || cfg.Tenants > MaxTenants:
		return nil, fmt.Errorf("%w: Tenants must be 1 to %d", ErrConfig, MaxTenants)
	case cfg.PortalCredential != "" && !between(utf8.RuneCountInString(cfg.PortalCredential), 16, 1024):
		return nil, fmt.Errorf("%w: PortalCredential must be 16 to 1024 characters", ErrConfig)
	}
	s := &Service{log: cfg.Logger}
	if s.log == nil {
		s.log = slog.Default()
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("sampleehr: data directory: %w", err)
	}
	seal := cfg.SealKey
	if seal == nil {
		if seal, _, err = secretFile(filepath.Join(cfg.Dir, SealKeyFile), newSealKey); err != nil {
			return nil, err
		}
	}
	if len(seal) != 32 {
		return nil, fmt.Errorf("%w: the seal key must be 32 bytes", ErrConfig)
	}
	operator := cfg.OperatorToken
	if operator == "" {
		tok, created, err := secretFile(filepath.Join(cfg.Dir, OperatorTokenFile), newOperatorToken)
		if err != nil {
			return nil, err
		}
		operator = strings.TrimSpace(string(tok))
		if created {
			s.start.OperatorToken = operator
		}
	}
	defer func() {
		if err != nil {
			s.Close()
			if s.start.PortalAnnouncement != "" {
				// Nobody will see the credential: the next start makes a new one.
				_ = os.Remove(filepath.Join(cfg.Dir, PortalCredentialFile))
			}
		}
	}()
	if cfg.PostgresDSN != "" {
		if s.db, err = ehr.OpenPostgres(ctx, cfg.PostgresDSN); err != nil {
			return nil, err
		}
		if s.store, err = sqlstore.OpenPostgres(ctx, cfg.PostgresDSN); err != nil {
			return nil, err
		}
	} else {
		if s.db, err = ehr.Open(ctx, filepath.Join(cfg.Dir, EHRFile)); err != nil {
			return nil, err
		}
		if s.store, err = sqlstore.OpenSQLite(ctx, filepath.Join(cfg.Dir, AuthFile)); err != nil {
			return nil, err
		}
	}
	if s.dir, err = routing.NewDirectory(ctx, routing.DirectoryConfig{Store: s.store, Logger: s.log}); err != nil {
		return nil, err
	}
	pops, err := s.seed(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := s.serve(ctx, cfg, seal, operator); err != nil {
		return nil, err
	}
	if err := s.clients(ctx, cfg, pops); err != nil {
		return nil, err
	}
	return s, nil
}

func between(n, lo, hi int) bool { return n >= lo && n <= hi }

// seed seeds the tenants that are not seeded yet (registering them in the
// directory first) and returns every tenant's population.
func (s *Service) seed(ctx context.Context, cfg Config) ([]*population.Population, error) {
	done, err := s.db.Tenants(ctx)
	if err != nil {
		return nil, err
	}
	size := map[string]int{}
	for _, t := range done {
		size[t.GUID] = t.Patients
	}
	pops := make([]*population.Population, cfg.Tenants)
	for i := range pops {
		id := TenantID(i)
		n, seeded := size[id]
		if !seeded {
			n = cfg.Patients
		} else if n != cfg.Patients && i == 0 {
			s.log.Info("sampleehr: the tenants are already seeded; the population size applies to new tenants only", "patients", n)
		}
		p, err := population.New(population.Options{Tenant: id, Patients: n})
		if err != nil {
			return nil, err
		}
		pops[i] = p
		if i == 0 {
			s.start.Patients = n
		}
		if seeded {
			continue
		}
		// Registered first: a seeding cut short is redone next time,
		// and the record is already there.
		_, err = s.dir.Add(ctx, routing.Tenant{ID: id, Name: p.Hospital().Name, Backend: Backend})
		if err != nil && !errors.Is(err, routing.ErrTenantExists) {
			return nil, err
		}
		s.log.Info("sampleehr: seeding", "tenant", id, "patients", n)
		st, err := s.db.Seed(ctx, p)
		if err != nil && !errors.Is(err, ehr.ErrSeeded) {
			return nil, err
		}
		s.log.Info("sampleehr: seeded", "tenant", id, "patients", st.Patients, "resources", st.Resources,
			"seconds", st.Duration.Seconds(), "resources_per_second", int(st.ResourcesPerSecond()))
		s.start.Seeded = append(s.start.Seeded, Seeding{Tenant: id, Stats: st})
	}
	return pops, nil
}

// serve builds the FHIR service: both versions over the same data,
// routed per tenant through the directory, with the admin API and the
// operator portal; the directory is the token endpoint's tenant truth.
func (s *Service) serve(ctx context.Context, cfg Config, seal []byte, operator string) error {
	r3, err := routing.NewRegistry(s.dir, map[string]routing.Provider[stu3.Backend]{
		Backend: func(_ context.Context, t routing.Tenant) (stu3.Backend, error) { return s.db.STU3(t.ID), nil },
	})
	if err != nil {
		return err
	}
	r2, err := routing.NewRegistry(s.dir, map[string]routing.Provider[dstu2.Backend]{
		Backend: func(_ context.Context, t routing.Tenant) (dstu2.Backend, error) { return s.db.DSTU2(t.ID), nil },
	})
	if err != nil {
		return err
	}
	var announced strings.Builder
	var pc *portal.Config
	if !cfg.NoPortal {
		pc = &portal.Config{
			Tenants:        s.dir,
			Providers:      []string{Backend},
			Credential:     cfg.PortalCredential,
			CredentialFile: filepath.Join(cfg.Dir, PortalCredentialFile),
			Announce:       &announced, // shown by the caller, once; never the log
		}
	}
	s.srv, err = patientsfhir.New(ctx, patientsfhir.Config{
		PublicURL: cfg.PublicURL,
		Auth: auth.Config{SealKey: seal, OperatorToken: operator, AllowHyphenGrantType: true,
			Insecure: strings.HasPrefix(cfg.PublicURL, "http://"), TrustedProxies: cfg.TrustedProxies},
		// No TenantValidator: patientsfhir.New asks the routers, which
		// refuse a tenant the directory does not map, has disabled, or
		// points at a provider that does not exist.
		Store:  s.store,
		STU3:   &stu3.Config{Router: r3, Profile: stu3.PatientsApp()},
		DSTU2:  &dstu2.Config{Router: r2, Profile: dstu2.PatientsApp()},
		Portal: pc,
		Ops:    cfg.Ops,
		Logger: s.log,
	})
	if err != nil {
		return err
	}
	s.start.PortalAnnouncement = announced.String()
	if err := s.srv.MountAdmin(s.dir); err != nil {
		return err
	}
	base := strings.TrimSuffix(cfg.PublicURL, "/")
	if pc != nil {
		s.start.Portal = base + portal.DefaultBasePath
	}
	s.creds = Credentials{TokenURL: s.srv.Auth().Endpoints().Token,
		Bases: Bases{STU3: base + patientsfhir.DefaultSTU3Path, DSTU2: base + patientsfhir.DefaultDSTU2Path}}
	return nil
}

// clients makes sure every tenant has its demo client, and fills the
// credentials with the secrets kept in the data directory.
func (s *Service) clients(ctx context.Context, cfg Config, pops []*population.Population) error {
	path := filepath.Join(cfg.Dir, ClientsFile)
	kept, err := readClients(path)
	if err != nil {
		return err
	}
	reg := s.srv.Auth().Registry()
	for i, p := range pops {
		tenant := p.Tenant()
		c, ok := kept[tenant]
		if !ok {
			c = keptClient{Tenant: tenant, ClientID: ClientID(i)}
			_, secret, err := reg.CreateClient(ctx, auth.NewClient{ID: c.ClientID, Name: "Patients app, " + p.Hospital().Name,
				Tenants: []string{tenant}}, "sampleehr")
			if errors.Is(err, auth.ErrConflict) {
				// Created by a start that could not save its secret.
				secret, _, err = reg.AddSecret(ctx, c.ClientID, 0, "sampleehr")
			}
			if err != nil {
				return fmt.Errorf("sampleehr: client of tenant %s: %w", tenant, err)
			}
			c.ClientSecret = secret
			kept[tenant] = c
			if err := writeClients(path, kept); err != nil {
				return err
			}
			s.start.NewClients = append(s.start.NewClients, c.ClientID)
		} else if _, _, err := reg.Authenticate(ctx, c.ClientID, c.ClientSecret); err != nil {
			s.log.Warn("sampleehr: the kept secret of a demo client no longer authenticates (revoked through the admin API?); add one with patientsfhir secrets add",
				"client_id", c.ClientID)
			c.ClientSecret = ""
		}
		s.creds.Tenants = append(s.creds.Tenants, TenantCredentials{Tenant: tenant, Name: p.Hospital().Name,
			ClientID: c.ClientID, ClientSecret: c.ClientSecret, Patient: p.Designated()})
	}
	return nil
}

// ServeHTTP implements http.Handler. Serving it with your own
// http.Server, run Server().Run for the authorization server's upkeep;
// Server().Serve does both.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.srv.ServeHTTP(w, r) }

// Credentials returns what a client needs: the URLs, and per tenant its
// client, its secret ("" when the kept one no longer works) and its
// designated patient.
func (s *Service) Credentials() Credentials { return s.creds }

// Start says what Open created.
func (s *Service) Start() Start { return s.start }

// Server returns the FHIR service: its auth server (registry, keys), and
// Serve, which serves it with probes, upkeep and graceful shutdown.
func (s *Service) Server() *patientsfhir.Server { return s.srv }

// Directory returns the tenant directory.
func (s *Service) Directory() *routing.Directory { return s.dir }

// Close closes the databases.
func (s *Service) Close() error {
	var errs []error
	if s.db != nil {
		errs = append(errs, s.db.Close())
	}
	if s.store != nil {
		errs = append(errs, s.store.Close())
	}
	return errors.Join(errs...)
}
