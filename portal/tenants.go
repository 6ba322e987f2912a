package portal

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/patientsfhir/patientsfhir/auth"
	"github.com/patientsfhir/patientsfhir/routing"
)

// tenantRow is one line of the tenant list.
type tenantRow struct {
	routing.Tenant
	Clients       int  // clients that may act for it
	ProviderKnown bool // its Backend is a configured provider
}

// tenantsPage is the tenant list and the mapping form.
type tenantsPage struct {
	Managed   bool // a directory is configured
	Tenants   []tenantRow
	Form      *form
	Providers []option // empty: any backend name
}

func (p *Portal) providerOptions() []option {
	out := make([]option, 0, len(p.providers))
	for _, name := range p.providers {
		out = append(out, option{Value: name, Label: name})
	}
	return out
}

// providerKnown reports whether a backend name is a configured provider
// (always, when none is configured).
func (p *Portal) providerKnown(name string) bool {
	_, ok := slices.BinarySearch(p.providers, name)
	return ok || len(p.providers) == 0
}

// clientsByTenant counts, per tenant, the clients that may act for it.
func clientsByTenant(cs []auth.ClientInfo) map[string][]auth.ClientInfo {
	out := map[string][]auth.ClientInfo{}
	for _, c := range cs {
		for _, t := range c.Tenants {
			out[t] = append(out[t], c)
		}
	}
	return out
}

func (p *Portal) tenantsPage(w http.ResponseWriter, r *http.Request, sess *session) {
	p.renderTenants(w, r, sess, http.StatusOK, newForm())
}

func (p *Portal) renderTenants(w http.ResponseWriter, r *http.Request, sess *session, status int, f *form) {
	data := tenantsPage{Managed: p.cfg.Tenants != nil, Form: f, Providers: p.providerOptions()}
	if data.Managed {
		ts, err := p.cfg.Tenants.List(r.Context())
		if err != nil {
			p.unavailable(w, r, sess, err)
			return
		}
		cs, err := p.cfg.Auth.Registry().ListClients(r.Context())
		if err != nil {
			p.unavailable(w, r, sess, err)
			return
		}
		by := clientsByTenant(cs)
		for _, t := range ts {
			data.Tenants = append(data.Tenants, tenantRow{Tenant: t, Clients: len(by[t.ID]), ProviderKnown: p.providerKnown(t.Backend)})
		}
	}
	p.render(w, r, status, sess, "tenants", "Tenants", "tenants", "", data)
}

// tenantInput checks the tenant form's provider and explains a directory
// error on the form's fields; it reports whether the error was about the
// input.
func (p *Portal) tenantInputError(f *form, err error) bool {
	switch {
	case errors.Is(err, routing.ErrTenantExists):
		f.fail("id", "This tenant is already mapped. Open it in the list to change its provider.")
	case errors.Is(err, routing.ErrInvalidTenant):
		msg := strings.TrimPrefix(err.Error(), routing.ErrInvalidTenant.Error()+": ")
		field, text, _ := strings.Cut(msg, ": ")
		text = strings.ToUpper(text[:1]) + text[1:] + "."
		switch field {
		case "ID":
			f.fail("id", "Enter the tenant GUID: 8-4-4-4-12 hexadecimal digits.")
		case "Name":
			f.fail("name", text)
		case "Backend":
			f.fail("provider", text)
		default:
			f.fail("id", msg)
		}
	default:
		return false
	}
	return true
}

// checkProvider refuses a provider that is not configured: its tenant
// would get tokens, then every request would be refused as unknown.
func (p *Portal) checkProvider(f *form) {
	if name := f.values["provider"]; name == "" {
		f.fail("provider", "Choose the provider that serves this tenant.")
	} else if !p.providerKnown(name) {
		f.fail("provider", "Choose one of the configured providers: "+strings.Join(p.providers, ", ")+".")
	}
}

func (p *Portal) addTenant(w http.ResponseWriter, r *http.Request, sess *session) {
	if p.cfg.Tenants == nil {
		p.notFound(w, r, sess, noDir)
		return
	}
	f := formFrom(r, "id", "name", "provider")
	id, ok := auth.CanonicalTenant(strings.TrimSpace(f.values["id"]))
	if !ok {
		f.fail("id", "Enter the tenant GUID: 8-4-4-4-12 hexadecimal digits, e.g. 72f988bf-86f1-41af-91ab-2d7cd011db47.")
	}
	p.checkProvider(f)
	if !f.failed() {
		_, err := p.cfg.Tenants.Add(r.Context(), routing.Tenant{ID: id, Name: strings.TrimSpace(f.values["name"]), Backend: f.values["provider"]})
		if err == nil {
			p.log.InfoContext(r.Context(), "portal: tenant mapped", "tenant", id, "provider", f.values["provider"])
			p.done(w, r, sess, "Tenant "+id+" is mapped to "+f.values["provider"]+" and enabled.", p.path("tenants", id))
			return
		}
		if !p.tenantInputError(f, err) {
			p.unavailable(w, r, sess, err)
			return
		}
	}
	p.renderTenants(w, r, sess, http.StatusBadRequest, f)
}

// tenantPage is one tenant: its mapping, state and clients.
type tenantPage struct {
	Tenant        routing.Tenant
	ProviderKnown bool
	Clients       []auth.ClientInfo // clients that may act for it
	Others        []option          // clients that may not, for the form
	EditForm      *form
	AllowForm     *form
	Providers     []option
	ActivityPath  string
}

func (p *Portal) tenantData(ctx context.Context, id string) (tenantPage, error) {
	if p.cfg.Tenants == nil {
		return tenantPage{}, routing.ErrTenantNotFound
	}
	t, err := p.cfg.Tenants.Get(ctx, id)
	if err != nil {
		return tenantPage{}, err
	}
	cs, err := p.cfg.Auth.Registry().ListClients(ctx)
	if err != nil {
		return tenantPage{}, err
	}
	data := tenantPage{Tenant: t, ProviderKnown: p.providerKnown(t.Backend), EditForm: newForm(), AllowForm: newForm(),
		Providers: p.providerOptions(), ActivityPath: p.path("activity") + "?tenant=" + t.ID}
	data.EditForm.values["name"], data.EditForm.values["provider"] = t.Name, t.Backend
	for _, c := range cs {
		if slices.Contains(c.Tenants, t.ID) {
			data.Clients = append(data.Clients, c)
		} else {
			label := c.ID
			if c.Name != "" {
				label += " (" + c.Name + ")"
			}
			data.Others = append(data.Others, option{Value: c.ID, Label: label})
		}
	}
	return data, nil
}

func (p *Portal) tenantPage(w http.ResponseWriter, r *http.Request, sess *session) {
	p.renderTenant(w, r, sess, http.StatusOK, r.PathValue("id"), nil, nil)
}

func (p *Portal) renderTenant(w http.ResponseWriter, r *http.Request, sess *session, status int, id string, edit, allow *form) {
	data, err := p.tenantData(r.Context(), id)
	if p.failed(w, r, sess, err, noTenant) {
		return
	}
	if edit != nil {
		data.EditForm = edit
	}
	if allow != nil {
		data.AllowForm = allow
	}
	p.render(w, r, status, sess, "tenant", "Tenant "+data.Tenant.ID, "tenants", "", data)
}

// updateTenant changes a tenant with fn and answers: back to its page with
// notice, or the page with the error.
func (p *Portal) updateTenant(w http.ResponseWriter, r *http.Request, sess *session, f *form, fn func(*routing.Tenant) error, notice string) {
	id := r.PathValue("id")
	if p.cfg.Tenants == nil {
		p.notFound(w, r, sess, noDir)
		return
	}
	t, err := p.cfg.Tenants.Update(r.Context(), id, fn)
	if err != nil && f != nil && !errors.Is(err, routing.ErrTenantNotFound) && p.tenantInputError(f, err) {
		p.renderTenant(w, r, sess, http.StatusBadRequest, id, f, nil)
		return
	}
	if p.failed(w, r, sess, err, noTenant) {
		return
	}
	p.log.InfoContext(r.Context(), "portal: tenant changed", "tenant", t.ID, "provider", t.Backend, "state", string(t.State))
	p.done(w, r, sess, notice, p.path("tenants", t.ID))
}

func (p *Portal) editTenant(w http.ResponseWriter, r *http.Request, sess *session) {
	f := formFrom(r, "name", "provider")
	p.checkProvider(f)
	if f.failed() {
		p.renderTenant(w, r, sess, http.StatusBadRequest, r.PathValue("id"), f, nil)
		return
	}
	p.updateTenant(w, r, sess, f, func(t *routing.Tenant) error {
		t.Name, t.Backend = strings.TrimSpace(f.values["name"]), f.values["provider"]
		return nil
	}, "The tenant is now served by "+f.values["provider"]+".")
}

func (p *Portal) setTenantState(s routing.State) func(http.ResponseWriter, *http.Request, *session) {
	notice := "The tenant is enabled: its clients get tokens for it again."
	if s == routing.StateDisabled {
		notice = "The tenant is disabled: no client gets tokens for it, and tokens already issued stop working."
	}
	return func(w http.ResponseWriter, r *http.Request, sess *session) {
		p.updateTenant(w, r, sess, nil, func(t *routing.Tenant) error { t.State = s; return nil }, notice)
	}
}

// allowClient lets a client act for the tenant (adds it to the client's
// tenants) or, with remove, stops it.
func (p *Portal) allowClient(remove bool) func(http.ResponseWriter, *http.Request, *session) {
	return func(w http.ResponseWriter, r *http.Request, sess *session) {
		tenant, ok := auth.CanonicalTenant(r.PathValue("id"))
		f := formFrom(r, "client")
		cid := f.values["client"]
		if remove {
			cid = r.PathValue("cid")
		}
		if !ok {
			p.notFound(w, r, sess, noTenant)
			return
		}
		reg := p.cfg.Auth.Registry()
		ci, err := reg.GetClient(r.Context(), cid)
		if errors.Is(err, auth.ErrNotFound) {
			f.fail("client", "Choose a registered client.")
			p.renderTenant(w, r, sess, http.StatusBadRequest, tenant, nil, f)
			return
		}
		if err == nil {
			ts := slices.DeleteFunc(slices.Clone(ci.Tenants), func(t string) bool { return t == tenant })
			if !remove {
				ts = append(ts, tenant)
			}
			err = reg.SetTenants(r.Context(), cid, ts, actor)
		}
		if errors.Is(err, auth.ErrUnknownTenant) {
			id := strings.TrimPrefix(err.Error(), auth.ErrUnknownTenant.Error()+": ")
			field := "client"
			if remove {
				field = "remove"
			}
			f.fail(field, "Tenant "+id+" of this client is disabled or no longer mapped; the auth server accepts no change to the client's tenants until it is enabled again, or removed from the client on the client's page.")
			p.renderTenant(w, r, sess, http.StatusConflict, tenant, nil, f)
			return
		}
		if err != nil {
			p.unavailable(w, r, sess, err)
			return
		}
		notice := "Client " + cid + " may now get tokens for this tenant."
		if remove {
			notice = "Client " + cid + " may no longer get tokens for this tenant."
		}
		p.log.InfoContext(r.Context(), "portal: client tenants set", "client_id", cid, "tenant", tenant, "removed", remove)
		p.done(w, r, sess, notice, p.path("tenants", tenant))
	}
}
