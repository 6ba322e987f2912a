package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/patientsfhir/patientsfhir"
	"github.com/patientsfhir/patientsfhir/auth"
	"github.com/patientsfhir/patientsfhir/auth/sqlstore"
	"github.com/patientsfhir/patientsfhir/dstu2"
	"github.com/patientsfhir/patientsfhir/dstu2/dstu2mem"
	"github.com/patientsfhir/patientsfhir/routing"
	"github.com/patientsfhir/patientsfhir/stu3"
	"github.com/patientsfhir/patientsfhir/stu3/stu3mem"
)

// The demo tenants (the token request's scope) when -tenant and -tenant2
// are not given. Each has its own patients: the first pat-1 and pat-2, the
// second pat-3, pat-4 and pat-5 (see docs/fixtures.md).
const (
	DefaultTenant  = "11111111-2222-4333-8444-555555555555"
	DefaultTenant2 = "66666666-7777-4888-9999-000000000000"
)

// The fixture patients of each demo tenant.
var tenantPatients = [2][]string{{"pat-1", "pat-2"}, {"pat-3", "pat-4", "pat-5"}}

// options is the command line.
type options struct {
	addr      string // listen address
	publicURL string // base URL clients use; default http://<listen address>
	open      bool   // serve without authentication
	tenant    string // tenant GUID of the first demo tenant
	tenant2   string // tenant GUID of the second demo tenant
	clientID  string // client_id of the demo client
	db        string // SQLite file for clients, secrets and keys; "" keeps them in memory
	sealKey   string // base64 32-byte seal key (env PATIENTSFHIR_SEAL_KEY); "" uses db+".sealkey"
}

// credentials are what a client needs to call the server.
type credentials struct {
	BaseURL, TokenURL, ClientID, ClientSecret, Tenant string
	// Tenant2 is the second tenant, with other patients.
	Tenant2 string
	// DB is the SQLite file holding the client ("" when in memory).
	DB string
	// Existing reports that the client was already in DB: its secret was
	// printed when it was created and is not known any more.
	Existing bool
}

func main() {
	var o options
	flag.StringVar(&o.addr, "addr", envOr("PATIENTSFHIR_ADDR", "127.0.0.1:8080"), "listen address (env PATIENTSFHIR_ADDR)")
	flag.StringVar(&o.publicURL, "public-url", os.Getenv("PATIENTSFHIR_PUBLIC_URL"), "base URL clients use, e.g. https://fhir.example.com (default http://<addr>; env PATIENTSFHIR_PUBLIC_URL)")
	flag.BoolVar(&o.open, "open", false, "serve WITHOUT authentication (local experiments only)")
	flag.StringVar(&o.tenant, "tenant", envOr("PATIENTSFHIR_TENANT", DefaultTenant), "GUID of the first tenant (pat-1, pat-2): the token request's scope (env PATIENTSFHIR_TENANT)")
	flag.StringVar(&o.tenant2, "tenant2", envOr("PATIENTSFHIR_TENANT2", DefaultTenant2), "GUID of the second tenant (pat-3, pat-4, pat-5) (env PATIENTSFHIR_TENANT2)")
	flag.StringVar(&o.clientID, "client-id", envOr("PATIENTSFHIR_CLIENT_ID", "patients-app"), "client_id of the demo client (env PATIENTSFHIR_CLIENT_ID)")
	flag.StringVar(&o.db, "db", os.Getenv("PATIENTSFHIR_DB"), "SQLite file keeping clients, secrets and signing keys across restarts (default: in memory; env PATIENTSFHIR_DB)")
	flag.Parse()
	o.sealKey = os.Getenv("PATIENTSFHIR_SEAL_KEY")

	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		log.Error("listen", "addr", o.addr, "err", err)
		os.Exit(1)
	}
	err = run(ctx, o, ln, log, func(c credentials) { printBanner(os.Stdout, o, c) })
	if err != nil {
		log.Error("server stopped", "err", err)
		os.Exit(1)
	}
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func printBanner(w io.Writer, o options, c credentials) {
	fmt.Fprintf(w, "patientsfhir minimal server\n")
	fmt.Fprintf(w, "  FHIR STU3:  %s/stu3   (metadata: %s/stu3/metadata)\n", c.BaseURL, c.BaseURL)
	fmt.Fprintf(w, "  FHIR DSTU2: %s/dstu2\n", c.BaseURL)
	if o.open {
		fmt.Fprintf(w, "\n  *** WARNING: -open: NO AUTHENTICATION. Anyone who can reach %s reads every record. ***\n\n", c.BaseURL)
		return
	}
	fmt.Fprintf(w, "  token URL:  %s\n", c.TokenURL)
	fmt.Fprintf(w, "  client_id:     %s\n", c.ClientID)
	switch {
	case c.DB == "":
		fmt.Fprintf(w, "  client_secret: %s\n", c.ClientSecret)
	case c.Existing:
		fmt.Fprintf(w, "  client_secret: (the client already exists in %s; its secret was printed when it was created)\n", c.DB)
	default:
		fmt.Fprintf(w, "  client_secret: %s\n", c.ClientSecret)
	}
	fmt.Fprintf(w, "  scope (tenant): %s   (patients pat-1, pat-2)\n", c.Tenant)
	if c.Tenant2 != "" {
		fmt.Fprintf(w, "  second tenant:  %s   (patients pat-3, pat-4, pat-5; the same client may ask for it)\n", c.Tenant2)
	}
	switch {
	case c.DB == "":
		fmt.Fprintf(w, "  (clients and keys live in memory: a restart prints a new secret)\n")
	case c.Existing:
		fmt.Fprintf(w, "  (lost the secret? add one with auth.Registry.AddSecret or the admin API, or stop and delete %s)\n", c.DB)
	default:
		fmt.Fprintf(w, "  (stored in %s: this secret is printed only now and stays valid across restarts)\n", c.DB)
	}
}

// sealKey returns the 32-byte key sealing the signing keys in the db:
// from b64 (env PATIENTSFHIR_SEAL_KEY) if set, else from db+".sealkey",
// created with 32 random bytes (mode 0600) on first use. A key file next
// to the database is for demos only: production takes it from a secret
// manager.
func sealKey(b64, db string) ([]byte, error) {
	if b64 != "" {
		k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
		if err != nil || len(k) != 32 {
			return nil, errors.New("PATIENTSFHIR_SEAL_KEY must be 32 bytes in standard base64")
		}
		return k, nil
	}
	path := db + ".sealkey"
	k, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		k = make([]byte, 32)
		_, _ = rand.Read(k)
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, err
		}
		if _, err := f.Write(k); err != nil {
			f.Close()
			return nil, err
		}
		return k, f.Close()
	}
	if err != nil {
		return nil, err
	}
	if len(k) != 32 {
		return nil, fmt.Errorf("%s: want 32 bytes, found %d", path, len(k))
	}
	return k, nil
}

// run serves until ctx is done, then shuts down gracefully. ready is
// called once the server accepts requests.
func run(ctx context.Context, o options, ln net.Listener, log *slog.Logger, ready func(credentials)) error {
	base := strings.TrimSuffix(o.publicURL, "/")
	if base == "" {
		base = "http://" + ln.Addr().String()
	}
	c := credentials{BaseURL: base, Tenant: o.tenant, ClientID: o.clientID}

	if o.tenant2 == "" {
		o.tenant2 = DefaultTenant2
	}
	c.Tenant2 = o.tenant2
	if o.tenant2 == o.tenant {
		return errors.New("-tenant and -tenant2 must differ")
	}
	// One in-memory EHR per tenant and version: a token's tenant reaches
	// its own backend and no other.
	r3, r2 := routing.Static[stu3.Backend]{}, routing.Static[dstu2.Backend]{}
	for i, tenant := range []string{o.tenant, o.tenant2} {
		t, ok := auth.CanonicalTenant(tenant)
		if !ok {
			return fmt.Errorf("tenant %q is not a GUID", tenant)
		}
		b3, err := stu3mem.NewWithFixtures(tenantPatients[i]...)
		if err != nil {
			return err
		}
		b2, err := dstu2mem.NewWithFixtures(tenantPatients[i]...)
		if err != nil {
			return err
		}
		r3[t], r2[t] = b3, b2
	}
	cfg := patientsfhir.Config{
		PublicURL: base,
		STU3:      &stu3.Config{Router: r3, Profile: stu3.PatientsApp()},
		DSTU2:     &dstu2.Config{Router: r2, Profile: dstu2.PatientsApp()},
		Open:      o.open,
		Logger:    log,
		// One access-log line per request (route pattern, status, tenant,
		// client, request id; never a query string) and the probes on the
		// public port for a load balancer.
		Ops: patientsfhir.Ops{AccessLog: true, PublicHealth: true},
	}
	if o.open {
		// No token, so no tenant: serve the first tenant's data.
		t, _ := auth.CanonicalTenant(o.tenant)
		cfg.STU3 = &stu3.Config{Backend: r3[t], Profile: stu3.PatientsApp()}
		cfg.DSTU2 = &dstu2.Config{Backend: r2[t], Profile: dstu2.PatientsApp()}
	}
	if !o.open {
		seal := make([]byte, 32)
		_, _ = rand.Read(seal)
		var store auth.Store = auth.NewMemoryStore()
		if o.db != "" {
			var err error
			if seal, err = sealKey(o.sealKey, o.db); err != nil {
				return err
			}
			st, err := sqlstore.OpenSQLite(ctx, o.db)
			if err != nil {
				return err
			}
			defer st.Close()
			store = st
			c.DB = o.db
		}
		cfg.Auth = auth.Config{SealKey: seal, Insecure: strings.HasPrefix(base, "http://"), AllowHyphenGrantType: true}
		cfg.Store = store
	}
	srv, err := patientsfhir.New(ctx, cfg)
	if err != nil {
		return err
	}
	if !o.open {
		reg := srv.Auth().Registry()
		_, secret, err := reg.CreateClient(ctx, auth.NewClient{ID: o.clientID, Name: "demo client", Tenants: []string{o.tenant, o.tenant2}}, "examples/minimal")
		if errors.Is(err, auth.ErrConflict) && o.db != "" {
			// A restart on the same db: the client and its secret are kept.
			info, gerr := reg.GetClient(ctx, o.clientID)
			if gerr != nil {
				return gerr
			}
			c.Existing = true
			c.Tenant, c.Tenant2 = info.Tenants[0], ""
			if len(info.Tenants) > 1 {
				c.Tenant2 = info.Tenants[1]
			}
		} else if err != nil {
			return err
		}
		c.ClientSecret, c.TokenURL = secret, srv.Auth().Endpoints().Token
	}

	log.Info("listening", "url", base, "auth", !o.open)
	if ready != nil {
		ready(c)
	}
	// Serve sets the server timeouts, runs the auth upkeep and, when ctx is
	// done (SIGINT, SIGTERM), lets in-flight requests finish.
	return srv.Serve(ctx, ln, nil)
}
