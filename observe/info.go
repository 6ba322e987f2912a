package observe

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"sync/atomic"
)

// RequestIDHeader is the header a request id is read from and returned in.
const RequestIDHeader = "X-Request-Id"

// MaxRequestIDLen bounds an accepted request id.
const MaxRequestIDLen = 64

// Interactions: the values of Info.Interaction and of the interaction
// label. A FHIR server sets the first four; the token endpoint sets
// InteractionToken; everything else (discovery, JWKS, admin, health, a
// request refused before its interaction was known) is InteractionOther.
const (
	InteractionRead         = "read"
	InteractionSearch       = "search-type"
	InteractionBatch        = "batch"
	InteractionCapabilities = "capabilities"
	InteractionToken        = "token"
	InteractionOther        = "other"
)

// Info is what the layers of one request learn about it, for its access-log
// line, its metrics and its failure log lines. [Middleware] puts one in the
// request context; the FHIR servers, the token endpoint's auditor
// ([Auditor]) and the version mounts of package patientsfhir fill it in.
// It is written only by the goroutine serving the request (batch entries
// leave it alone) and read by the middleware once the request is served.
type Info struct {
	// ID is the request id: the caller's X-Request-Id when well formed,
	// else a fresh one.
	ID string
	// Version is the FHIR version's package name ("stu3", "dstu2"); ""
	// outside a FHIR base.
	Version string
	// Interaction is one of the Interaction constants ("" until known).
	Interaction string
	// Type is the resource type addressed ("" for batch, capabilities and
	// non-FHIR requests); only types the server knows are set.
	Type string
	// Route is the route pattern, e.g. "/stu3/Patient/{id}": never an id or
	// a query.
	Route string
	// Tenant is the verified token's tenant ("" without one).
	Tenant string
	// Client is the OAuth2 client id: the verified token's, or the one a
	// token request named (sanitised by package auth).
	Client string
}

type infoKey struct{}

// InfoFrom returns the request's Info, or nil outside [Middleware].
func InfoFrom(ctx context.Context) *Info {
	i, _ := ctx.Value(infoKey{}).(*Info)
	return i
}

// ContextWithInfo returns ctx carrying info (the middleware does this; use
// it to serve a handler without the middleware, e.g. in tests).
func ContextWithInfo(ctx context.Context, info *Info) context.Context {
	return context.WithValue(ctx, infoKey{}, info)
}

// RequestID returns the request id of ctx ("" outside [Middleware]).
func RequestID(ctx context.Context) string {
	if i := InfoFrom(ctx); i != nil {
		return i.ID
	}
	return ""
}

// ValidRequestID reports whether a caller's request id is accepted: 1 to
// MaxRequestIDLen letters, digits, '-', '_', '.' and ':' (so that it can
// neither forge a log line nor carry much else).
func ValidRequestID(s string) bool {
	if len(s) == 0 || len(s) > MaxRequestIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':') {
			return false
		}
	}
	return true
}

// idPrefix is random per process, so that ids from several nodes do not
// collide; idSeq numbers the requests of this process.
var (
	idPrefix = func() string {
		var b [6]byte
		_, _ = rand.Read(b[:])
		return hex.EncodeToString(b[:]) + "-"
	}()
	idSeq atomic.Uint64
)

// NewRequestID returns a fresh request id: a per-process random prefix and
// a sequence number, unique across nodes without a random read per request.
func NewRequestID() string {
	var buf [32]byte
	b := append(buf[:0], idPrefix...)
	return string(strconv.AppendUint(b, idSeq.Add(1), 36))
}
