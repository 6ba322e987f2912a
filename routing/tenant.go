package routing

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/patientsfhir/patientsfhir/auth"
)

// State is the lifecycle state of a tenant record.
type State string

// The tenant states.
const (
	// StateActive tenants get tokens and are routed to their backend.
	StateActive State = "active"
	// StateDisabled tenants are known but switched off: the token endpoint
	// refuses them, their issued tokens stop verifying and [Router.Route]
	// answers [ErrTenantDisabled].
	StateDisabled State = "disabled"
)

// Tenant is the persisted record of one tenant: the customer (a Microsoft
// Entra tenant for the Patients app) and the provider that serves its data.
//
// Stores persist whatever record they are given; the rules below are
// enforced by [Directory] (see [Tenant.Validate]).
type Tenant struct {
	// ID is the tenant GUID in canonical lower-case form
	// (8-4-4-4-12 hexadecimal digits), as it appears in access tokens.
	ID string
	// Name is an optional label for humans (at most 200 characters, no
	// control characters).
	Name string
	// Backend names the [Provider] that serves the tenant (1 to 64
	// characters of [A-Za-z0-9._-]); see [NewRegistry].
	Backend string
	// State is StateActive or StateDisabled.
	State State
	// CreatedAt is set by [Directory.Add] (UTC).
	CreatedAt time.Time
	// UpdatedAt is set by the Directory on every change (UTC).
	UpdatedAt time.Time
	// Revision is assigned by the store on every write: the store's
	// revision counter after the write that produced this record. Values
	// given to CreateTenant or set by an update function are ignored.
	Revision uint64
}

// Errors of tenant stores and of the [Directory]'s administration methods.
// Stores wrap them with %w; test with [errors.Is].
var (
	// ErrTenantNotFound: no tenant record has this id.
	ErrTenantNotFound = errors.New("routing: tenant not found")
	// ErrTenantExists: CreateTenant found a record with the same id.
	ErrTenantExists = errors.New("routing: tenant already exists")
	// ErrInvalidTenant wraps every validation failure of a tenant record;
	// the message names the field but never repeats an invalid value.
	ErrInvalidTenant = errors.New("routing: invalid tenant record")
)

// TenantStore persists tenant records. [MemoryStore] implements it in
// memory and auth/sqlstore.Store implements it (together with auth.Store)
// on SQLite and PostgreSQL; routing/routingtest is the conformance suite.
// Implementations must be safe for concurrent use.
//
// Every successful write (create, update, delete) advances a store-wide
// revision counter, and the record keeps the revision of its last write.
// [TenantStore.TenantChanges] lets a cache on any node catch up with one
// cheap query when nothing changed and only the changed records when
// something did.
type TenantStore interface {
	// GetTenant returns the tenant or an error wrapping ErrTenantNotFound.
	GetTenant(ctx context.Context, id string) (Tenant, error)
	// ListTenants returns every tenant ordered by ID (byte order).
	ListTenants(ctx context.Context) ([]Tenant, error)
	// CreateTenant inserts a new tenant and returns it as stored (with its
	// Revision); ErrTenantExists if the id exists.
	CreateTenant(ctx context.Context, t Tenant) (Tenant, error)
	// UpdateTenant atomically reads the tenant, calls fn with a copy and
	// writes the copy back under the same id (a changed ID is ignored), all
	// in one transaction or under one lock, so concurrent updates
	// serialise. If fn returns an error nothing is written and that error
	// is returned unchanged. ErrTenantNotFound if the tenant does not
	// exist. It returns the record as stored.
	UpdateTenant(ctx context.Context, id string, fn func(*Tenant) error) (Tenant, error)
	// DeleteTenant removes the tenant; ErrTenantNotFound if absent.
	DeleteTenant(ctx context.Context, id string) error
	// TenantChanges returns what changed after revision since: see
	// [TenantChanges]. since 0 asks for everything.
	TenantChanges(ctx context.Context, since uint64) (TenantChanges, error)
}

// TenantChanges is the answer of [TenantStore.TenantChanges]: applied to a
// copy of the tenant set as it was at revision since (upsert Changed,
// delete Removed), it gives the set as it is at Revision. When Full is
// true, Changed is the whole set at Revision and replaces the copy.
type TenantChanges struct {
	// Revision is the store's revision the answer is complete up to; pass
	// it as since next time.
	Revision uint64
	// Full reports that Changed holds every tenant: returned for since 0,
	// for a since ahead of the store (a store restored from a backup), and
	// whenever the store cannot tell the changes apart.
	Full bool
	// Changed holds the current record of every tenant created or updated
	// after since, in revision order.
	Changed []Tenant
	// Removed holds the ids of tenants deleted after since that do not
	// exist at Revision.
	Removed []string
}

// Bounds of the text fields.
const (
	maxNameLen    = 200
	maxBackendLen = 64
)

// Validate checks a record as [Directory] stores it: a canonical tenant
// GUID, a Name of at most 200 characters without control characters, a
// Backend name of 1 to 64 characters of [A-Za-z0-9._-] and a known State.
// Errors wrap [ErrInvalidTenant] and name the field only.
func (t *Tenant) Validate() error {
	if ct, ok := auth.CanonicalTenant(t.ID); !ok || ct != t.ID {
		return fmt.Errorf("%w: ID: must be a tenant GUID in lower case", ErrInvalidTenant)
	}
	if !validName(t.Name) {
		return fmt.Errorf("%w: Name: must be at most %d characters of printable text", ErrInvalidTenant, maxNameLen)
	}
	if !validBackendName(t.Backend) {
		return fmt.Errorf("%w: Backend: must be 1 to %d characters of [A-Za-z0-9._-]", ErrInvalidTenant, maxBackendLen)
	}
	if t.State != StateActive && t.State != StateDisabled {
		return fmt.Errorf("%w: State: must be %q or %q", ErrInvalidTenant, StateActive, StateDisabled)
	}
	return nil
}

func validName(s string) bool {
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > maxNameLen {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

func validBackendName(s string) bool {
	if len(s) == 0 || len(s) > maxBackendLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
