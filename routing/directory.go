package routing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-playground/validator/v10"
	"golang.org/x/sync/singleflight"

	"github.com/patientsfhir/patientsfhir/auth"
	"github.com/patientsfhir/patientsfhir/fhir"
)

// DefaultMaxStale is the default of [DirectoryConfig.MaxStale]: a tenant
// added, changed, disabled or removed on another node takes effect on this
// one within 5 seconds.
const DefaultMaxStale = 5 * time.Second

// refreshTimeout bounds one refresh of the directory's view, which runs on
// behalf of every request waiting for it and so is not cut short by the
// first one's cancellation.
const refreshTimeout = 10 * time.Second

// DirectoryConfig configures a [Directory].
type DirectoryConfig struct {
	// Store persists the tenants. Required. Give every node the same
	// database (an auth/sqlstore.Store on PostgreSQL).
	Store TenantStore `validate:"required"`
	// MaxStale bounds how old this node's view of the tenants may be when
	// it answers Check or Route: a change made through another node's
	// Directory takes effect here within MaxStale. Default
	// [DefaultMaxStale], at most 5 minutes. Changes made through this
	// Directory take effect here at once.
	MaxStale time.Duration `validate:"gte=0,lte=5m"`
	// Logger receives operational logs (tenant ids and provider names,
	// never anything else); default slog.Default().
	Logger *slog.Logger `validate:"-"`
	// Now is the clock; default time.Now. Tests inject a fake.
	Now func() time.Time `validate:"-"`
}

var validate = validator.New(validator.WithRequiredStructEnabled())

// snapshot is one immutable view of the tenant set.
type snapshot struct {
	rev     uint64
	tenants map[string]Tenant
	at      time.Time // when the refresh that produced it started; zero: must refresh
}

// Directory is the tenant directory: the one truth about which tenants
// exist, which are active and which provider serves each, for the token
// endpoint ([Directory.Check] as auth.Config.TenantValidator) and for the
// data ([Registry]).
//
// Check and Route read an in-memory view of every tenant. The view is
// brought up to date from the store's revision counter
// ([TenantStore.TenantChanges]): one single-row read when nothing changed,
// the changed records otherwise. It is never older than MaxStale when it
// answers: past MaxStale/2 a request triggers a refresh in the background
// and is answered from the current view; at MaxStale a request waits for
// the refresh. If the store cannot be reached then, the answer is an error
// wrapping [fhir.ErrUnavailable] and [auth.ErrUnavailable] (503), never
// "unknown tenant".
//
// The administration methods (Add, Update, Enable, Disable, Remove) write
// through the store and bring this node's view up to date before they
// return; Get and List read the store. A Directory is safe for concurrent
// use.
type Directory struct {
	store    TenantStore
	maxStale time.Duration
	log      *slog.Logger
	now      func() time.Time

	snap      atomic.Pointer[snapshot]
	refreshMu sync.Mutex // one refresh at a time, each from the latest view
	sf        singleflight.Group
	bg        atomic.Bool // a background refresh is running
}

// NewDirectory validates cfg, loads every tenant from the store and returns
// the Directory. It fails when the store cannot be read, so a node does not
// start without its tenants.
func NewDirectory(ctx context.Context, cfg DirectoryConfig) (*Directory, error) {
	if err := validate.Struct(&cfg); err != nil {
		var verrs validator.ValidationErrors
		if errors.As(err, &verrs) && len(verrs) > 0 {
			return nil, fmt.Errorf("routing: DirectoryConfig.%s: must satisfy %s %s", verrs[0].Field(), verrs[0].Tag(), verrs[0].Param())
		}
		return nil, fmt.Errorf("routing: DirectoryConfig: %w", err)
	}
	if cfg.MaxStale == 0 {
		cfg.MaxStale = DefaultMaxStale
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	d := &Directory{store: cfg.Store, maxStale: cfg.MaxStale, log: cfg.Logger, now: cfg.Now}
	d.snap.Store(&snapshot{tenants: map[string]Tenant{}})
	if err := d.refresh(ctx); err != nil {
		return nil, fmt.Errorf("routing: loading the tenants: %w", err)
	}
	return d, nil
}

// MaxStale returns the bound on how long a change made on another node
// takes to take effect here.
func (d *Directory) MaxStale() time.Duration { return d.maxStale }

// unavailable is the error of a lookup the directory cannot answer: 503 for
// the FHIR servers (fhir.ErrUnavailable), the token endpoint and the bearer
// verifier (auth.ErrUnavailable).
func unavailable(cause error) error {
	return &fhir.Error{Kind: fhir.ErrUnavailable, Message: "The tenant directory is temporarily unavailable.",
		Err: fmt.Errorf("routing: tenant store: %w: %w", auth.ErrUnavailable, cause)}
}

// refresh brings the view up to date with the store.
func (d *Directory) refresh(ctx context.Context) error {
	d.refreshMu.Lock()
	defer d.refreshMu.Unlock()
	start := d.now()
	cur := d.snap.Load()
	ch, err := d.store.TenantChanges(ctx, cur.rev)
	if err != nil {
		return err
	}
	next := &snapshot{rev: ch.Revision, tenants: cur.tenants, at: start}
	if ch.Full || len(ch.Changed) > 0 || len(ch.Removed) > 0 {
		if ch.Full {
			next.tenants = make(map[string]Tenant, len(ch.Changed))
		} else {
			next.tenants = maps.Clone(cur.tenants)
		}
		for _, t := range ch.Changed {
			next.tenants[t.ID] = t
		}
		for _, id := range ch.Removed {
			delete(next.tenants, id)
		}
	}
	d.snap.Store(next)
	return nil
}

// Refresh brings this node's view up to date now (for example from a
// pub/sub hook, to make other nodes' changes take effect sooner than
// MaxStale).
func (d *Directory) Refresh(ctx context.Context) error {
	if err := d.refresh(ctx); err != nil {
		return unavailable(err)
	}
	return nil
}

// view returns a view no older than MaxStale.
func (d *Directory) view(ctx context.Context) (*snapshot, error) {
	s := d.snap.Load()
	if age := d.now().Sub(s.at); !s.at.IsZero() && age < d.maxStale {
		if age >= d.maxStale/2 {
			d.refreshInBackground()
		}
		return s, nil
	}
	// Every waiting request shares one refresh, which the first one's
	// cancellation does not stop.
	ch := d.sf.DoChan("refresh", func() (any, error) {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), refreshTimeout)
		defer cancel()
		err := d.refresh(rctx)
		if err != nil {
			d.log.ErrorContext(ctx, "routing: tenant directory refresh failed", "error", err.Error())
		}
		return nil, err
	})
	select {
	case res := <-ch:
		if res.Err != nil {
			return nil, unavailable(res.Err)
		}
		return d.snap.Load(), nil
	case <-ctx.Done():
		return nil, unavailable(ctx.Err())
	}
}

func (d *Directory) refreshInBackground() {
	if !d.bg.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer d.bg.Store(false)
		ctx, cancel := context.WithTimeout(context.Background(), refreshTimeout)
		defer cancel()
		if err := d.refresh(ctx); err != nil {
			d.log.WarnContext(ctx, "routing: background tenant directory refresh failed", "error", err.Error())
		}
	}()
}

// lookup returns the tenant's record if it is known and active, else
// ErrUnknownTenant, ErrTenantDisabled or an unavailable error.
func (d *Directory) lookup(ctx context.Context, tenant string) (Tenant, error) {
	id, ok := auth.CanonicalTenant(tenant)
	if !ok {
		return Tenant{}, ErrUnknownTenant
	}
	s, err := d.view(ctx)
	if err != nil {
		return Tenant{}, err
	}
	t, ok := s.tenants[id]
	switch {
	case !ok:
		return Tenant{}, ErrUnknownTenant
	case t.State != StateActive:
		return Tenant{}, ErrTenantDisabled
	}
	return t, nil
}

// Check reports whether tenant (a GUID, any case) is known and active: nil,
// or [ErrUnknownTenant], [ErrTenantDisabled], or an error wrapping
// fhir.ErrUnavailable and auth.ErrUnavailable when the store cannot be
// reached and the view is MaxStale old.
//
// Check has the signature of auth.Config.TenantValidator: plug it in there
// and the token endpoint refuses unknown and disabled tenants
// (invalid_scope, or 503 when the store is down), a client cannot be
// mapped to one, and the auth server's verifiers refuse tokens already
// issued for a tenant disabled or removed since, within MaxStale on every
// node:
//
//	dir, _ := routing.NewDirectory(ctx, routing.DirectoryConfig{Store: st})
//	srv, _ := auth.New(ctx, auth.Config{ /* … */ TenantValidator: dir.Check}, st)
func (d *Directory) Check(ctx context.Context, tenant string) error {
	_, err := d.lookup(ctx, tenant)
	return err
}

// Get returns the stored record of a tenant (any case) from the store, or
// an error wrapping [ErrTenantNotFound].
func (d *Directory) Get(ctx context.Context, id string) (Tenant, error) {
	cid, ok := auth.CanonicalTenant(id)
	if !ok {
		return Tenant{}, fmt.Errorf("%w: ID: must be a tenant GUID", ErrInvalidTenant)
	}
	return d.store.GetTenant(ctx, cid)
}

// List returns every tenant from the store, ordered by ID.
func (d *Directory) List(ctx context.Context) ([]Tenant, error) {
	return d.store.ListTenants(ctx)
}

// afterWrite brings this node's view up to date after a write through it.
// If that fails the view is marked stale, so the next lookup refreshes (or
// answers unavailable) rather than serve the state before the write.
func (d *Directory) afterWrite(ctx context.Context) {
	if err := d.refresh(ctx); err != nil {
		d.refreshMu.Lock()
		cur := d.snap.Load()
		d.snap.Store(&snapshot{rev: cur.rev, tenants: cur.tenants})
		d.refreshMu.Unlock()
		d.log.WarnContext(ctx, "routing: tenant directory refresh after a change failed", "error", err.Error())
	}
}

// Add creates a tenant. The ID may be in any case (it is stored in lower
// case); an empty State means StateActive; CreatedAt and UpdatedAt are set
// to now. It returns the record as stored. Errors wrap [ErrInvalidTenant]
// (naming the field) or [ErrTenantExists], or are the store's.
func (d *Directory) Add(ctx context.Context, t Tenant) (Tenant, error) {
	if id, ok := auth.CanonicalTenant(t.ID); ok {
		t.ID = id
	}
	if t.State == "" {
		t.State = StateActive
	}
	now := d.now().UTC()
	t.CreatedAt, t.UpdatedAt, t.Revision = now, now, 0
	if err := t.Validate(); err != nil {
		return Tenant{}, err
	}
	stored, err := d.store.CreateTenant(ctx, t)
	if err != nil {
		return Tenant{}, err
	}
	d.afterWrite(ctx)
	return stored, nil
}

// Update changes a tenant atomically: fn gets the stored record and may
// change Name, Backend and State (ID and CreatedAt are kept; UpdatedAt is
// set to now). If fn fails, or the result is not valid, nothing is written
// and the error is returned. It returns the record as stored.
func (d *Directory) Update(ctx context.Context, id string, fn func(*Tenant) error) (Tenant, error) {
	cid, ok := auth.CanonicalTenant(id)
	if !ok {
		return Tenant{}, fmt.Errorf("%w: ID: must be a tenant GUID", ErrInvalidTenant)
	}
	now := d.now().UTC()
	stored, err := d.store.UpdateTenant(ctx, cid, func(t *Tenant) error {
		created := t.CreatedAt
		if err := fn(t); err != nil {
			return err
		}
		t.ID, t.CreatedAt, t.UpdatedAt = cid, created, now
		return t.Validate()
	})
	if err != nil {
		return Tenant{}, err
	}
	d.afterWrite(ctx)
	return stored, nil
}

// setState is Enable and Disable.
func (d *Directory) setState(ctx context.Context, id string, s State) error {
	_, err := d.Update(ctx, id, func(t *Tenant) error { t.State = s; return nil })
	return err
}

// Enable makes a tenant active: it gets tokens and is routed again.
func (d *Directory) Enable(ctx context.Context, id string) error {
	return d.setState(ctx, id, StateActive)
}

// Disable switches a tenant off: the token endpoint refuses it, tokens
// already issued for it stop verifying (when Check is the auth server's
// TenantValidator) and Route answers [ErrTenantDisabled], at once on this
// node and within MaxStale on the others. The record is kept.
func (d *Directory) Disable(ctx context.Context, id string) error {
	return d.setState(ctx, id, StateDisabled)
}

// Remove deletes a tenant's record: from then on it is unknown
// ([ErrUnknownTenant]), at once on this node and within MaxStale on the
// others.
func (d *Directory) Remove(ctx context.Context, id string) error {
	cid, ok := auth.CanonicalTenant(id)
	if !ok {
		return fmt.Errorf("%w: ID: must be a tenant GUID", ErrInvalidTenant)
	}
	if err := d.store.DeleteTenant(ctx, cid); err != nil {
		return err
	}
	d.afterWrite(ctx)
	return nil
}
