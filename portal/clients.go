package portal

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/patientsfhir/patientsfhir/auth"
	"github.com/patientsfhir/patientsfhir/routing"
)

// What the not-found pages say.
const (
	noClient = "There is no client with this ID."
	noSecret = "There is no such client or secret."
	noTenant = "No tenant with this GUID is mapped."
	noDir    = "Tenants are not managed by this portal."
)

// clientRow is one line of the client list.
type clientRow struct {
	auth.ClientInfo
	Active     int       // active secrets
	NextExpiry time.Time // the earliest expiry of an active secret
}

// clientsPage is the client list and the registration form.
type clientsPage struct {
	Clients   []clientRow
	Form      *form
	MaxActive int
	Tenants   []routing.Tenant // known tenants, for the form's hint
}

func (p *Portal) clientsPage(w http.ResponseWriter, r *http.Request, sess *session) {
	p.renderClients(w, r, sess, http.StatusOK, newForm())
}

func (p *Portal) renderClients(w http.ResponseWriter, r *http.Request, sess *session, status int, f *form) {
	cs, err := p.cfg.Auth.Registry().ListClients(r.Context())
	if err != nil {
		p.unavailable(w, r, sess, err)
		return
	}
	data := clientsPage{Form: f, MaxActive: p.cfg.Auth.Config().MaxActiveSecrets}
	for _, c := range cs {
		row := clientRow{ClientInfo: c}
		for _, s := range c.Secrets {
			if s.Active {
				row.Active++
				if row.NextExpiry.IsZero() || (!s.ExpiresAt.IsZero() && s.ExpiresAt.Before(row.NextExpiry)) {
					row.NextExpiry = s.ExpiresAt
				}
			}
		}
		data.Clients = append(data.Clients, row)
	}
	if p.cfg.Tenants != nil {
		data.Tenants, _ = p.cfg.Tenants.List(r.Context())
	}
	p.render(w, r, status, sess, "clients", "Clients", "clients", "", data)
}

// splitList splits a textarea of GUIDs (one per line, or separated by
// commas or spaces).
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })
}

func (p *Portal) createClient(w http.ResponseWriter, r *http.Request, sess *session) {
	f := formFrom(r, "client_id", "name", "tenants")
	tenants := splitList(f.values["tenants"])
	nc := auth.NewClient{ID: strings.TrimSpace(f.values["client_id"]), Name: strings.TrimSpace(f.values["name"]), Tenants: tenants}
	ci, secret, err := p.cfg.Auth.Registry().CreateClient(r.Context(), nc, actor)
	if err != nil {
		if !clientInputError(f, err, tenants) {
			p.unavailable(w, r, sess, err)
			return
		}
		p.renderClients(w, r, sess, http.StatusBadRequest, f)
		return
	}
	p.sessions.show(sess, &shownSecret{clientID: ci.ID, secret: secret, info: ci.Secrets[0], newID: true})
	p.log.InfoContext(r.Context(), "portal: client registered", "client_id", ci.ID, "tenants", len(ci.Tenants))
	p.done(w, r, sess, "Client "+ci.ID+" registered.", p.path("clients", ci.ID))
}

// validatorProblem matches one field of the registry's validation errors,
// e.g. "NewClient.Tenants[2]: must satisfy uuid".
var validatorProblem = regexp.MustCompile(`(?:NewClient|body)\.(\w+)(?:\[(\d+)\])?: must satisfy (\w+)(?:=([^;]*))?`)

// clientInputError explains a registry error about the operator's input on
// the form's fields and reports whether it was one.
func clientInputError(f *form, err error, tenants []string) bool {
	switch {
	case errors.Is(err, auth.ErrConflict):
		f.fail("client_id", "A client with this client ID already exists. Choose another ID, or leave it empty for a generated one.")
	case errors.Is(err, auth.ErrUnknownTenant):
		id := strings.TrimPrefix(err.Error(), auth.ErrUnknownTenant.Error()+": ")
		f.fail("tenants", "Tenant "+id+" is not mapped, or is disabled: map or enable it on the Tenants page first.")
	case errors.Is(err, auth.ErrInvalidInput):
		for _, m := range validatorProblem.FindAllStringSubmatch(err.Error(), -1) {
			name, idx, tag, param := m[1], m[2], m[3], m[4]
			switch name {
			case "ID":
				f.fail("client_id", "Use 1 to 128 characters: letters, digits and . _ ~ - only.")
			case "Name":
				if tag == "max" {
					f.fail("name", "Use at most "+param+" characters.")
				} else {
					f.fail("name", "Use printable ASCII characters only (no accents, emoji or line breaks).")
				}
			case "Tenants":
				if i, err := strconv.Atoi(idx); err == nil && i < len(tenants) {
					f.fail("tenants", strconv.Quote(tenants[i])+" is not a tenant GUID (8-4-4-4-12 hexadecimal digits).")
				} else {
					f.fail("tenants", "Give at most "+param+" tenant GUIDs.")
				}
			}
		}
		if !f.failed() {
			msg := strings.TrimPrefix(err.Error(), auth.ErrInvalidInput.Error()+": ")
			if t, ok := strings.CutPrefix(msg, "tenants: "); ok {
				f.fail("tenants", strings.TrimSpace(t)+" (8-4-4-4-12 hexadecimal digits).")
			} else {
				f.fail("client_id", msg)
			}
		}
	default:
		return false
	}
	return true
}

// shownView is a new secret on the one page that shows it.
type shownView struct {
	Secret    string
	Info      auth.SecretInfo
	NewClient bool
}

// secretRow is one secret of a client (never its plaintext or hash).
type secretRow struct {
	auth.SecretInfo
	Status  string    // active, revoked or expired
	LastUse time.Time // the last token issued with it, seen by this node
}

// clientPage is one client: its secrets, tenants and state.
type clientPage struct {
	Client       auth.ClientInfo
	Shown        *shownView
	Secrets      []secretRow
	Active       int
	MaxActive    int
	Lifetime     time.Duration
	SelfService  string
	Grace        time.Duration
	TokenURL     string
	Tenants      []tenantRef
	SecretForm   *form
	TenantsForm  *form
	ActivityPath string
}

// tenantRef is a tenant as a client's page lists it.
type tenantRef struct {
	ID, Name, Backend string
	State             routing.State
	Known             bool // in the directory
}

func (p *Portal) clientPage(w http.ResponseWriter, r *http.Request, sess *session) {
	id := r.PathValue("id")
	fl := p.sessions.take(sess)
	var shown *shownView
	if fl.shown != nil && fl.shown.clientID == id {
		shown = &shownView{Secret: fl.shown.secret, Info: fl.shown.info, NewClient: fl.shown.newID}
	}
	p.renderClient(w, r, sess, http.StatusOK, id, fl.notice, shown, nil, nil)
}

// renderClient renders a client's page, with the forms in error when a
// post failed.
func (p *Portal) renderClient(w http.ResponseWriter, r *http.Request, sess *session, status int, id, notice string, shown *shownView, secretForm, tenantsForm *form) {
	data, err := p.clientData(r.Context(), id)
	if p.failed(w, r, sess, err, noClient) {
		return
	}
	data.Shown = shown
	if secretForm != nil {
		data.SecretForm = secretForm
	}
	if tenantsForm != nil {
		data.TenantsForm = tenantsForm
	}
	p.render(w, r, status, sess, "client", "Client "+id, "clients", notice, data)
}

func (p *Portal) clientData(ctx context.Context, id string) (clientPage, error) {
	ci, err := p.cfg.Auth.Registry().GetClient(ctx, id)
	if err != nil {
		return clientPage{}, err
	}
	ac := p.cfg.Auth.Config()
	data := clientPage{
		Client: ci, MaxActive: ac.MaxActiveSecrets, Lifetime: ac.SecretLifetime, SelfService: string(ac.SelfService),
		Grace: ac.SelfServiceGrace, TokenURL: p.cfg.Auth.Endpoints().Token, SecretForm: newForm(), TenantsForm: newForm(),
		ActivityPath: p.path("activity") + "?client=" + ci.ID,
	}
	data.TenantsForm.values["tenants"] = strings.Join(ci.Tenants, "\n")
	for _, s := range slices.Backward(ci.Secrets) {
		row := secretRow{SecretInfo: s, Status: "active"}
		switch {
		case !s.RevokedAt.IsZero():
			row.Status = "revoked"
		case !s.Active:
			row.Status = "expired"
		default:
			data.Active++
		}
		if p.cfg.Activity != nil {
			row.LastUse = p.cfg.Activity.LastUse(ci.ID, s.ID)
		}
		data.Secrets = append(data.Secrets, row)
	}
	for _, t := range ci.Tenants {
		ref := tenantRef{ID: t}
		if p.cfg.Tenants != nil {
			if rec, err := p.cfg.Tenants.Get(ctx, t); err == nil {
				ref.Name, ref.Backend, ref.State, ref.Known = rec.Name, rec.Backend, rec.State, true
			}
		}
		data.Tenants = append(data.Tenants, ref)
	}
	return data, nil
}

func (p *Portal) addSecret(w http.ResponseWriter, r *http.Request, sess *session) {
	id := r.PathValue("id")
	f := formFrom(r, "lifetime_days")
	var lifetime time.Duration
	if v := strings.TrimSpace(f.values["lifetime_days"]); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 3650 {
			f.fail("lifetime_days", "Enter a whole number of days from 1 to 3650, or leave it empty for the default.")
			p.renderClient(w, r, sess, http.StatusBadRequest, id, "", nil, f, nil)
			return
		}
		lifetime = time.Duration(n) * 24 * time.Hour
	}
	secret, info, err := p.cfg.Auth.Registry().AddSecret(r.Context(), id, lifetime, actor)
	switch {
	case errors.Is(err, auth.ErrTooManySecrets):
		f.fail("lifetime_days", fmt.Sprintf("This client already has %d active secrets, the most it may hold. Revoke the one the app no longer uses, then add a new one.", p.cfg.Auth.Config().MaxActiveSecrets))
		p.renderClient(w, r, sess, http.StatusConflict, id, "", nil, f, nil)
		return
	case errors.Is(err, auth.ErrInvalidInput):
		f.fail("lifetime_days", strings.TrimPrefix(err.Error(), auth.ErrInvalidInput.Error()+": "))
		p.renderClient(w, r, sess, http.StatusBadRequest, id, "", nil, f, nil)
		return
	case p.failed(w, r, sess, err, noClient):
		return
	}
	p.sessions.show(sess, &shownSecret{clientID: id, secret: secret, info: info})
	p.log.InfoContext(r.Context(), "portal: secret added", "client_id", id, "secret_id", info.ID)
	p.done(w, r, sess, "A new secret was added to "+id+".", p.path("clients", id))
}

// revokePage is the confirmation before a secret is revoked.
type revokePage struct {
	Client   auth.ClientInfo
	Secret   auth.SecretInfo
	LastOne  bool // the client's only active secret
	LastUse  time.Time
	Revoked  bool
	Inactive bool
}

func (p *Portal) revokeData(ctx context.Context, id, sid string) (revokePage, error) {
	ci, err := p.cfg.Auth.Registry().GetClient(ctx, id)
	if err != nil {
		return revokePage{}, err
	}
	data := revokePage{Client: ci}
	found, active := false, 0
	for _, s := range ci.Secrets {
		if s.Active {
			active++
		}
		if s.ID == sid {
			data.Secret, found = s, true
		}
	}
	if !found {
		return revokePage{}, auth.ErrNotFound
	}
	data.LastOne = data.Secret.Active && active == 1
	data.Revoked, data.Inactive = !data.Secret.RevokedAt.IsZero(), !data.Secret.Active
	if p.cfg.Activity != nil {
		data.LastUse = p.cfg.Activity.LastUse(id, sid)
	}
	return data, nil
}

func (p *Portal) confirmRevoke(w http.ResponseWriter, r *http.Request, sess *session) {
	data, err := p.revokeData(r.Context(), r.PathValue("id"), r.PathValue("sid"))
	if p.failed(w, r, sess, err, noSecret) {
		return
	}
	p.render(w, r, http.StatusOK, sess, "revoke", "Revoke a secret of "+data.Client.ID, "clients", "", data)
}

func (p *Portal) revokeSecret(w http.ResponseWriter, r *http.Request, sess *session) {
	id, sid := r.PathValue("id"), r.PathValue("sid")
	data, err := p.revokeData(r.Context(), id, sid)
	if err == nil {
		err = p.cfg.Auth.Registry().RevokeSecret(r.Context(), id, sid, actor)
	}
	if p.failed(w, r, sess, err, noSecret) {
		return
	}
	p.log.InfoContext(r.Context(), "portal: secret revoked", "client_id", id, "secret_id", sid)
	p.done(w, r, sess, "The secret ending in "+data.Secret.Hint+" is revoked: it gets no more tokens.", p.path("clients", id))
}

func (p *Portal) setClientTenants(w http.ResponseWriter, r *http.Request, sess *session) {
	id := r.PathValue("id")
	f := formFrom(r, "tenants")
	tenants := splitList(f.values["tenants"])
	err := p.cfg.Auth.Registry().SetTenants(r.Context(), id, tenants, actor)
	switch {
	case err != nil && clientInputError(f, err, tenants):
		p.renderClient(w, r, sess, http.StatusBadRequest, id, "", nil, nil, f)
		return
	case p.failed(w, r, sess, err, noClient):
		return
	}
	p.log.InfoContext(r.Context(), "portal: client tenants set", "client_id", id, "tenants", len(tenants))
	p.done(w, r, sess, "The tenants of "+id+" are saved.", p.path("clients", id))
}

func (p *Portal) setClientDisabled(disabled bool) func(http.ResponseWriter, *http.Request, *session) {
	return func(w http.ResponseWriter, r *http.Request, sess *session) {
		id := r.PathValue("id")
		err := p.cfg.Auth.Registry().SetDisabled(r.Context(), id, disabled, actor)
		if p.failed(w, r, sess, err, noClient) {
			return
		}
		notice := "Client " + id + " is enabled again: its active secrets get tokens."
		if disabled {
			notice = "Client " + id + " is disabled: it gets no tokens and its issued tokens stop working."
		}
		p.log.InfoContext(r.Context(), "portal: client state changed", "client_id", id, "disabled", disabled)
		p.done(w, r, sess, notice, p.path("clients", id))
	}
}
