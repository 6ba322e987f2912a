package main

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/patientsfhir/patientsfhir"
	"github.com/patientsfhir/patientsfhir/auth"
	"github.com/patientsfhir/patientsfhir/dstu2"
	"github.com/patientsfhir/patientsfhir/dstu2/dstu2mem"
	"github.com/patientsfhir/patientsfhir/dstu2/dstu2proxy"
	"github.com/patientsfhir/patientsfhir/stu3"
	"github.com/patientsfhir/patientsfhir/stu3/stu3mem"
	"github.com/patientsfhir/patientsfhir/stu3/stu3proxy"
	"github.com/patientsfhir/patientsfhir/upstream"
)

// The demo tenants (the token request's scope), the same as
// examples/minimal's.
const (
	DefaultTenant  = "11111111-2222-4333-8444-555555555555"
	DefaultTenant2 = "66666666-7777-4888-9999-000000000000"
)

// options is the proxy's command line.
type options struct {
	addr      string // listen address
	publicURL string // base URL clients use; default http://<listen address>
	upstreamA string // the first tenant's upstream: serves /stu3 and /dstu2 below it
	upstreamB string // the second tenant's upstream
	tokenA    string // bearer token for upstream A ("" for none)
	tokenB    string // bearer token for upstream B
	tenant    string // tenant GUID served from upstream A
	tenant2   string // tenant GUID served from upstream B
	clientID  string // client_id of the demo client
}

// upstreamOptions is the command line of the demo upstream.
type upstreamOptions struct {
	addr     string   // listen address
	patients []string // fixture patients served
	token    string   // bearer token required ("" for none)
}

// credentials are what a client needs to call the proxy.
type credentials struct {
	BaseURL, TokenURL, ClientID, ClientSecret, Tenant, Tenant2 string
}

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	if len(os.Args) > 1 && os.Args[1] == "upstream" {
		err = mainUpstream(ctx, log, os.Args[2:])
	} else {
		err = mainProxy(ctx, log, os.Args[1:])
	}
	if err != nil {
		log.Error("stopped", "err", err)
		os.Exit(1)
	}
}

func mainProxy(ctx context.Context, log *slog.Logger, args []string) error {
	var o options
	fs := flag.NewFlagSet("proxy", flag.ExitOnError)
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8080", "listen address")
	fs.StringVar(&o.publicURL, "public-url", "", "base URL clients use (default http://<addr>)")
	fs.StringVar(&o.upstreamA, "upstream-a", "http://127.0.0.1:8081", "the first tenant's FHIR server (its /stu3 and /dstu2 bases)")
	fs.StringVar(&o.upstreamB, "upstream-b", "http://127.0.0.1:8082", "the second tenant's FHIR server")
	fs.StringVar(&o.tenant, "tenant", DefaultTenant, "GUID of the tenant served from -upstream-a")
	fs.StringVar(&o.tenant2, "tenant2", DefaultTenant2, "GUID of the tenant served from -upstream-b")
	fs.StringVar(&o.clientID, "client-id", "patients-app", "client_id of the demo client")
	_ = fs.Parse(args)
	// Upstream credentials come from the environment, never from flags
	// (visible in ps) nor from the tenant registry.
	o.tokenA, o.tokenB = os.Getenv("UPSTREAM_A_TOKEN"), os.Getenv("UPSTREAM_B_TOKEN")
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return err
	}
	return runProxy(ctx, o, ln, log, func(c credentials) { printBanner(os.Stdout, o, c) })
}

func mainUpstream(ctx context.Context, log *slog.Logger, args []string) error {
	var o upstreamOptions
	var patients string
	fs := flag.NewFlagSet("upstream", flag.ExitOnError)
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8081", "listen address")
	fs.StringVar(&patients, "patients", "pat-1,pat-2", "fixture patients served (docs/fixtures.md)")
	_ = fs.Parse(args)
	o.patients = strings.Split(patients, ",")
	o.token = os.Getenv("UPSTREAM_TOKEN")
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return err
	}
	return runUpstream(ctx, o, ln, log, func(base string) {
		fmt.Printf("demo upstream (in-memory, patients %s): %s/stu3 and %s/dstu2\n", patients, base, base)
	})
}

func printBanner(w io.Writer, o options, c credentials) {
	fmt.Fprintf(w, "patientsfhir upstream proxy\n")
	fmt.Fprintf(w, "  FHIR STU3:  %s/stu3   FHIR DSTU2: %s/dstu2\n", c.BaseURL, c.BaseURL)
	fmt.Fprintf(w, "  token URL:  %s\n", c.TokenURL)
	fmt.Fprintf(w, "  client_id:     %s\n", c.ClientID)
	fmt.Fprintf(w, "  client_secret: %s\n", c.ClientSecret)
	fmt.Fprintf(w, "  scope (tenant): %s   -> %s\n", c.Tenant, o.upstreamA)
	fmt.Fprintf(w, "  second tenant:  %s   -> %s\n", c.Tenant2, o.upstreamB)
}

// runProxy serves the proxy until ctx is done: each tenant's requests go
// to its own upstream, for both versions, behind the module's token
// endpoint. ready is called once it accepts requests.
func runProxy(ctx context.Context, o options, ln net.Listener, log *slog.Logger, ready func(credentials)) error {
	base := strings.TrimSuffix(o.publicURL, "/")
	if base == "" {
		base = "http://" + ln.Addr().String()
	}
	a, ok1 := auth.CanonicalTenant(o.tenant)
	b, ok2 := auth.CanonicalTenant(o.tenant2)
	if !ok1 || !ok2 || a == b {
		return errors.New("-tenant and -tenant2 must be two different GUIDs")
	}
	// One key encrypts the upstream next links of every upstream; share it
	// between nodes (here: random, so cursors end with the process).
	cursorKey := make([]byte, 32)
	_, _ = rand.Read(cursorKey)
	upstreams := func(version string) map[string]upstream.Config {
		cfg := func(u, token string) upstream.Config {
			c := upstream.Config{BaseURL: strings.TrimSuffix(u, "/") + "/" + version, CursorKey: cursorKey,
				Timeout: 10 * time.Second, MaxConns: 16, Logger: log}
			if token != "" {
				c.Auth = upstream.Bearer{Token: token}
			}
			return c
		}
		return map[string]upstream.Config{"upstream-a": cfg(o.upstreamA, o.tokenA), "upstream-b": cfg(o.upstreamB, o.tokenB)}
	}
	tenants := map[string]string{a: "upstream-a", b: "upstream-b"}
	set3, err := stu3proxy.NewSet(upstreams("stu3"))
	if err != nil {
		return err
	}
	defer set3.Close()
	set2, err := dstu2proxy.NewSet(upstreams("dstu2"))
	if err != nil {
		return err
	}
	defer set2.Close()
	r3, err := set3.Static(tenants)
	if err != nil {
		return err
	}
	r2, err := set2.Static(tenants)
	if err != nil {
		return err
	}
	seal := make([]byte, 32)
	_, _ = rand.Read(seal)
	srv, err := patientsfhir.New(ctx, patientsfhir.Config{
		PublicURL: base,
		STU3:      &stu3.Config{Router: r3, Profile: stu3.PatientsApp()},
		DSTU2:     &dstu2.Config{Router: r2, Profile: dstu2.PatientsApp()},
		Auth:      auth.Config{SealKey: seal, Insecure: strings.HasPrefix(base, "http://"), AllowHyphenGrantType: true},
		Store:     auth.NewMemoryStore(),
		Logger:    log,
	})
	if err != nil {
		return err
	}
	_, secret, err := srv.Auth().Registry().CreateClient(ctx, auth.NewClient{ID: o.clientID, Name: "demo client", Tenants: []string{a, b}}, "examples/proxy")
	if err != nil {
		return err
	}
	c := credentials{BaseURL: base, TokenURL: srv.Auth().Endpoints().Token, ClientID: o.clientID, ClientSecret: secret, Tenant: a, Tenant2: b}
	// The listener is open: a client that connects now waits in the
	// backlog until Serve accepts it.
	log.Info("listening", "addr", ln.Addr().String())
	ready(c)
	return srv.Serve(ctx, ln, nil)
}

// runUpstream serves the in-memory backends with the given patients at
// /stu3 and /dstu2, as a provider's FHIR server would: without the
// Patients-app profile (every declared parameter), and behind a fixed
// bearer token when o.token is set.
func runUpstream(ctx context.Context, o upstreamOptions, ln net.Listener, log *slog.Logger, ready func(base string)) error {
	b3, err := stu3mem.NewWithFixtures(o.patients...)
	if err != nil {
		return err
	}
	b2, err := dstu2mem.NewWithFixtures(o.patients...)
	if err != nil {
		return err
	}
	h3, err := stu3.NewHandler(stu3.Config{Backend: b3, BasePath: "/stu3", Logger: log})
	if err != nil {
		return err
	}
	h2, err := dstu2.NewHandler(dstu2.Config{Backend: b2, BasePath: "/dstu2", Logger: log})
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/stu3/", h3)
	mux.Handle("/dstu2/", h2)
	var h http.Handler = mux
	if o.token != "" {
		want := []byte("Bearer " + o.token)
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
			mux.ServeHTTP(w, r)
		})
	}
	return serve(ctx, ln, h, log, func() { ready("http://" + ln.Addr().String()) })
}

// serve runs the demo upstream's handler h on ln until ctx is done, then
// shuts down gracefully. (The proxy itself is a patientsfhir.Server: its
// Serve does this, with probes and upkeep.)
func serve(ctx context.Context, ln net.Listener, h http.Handler, log *slog.Logger, ready func()) error {
	hs := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String())
	ready()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
