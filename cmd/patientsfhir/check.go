package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/patientsfhir/patientsfhir/dstu2"
	"github.com/patientsfhir/patientsfhir/internal/fhirschema"
	"github.com/patientsfhir/patientsfhir/internal/kit"
	"github.com/patientsfhir/patientsfhir/stu3"
)

const checkUsage = `patientsfhir check [flags] [<base-url>...]

Probes a FHIR server the way the Microsoft Teams Patients app does: the
capability statement without a token, the token URL from its oauth-uris
extension, a token with the tenant as scope, no data without a token,
every request the app sends (the conformance kit: every Patient search
shape, every clinical search, both sort syntaxes, totals, paging, a batch),
a batch with a failing entry and the error shapes, each body validated
against the official JSON schema. One line per check, then
"N passed, M failed"; the exit status is 1 when a check failed.

The client and the test patient (one with vital signs, encounters,
conditions, allergies, medications and coverage) come from flags, or from
the sample EHR's credentials file (-credentials), which also gives the base
URLs when none is given and lets check prove that no tenant sees another's
patients.

  patientsfhir check -credentials creds.json
  patientsfhir check -client-id app -tenant <GUID> -patient-id 123 -family Chau -given Hugh \
      -birth-date 1957-06-05 -gender male -mrn 1234567 https://fhir.example.com/stu3

Flags:
`

// tenantData is one tenant to check: its client and test patient.
type tenantData struct {
	Tenant, Name, ClientID, ClientSecret string
	Patient                              kit.TestData
}

// credentialsFile is the sample EHR's -credentials file.
type credentialsFile struct {
	TokenURL string `json:"token_url"`
	Bases    struct {
		STU3  string `json:"stu3"`
		DSTU2 string `json:"dstu2"`
	} `json:"bases"`
	Tenants []struct {
		Tenant       string `json:"tenant"`
		Name         string `json:"name"`
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
		Patient      struct {
			ID        string `json:"id"`
			Family    string `json:"family"`
			Given     string `json:"given"`
			BirthDate string `json:"birth_date"`
			Gender    string `json:"gender"`
			MRN       string `json:"mrn"`
			MRNSystem string `json:"mrn_system"`
		} `json:"patient"`
	} `json:"tenants"`
}

func check(ctx context.Context, args []string, stdout, stderr io.Writer, getenv env) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, checkUsage); fs.PrintDefaults() }
	var (
		credFile, tenant, version, schema string
		td                                tenantData
		timeout                           time.Duration
		verbose                           bool
	)
	fs.StringVar(&credFile, "credentials", "", "the sample EHR's credentials file (tenants, clients, test patients, base URLs)")
	fs.StringVar(&tenant, "tenant", getenv("PATIENTSFHIR_TENANT"), "tenant GUID, the token request's scope (env PATIENTSFHIR_TENANT); with -credentials, the one tenant to check (default: all)")
	fs.StringVar(&td.ClientID, "client-id", getenv("PATIENTSFHIR_CLIENT_ID"), "client_id (env PATIENTSFHIR_CLIENT_ID)")
	fs.StringVar(&td.ClientSecret, "client-secret", "", "client_secret (better: env PATIENTSFHIR_CLIENT_SECRET, which stays out of the process list)")
	fs.StringVar(&td.Patient.PatientID, "patient-id", "", "the test patient's id")
	fs.StringVar(&td.Patient.Family, "family", "", "the test patient's family name")
	fs.StringVar(&td.Patient.Given, "given", "", "one of the test patient's given names")
	fs.StringVar(&td.Patient.BirthDate, "birth-date", "", "the test patient's birth date, YYYY-MM-DD")
	fs.StringVar(&td.Patient.Gender, "gender", "", "the test patient's gender")
	fs.StringVar(&td.Patient.MRN, "mrn", "", "the test patient's medical record number")
	fs.StringVar(&td.Patient.MRNSystem, "mrn-system", "", "the system of the MRN (optional)")
	fs.StringVar(&version, "version", "auto", "auto (from the capability statement), stu3 or dstu2")
	fs.StringVar(&schema, "schema", "strict", "validate bodies against the official JSON schema: strict (with FHIR's rules the schema cannot say: anchored patterns, real dates), official, or off")
	fs.DurationVar(&timeout, "timeout", 30*time.Second, "timeout of each HTTP request")
	fs.BoolVar(&verbose, "v", false, "print every finding and the kit's notes")
	only := fs.String("only", "", "run only these parts of the kit, comma-separated: request lines 1-9 (S3 and D3 both mean line 3), advertised, filters, totals, sort, paging (the statement and check's own checks always run)")
	bases, err := parse(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	} else if err != nil {
		return exitUsage
	}
	usage := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "patientsfhir check: "+format+"\n", a...)
		return exitUsage
	}
	if td.ClientSecret == "" {
		td.ClientSecret = getenv("PATIENTSFHIR_CLIENT_SECRET")
	}
	if !slices.Contains([]string{"auto", "stu3", "dstu2"}, version) {
		return usage("-version must be auto, stu3 or dstu2")
	}
	if !slices.Contains([]string{"strict", "official", "off"}, schema) {
		return usage("-schema must be strict, official or off")
	}
	onlyGroups, err := parseOnly(*only)
	if err != nil {
		return usage("%v", err)
	}
	var all, targets []tenantData
	if credFile != "" {
		cf, err := readCredentialsFile(credFile)
		if err != nil {
			return usage("%v", err)
		}
		for _, t := range cf.Tenants {
			p := t.Patient
			all = append(all, tenantData{Tenant: t.Tenant, Name: t.Name, ClientID: t.ClientID, ClientSecret: t.ClientSecret,
				Patient: kit.TestData{PatientID: p.ID, Family: p.Family, Given: p.Given, BirthDate: p.BirthDate, Gender: p.Gender,
					MRN: p.MRN, MRNSystem: p.MRNSystem}})
		}
		for _, t := range all {
			if tenant == "" || strings.EqualFold(tenant, t.Tenant) {
				targets = append(targets, t)
			}
		}
		if len(targets) == 0 {
			return usage("tenant %s is not in %s", tenant, credFile)
		}
		if len(bases) == 0 {
			bases = []string{cf.Bases.STU3, cf.Bases.DSTU2}
		}
	} else {
		td.Tenant = tenant
		var missing []string
		for _, f := range []struct{ name, v string }{{"-client-id", td.ClientID}, {"-client-secret (or PATIENTSFHIR_CLIENT_SECRET)", td.ClientSecret},
			{"-tenant", td.Tenant}, {"-patient-id", td.Patient.PatientID}, {"-family", td.Patient.Family}, {"-given", td.Patient.Given},
			{"-birth-date", td.Patient.BirthDate}, {"-mrn", td.Patient.MRN}} {
			if f.v == "" {
				missing = append(missing, f.name)
			}
		}
		if len(missing) > 0 {
			return usage("missing %s (or give -credentials FILE)", strings.Join(missing, ", "))
		}
		targets = []tenantData{td}
		if len(bases) == 0 {
			return usage("give the FHIR base URL, e.g. https://fhir.example.com/stu3")
		}
	}
	for _, b := range bases {
		if u, err := url.Parse(b); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
			return usage("%q is not an http(s) base URL", b)
		}
	}
	c := &checker{out: stdout, tty: isTerminal(stdout), verbose: verbose, schema: schema, forced: version, only: onlyGroups,
		http: &http.Client{Timeout: timeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	for _, b := range bases {
		for _, t := range targets {
			if ctx.Err() != nil {
				break
			}
			c.target(ctx, strings.TrimSuffix(b, "/"), t, all)
		}
	}
	fmt.Fprintf(stdout, "\n%d passed, %d failed\n", c.passed, c.failed)
	if ctx.Err() != nil {
		fmt.Fprintln(stderr, "patientsfhir check: interrupted")
		return exitFailed
	}
	if c.failed > 0 {
		return exitFailed
	}
	return exitOK
}

func readCredentialsFile(path string) (*credentialsFile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var cf credentialsFile
	if err := json.Unmarshal(b, &cf); err != nil {
		return nil, fmt.Errorf("%s: not a credentials file: %v", path, err)
	}
	if len(cf.Tenants) == 0 {
		return nil, fmt.Errorf("%s: no tenants", path)
	}
	return &cf, nil
}

// checker prints one line per check and counts them.
type checker struct {
	out            io.Writer
	tty, verbose   bool
	schema, forced string
	only           map[string]bool // the kit's groups to run (by groups' id); nil runs all
	http           *http.Client
	passed, failed int
	progress       string // the progress line shown, on a terminal
}

// The rules of the checks check makes itself, besides the kit's.
var ownRules = map[string]string{
	"token.response":   "§3.4, §9 item 2",
	"auth.required":    "§9 item 3",
	"batch.partial":    "§3.5",
	"tenant.isolation": "§3.4, §9 item 2",
}

// version is the contract of one FHIR version, with its kit.
type version struct {
	kit    *kit.Version
	schema string // fhirschema's name
}

var versions = map[string]version{
	"stu3":  {kit.STU3(validateSTU3), fhirschema.STU3},
	"dstu2": {kit.DSTU2(validateDSTU2), fhirschema.DSTU2},
}

func validateSTU3(b []byte) error {
	r, err := stu3.UnmarshalResource(b)
	if err != nil {
		return err
	}
	return r.Validate()
}

func validateDSTU2(b []byte) error {
	r, err := dstu2.UnmarshalResource(b)
	if err != nil {
		return err
	}
	return r.Validate()
}

// finding is one failure with its rule.
func (v version) finding(rule, format string, args ...any) kit.Finding {
	sec, ok := ownRules[rule]
	if !ok {
		for _, r := range v.kit.Rules() {
			if r.ID == rule {
				sec = r.Section
			}
		}
	}
	return kit.Finding{Rule: rule, Section: sec, Message: fmt.Sprintf(format, args...)}
}

// maxShown is how many findings a failed check prints without -v.
const maxShown = 8

// result prints the line of one check: ✓ or ✗, its title, and the
// findings of a failure.
func (c *checker) result(title string, fs []kit.Finding, note string) {
	c.clearProgress()
	if note != "" {
		title += " (" + note + ")"
	}
	if len(fs) == 0 {
		c.passed++
		fmt.Fprintf(c.out, "✓ %s\n", title)
		return
	}
	c.failed++
	fmt.Fprintf(c.out, "✗ %s\n", title)
	for i, f := range fs {
		if i == maxShown && !c.verbose {
			fmt.Fprintf(c.out, "    … and %d more (-v shows them)\n", len(fs)-maxShown)
			break
		}
		fmt.Fprintf(c.out, "    %s\n", describe(f))
	}
}

// describe is a finding as check prints it: the request (when it is the
// kit's), what was wrong, the rule and its section.
func describe(f kit.Finding) string {
	s := f.Message
	if f.Request != "" {
		s = f.Request + ": " + s
	}
	if f.Rule != "" {
		s += " [" + f.Rule + " " + f.Section + "]"
	}
	return s
}

// showProgress writes s over the progress line, on a terminal only.
func (c *checker) showProgress(s string) {
	if !c.tty {
		return
	}
	c.progress = s
	fmt.Fprintf(c.out, "\r\033[K%s", s)
}

func (c *checker) clearProgress() {
	if c.tty && c.progress != "" {
		fmt.Fprint(c.out, "\r\033[K")
		c.progress = ""
	}
}

// fetch sends one request and reads the answer.
func (c *checker) fetch(ctx context.Context, method, u, token, ctype, accept string, body []byte) (int, string, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return 0, "", nil, err
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := c.http.Do(req)
	if err != nil {
		if ue := (*url.Error)(nil); errors.As(err, &ue) {
			err = ue.Err
		}
		return 0, "", nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	return res.StatusCode, res.Header.Get("Content-Type"), b, err
}

// obj is a decoded JSON object.
type obj = map[string]any

func decodeObj(b []byte) obj {
	var o obj
	if json.Unmarshal(b, &o) != nil {
		return nil
	}
	return o
}

func str(o obj, k string) string { s, _ := o[k].(string); return s }

func list(v any) []any { l, _ := v.([]any); return l }

func asObj(v any) obj { o, _ := v.(obj); return o }

// target checks one base URL for one tenant.
func (c *checker) target(ctx context.Context, base string, td tenantData, all []tenantData) {
	name := ""
	if td.Name != "" {
		name = " (" + td.Name + ")"
	}
	if c.passed+c.failed > 0 {
		fmt.Fprintln(c.out)
	}
	fmt.Fprintf(c.out, "%s  tenant %s%s, test patient %s\n", base, td.Tenant, name, td.Patient.PatientID)
	u, _ := url.Parse(base)
	origin, basePath := u.Scheme+"://"+u.Host, strings.TrimSuffix(u.Path, "/")
	v := versions[c.forced]
	if c.forced == "auto" {
		v = versions["stu3"]
		if strings.Contains(strings.ToLower(basePath), "dstu2") {
			v = versions["dstu2"] // a guess, for the sections of a failure before the statement is read
		}
	}

	// 1. The capability statement, without a token.
	const metaTitle = "metadata without a token"
	c.showProgress("… " + metaTitle)
	status, _, body, err := c.fetch(ctx, "GET", base+"/metadata", "", "", "application/fhir+json, application/json+fhir;q=0.9, application/json;q=0.8", nil)
	doc := decodeObj(body)
	switch {
	case err != nil:
		c.result(metaTitle, []kit.Finding{v.finding("metadata.open", "GET %s/metadata: %v", base, err)}, "")
		c.skipped()
		return
	case status != http.StatusOK:
		msg := ""
		if t := outcomeText(doc); t != "" {
			msg = " (" + t + ")"
		}
		c.result(metaTitle, []kit.Finding{v.finding("metadata.open", "status %d, want 200%s: the app reads the statement before it has a token", status, msg)}, "")
		c.skipped()
		return
	case doc == nil:
		c.result(metaTitle, []kit.Finding{v.finding("http.json", "the body is not a JSON object")}, "")
		c.skipped()
		return
	}
	rt, fv := str(doc, "resourceType"), str(doc, "fhirVersion")
	if c.forced == "auto" {
		switch {
		case rt == "CapabilityStatement" || strings.HasPrefix(fv, "3."):
			v = versions["stu3"]
		case rt == "Conformance" || strings.HasPrefix(fv, "1.0"):
			v = versions["dstu2"]
		default:
			c.result(metaTitle, []kit.Finding{v.finding("metadata.resource", "resourceType %q, fhirVersion %q: neither a DSTU2 Conformance nor an STU3 CapabilityStatement", rt, fv)}, "")
			c.skipped()
			return
		}
	}
	c.result(metaTitle, nil, rt+", FHIR "+fv)

	// 2. The token URL from the oauth-uris extension.
	const tokTitle = "token URL from the oauth-uris extension"
	tokenURL := oauthTokenURL(doc)
	if tokenURL == "" {
		c.result(tokTitle, []kit.Finding{v.finding("metadata.oauth", "rest[0].security has no oauth-uris extension with a token URL: the app cannot get a token")}, "")
		c.skipped()
		return
	}
	c.result(tokTitle, nil, tokenURL)

	// 3. A token, the tenant as scope.
	ts := &tokenSource{c: c, url: tokenURL, clientID: td.ClientID, secret: td.ClientSecret, scope: td.Tenant}
	c.showProgress("… token for tenant " + td.Tenant)
	if _, err := ts.token(ctx); err != nil {
		c.result("token for the tenant", []kit.Finding{v.finding("token.response", "%v", err)}, "")
		c.skipped()
		return
	}
	c.result("token for the tenant", nil, ts.tokenType)

	// 4. No data without a (valid) token.
	c.authRequired(ctx, base, v, td)

	// 5. Every request of the app, and the kit's checks.
	if !c.kitGroups(ctx, origin, basePath, v, td, ts) {
		return
	}

	// 6. A batch with a failing entry.
	c.partialBatch(ctx, base, v, td, ts)

	// 7. No tenant sees another's patients.
	c.isolation(ctx, base, v, td, all, ts)
}

// skipped says why the rest of a target is not checked.
func (c *checker) skipped() {
	fmt.Fprintln(c.out, "  (the other checks need this one: not run)")
}

func outcomeText(oo obj) string {
	if str(oo, "resourceType") != "OperationOutcome" {
		return ""
	}
	var parts []string
	for _, is := range list(oo["issue"]) {
		if d := str(asObj(is), "diagnostics"); d != "" {
			parts = append(parts, d)
		}
	}
	return strings.Join(parts, "; ")
}

// oauthTokenURL returns the token URL of rest[0]'s oauth-uris extension.
func oauthTokenURL(cs obj) string {
	rest := list(cs["rest"])
	if len(rest) == 0 {
		return ""
	}
	sec := asObj(asObj(rest[0])["security"])
	for _, e := range list(sec["extension"]) {
		if str(asObj(e), "url") != "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris" {
			continue
		}
		for _, sub := range list(asObj(e)["extension"]) {
			if s := asObj(sub); str(s, "url") == "token" && str(s, "valueUri") != "" {
				return str(s, "valueUri")
			}
		}
	}
	return ""
}

// tokenSource gets tokens from the token endpoint as the app does (form
// body, the tenant as scope), and a new one shortly before the last one
// expires.
type tokenSource struct {
	c                            *checker
	url, clientID, secret, scope string

	mu        sync.Mutex
	tok       string
	exp       time.Time
	tokenType string
}

// token returns a token valid for at least 30 more seconds.
func (ts *tokenSource) token(ctx context.Context) (string, error) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.tok != "" && time.Until(ts.exp) > 30*time.Second {
		return ts.tok, nil
	}
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {ts.clientID}, "client_secret": {ts.secret}, "scope": {ts.scope}}
	status, ctype, body, err := ts.c.fetch(ctx, "POST", ts.url, "", "application/x-www-form-urlencoded", "application/json", []byte(form.Encode()))
	if err != nil {
		return "", fmt.Errorf("POST %s: %v", ts.url, err)
	}
	var res struct {
		AccessToken string          `json:"access_token"`
		TokenType   string          `json:"token_type"`
		ExpiresIn   json.RawMessage `json:"expires_in"`
		Error       string          `json:"error"`
		Description string          `json:"error_description"`
	}
	jerr := json.Unmarshal(body, &res)
	if status != http.StatusOK {
		msg := ""
		if jerr == nil && res.Error != "" {
			msg = ": " + res.Error
			if res.Description != "" {
				msg += " (" + oneLine(res.Description) + ")"
			}
		}
		return "", fmt.Errorf("POST %s with client_id %s and scope %s: status %d%s", ts.url, ts.clientID, ts.scope, status, msg)
	}
	var problems []string
	if mt, _, _ := mime.ParseMediaType(ctype); mt != "application/json" {
		problems = append(problems, fmt.Sprintf("Content-Type %q, want application/json", ctype))
	}
	if jerr != nil {
		problems = append(problems, "the body is not a JSON object")
	}
	if res.AccessToken == "" {
		problems = append(problems, "no access_token")
	}
	if !strings.EqualFold(res.TokenType, "bearer") {
		problems = append(problems, fmt.Sprintf("token_type %q, want Bearer", res.TokenType))
	}
	n, err := strconv.Atoi(strings.Trim(string(res.ExpiresIn), `"`))
	if err != nil || n <= 0 {
		problems = append(problems, "expires_in is not a positive number of seconds")
	}
	if len(problems) > 0 {
		return "", fmt.Errorf("the token response: %s", strings.Join(problems, "; "))
	}
	ts.tok, ts.tokenType = res.AccessToken, res.TokenType
	ts.exp = time.Now().Add(time.Duration(n) * time.Second)
	return ts.tok, nil
}

// authRequired checks that a data request without a token, and with a
// token the server did not issue, is refused with 401.
func (c *checker) authRequired(ctx context.Context, base string, v version, td tenantData) {
	var fs []kit.Finding
	target := base + "/Patient/" + url.PathEscape(td.Patient.PatientID)
	for _, tc := range []struct{ what, token string }{
		{"without a token", ""},
		{"with a token the server did not issue", "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJwYXRpZW50c2ZoaXItY2hlY2sifQ.bm90LWEtc2lnbmF0dXJl"},
	} {
		status, _, body, err := c.fetch(ctx, "GET", target, tc.token, "", v.kit.FHIR.MIMEType, nil)
		switch {
		case err != nil:
			fs = append(fs, v.finding("auth.required", "GET Patient/{id} %s: %v", tc.what, err))
		case status != http.StatusUnauthorized:
			fs = append(fs, v.finding("auth.required", "GET Patient/{id} %s: status %d, want 401", tc.what, status))
		case len(bytes.TrimSpace(body)) > 0 && str(decodeObj(body), "resourceType") != "OperationOutcome":
			fs = append(fs, v.finding("http.outcome", "GET Patient/{id} %s: the 401 body is not an OperationOutcome", tc.what))
		}
	}
	c.result("no data without a valid token: 401", fs, "")
}

// groups are the kit's request lines and checks, as check prints them.
var groups = []struct{ id, title string }{
	{"0", "capability statement"},
	{"1", "read Patient; an unknown Patient is a 404 OperationOutcome"},
	{"2", "Patient searches: every shape the app sends, GET and POST _search"},
	{"3", "vital signs, newest first"},
	{"4", "conditions"},
	{"5", "encounters, newest first"},
	{"6", "allergies"},
	{"7", "medications"},
	{"8", "coverage"},
	{"9", "a batch of everything the patient view needs"},
	{"advertised", "every advertised search parameter is accepted"},
	{"filters", "every search parameter of the profile, both ways (GET, POST _search, batch)"},
	{"totals", "Bundle.total against every next link"},
	{"sort", "_sort:desc=date and _sort=-date agree"},
	{"paging", "paging through next links keeps the order"},
}

// parseOnly reads -only: the ids of groups, a request line with or without
// its version letter.
func parseOnly(s string) (map[string]bool, error) {
	if s == "" {
		return nil, nil
	}
	out := map[string]bool{}
	for _, x := range strings.Split(s, ",") {
		x = strings.TrimSpace(x)
		if len(x) == 2 && (x[0] == 'S' || x[0] == 'D' || x[0] == 's' || x[0] == 'd') {
			x = x[1:]
		}
		if !slices.ContainsFunc(groups, func(g struct{ id, title string }) bool { return g.id == x }) {
			return nil, fmt.Errorf("-only: %q is not a request line (1-9) nor advertised, filters, totals, sort or paging", x)
		}
		out[x] = true
	}
	return out, nil
}

// recorder is the kit's T: it keeps the notes (the findings come in the
// kit's Report).
type recorder struct{ logs []string }

func (r *recorder) Helper()               {}
func (r *recorder) Errorf(string, ...any) {}
func (r *recorder) Logf(format string, args ...any) {
	r.logs = append(r.logs, fmt.Sprintf(format, args...))
}
func (r *recorder) notes(w io.Writer, verbose bool) { // the kit's notes, with -v
	if verbose {
		for _, l := range r.logs {
			fmt.Fprintf(w, "    note: %s\n", l)
		}
	}
}

// kitGroups runs the conformance kit against the server, one request line
// or check at a time, and prints a line for each. It reports whether the
// statement was good enough to go on.
func (c *checker) kitGroups(ctx context.Context, origin, basePath string, v version, td tenantData, ts *tokenSource) bool {
	current := ""
	remote := &kit.Remote{Origin: origin, Client: c.http, OnRequest: func(method, path string) {
		c.showProgress(fmt.Sprintf("… %s  %s %s", current, method, path))
	}}
	opts := kit.Options{Base: basePath, Authorize: func(r *http.Request) {
		if tok, err := ts.token(ctx); err == nil {
			r.Header.Set("Authorization", "Bearer "+tok)
		}
	}}
	switch c.schema {
	case "strict":
		opts.Schema = func(b []byte) error { return fhirschema.ValidateStrict(v.schema, b) }
	case "official":
		opts.Schema = func(b []byte) error { return fhirschema.Validate(v.schema, b) }
	}
	statement := v.kit.Line + "0 "
	for i, g := range groups {
		if ctx.Err() != nil {
			return false
		}
		if i > 0 && c.only != nil && !c.only[g.id] {
			continue
		}
		id := g.id
		if len(id) == 1 {
			id = v.kit.Line + id
		}
		title := g.title
		if id != g.id {
			title = id + " " + title
		}
		if g.id == "7" {
			title += ": " + v.kit.Medication
		}
		current = title
		before := remote.Requests()
		o := opts
		o.Only = []string{id}
		rec := &recorder{}
		rep := kit.Run(rec, remote, v.kit, td.Patient, o)
		var fs []kit.Finding
		for _, f := range rep.Failures {
			// Every run reads the statement and the patient's records
			// again: their findings belong to the first group only.
			if i > 0 && (strings.HasPrefix(f.Request, statement) || strings.HasPrefix(f.Request, "collect ")) {
				continue
			}
			fs = append(fs, f)
		}
		c.result(title, fs, fmt.Sprintf("%d requests", remote.Requests()-before))
		rec.notes(c.out, c.verbose)
		if i == 0 && len(rep.Failures) > 0 && slices.ContainsFunc(rep.Failures, func(f kit.Finding) bool {
			return f.Rule == "metadata.open" || f.Rule == "metadata.resource" || f.Rule == "metadata.rest" || f.Rule == ""
		}) {
			c.skipped()
			return false
		}
	}
	return true
}

// partialBatch posts a batch whose second entry fails: the batch still
// succeeds, every entry keeps its place, and the failing one has its own
// error status (and, if any, an OperationOutcome).
func (c *checker) partialBatch(ctx context.Context, base string, v version, td tenantData, ts *tokenSource) {
	const title = "a batch with a failing entry answers 200, 404, 200 in order"
	c.showProgress("… " + title)
	pid := url.QueryEscape(td.Patient.PatientID)
	unknown := td.Patient.UnknownPatientID
	if unknown == "" {
		unknown = "no-such-patient-0"
	}
	urls := []string{"Patient/" + url.PathEscape(td.Patient.PatientID), "Patient/" + unknown, "Observation?patient=" + pid + "&_count=1"}
	var entries []obj
	for _, u := range urls {
		entries = append(entries, obj{"request": obj{"method": "GET", "url": u}})
	}
	body, _ := json.Marshal(obj{"resourceType": "Bundle", "type": "batch", "entry": entries})
	tok, _ := ts.token(ctx)
	status, _, resBody, err := c.fetch(ctx, "POST", base, tok, v.kit.FHIR.MIMEType, v.kit.FHIR.MIMEType, body)
	var fs []kit.Finding
	fail := func(format string, args ...any) { fs = append(fs, v.finding("batch.partial", format, args...)) }
	doc := decodeObj(resBody)
	switch {
	case err != nil:
		fail("POST %s: %v", base, err)
	case status != http.StatusOK:
		fail("status %d, want 200: one failing entry must not fail the batch%s", status, parenthesised(outcomeText(doc)))
	case str(doc, "resourceType") != "Bundle" || str(doc, "type") != "batch-response":
		fail("got %s of type %q, want a batch-response Bundle", str(doc, "resourceType"), str(doc, "type"))
	case len(list(doc["entry"])) != len(urls):
		fail("%d response entries for %d request entries", len(list(doc["entry"])), len(urls))
	default:
		for i, e := range list(doc["entry"]) {
			resp, res := asObj(asObj(e)["response"]), asObj(asObj(e)["resource"])
			code, _, _ := strings.Cut(str(resp, "status"), " ")
			want := []string{"200", "404", "200"}[i]
			if code != want {
				fail("entry %d (%s): response.status %q, want %s", i, urls[i], str(resp, "status"), want)
				continue
			}
			switch i {
			case 0:
				if str(res, "resourceType") != "Patient" || str(res, "id") != td.Patient.PatientID {
					fail("entry 0 (%s): %s/%s, want Patient/%s: entries keep the request order", urls[0], str(res, "resourceType"), str(res, "id"), td.Patient.PatientID)
				}
			case 1:
				if res != nil && str(res, "resourceType") != "OperationOutcome" {
					fail("entry 1 (%s): the failing entry carries a %s, want an OperationOutcome", urls[1], str(res, "resourceType"))
				}
			case 2:
				if str(res, "resourceType") != "Bundle" || str(res, "type") != "searchset" {
					fail("entry 2 (%s): a %s, want a searchset Bundle", urls[2], str(res, "resourceType"))
				}
			}
		}
	}
	c.result(title, fs, "")
}

func parenthesised(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}

// isolation checks that this tenant's token finds none of the other
// tenants' test patients by their MRN.
func (c *checker) isolation(ctx context.Context, base string, v version, td tenantData, all []tenantData, ts *tokenSource) {
	var others []tenantData
	for _, o := range all {
		p, me := o.Patient, td.Patient
		if o.Tenant == td.Tenant || p.MRN == "" || (p.MRN == me.MRN && strings.EqualFold(p.Family, me.Family)) {
			continue // the same tenant, or a patient this tenant could hold as well
		}
		others = append(others, o)
	}
	if len(others) == 0 {
		return
	}
	title := "no other tenant's test patient is found (1 other tenant)"
	if len(others) > 1 {
		title = fmt.Sprintf("no other tenant's test patient is found (%d other tenants)", len(others))
	}
	c.showProgress("… " + title)
	tok, _ := ts.token(ctx)
	var fs []kit.Finding
	for _, o := range others {
		ident := o.Patient.MRN
		if o.Patient.MRNSystem != "" {
			ident = o.Patient.MRNSystem + "|" + ident
		}
		status, _, body, err := c.fetch(ctx, "GET", base+"/Patient?identifier="+url.QueryEscape(ident), tok, "", v.kit.FHIR.MIMEType, nil)
		if err != nil {
			fs = append(fs, v.finding("http.status", "GET Patient?identifier=<the MRN of tenant %s's test patient>: %v", o.Tenant, err))
			continue
		} else if status != http.StatusOK {
			fs = append(fs, v.finding("http.status", "GET Patient?identifier=<the MRN of tenant %s's test patient>: status %d, want 200", o.Tenant, status))
			continue
		}
		for _, e := range list(decodeObj(body)["entry"]) {
			res := asObj(asObj(e)["resource"])
			if hasIdentifier(res, o.Patient.MRN) && familyOf(res, o.Patient.Family) {
				fs = append(fs, v.finding("tenant.isolation", "tenant %s's token finds Patient/%s (%s, MRN %s) of tenant %s: another tenant's data",
					td.Tenant, str(res, "id"), o.Patient.Family, o.Patient.MRN, o.Tenant))
			}
		}
	}
	c.result(title, fs, "")
}

func hasIdentifier(res obj, value string) bool {
	for _, id := range list(res["identifier"]) {
		if str(asObj(id), "value") == value {
			return true
		}
	}
	return false
}

// familyOf reports whether a name of res has the family (a string in
// STU3, a list in DSTU2).
func familyOf(res obj, family string) bool {
	for _, n := range list(res["name"]) {
		switch f := asObj(n)["family"].(type) {
		case string:
			if strings.EqualFold(f, family) {
				return true
			}
		case []any:
			for _, x := range f {
				if s, _ := x.(string); strings.EqualFold(s, family) {
					return true
				}
			}
		}
	}
	return false
}
