package restserver

import (
	"log/slog"
	"time"

	"github.com/patientsfhir/patientsfhir/capability"
	"github.com/patientsfhir/patientsfhir/observe"
	"github.com/patientsfhir/patientsfhir/routing"
)

// CheckMode says what the server does with a resource that fails an output
// check (wrong type, no id, Validate fails, another patient's data).
type CheckMode int

// The output check modes; the version packages re-declare them.
const (
	CheckReject CheckMode = iota
	CheckDrop
)

// Config is the engine's configuration. The version packages' Config types
// document every field for partners and convert to this one.
type Config[B any] struct {
	// Router finds each tenant's backend. Required.
	Router routing.Router[B]
	// Reference, when HasReference, is the one backend the start-up checks
	// and discovery look at (the version Config's Backend).
	Reference    B
	HasReference bool
	// Serve lists the resource types every backend must serve.
	Serve []string
	// Profile restricts routes and the statement.
	Profile *Profile
	Options
}

// Options are the version-neutral settings of a server.
type Options struct {
	BasePath, BaseURL      string
	Security               *capability.Security
	Software               capability.Software
	Publisher              string
	OnInvalid              CheckMode
	Timeout                time.Duration
	DefaultCount, MaxCount int
	Strict                 bool
	MaxBatchEntries        int
	BatchConcurrency       int
	CursorKey              []byte
	CursorMaxAge           time.Duration
	Logger                 *slog.Logger
	// Observer receives metrics, spans and failures (nil: failures are
	// logged only).
	Observer *observe.Observer
	// MaxAbandoned is the limit of abandoned calls per backend (0: the
	// default, negative: none).
	MaxAbandoned int
}

// Profile restricts a server to a client's needs.
type Profile struct {
	Name                   string
	Resources              []ProfileResource
	DefaultCount, MaxCount int
}

// ProfileResource is one type of a Profile.
type ProfileResource struct {
	Type         string
	Read, Search bool
	Params       []string
	Contains     []string
	DefaultCount int
}
