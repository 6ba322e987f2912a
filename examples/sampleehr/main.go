package main

import (
	"context"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/patientsfhir/patientsfhir"
	"github.com/patientsfhir/patientsfhir/examples/sampleehr/service"
	"github.com/patientsfhir/patientsfhir/observe"
)

// options is the command line.
type options struct {
	addr        string   // listen address
	publicURL   string   // base URL clients use; default http://<listen address>
	data        string   // data directory
	patients    int      // patients per tenant at first seeding
	tenants     int      // number of tenants
	credentials string   // file written once listening; "" writes none
	sealKey     string   // base64 of 32 bytes (env PATIENTSFHIR_SEAL_KEY); "" uses the data directory's
	operator    string   // operator token (env PATIENTSFHIR_OPERATOR_TOKEN); "" uses the data directory's
	noPortal    bool     // -portal=false: no operator portal
	portalCred  string   // the portal's operator credential (env PATIENTSFHIR_PORTAL_CREDENTIAL); "" generates one once
	proxies     []string // -trusted-proxies: the reverse proxies whose X-Forwarded-For is believed
	opsAddr     string   // -ops-addr: the operator's address for /metrics, /healthz, /readyz; "" serves none
	accessLog   bool     // -access-log: one log line per request
	postgres    string   // PATIENTSFHIR_DATABASE_URL: the data and auth store in PostgreSQL; "" keeps them in SQLite files
}

func main() {
	var o options
	flag.StringVar(&o.addr, "addr", envOr("PATIENTSFHIR_ADDR", "127.0.0.1:8080"), "listen address (env PATIENTSFHIR_ADDR)")
	flag.StringVar(&o.publicURL, "public-url", os.Getenv("PATIENTSFHIR_PUBLIC_URL"), "base URL clients use, e.g. https://fhir.example.com (default http://<addr>; env PATIENTSFHIR_PUBLIC_URL)")
	flag.StringVar(&o.data, "data", envOr("PATIENTSFHIR_DATA", "sampleehr-data"), "data directory, created on first start (env PATIENTSFHIR_DATA)")
	flag.IntVar(&o.patients, "patients", service.DefaultPatients, "patients per tenant, when a tenant is first seeded")
	flag.IntVar(&o.tenants, "tenants", service.DefaultTenants, "number of tenants, each with its own population and client")
	flag.StringVar(&o.credentials, "credentials", "", "write the URLs, clients and test patients to this JSON file (mode 0600) once listening")
	proxies := flag.String("trusted-proxies", os.Getenv("PATIENTSFHIR_TRUSTED_PROXIES"), "comma-separated addresses or CIDR prefixes of the reverse proxies in front (their X-Forwarded-For names the client; env PATIENTSFHIR_TRUSTED_PROXIES)")
	flag.StringVar(&o.opsAddr, "ops-addr", os.Getenv("PATIENTSFHIR_OPS_ADDR"), "serve /metrics, /healthz and /readyz on this address, e.g. 127.0.0.1:9090 (never the public one; env PATIENTSFHIR_OPS_ADDR)")
	flag.BoolVar(&o.accessLog, "access-log", false, "log one line per request (route, status, duration, tenant, client; never a query string)")
	portal := flag.Bool("portal", true, "serve the operator portal at /portal (-portal=false leaves it out)")
	flag.Parse()
	o.sealKey, o.operator = os.Getenv("PATIENTSFHIR_SEAL_KEY"), os.Getenv("PATIENTSFHIR_OPERATOR_TOKEN")
	o.postgres = os.Getenv("PATIENTSFHIR_DATABASE_URL") // not a flag: a password in argv is visible to every user
	o.noPortal, o.portalCred = !*portal, os.Getenv("PATIENTSFHIR_PORTAL_CREDENTIAL")
	for _, p := range strings.Split(*proxies, ",") {
		if p = strings.TrimSpace(p); p != "" {
			o.proxies = append(o.proxies, p)
		}
	}
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "sampleehr: unexpected argument %q (see -h)\n", flag.Arg(0))
		os.Exit(2)
	}

	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		log.Error("listen", "addr", o.addr, "err", err)
		os.Exit(1)
	}
	var opsLn net.Listener
	if o.opsAddr != "" {
		if opsLn, err = net.Listen("tcp", o.opsAddr); err != nil {
			log.Error("listen", "addr", o.opsAddr, "err", err)
			os.Exit(1)
		}
	}
	if err := run(ctx, o, ln, opsLn, log, os.Stdout); err != nil {
		log.Error("sampleehr stopped", "err", err)
		os.Exit(1)
	}
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// run opens the service (seeding on first start), writes the credentials
// file and the banner to out, and serves it on ln (and the operator's
// metrics and probes on opsLn, unless nil) with patientsfhir.Server.Serve
// until ctx is done: graceful shutdown, in-flight requests finished.
func run(ctx context.Context, o options, ln, opsLn net.Listener, log *slog.Logger, out io.Writer) error {
	defer ln.Close()
	if opsLn != nil {
		defer opsLn.Close()
	}
	base := strings.TrimSuffix(o.publicURL, "/")
	if base == "" {
		base = "http://" + ln.Addr().String()
	}
	var seal []byte
	if o.sealKey != "" {
		k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(o.sealKey))
		if err != nil || len(k) != 32 {
			return errors.New("PATIENTSFHIR_SEAL_KEY must be 32 bytes in standard base64")
		}
		seal = k
	}
	if o.patients < 1 || o.tenants < 1 {
		return errors.New("-patients and -tenants must be at least 1")
	}
	if n := utf8.RuneCountInString(o.portalCred); !o.noPortal && o.portalCred != "" && (n < 16 || n > 1024) {
		return errors.New("PATIENTSFHIR_PORTAL_CREDENTIAL must be 16 to 1024 characters")
	}
	ops := patientsfhir.Ops{AccessLog: o.accessLog}
	if opsLn != nil {
		m, err := metrics()
		if err != nil {
			return err
		}
		ops.Observer = &observe.Observer{Metrics: m}
	}
	svc, err := service.Open(ctx, service.Config{Dir: o.data, PublicURL: base, Patients: o.patients, Tenants: o.tenants,
		SealKey: seal, OperatorToken: o.operator, NoPortal: o.noPortal, PortalCredential: o.portalCred, TrustedProxies: o.proxies,
		PostgresDSN: o.postgres, Ops: ops, Logger: log})
	if err != nil && ctx.Err() != nil {
		log.Info("interrupted before serving; the next start finishes the seeding")
		return nil
	} else if err != nil {
		return err
	}
	defer svc.Close()
	// The listeners are open: a client that connects now waits in the
	// backlog until Serve accepts it.
	if o.credentials != "" {
		if err := service.WriteCredentials(o.credentials, svc.Credentials()); err != nil {
			return fmt.Errorf("writing %s: %w", o.credentials, err)
		}
	}
	log.Info("listening", "url", base)
	banner(out, o, opsLn, svc)
	return svc.Server().Serve(ctx, ln, opsLn)
}

// metrics returns the service's Prometheus metrics on a registry of their
// own, with the Go runtime's and the process's collectors.
func metrics() (*observe.Metrics, error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return observe.NewMetrics(reg)
}

// banner prints the URLs, each tenant's client and test patient, and a
// short tour. Secrets are printed only by the start that created them.
func banner(w io.Writer, o options, opsLn net.Listener, svc *service.Service) {
	c, st := svc.Credentials(), svc.Start()
	origin := strings.TrimSuffix(c.TokenURL, "/token")
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	where := o.data
	if o.postgres != "" {
		where = "PostgreSQL (PATIENTSFHIR_DATABASE_URL) and " + o.data
	}
	p("patientsfhir sample EHR: %d tenants, %s patients each, data in %s", len(c.Tenants), thousands(st.Patients), where)
	p("  FHIR STU3:   %s   (metadata: %s/metadata)", c.Bases.STU3, c.Bases.STU3)
	p("  FHIR DSTU2:  %s", c.Bases.DSTU2)
	p("  token URL:   %s", c.TokenURL)
	switch {
	case st.OperatorToken != "":
		p("  admin API:   %s/admin   operator token: %s", origin, st.OperatorToken)
		p("               (shown once; kept in %s)", filepath.Join(o.data, service.OperatorTokenFile))
	case o.operator != "":
		p("  admin API:   %s/admin   (operator token from PATIENTSFHIR_OPERATOR_TOKEN)", origin)
	default:
		p("  admin API:   %s/admin   (operator token in %s)", origin, filepath.Join(o.data, service.OperatorTokenFile))
	}
	if st.Portal != "" {
		portalBanner(p, o, st)
	}
	if opsLn != nil {
		p("  operations:  http://%s/metrics   /healthz   /readyz", opsLn.Addr())
	}
	if o.credentials != "" {
		p("  credentials: %s", o.credentials)
	}
	clients := filepath.Join(o.data, service.ClientsFile)
	for _, t := range c.Tenants {
		pt := t.Patient
		p("")
		p("  tenant %s  %s", t.Tenant, t.Name)
		p("    client_id:     %s", t.ClientID)
		switch {
		case t.ClientSecret == "":
			p("    client_secret: (revoked; add one with: go run ./cmd/patientsfhir secrets add %s)", t.ClientID)
		case isNew(st, t.ClientID):
			p("    client_secret: %s   (shown once; kept in %s)", t.ClientSecret, clients)
		default:
			p("    client_secret: (shown at first start; kept in %s)", clients)
		}
		p("    test patient:  %s  %s %s, %s, born %s, MRN %s", pt.ID, pt.Given, pt.Family, pt.Gender, pt.BirthDate, pt.MRN)
	}
	if len(c.Tenants) == 0 {
		return
	}
	t := c.Tenants[0]
	secret := "$(jq -r '.clients[0].client_secret' " + clients + ")"
	if isNew(st, t.ClientID) {
		secret = t.ClientSecret
	}
	p("")
	p("Try it (the first tenant, STU3):")
	p("  SECRET=%s", secret)
	p("  TOKEN=$(curl -s -X POST %s -d grant_type=client_credentials -d client_id=%s \\", c.TokenURL, t.ClientID)
	p("    -d client_secret=$SECRET -d scope=%s | jq -r .access_token)", t.Tenant)
	p(`  curl -s -H "Authorization: Bearer $TOKEN" '%s/Patient?family=%s' | jq -c '{total, id: .entry[0].resource.id}'`,
		c.Bases.STU3, strings.ToLower(t.Patient.Family))
	p(`  curl -s -H "Authorization: Bearer $TOKEN" '%s/Observation?patient=%s&category=vital-signs&_sort=-date&_count=3' \`,
		c.Bases.STU3, t.Patient.ID)
	p(`    | jq -c '{total, newest: [.entry[].resource.code.text]}'`)
	if o.credentials != "" {
		p("  go run ./cmd/patientsfhir check -credentials %s   # every check of the Patients-app contract", o.credentials)
	}
}

// portalBanner prints the operator portal's URL and, on the start that
// generated it, its operator credential (the portal's own announcement,
// which never reaches the log).
func portalBanner(p func(string, ...any), o options, st service.Start) {
	keep := filepath.Join(o.data, service.PortalCredentialFile)
	switch {
	case st.PortalAnnouncement != "":
		p("  portal:      %s   operator credential (shown once):", st.Portal)
		for line := range strings.Lines(st.PortalAnnouncement) {
			if line = strings.TrimRight(line, "\n"); line != "" {
				p("               %s", line)
			}
		}
	case o.portalCred != "":
		p("  portal:      %s   (operator credential from PATIENTSFHIR_PORTAL_CREDENTIAL)", st.Portal)
	default:
		p("  portal:      %s   (operator credential shown at first start; delete %s for a new one)", st.Portal, keep)
	}
	if u, err := url.Parse(st.Portal); err == nil && u.Scheme == "http" && !loopback(u.Hostname()) {
		p("               (browsers sign in over plain http only at localhost or 127.0.0.1: put TLS in front)")
	}
}

// loopback reports whether browsers treat host as a secure origin over
// plain http: localhost, or a loopback address.
func loopback(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

func isNew(st service.Start, clientID string) bool {
	for _, id := range st.NewClients {
		if id == clientID {
			return true
		}
	}
	return false
}

// thousands writes n with thousands separators: 100,000.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
