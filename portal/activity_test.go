package portal

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patientsfhir/patientsfhir/auth"
)

// recorder is an auth.Auditor that keeps what it gets.
type recorder struct {
	mu     sync.Mutex
	events []auth.Event
}

func (r *recorder) Record(_ context.Context, e auth.Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

func TestActivityRingTalliesAndTee(t *testing.T) {
	next := &recorder{}
	a := NewActivity(4, next)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	a.now = func() time.Time { now = now.Add(time.Second); return now }
	ctx := context.Background()
	issued := func(client, secret, tenant string) auth.Event {
		return auth.Event{Type: auth.EventTokenIssued, ClientID: client, SecretID: secret, Tenant: tenant, JTI: "jti-1"}
	}
	a.Record(ctx, issued("app", "s1", tenantA))
	a.Record(ctx, issued("app", "s2", tenantA))
	a.Record(ctx, issued("app", "s2", tenantB))
	a.Record(ctx, auth.Event{Type: auth.EventTokenDenied, ClientID: "app", Reason: "secret_revoked"})
	a.Record(ctx, auth.Event{Type: auth.EventTokenDenied, Reason: "grant_type_missing"})
	a.Record(ctx, auth.Event{Type: auth.EventSecretRevoked, ClientID: "app", SecretID: "s1", Actor: "operator"})

	assert.Len(t, next.events, 6, "every event goes on to the next auditor")
	assert.Equal(t, "jti-1", next.events[0].JTI, "unchanged")

	recent := a.Recent(10, nil)
	require.Len(t, recent, 4, "the ring keeps the last 4")
	assert.Equal(t, auth.EventSecretRevoked, recent[0].Type, "newest first")
	assert.Equal(t, "s2", recent[3].SecretID)
	refused := a.Recent(10, Entry.Refused)
	require.Len(t, refused, 2)
	assert.Equal(t, "grant_type_missing", refused[0].Reason)
	assert.Len(t, a.Recent(1, nil), 1)

	base := now.Add(-6 * time.Second)
	assert.Equal(t, []Tally{
		{ClientID: "app", Tenant: "", Refused: 1, LastRefused: base.Add(4 * time.Second)},
		{ClientID: "app", Tenant: tenantA, Issued: 2, LastIssued: base.Add(2 * time.Second)},
		{ClientID: "app", Tenant: tenantB, Issued: 1, LastIssued: base.Add(3 * time.Second)},
	}, a.Tallies(), "refusals without a client id are not counted")
	assert.Equal(t, base.Add(time.Second), a.LastUse("app", "s1"))
	assert.Equal(t, base.Add(3*time.Second), a.LastUse("app", "s2"))
	assert.True(t, a.LastUse("app", "s3").IsZero())
}

// Client ids of refused requests are the caller's choice: the counters
// stay bounded.
func TestActivityTalliesAreBounded(t *testing.T) {
	a := NewActivity(0, nil)
	for i := range maxTallies + 5 {
		a.Record(context.Background(), auth.Event{Type: auth.EventTokenDenied, ClientID: fmt.Sprintf("guess-%d", i), Reason: "unknown_client"})
	}
	ts := a.Tallies()
	require.Len(t, ts, maxTallies+1)
	assert.Equal(t, Tally{ClientID: OtherClients, Refused: 5, LastRefused: ts[0].LastRefused}, ts[0], "%q sorts first", OtherClients)
	assert.Len(t, a.Recent(DefaultActivitySize+10, nil), DefaultActivitySize)
}

// Without an Activity the page says nothing is recorded.
func TestActivityPageWithoutActivity(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Activity = nil })
	b := e.browser()
	b.signIn()
	res := b.get("/activity")
	assert.Equal(t, http.StatusOK, res.status)
	assert.Contains(t, res.body, "Activity is not recorded")
	res = b.post("/clients", "/clients", url.Values{"client_id": {"x"}})
	require.Equal(t, http.StatusOK, res.status)
	assert.Contains(t, res.body, "none seen", "no last use without an Activity")
}
