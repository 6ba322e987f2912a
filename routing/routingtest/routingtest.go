package routingtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patientsfhir/patientsfhir/routing"
)

// NewStore returns an empty store for one test; it should register its own
// cleanup with t.Cleanup. Stores that implement io.Closer are also closed by
// the suite.
type NewStore func(t *testing.T) routing.TenantStore

// RunTenantStoreTests runs the conformance suite, calling newStore for a
// fresh empty store in every subtest.
func RunTenantStoreTests(t *testing.T, newStore NewStore) {
	t.Helper()
	open := func(t *testing.T) routing.TenantStore {
		t.Helper()
		s := newStore(t)
		require.NotNil(t, s, "routingtest: newStore returned nil")
		if c, ok := s.(io.Closer); ok {
			t.Cleanup(func() { _ = c.Close() })
		}
		return s
	}
	tests := []struct {
		name string
		fn   func(t *testing.T, s routing.TenantStore)
	}{
		{"CreateGetRoundTrip", testRoundTrip},
		{"CreateConflict", testConflict},
		{"NotFound", testNotFound},
		{"UpdateWritesEveryField", testUpdate},
		{"UpdateErrorWritesNothing", testUpdateError},
		{"UpdateKeepsID", testUpdateKeepsID},
		{"ListOrderedByID", testList},
		{"OddTextExactOrRefused", testOddText},
		{"Revisions/EveryWriteAdvances", testRevisions},
		{"Revisions/ChangesSince", testChanges},
		{"Revisions/SinceAheadOfStore", testChangesAhead},
		{"Concurrent/NoLostUpdates", testNoLostUpdates},
		{"Concurrent/CreateOnce", testCreateOnce},
		{"Concurrent/ChangesNeverMissAWrite", func(t *testing.T, s routing.TenantStore) { RaceChanges(t, s) }},
		{"Context/Cancelled", testContextCancelled},
		{"Context/CancelledDuringUpdate", testCancelledDuringUpdate},
		{"Context/DeadlineWhileWaiting", testDeadlineWhileWaiting},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
}

// --- fixtures -----------------------------------------------------------------------------

// base is a fixed instant with nanoseconds and a non-UTC zone: stores may keep microseconds
// and UTC, and the comparisons allow exactly that.
var base = time.Date(2026, 3, 14, 15, 9, 26, 535897932, time.FixedZone("UTC+2", 2*3600))

// id returns the i-th tenant GUID of the fixtures (canonical lower case).
func id(i int) string { return fmt.Sprintf("6a1c4f0e-0000-4000-8000-%012x", i) }

func sample(i int) routing.Tenant {
	return routing.Tenant{
		ID: id(i), Name: fmt.Sprintf("Hôpital n°%d", i), Backend: "ehr-a", State: routing.StateActive,
		CreatedAt: base, UpdatedAt: base.Add(time.Duration(i) * time.Minute),
	}
}

// norm is the form a record is compared in: UTC, microseconds.
func norm(t routing.Tenant) routing.Tenant {
	n := func(x time.Time) time.Time {
		if x.IsZero() {
			return time.Time{}
		}
		return x.Truncate(time.Microsecond).UTC()
	}
	t.CreatedAt, t.UpdatedAt = n(t.CreatedAt), n(t.UpdatedAt)
	return t
}

// same asserts that got is want as stored (Revision aside).
func same(t *testing.T, want, got routing.Tenant, msg ...any) bool {
	t.Helper()
	got.Revision = want.Revision
	return assert.Equal(t, norm(want), norm(got), msg...)
}

func mustCreate(t *testing.T, s routing.TenantStore, tn routing.Tenant) routing.Tenant {
	t.Helper()
	got, err := s.CreateTenant(context.Background(), tn)
	require.NoError(t, err, "CreateTenant %s", tn.ID)
	return got
}

func mustGet(t *testing.T, s routing.TenantStore, id string) routing.Tenant {
	t.Helper()
	got, err := s.GetTenant(context.Background(), id)
	require.NoError(t, err, "GetTenant %s", id)
	return got
}

func changes(t *testing.T, s routing.TenantStore, since uint64) routing.TenantChanges {
	t.Helper()
	ch, err := s.TenantChanges(context.Background(), since)
	require.NoError(t, err, "TenantChanges(%d)", since)
	return ch
}

func ids(ts []routing.Tenant) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.ID
	}
	return out
}

// --- records ------------------------------------------------------------------------------

func testRoundTrip(t *testing.T, s routing.TenantStore) {
	want := sample(1)
	want.Revision = 12345 // ignored: the store assigns it
	created := mustCreate(t, s, want)
	assert.NotZero(t, created.Revision, "CreateTenant must assign a revision")
	assert.NotEqual(t, uint64(12345), created.Revision, "CreateTenant kept the caller's revision")
	same(t, want, created)
	got := mustGet(t, s, want.ID)
	same(t, want, got)
	assert.Equal(t, created.Revision, got.Revision)

	disabled := sample(2)
	disabled.State, disabled.Name = routing.StateDisabled, ""
	mustCreate(t, s, disabled)
	same(t, disabled, mustGet(t, s, disabled.ID))

	list, err := s.ListTenants(context.Background())
	require.NoError(t, err)
	require.Len(t, list, 2)
	same(t, want, list[0])
	same(t, disabled, list[1])
}

func testConflict(t *testing.T, s routing.TenantStore) {
	first := mustCreate(t, s, sample(1))
	impostor := sample(1)
	impostor.Backend, impostor.Name = "evil", "impostor"
	_, err := s.CreateTenant(context.Background(), impostor)
	require.ErrorIs(t, err, routing.ErrTenantExists)
	got := mustGet(t, s, first.ID)
	same(t, first, got, "a refused create changed the record")
	assert.Equal(t, first.Revision, got.Revision)
	assert.Equal(t, first.Revision, changes(t, s, 0).Revision, "a refused create advanced the revision")
}

func testNotFound(t *testing.T, s routing.TenantStore) {
	ctx := context.Background()
	mustCreate(t, s, sample(1))
	absent := id(99)
	_, err := s.GetTenant(ctx, absent)
	assert.ErrorIs(t, err, routing.ErrTenantNotFound)
	called := false
	_, err = s.UpdateTenant(ctx, absent, func(*routing.Tenant) error { called = true; return nil })
	assert.ErrorIs(t, err, routing.ErrTenantNotFound)
	assert.False(t, called, "UpdateTenant called fn for an absent tenant")
	assert.ErrorIs(t, s.DeleteTenant(ctx, absent), routing.ErrTenantNotFound)
	// Ids are exact: another case is another id.
	_, err = s.GetTenant(ctx, strings.ToUpper(id(1)))
	assert.ErrorIs(t, err, routing.ErrTenantNotFound)
	list, err := s.ListTenants(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{id(1)}, ids(list))
}

func testUpdate(t *testing.T, s routing.TenantStore) {
	ctx := context.Background()
	before := mustCreate(t, s, sample(1))
	bystander := mustCreate(t, s, sample(2))
	want := routing.Tenant{ID: id(1), Name: "Renamed", Backend: "ehr-b", State: routing.StateDisabled,
		CreatedAt: base.Add(-time.Hour), UpdatedAt: base.Add(time.Hour)}
	var seen routing.Tenant
	updated, err := s.UpdateTenant(ctx, id(1), func(tn *routing.Tenant) error {
		seen = *tn
		rev := tn.Revision
		*tn = want
		tn.Revision = rev + 1000 // ignored
		return nil
	})
	require.NoError(t, err)
	same(t, before, seen, "fn must see the stored record")
	assert.Equal(t, before.Revision, seen.Revision, "fn must see the stored revision")
	same(t, want, updated)
	assert.Greater(t, updated.Revision, before.Revision)
	assert.NotEqual(t, before.Revision+1000, updated.Revision, "UpdateTenant kept fn's revision")
	got := mustGet(t, s, id(1))
	same(t, want, got)
	assert.Equal(t, updated.Revision, got.Revision)
	same(t, bystander, mustGet(t, s, id(2)), "another tenant changed")
	assert.Equal(t, bystander.Revision, mustGet(t, s, id(2)).Revision)
}

func testUpdateError(t *testing.T, s routing.TenantStore) {
	want := mustCreate(t, s, sample(1))
	boom := errors.New("rule refused")
	_, err := s.UpdateTenant(context.Background(), id(1), func(tn *routing.Tenant) error {
		tn.Name, tn.State = "half-written", routing.StateDisabled
		return boom
	})
	require.Equal(t, boom, err, "fn's error must be returned unchanged")
	got := mustGet(t, s, id(1))
	same(t, want, got)
	assert.Equal(t, want.Revision, got.Revision)
	assert.Equal(t, want.Revision, changes(t, s, 0).Revision, "a failed update advanced the revision")
}

func testUpdateKeepsID(t *testing.T, s routing.TenantStore) {
	mustCreate(t, s, sample(1))
	got, err := s.UpdateTenant(context.Background(), id(1), func(tn *routing.Tenant) error { tn.ID, tn.Name = id(2), "n"; return nil })
	require.NoError(t, err)
	assert.Equal(t, id(1), got.ID)
	assert.Equal(t, "n", mustGet(t, s, id(1)).Name)
	_, err = s.GetTenant(context.Background(), id(2))
	assert.ErrorIs(t, err, routing.ErrTenantNotFound, "an update created another tenant")
}

func testList(t *testing.T, s routing.TenantStore) {
	list, err := s.ListTenants(context.Background())
	require.NoError(t, err)
	assert.Empty(t, list)
	// Byte order, as Go sorts strings, whatever the insertion order.
	want := []string{"ffffffff-0000-4000-8000-000000000000", id(10), "0a000000-0000-4000-8000-000000000000", id(2), "00000000-0000-4000-8000-00000000000a"}
	for i, id := range want {
		tn := sample(i)
		tn.ID = id
		mustCreate(t, s, tn)
	}
	slices.Sort(want)
	list, err = s.ListTenants(context.Background())
	require.NoError(t, err)
	assert.Equal(t, want, ids(list))
}

// oddText is text a SQL column may not hold as given: NUL bytes, invalid UTF-8, non-BMP runes.
var oddText = []string{"nul\x00inside", "bad\xffutf8", "\xc3", "emoji 🩺 ok", strings.Repeat("é", 300), "'); DROP TABLE routing_tenants;--"}

// A store either keeps text exactly or refuses the record with an error: never a silent change.
func testOddText(t *testing.T, s routing.TenantStore) {
	ctx := context.Background()
	for i, txt := range oddText {
		tn := sample(i)
		tn.Name, tn.Backend = txt, txt
		if _, err := s.CreateTenant(ctx, tn); err != nil {
			_, gerr := s.GetTenant(ctx, tn.ID)
			require.ErrorIs(t, gerr, routing.ErrTenantNotFound, "%q: CreateTenant failed (%v) but left a record behind", txt, err)
		} else {
			same(t, tn, mustGet(t, s, tn.ID), "%q: stored text changed", txt)
		}
		plain := sample(100 + i)
		mustCreate(t, s, plain)
		_, err := s.UpdateTenant(ctx, plain.ID, func(tn *routing.Tenant) error { tn.Name = txt; return nil })
		got := mustGet(t, s, plain.ID)
		if err != nil {
			assert.Equal(t, plain.Name, got.Name, "%q: UpdateTenant failed (%v) but wrote", txt, err)
		} else {
			assert.Equal(t, txt, got.Name, "%q: updated text changed", txt)
		}
		// Looking up an odd id finds nothing (or fails) rather than something else.
		if got, err := s.GetTenant(ctx, txt); err == nil {
			t.Fatalf("GetTenant(%q) found %q", txt, got.ID)
		}
	}
}

// --- revisions ----------------------------------------------------------------------------

func testRevisions(t *testing.T, s routing.TenantStore) {
	ctx := context.Background()
	empty := changes(t, s, 0)
	assert.True(t, empty.Full)
	assert.Empty(t, empty.Changed)
	last := empty.Revision
	advanced := func(what string, rev uint64) {
		t.Helper()
		assert.Greater(t, rev, last, "%s did not advance the revision", what)
		assert.Equal(t, rev, changes(t, s, 0).Revision, "%s: the store's revision is not the record's", what)
		last = rev
	}
	a := mustCreate(t, s, sample(1))
	advanced("create", a.Revision)
	b := mustCreate(t, s, sample(2))
	advanced("second create", b.Revision)
	a2, err := s.UpdateTenant(ctx, id(1), func(tn *routing.Tenant) error { tn.Name = "x"; return nil })
	require.NoError(t, err)
	advanced("update", a2.Revision)
	a3, err := s.UpdateTenant(ctx, id(1), func(*routing.Tenant) error { return nil })
	require.NoError(t, err)
	advanced("update without change", a3.Revision)
	require.NoError(t, s.DeleteTenant(ctx, id(2)))
	assert.Greater(t, changes(t, s, 0).Revision, last, "delete did not advance the revision")
}

func testChanges(t *testing.T, s routing.TenantStore) {
	ctx := context.Background()
	for i := 1; i <= 4; i++ {
		mustCreate(t, s, sample(i))
	}
	all := changes(t, s, 0)
	assert.True(t, all.Full)
	assert.Equal(t, []string{id(1), id(2), id(3), id(4)}, ids(all.Changed), "since 0: every tenant, in revision order")
	r0 := all.Revision

	none := changes(t, s, r0)
	assert.Equal(t, routing.TenantChanges{Revision: r0}, none, "nothing changed since the current revision")

	// Update 3, delete 2, update 1, delete and re-create 4: the delta is exactly that.
	_, err := s.UpdateTenant(ctx, id(3), func(tn *routing.Tenant) error { tn.State = routing.StateDisabled; return nil })
	require.NoError(t, err)
	require.NoError(t, s.DeleteTenant(ctx, id(2)))
	_, err = s.UpdateTenant(ctx, id(1), func(tn *routing.Tenant) error { tn.Backend = "ehr-b"; return nil })
	require.NoError(t, err)
	require.NoError(t, s.DeleteTenant(ctx, id(4)))
	reborn := sample(4)
	reborn.Backend = "ehr-c"
	mustCreate(t, s, reborn)
	ch := changes(t, s, r0)
	assert.False(t, ch.Full)
	assert.Equal(t, []string{id(3), id(1), id(4)}, ids(ch.Changed), "changed tenants in revision order")
	assert.Equal(t, []string{id(2)}, ch.Removed, "removed: deleted and not re-created")
	assert.Equal(t, routing.StateDisabled, ch.Changed[0].State)
	assert.Equal(t, "ehr-b", ch.Changed[1].Backend)
	assert.Equal(t, "ehr-c", ch.Changed[2].Backend)
	for _, tn := range ch.Changed {
		assert.Equal(t, mustGet(t, s, tn.ID), tn, "a change carries the current record")
	}

	// From the middle: only what came after.
	mid := ch.Changed[0].Revision
	ch2 := changes(t, s, mid)
	assert.Equal(t, []string{id(1), id(4)}, ids(ch2.Changed))
	assert.Equal(t, []string{id(2)}, ch2.Removed)
	assert.Equal(t, ch.Revision, ch2.Revision)
	// After the last change: nothing.
	assert.Equal(t, routing.TenantChanges{Revision: ch.Revision}, changes(t, s, ch.Revision))
}

func testChangesAhead(t *testing.T, s routing.TenantStore) {
	mustCreate(t, s, sample(1))
	cur := changes(t, s, 0).Revision
	ch := changes(t, s, cur+100)
	assert.True(t, ch.Full, "a since ahead of the store (restored from a backup) needs a full answer")
	assert.Equal(t, []string{id(1)}, ids(ch.Changed))
	assert.Equal(t, cur, ch.Revision)
}

// --- concurrency --------------------------------------------------------------------------

func testNoLostUpdates(t *testing.T, s routing.TenantStore) {
	ctx := context.Background()
	mustCreate(t, s, routing.Tenant{ID: id(1), Name: "0", Backend: "b", State: routing.StateActive})
	bystander := mustCreate(t, s, sample(2))
	const n = 16
	var wg sync.WaitGroup
	revs := make([]uint64, n)
	for g := range n {
		wg.Go(func() {
			got, err := s.UpdateTenant(ctx, id(1), func(tn *routing.Tenant) error {
				var v int
				if _, err := fmt.Sscan(tn.Name, &v); err != nil {
					return err
				}
				tn.Name = fmt.Sprint(v + 1)
				return nil
			})
			assert.NoError(t, err)
			revs[g] = got.Revision
		})
	}
	wg.Wait()
	assert.Equal(t, fmt.Sprint(n), mustGet(t, s, id(1)).Name, "lost updates")
	slices.Sort(revs)
	assert.Equal(t, n, len(slices.Compact(revs)), "concurrent updates got the same revision")
	same(t, bystander, mustGet(t, s, id(2)))
}

func testCreateOnce(t *testing.T, s routing.TenantStore) {
	const n = 10
	var wg sync.WaitGroup
	errs := make([]error, n)
	for g := range n {
		wg.Go(func() {
			tn := sample(1)
			tn.Name = fmt.Sprint("racer ", g)
			_, errs[g] = s.CreateTenant(context.Background(), tn)
		})
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		if err == nil {
			won++
		} else {
			assert.ErrorIs(t, err, routing.ErrTenantExists)
		}
	}
	assert.Equal(t, 1, won, "exactly one concurrent create wins")
}

// RaceChanges checks the revision contract under concurrency: writers create, update and
// delete tenants through every store in stores (several values on one database: several
// nodes) while a follower on stores[0] applies TenantChanges deltas to its own copy. When
// the writers are done and the follower has caught up, its copy equals ListTenants exactly:
// no write was missed, even when transactions committed in another order than they started.
func RaceChanges(t *testing.T, stores ...routing.TenantStore) {
	t.Helper()
	require.NotEmpty(t, stores)
	ctx := context.Background()
	const tenants, writesPerWriter = 12, 40
	for i := range tenants {
		mustCreate(t, stores[0], sample(i))
	}
	var (
		mu     sync.Mutex
		mirror = map[string]routing.Tenant{}
		rev    uint64
	)
	follow := func() {
		ch, err := stores[0].TenantChanges(ctx, rev)
		if !assert.NoError(t, err) {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if ch.Full {
			clear(mirror)
		}
		for _, tn := range ch.Changed {
			mirror[tn.ID] = tn
		}
		for _, id := range ch.Removed {
			delete(mirror, id)
		}
		rev = ch.Revision
	}
	follow()
	done := make(chan struct{})
	var followers sync.WaitGroup
	followers.Go(func() {
		for {
			select {
			case <-done:
				return
			default:
				follow()
			}
		}
	})
	var writers sync.WaitGroup
	for w := range 2 * len(stores) {
		st := stores[w%len(stores)]
		writers.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for range writesPerWriter {
				tid := id(rng.IntN(tenants))
				var err error
				switch rng.IntN(4) {
				case 0:
					err = st.DeleteTenant(ctx, tid)
				case 1:
					tn := sample(0)
					tn.ID, tn.Backend = tid, fmt.Sprint("ehr-", w)
					_, err = st.CreateTenant(ctx, tn)
				default:
					_, err = st.UpdateTenant(ctx, tid, func(tn *routing.Tenant) error {
						tn.Name = fmt.Sprintf("w%d %d", w, rng.Int())
						if tn.State == routing.StateActive {
							tn.State = routing.StateDisabled
						} else {
							tn.State = routing.StateActive
						}
						return nil
					})
				}
				if err != nil && !errors.Is(err, routing.ErrTenantNotFound) && !errors.Is(err, routing.ErrTenantExists) {
					assert.NoError(t, err)
					return
				}
			}
		})
	}
	writers.Wait()
	close(done)
	followers.Wait()
	follow()
	list, err := stores[0].ListTenants(ctx)
	require.NoError(t, err)
	want := map[string]routing.Tenant{}
	for _, tn := range list {
		want[tn.ID] = tn
	}
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, want, mirror, "the follower's copy differs from the store: a change was missed")
}

// --- contexts -----------------------------------------------------------------------------

func testContextCancelled(t *testing.T, s routing.TenantStore) {
	mustCreate(t, s, sample(1))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	calls := map[string]func() error{
		"GetTenant":    func() error { _, err := s.GetTenant(ctx, id(1)); return err },
		"ListTenants":  func() error { _, err := s.ListTenants(ctx); return err },
		"CreateTenant": func() error { _, err := s.CreateTenant(ctx, sample(2)); return err },
		"UpdateTenant": func() error {
			_, err := s.UpdateTenant(ctx, id(1), func(tn *routing.Tenant) error { tn.Name = "x"; return nil })
			return err
		},
		"DeleteTenant":  func() error { return s.DeleteTenant(ctx, id(1)) },
		"TenantChanges": func() error { _, err := s.TenantChanges(ctx, 0); return err },
	}
	for name, call := range calls {
		assert.ErrorIs(t, call(), context.Canceled, "%s with a cancelled context", name)
	}
	list, err := s.ListTenants(context.Background())
	require.NoError(t, err)
	require.Len(t, list, 1, "a write happened under a cancelled context")
	same(t, sample(1), list[0], "a write happened under a cancelled context")
}

func testCancelledDuringUpdate(t *testing.T, s routing.TenantStore) {
	want := mustCreate(t, s, sample(1))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := s.UpdateTenant(ctx, id(1), func(tn *routing.Tenant) error {
		tn.Name = "written after cancel"
		cancel()
		return nil
	})
	require.ErrorIs(t, err, context.Canceled)
	got := mustGet(t, s, id(1))
	same(t, want, got, "the cancelled update was written")
	assert.Equal(t, want.Revision, got.Revision)
}

func testDeadlineWhileWaiting(t *testing.T, s routing.TenantStore) {
	mustCreate(t, s, sample(1))
	entered, release := make(chan struct{}), make(chan struct{})
	holder := make(chan error, 1)
	go func() {
		_, err := s.UpdateTenant(context.Background(), id(1), func(tn *routing.Tenant) error {
			close(entered)
			<-release
			tn.Name = "holder"
			return nil
		})
		holder <- err
	}()
	<-entered
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	waiter := make(chan error, 1)
	go func() {
		_, err := s.UpdateTenant(ctx, id(1), func(tn *routing.Tenant) error { tn.Name = "waiter"; return nil })
		waiter <- err
	}()
	var err error
	select {
	case err = <-waiter:
	case <-time.After(3 * time.Second):
		close(release)
		t.Fatal("an update waiting behind another ignored its context's deadline")
	}
	close(release)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	require.NoError(t, <-holder)
	assert.Equal(t, "holder", mustGet(t, s, id(1)).Name)
}
