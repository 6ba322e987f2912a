package auth

import (
	"context"
	"log/slog"
	"strings"
	"time"
)

// EventType names an audit event.
type EventType string

// Audit event types.
const (
	EventTokenIssued          EventType = "token.issued"
	EventTokenDenied          EventType = "token.denied"
	EventBearerRejected       EventType = "bearer.rejected"
	EventClientCreated        EventType = "client.created"
	EventClientUpdated        EventType = "client.updated"
	EventSecretCreated        EventType = "secret.created"
	EventSecretRevoked        EventType = "secret.revoked"
	EventKeyRotated           EventType = "key.rotated"
	EventKeyRemoved           EventType = "key.removed"
	EventKeyMaintenanceFailed EventType = "key.maintenance_failed"
	EventCompatGrantType      EventType = "token.compat_grant_type"
	EventAdminDenied          EventType = "admin.denied"
	// EventFailuresExceeded is recorded when a failure budget runs dry:
	// Reason "address_client" (one address, one client id; RemoteIP set)
	// or "client" (one client id from all addresses). Alert on it.
	EventFailuresExceeded EventType = "auth.failures_exceeded"
)

// Event is one audit record. By construction it has no field for a secret,
// a token or an Authorization value: only identifiers (client, secret id,
// tenant, jti, kid), outcome reasons and request metadata without query
// strings.
type Event struct {
	Type      EventType // what happened
	ClientID  string    // the client (sanitised when it came from a failed request)
	SecretID  string    // the public id of the secret involved
	Tenant    string    // the canonical tenant GUID of an issued token
	JTI       string    // the token id
	ExpiresAt time.Time // the token's expiry
	RemoteIP  string    // the caller's address
	UserAgent string    // the caller's User-Agent, truncated to printable ASCII
	Reason    string    // why a request was denied, or what changed
	Actor     string    // who made an administrative change ("operator", "client", ...)
	KID       string    // the signing key involved
	OldKID    string    // the key retired by a rotation
	Path      string    // the request path, never the query string
}

// Auditor receives audit events. Implementations must be safe for concurrent
// use and must not block for long (they run on the request path).
type Auditor interface {
	Record(ctx context.Context, e Event)
}

// SlogAuditor writes audit events to a slog.Logger at Info level (denials
// and rejections at Warn), one attribute per non-empty field.
type SlogAuditor struct {
	Logger *slog.Logger // nil means slog.Default()
}

// Record implements [Auditor].
func (a SlogAuditor) Record(ctx context.Context, e Event) {
	level := slog.LevelInfo
	switch e.Type {
	case EventTokenDenied, EventBearerRejected, EventAdminDenied, EventKeyMaintenanceFailed, EventFailuresExceeded:
		level = slog.LevelWarn
	}
	l := a.Logger
	if l == nil {
		l = slog.Default()
	}
	if !l.Enabled(ctx, level) {
		return
	}
	attrs := make([]slog.Attr, 0, 8)
	add := func(k, v string) {
		if v != "" {
			attrs = append(attrs, slog.String(k, v))
		}
	}
	add("client_id", e.ClientID)
	add("secret_id", e.SecretID)
	add("tenant", e.Tenant)
	add("jti", e.JTI)
	if !e.ExpiresAt.IsZero() {
		attrs = append(attrs, slog.Time("exp", e.ExpiresAt))
	}
	add("remote_ip", e.RemoteIP)
	add("user_agent", e.UserAgent)
	add("reason", e.Reason)
	add("actor", e.Actor)
	add("kid", e.KID)
	add("old_kid", e.OldKID)
	add("path", e.Path)
	l.LogAttrs(ctx, level, "auth."+string(e.Type), attrs...)
}

// sanitize bounds an untrusted identifier for logs: at most max bytes of
// printable ASCII; anything else makes it "<invalid>".
func sanitize(s string, max int) string {
	if len(s) > max {
		return "<invalid>"
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return "<invalid>"
		}
	}
	return s
}

// sanitizeClientID bounds a client id taken from a failed request for the
// audit trail, and redacts it when it looks like a secret (a client that
// swapped its id and secret must not leak the secret into the logs).
func sanitizeClientID(id string) string {
	if strings.HasPrefix(id, SecretPrefix) {
		return "<redacted>"
	}
	return sanitize(id, 128)
}

// pathOnly returns a URL path for logs, never the query string.
func pathOnly(p string) string {
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	if len(p) > 256 {
		p = p[:256]
	}
	return p
}
