package portal

import (
	"cmp"
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/patientsfhir/patientsfhir/auth"
)

// DefaultActivitySize is the number of events an [Activity] keeps when
// [NewActivity] is given 0.
const DefaultActivitySize = 2000

// maxTallies bounds the per-client-and-tenant counters (client ids of
// refused requests are chosen by the caller); events beyond are counted
// under OtherClients.
const maxTallies = 10000

// OtherClients is the client id counts are kept under once too many
// distinct clients were seen.
const OtherClients = "(other)"

// Entry is one audit event as the activity page shows it: identifiers,
// the reason of a refusal, the caller's address and the time it was
// recorded. An [auth.Event] has no field for a secret or a token, and an
// Entry keeps no token id either.
type Entry struct {
	At       time.Time      // when it was recorded
	Type     auth.EventType // what happened
	ClientID string         // the client, as sent when it was refused
	SecretID string         // the public id of the secret used or changed
	Tenant   string         // the tenant of an issued token
	Reason   string         // why it was refused, or what changed
	RemoteIP string         // the caller's address
	Actor    string         // who made a change
	KID      string         // the signing key involved
}

// Refused reports whether the entry is a refusal (of a token, a bearer
// token or an administrative request, or a failure budget running dry).
func (e Entry) Refused() bool {
	switch e.Type {
	case auth.EventTokenDenied, auth.EventBearerRejected, auth.EventAdminDenied, auth.EventFailuresExceeded:
		return true
	}
	return false
}

// Tally counts the tokens issued to a client for a tenant, and its
// refusals (a refused token request names no tenant: those are counted
// with Tenant empty).
type Tally struct {
	ClientID    string    // the client, or OtherClients
	Tenant      string    // the tenant; empty for refusals
	Issued      int       // tokens issued
	Refused     int       // token requests refused
	LastIssued  time.Time // the last issuance, or zero
	LastRefused time.Time // the last refusal, or zero
}

type tallyKey struct{ client, tenant string }

type secretKey struct{ client, secret string }

// Activity is an [auth.Auditor] that keeps the recent audit events in
// memory for the portal's activity page (a ring of fixed size), counts
// issuances and refusals per client and tenant, and passes every event on
// to the next auditor unchanged. Make it the auth server's Auditor
// (patientsfhir.New does so when the portal is on). It only sees the events
// of its own node. Safe for concurrent use.
type Activity struct {
	next  auth.Auditor
	now   func() time.Time
	since time.Time

	mu      sync.Mutex
	ring    []Entry
	head    int // index of the next write
	full    bool
	tallies map[tallyKey]*Tally
	lastUse map[secretKey]time.Time
}

// NewActivity returns an Activity keeping the last size events (0 means
// DefaultActivitySize) that passes every event on to next (nil: to no
// one).
func NewActivity(size int, next auth.Auditor) *Activity {
	if size <= 0 {
		size = DefaultActivitySize
	}
	a := &Activity{next: next, now: time.Now, ring: make([]Entry, size), tallies: map[tallyKey]*Tally{}, lastUse: map[secretKey]time.Time{}}
	a.since = a.now()
	return a
}

// Record implements [auth.Auditor].
func (a *Activity) Record(ctx context.Context, e auth.Event) {
	if a.next != nil {
		a.next.Record(ctx, e)
	}
	en := Entry{At: a.now(), Type: e.Type, ClientID: e.ClientID, SecretID: e.SecretID, Tenant: e.Tenant, Reason: e.Reason,
		RemoteIP: e.RemoteIP, Actor: e.Actor, KID: e.KID}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.ring[a.head] = en
	a.head = (a.head + 1) % len(a.ring)
	a.full = a.full || a.head == 0
	switch {
	case en.Type == auth.EventTokenIssued:
		t := a.tallyLocked(en.ClientID, en.Tenant)
		t.Issued++
		t.LastIssued = en.At
		k := secretKey{en.ClientID, en.SecretID}
		if _, ok := a.lastUse[k]; ok || len(a.lastUse) < maxTallies {
			a.lastUse[k] = en.At
		}
	case en.Type == auth.EventTokenDenied && en.ClientID != "":
		t := a.tallyLocked(en.ClientID, en.Tenant)
		t.Refused++
		t.LastRefused = en.At
	}
}

func (a *Activity) tallyLocked(client, tenant string) *Tally {
	k := tallyKey{client, tenant}
	t, ok := a.tallies[k]
	if !ok {
		if len(a.tallies) >= maxTallies {
			k = tallyKey{OtherClients, ""}
			if t, ok = a.tallies[k]; ok {
				return t
			}
		}
		t = &Tally{ClientID: k.client, Tenant: k.tenant}
		a.tallies[k] = t
	}
	return t
}

// Since returns when the Activity started counting.
func (a *Activity) Since() time.Time { return a.since }

// Recent returns up to n of the kept events for which keep returns true
// (nil keeps all), newest first.
func (a *Activity) Recent(n int, keep func(Entry) bool) []Entry {
	a.mu.Lock()
	defer a.mu.Unlock()
	size := a.head
	if a.full {
		size = len(a.ring)
	}
	var out []Entry
	for i := 1; i <= size && len(out) < n; i++ {
		e := a.ring[(a.head-i+len(a.ring))%len(a.ring)]
		if keep == nil || keep(e) {
			out = append(out, e)
		}
	}
	return out
}

// Tallies returns the counts per client and tenant since the Activity
// started, ordered by client and tenant.
func (a *Activity) Tallies() []Tally {
	a.mu.Lock()
	out := make([]Tally, 0, len(a.tallies))
	for _, t := range a.tallies {
		out = append(out, *t)
	}
	a.mu.Unlock()
	slices.SortFunc(out, func(x, y Tally) int {
		return cmp.Or(strings.Compare(x.ClientID, y.ClientID), strings.Compare(x.Tenant, y.Tenant))
	})
	return out
}

// LastUse returns when a token was last issued with the client's secret
// (as seen by this node since it started), or the zero time.
func (a *Activity) LastUse(clientID, secretID string) time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.lastUse[secretKey{clientID, secretID}]
}

// activityPage is the activity page's data.
type activityPage struct {
	Enabled  bool
	Since    time.Time
	Client   string // filters
	Tenant   string
	Tallies  []Tally
	Refused  []Entry
	Issued   []Entry
	Changes  []Entry
	Filtered bool
}

// activityRows is how many events of each kind the page lists.
const activityRows = 25

func (p *Portal) activityPage(w http.ResponseWriter, r *http.Request, sess *session) {
	q := r.URL.Query()
	data := activityPage{Enabled: p.cfg.Activity != nil, Client: strings.TrimSpace(q.Get("client")), Tenant: strings.TrimSpace(q.Get("tenant"))}
	if t, ok := auth.CanonicalTenant(data.Tenant); ok {
		data.Tenant = t
	}
	data.Filtered = data.Client != "" || data.Tenant != ""
	if a := p.cfg.Activity; a != nil {
		data.Since = a.Since()
		match := func(e Entry) bool {
			return (data.Client == "" || e.ClientID == data.Client) && (data.Tenant == "" || e.Tenant == data.Tenant)
		}
		for _, t := range a.Tallies() {
			if (data.Client == "" || t.ClientID == data.Client) && (data.Tenant == "" || t.Tenant == data.Tenant) {
				data.Tallies = append(data.Tallies, t)
			}
		}
		data.Refused = a.Recent(activityRows, func(e Entry) bool { return e.Refused() && match(e) })
		data.Issued = a.Recent(activityRows, func(e Entry) bool { return e.Type == auth.EventTokenIssued && match(e) })
		data.Changes = a.Recent(activityRows, func(e Entry) bool {
			return !e.Refused() && e.Type != auth.EventTokenIssued && e.Type != auth.EventCompatGrantType && match(e)
		})
	}
	p.render(w, r, http.StatusOK, sess, "activity", "Activity", "activity", "", data)
}
