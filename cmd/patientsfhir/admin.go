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
	"strings"
	"text/tabwriter"
	"time"
)

// adminUsage says what each admin command does.
var adminUsage = map[string]string{
	"clients": `patientsfhir clients <action> [flags]

  list                                  every client, its tenants and active secrets
  get <client-id>                       one client
  create <client-id> -tenants GUID[,GUID] [-name TEXT] [-token-ttl 5m]
                                        a client and its first secret (shown once)
  tenants <client-id> GUID[,GUID]       replace the tenants the client may ask tokens for
  disable <client-id>                   refuse its tokens, at once on this node
  enable <client-id>
`,
	"secrets": `patientsfhir secrets <action> [flags]

  list <client-id>                      the client's secrets (ids and hints, never the secret)
  add <client-id> [-lifetime 8760h]     a new secret, shown once (a client has at most two active)
  revoke <client-id> <secret-id>        stop a secret at once
`,
	"tenants": `patientsfhir tenants <action> [flags]

  list                                  every tenant, its state and backend
  get <GUID>                            one tenant
  add <GUID> -backend NAME [-name TEXT] [-disabled]
                                        register a tenant served by the named provider
  rename <GUID> <name>
  set-backend <GUID> <backend>          re-point the tenant to another provider
  disable <GUID>                        refuse its tokens and its data (all nodes within MaxStale)
  enable <GUID>
  remove <GUID>                         delete the record: the tenant becomes unknown
`,
	"keys": `patientsfhir keys <action> [flags]

  list                                  the signing keys (public data only)
  rotate                                a new signing key, at once; the old one retires (still verifies)
  retire <kid>                          retire a pending key
  remove <kid>                          remove a retired key: the tokens it signed stop verifying
`,
}

const adminFlagsHelp = `
Flags (anywhere on the line):
  -server URL   the server (env PATIENTSFHIR_SERVER; default http://127.0.0.1:8080)
  -json         print the server's JSON answer instead of a table
The operator token comes from PATIENTSFHIR_OPERATOR_TOKEN.
`

// adminClient calls a server's admin API as the operator.
type adminClient struct {
	server, token string
	http          *http.Client
}

// apiError is an answer of the admin API that is not a success.
type apiError struct {
	status int
	code   string
	desc   string
	field  string
}

func (e *apiError) Error() string {
	s := fmt.Sprintf("the server answered %d %s", e.status, e.code)
	if e.desc != "" {
		s += ": " + e.desc
	}
	return s
}

// call sends one request and decodes a JSON answer into out (when not
// nil); it returns the raw answer.
func (a *adminClient) call(ctx context.Context, method, path string, in, out any) ([]byte, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.server+"/admin"+path, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := a.http.Do(req)
	if err != nil {
		if ue := (*url.Error)(nil); errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("cannot reach %s: %v (is the server running? set -server or PATIENTSFHIR_SERVER)", a.server, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 16<<20))
	if err != nil {
		return nil, fmt.Errorf("reading the answer of %s %s: %v", method, path, err)
	}
	mt, _, _ := mime.ParseMediaType(res.Header.Get("Content-Type"))
	if res.StatusCode >= 300 {
		var e struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
			Field       string `json:"field"`
		}
		if mt != "application/json" || json.Unmarshal(raw, &e) != nil || e.Error == "" {
			if res.StatusCode == http.StatusNotFound || res.StatusCode == http.StatusMethodNotAllowed {
				return nil, fmt.Errorf("%s has no such admin route (%s /admin%s answered %d): is the admin API on (an operator token), and does the server mount the tenant and key routes (patientsfhir.Server.MountAdmin)?",
					a.server, method, path, res.StatusCode)
			}
			return nil, fmt.Errorf("%s %s: the server answered %d %s", method, path, res.StatusCode, oneLine(string(raw)))
		}
		ae := &apiError{status: res.StatusCode, code: e.Error, desc: e.Description, field: e.Field}
		if res.StatusCode == http.StatusUnauthorized {
			return nil, fmt.Errorf("%w (the server refused the operator token: check PATIENTSFHIR_OPERATOR_TOKEN)", ae)
		}
		return nil, ae
	}
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			return nil, fmt.Errorf("%s %s: the answer is not the expected JSON: %v", method, path, err)
		}
	}
	return raw, nil
}

// The admin API's documents, as far as the tables need them.
type (
	secretInfo struct {
		ID        string    `json:"id"`
		Hint      string    `json:"hint"`
		CreatedAt time.Time `json:"created_at"`
		ExpiresAt time.Time `json:"expires_at"`
		RevokedAt time.Time `json:"revoked_at"`
		Active    bool      `json:"active"`
	}
	clientInfo struct {
		ID              string       `json:"client_id"`
		Name            string       `json:"name"`
		Disabled        bool         `json:"disabled"`
		Tenants         []string     `json:"tenants"`
		TokenTTLSeconds int          `json:"token_ttl_seconds"`
		Secrets         []secretInfo `json:"secrets"`
	}
	tenantInfo struct {
		ID        string    `json:"id"`
		Name      string    `json:"name"`
		Backend   string    `json:"backend"`
		State     string    `json:"state"`
		UpdatedAt time.Time `json:"updated_at"`
	}
	keyInfo struct {
		KID         string    `json:"kid"`
		Alg         string    `json:"alg"`
		State       string    `json:"state"`
		CreatedAt   time.Time `json:"created_at"`
		ActivatedAt time.Time `json:"activated_at"`
		RetiredAt   time.Time `json:"retired_at"`
	}
	keyList struct {
		KID  string    `json:"kid"`
		Keys []keyInfo `json:"keys"`
	}
)

// admin runs one of the clients, secrets, tenants and keys commands.
func admin(ctx context.Context, cmd string, args []string, stdout, stderr io.Writer, getenv env) error {
	usage := adminUsage[cmd] + adminFlagsHelp
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	server := fs.String("server", getenv("PATIENTSFHIR_SERVER"), "")
	asJSON := fs.Bool("json", false, "")
	tenants := fs.String("tenants", "", "")
	name := fs.String("name", "", "")
	backend := fs.String("backend", "", "")
	disabled := fs.Bool("disabled", false, "")
	ttl := fs.Duration("token-ttl", 0, "")
	lifetime := fs.Duration("lifetime", 0, "")
	pos, err := parse(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stderr, usage)
		return flag.ErrHelp
	} else if err != nil {
		return usageError{err.Error(), usage}
	}
	if len(pos) == 0 {
		return usageError{"which action?", usage}
	}
	action, pos := pos[0], pos[1:]
	want := func(n int, names string) error {
		if len(pos) != n {
			return usageError{fmt.Sprintf("%s %s needs %s", cmd, action, names), usage}
		}
		return nil
	}
	if *server == "" {
		*server = "http://127.0.0.1:8080"
	}
	*server = strings.TrimSuffix(*server, "/")
	if u, err := url.Parse(*server); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usageError{fmt.Sprintf("-server %q is not an http(s) URL", *server), ""}
	}
	token := getenv("PATIENTSFHIR_OPERATOR_TOKEN")
	if token == "" {
		return usageError{"set PATIENTSFHIR_OPERATOR_TOKEN to the server's operator token (the sample EHR prints it at first start and keeps it in <data>/operator.token)", ""}
	}
	a := &adminClient{server: *server, token: token, http: &http.Client{Timeout: 30 * time.Second}}
	out := &printer{w: stdout, json: *asJSON}
	esc := url.PathEscape
	switch cmd + " " + action {
	case "clients list":
		var res struct {
			Clients []clientInfo `json:"clients"`
		}
		return out.table(a.call(ctx, "GET", "/clients", nil, &res))(func(t *tabwriter.Writer) {
			fmt.Fprintln(t, "CLIENT ID\tSTATE\tACTIVE SECRETS\tTENANTS\tNAME")
			for _, c := range res.Clients {
				fmt.Fprintf(t, "%s\t%s\t%d\t%s\t%s\n", c.ID, enabled(c.Disabled), active(c.Secrets), strings.Join(c.Tenants, ","), c.Name)
			}
		})
	case "clients get":
		if err := want(1, "<client-id>"); err != nil {
			return err
		}
		var c clientInfo
		return out.table(a.call(ctx, "GET", "/clients/"+esc(pos[0]), nil, &c))(func(t *tabwriter.Writer) { describeClient(t, c) })
	case "clients create":
		if err := want(1, "<client-id> -tenants GUID[,GUID]"); err != nil {
			return err
		}
		in := map[string]any{"client_id": pos[0], "name": *name, "tenants": splitList(*tenants), "token_ttl_seconds": int(ttl.Seconds())}
		var res struct {
			Client clientInfo `json:"client"`
			Secret string     `json:"client_secret"`
		}
		return out.table(a.call(ctx, "POST", "/clients", in, &res))(func(t *tabwriter.Writer) {
			describeClient(t, res.Client)
			fmt.Fprintf(t, "client_secret:\t%s\t(shown once)\n", res.Secret)
		})
	case "clients tenants":
		if err := want(2, "<client-id> GUID[,GUID]"); err != nil {
			return err
		}
		var c clientInfo
		return out.table(a.call(ctx, "PUT", "/clients/"+esc(pos[0])+"/tenants", map[string]any{"tenants": splitList(pos[1])}, &c))(func(t *tabwriter.Writer) { describeClient(t, c) })
	case "clients disable", "clients enable":
		if err := want(1, "<client-id>"); err != nil {
			return err
		}
		var c clientInfo
		return out.table(a.call(ctx, "POST", "/clients/"+esc(pos[0])+"/"+action, nil, &c))(func(t *tabwriter.Writer) { describeClient(t, c) })
	case "secrets list":
		if err := want(1, "<client-id>"); err != nil {
			return err
		}
		var c clientInfo
		return out.table(a.call(ctx, "GET", "/clients/"+esc(pos[0]), nil, &c))(func(t *tabwriter.Writer) { secretTable(t, c.Secrets) })
	case "secrets add":
		if err := want(1, "<client-id>"); err != nil {
			return err
		}
		var in any
		if *lifetime > 0 {
			in = map[string]any{"lifetime_seconds": int(lifetime.Seconds())}
		}
		var res struct {
			Secret string     `json:"client_secret"`
			Info   secretInfo `json:"secret"`
		}
		return out.table(a.call(ctx, "POST", "/clients/"+esc(pos[0])+"/secrets", in, &res))(func(t *tabwriter.Writer) {
			fmt.Fprintf(t, "client_secret:\t%s\t(shown once)\n", res.Secret)
			fmt.Fprintf(t, "secret id:\t%s\n", res.Info.ID)
			fmt.Fprintf(t, "expires:\t%s\n", when(res.Info.ExpiresAt))
		})
	case "secrets revoke":
		if err := want(2, "<client-id> <secret-id>"); err != nil {
			return err
		}
		_, err := a.call(ctx, "DELETE", "/clients/"+esc(pos[0])+"/secrets/"+esc(pos[1]), nil, nil)
		return out.done(err, "revoked secret "+pos[1]+" of "+pos[0])
	case "tenants list":
		var res struct {
			Tenants []tenantInfo `json:"tenants"`
		}
		return out.table(a.call(ctx, "GET", "/tenants", nil, &res))(func(t *tabwriter.Writer) {
			fmt.Fprintln(t, "TENANT\tSTATE\tBACKEND\tUPDATED\tNAME")
			for _, tn := range res.Tenants {
				fmt.Fprintf(t, "%s\t%s\t%s\t%s\t%s\n", tn.ID, tn.State, tn.Backend, when(tn.UpdatedAt), tn.Name)
			}
		})
	case "tenants get":
		if err := want(1, "<GUID>"); err != nil {
			return err
		}
		var tn tenantInfo
		return out.table(a.call(ctx, "GET", "/tenants/"+esc(pos[0]), nil, &tn))(func(t *tabwriter.Writer) { describeTenant(t, tn) })
	case "tenants add":
		if err := want(1, "<GUID> -backend NAME"); err != nil {
			return err
		}
		in := map[string]any{"id": pos[0], "name": *name, "backend": *backend}
		if *disabled {
			in["state"] = "disabled"
		}
		var tn tenantInfo
		return out.table(a.call(ctx, "POST", "/tenants", in, &tn))(func(t *tabwriter.Writer) { describeTenant(t, tn) })
	case "tenants rename", "tenants set-backend", "tenants disable", "tenants enable":
		in := map[string]any{}
		switch action {
		case "rename":
			if err := want(2, "<GUID> <name>"); err != nil {
				return err
			}
			in["name"] = pos[1]
		case "set-backend":
			if err := want(2, "<GUID> <backend>"); err != nil {
				return err
			}
			in["backend"] = pos[1]
		default:
			if err := want(1, "<GUID>"); err != nil {
				return err
			}
			in["state"] = map[string]string{"disable": "disabled", "enable": "active"}[action]
		}
		var tn tenantInfo
		return out.table(a.call(ctx, "PATCH", "/tenants/"+esc(pos[0]), in, &tn))(func(t *tabwriter.Writer) { describeTenant(t, tn) })
	case "tenants remove":
		if err := want(1, "<GUID>"); err != nil {
			return err
		}
		_, err := a.call(ctx, "DELETE", "/tenants/"+esc(pos[0]), nil, nil)
		return out.done(err, "removed tenant "+pos[0])
	case "keys list", "keys rotate":
		if err := want(0, "no argument"); err != nil {
			return err
		}
		method, path := "GET", "/keys"
		if action == "rotate" {
			method, path = "POST", "/keys/rotate"
		}
		var res keyList
		return out.table(a.call(ctx, method, path, nil, &res))(func(t *tabwriter.Writer) { keyTable(t, res) })
	case "keys retire":
		if err := want(1, "<kid>"); err != nil {
			return err
		}
		var res keyList
		return out.table(a.call(ctx, "POST", "/keys/"+esc(pos[0])+"/retire", nil, &res))(func(t *tabwriter.Writer) { keyTable(t, res) })
	case "keys remove":
		if err := want(1, "<kid>"); err != nil {
			return err
		}
		_, err := a.call(ctx, "DELETE", "/keys/"+esc(pos[0]), nil, nil)
		return out.done(err, "removed key "+pos[0])
	}
	return usageError{fmt.Sprintf("unknown action %q", action), usage}
}

// printer writes an answer: the server's JSON with -json, else a table.
type printer struct {
	w    io.Writer
	json bool
}

// table returns a function that prints the answer of a call (raw, err)
// with fill, or returns the call's error.
func (p *printer) table(raw []byte, err error) func(fill func(*tabwriter.Writer)) error {
	return func(fill func(*tabwriter.Writer)) error {
		if err != nil {
			return err
		}
		if p.json {
			var b bytes.Buffer
			if json.Indent(&b, raw, "", "  ") != nil {
				b.Reset()
				b.Write(raw)
			}
			_, err := fmt.Fprintln(p.w, strings.TrimSpace(b.String()))
			return err
		}
		t := tabwriter.NewWriter(p.w, 0, 0, 2, ' ', 0)
		fill(t)
		return t.Flush()
	}
}

// done prints what an answer without a body did.
func (p *printer) done(err error, what string) error {
	if err != nil {
		return err
	}
	if p.json {
		_, err = fmt.Fprintln(p.w, "{}")
		return err
	}
	_, err = fmt.Fprintln(p.w, what)
	return err
}

func enabled(disabled bool) string {
	if disabled {
		return "disabled"
	}
	return "enabled"
}

func active(ss []secretInfo) int {
	n := 0
	for _, s := range ss {
		if s.Active {
			n++
		}
	}
	return n
}

func when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func splitList(s string) []string {
	out := []string{}
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

func describeClient(t *tabwriter.Writer, c clientInfo) {
	fmt.Fprintf(t, "client_id:\t%s\n", c.ID)
	fmt.Fprintf(t, "name:\t%s\n", c.Name)
	fmt.Fprintf(t, "state:\t%s\n", enabled(c.Disabled))
	fmt.Fprintf(t, "tenants:\t%s\n", strings.Join(c.Tenants, ", "))
	if c.TokenTTLSeconds > 0 {
		fmt.Fprintf(t, "token lifetime:\t%d s\n", c.TokenTTLSeconds)
	}
	fmt.Fprintf(t, "active secrets:\t%d\n", active(c.Secrets))
}

func secretTable(t *tabwriter.Writer, ss []secretInfo) {
	fmt.Fprintln(t, "SECRET ID\tHINT\tSTATE\tCREATED\tEXPIRES\tREVOKED")
	for _, s := range ss {
		state := "active"
		switch {
		case !s.RevokedAt.IsZero():
			state = "revoked"
		case !s.Active:
			state = "expired"
		}
		fmt.Fprintf(t, "%s\t…%s\t%s\t%s\t%s\t%s\n", s.ID, s.Hint, state, when(s.CreatedAt), when(s.ExpiresAt), when(s.RevokedAt))
	}
}

func describeTenant(t *tabwriter.Writer, tn tenantInfo) {
	fmt.Fprintf(t, "tenant:\t%s\n", tn.ID)
	fmt.Fprintf(t, "name:\t%s\n", tn.Name)
	fmt.Fprintf(t, "state:\t%s\n", tn.State)
	fmt.Fprintf(t, "backend:\t%s\n", tn.Backend)
	fmt.Fprintf(t, "updated:\t%s\n", when(tn.UpdatedAt))
}

func keyTable(t *tabwriter.Writer, ks keyList) {
	fmt.Fprintln(t, "KID\tALG\tSTATE\tCREATED\tACTIVATED\tRETIRED")
	for _, k := range ks.Keys {
		mark := ""
		if k.KID == ks.KID {
			mark = "  (new)"
		}
		fmt.Fprintf(t, "%s\t%s\t%s\t%s\t%s\t%s%s\n", k.KID, k.Alg, k.State, when(k.CreatedAt), when(k.ActivatedAt), when(k.RetiredAt), mark)
	}
}
