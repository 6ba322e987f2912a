package restserver

import (
	"context"
	"log/slog"
	"time"

	"github.com/patientsfhir/patientsfhir/capability"
)

// CheckMode says what the server does with a resource that fails an output
// check (wrong type, no id, Validate fails, another patient's data).
type CheckMode int

const (
	// CheckReject answers the whole request with a 500 OperationOutcome
	// naming the problem (not the data). The default.
	CheckReject CheckMode = iota
	// CheckDrop leaves the failing resource out of the searchset (a read
	// still gets the 500) and logs the type, id and reason, never the
	// content.
	CheckDrop
)

// Config configures a version's handler.
type Config struct {
	// Backend is the partner's backend: a value implementing the version
	// package's interfaces. Required. The interfaces it implements decide,
	// once, what is routed and advertised; with Resolve, it is the
	// reference every tenant's backend is held to.
	Backend any
	// Resolve returns the backend of the request's tenant (from the
	// principal the auth middleware put in ctx, or any tenant value).
	// Optional: without it every request uses Backend. A resolved backend
	// must implement every interface that Backend does (checked once per
	// dynamic type); otherwise the request fails closed with a 500. An
	// error is answered through fhir's error table (return fhir.ErrForbidden
	// or fhir.ErrNotFound for an unknown tenant).
	Resolve func(ctx context.Context) (any, error)
	// Tenant returns the request's tenant for binding page cursors to it
	// (a cursor of one tenant is refused for another). Optional.
	Tenant func(ctx context.Context) string
	// BasePath is the path the handler is mounted at, e.g. "/stu3"; ""
	// for the root. Requests are routed on the path below it (do not
	// strip the prefix).
	BasePath string
	// BaseURL is the absolute base URL clients use, e.g.
	// "https://fhir.example.com/stu3" (links, fullUrl, the statement's
	// implementation.url). Default: derived from each request's Host and
	// BasePath (set it behind a proxy).
	BaseURL string
	// Profile, when set, restricts routes and the statement to the
	// profile's resources and parameters and applies its readings (see
	// the version package's PatientsApp). Nil serves everything the
	// backend implements with every declared parameter.
	Profile *Profile
	// Security, when set, puts the SMART oauth-uris extension (token and
	// authorize URLs) in the capability statement.
	Security *capability.Security
	// Software names the server software in the statement.
	Software capability.Software
	// Publisher is the statement's publisher.
	Publisher string
	// OnInvalid says what to do with resources failing an output check.
	OnInvalid CheckMode
	// Timeout bounds every backend call (default 30s; the request's own
	// deadline applies too). A backend that does not return in time gets
	// a 504 timeout OperationOutcome; the server does not wait for it.
	Timeout time.Duration
	// DefaultCount and MaxCount are the page size without _count and the
	// largest one (defaults 50 and 500; a Profile may set its own).
	DefaultCount, MaxCount int
	// Strict refuses unknown search parameters (400) unless the request
	// says Prefer: handling=lenient. Default lenient, as FHIR recommends.
	Strict bool
	// MaxBatchEntries bounds the entries of a batch (default 100);
	// BatchConcurrency the entries run at once (default 6).
	MaxBatchEntries, BatchConcurrency int
	// CursorKey is the secret (at least 32 bytes) sealing page cursors;
	// share it between nodes. Default: a random key per process.
	CursorKey []byte
	// CursorMaxAge bounds a cursor's life (default 1h).
	CursorMaxAge time.Duration
	// Logger receives panics, timeouts and check failures (types, ids and
	// reasons only, never resource content). Default slog.Default().
	Logger *slog.Logger
}

// Profile restricts a server to a client's needs: exactly these resources,
// interactions and parameters, with its reading of string parameters and
// its page sizes.
type Profile struct {
	// Name names the profile in the statement's documentation.
	Name string
	// Resources are the types served, in statement order.
	Resources []ProfileResource
	// DefaultCount and MaxCount are the page sizes for types that set none.
	DefaultCount, MaxCount int
}

// ProfileResource is one type of a Profile.
type ProfileResource struct {
	// Type is the resource type.
	Type string
	// Read and Search are the interactions the profile uses.
	Read, Search bool
	// Params are the names of the declared parameters kept (others are
	// neither parsed nor advertised). Nil keeps all.
	Params []string
	// Contains names string parameters whose plain values get substring
	// (:contains) semantics, as the Patients app expects of family, given
	// and name. The backend receives them with fhir.ModContains.
	Contains []string
	// DefaultCount is the page size without _count (0: the profile's).
	DefaultCount int
	// Required makes New fail when the backend does not implement the
	// profile's interactions for this type.
	Required bool
}
