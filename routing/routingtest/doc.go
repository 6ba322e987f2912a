// Package routingtest is the conformance suite for [routing.TenantStore]
// implementations: routing.MemoryStore, the SQLite and PostgreSQL stores of
// auth/sqlstore, and any store a partner writes. Every store runs the same
// tests:
//
//	func TestTenantStore(t *testing.T) {
//		routingtest.RunTenantStoreTests(t, func(t *testing.T) routing.TenantStore {
//			return newEmptyStore(t)
//		})
//	}
//
// [RunTenantStoreTests] checks every method: round trips, the
// ErrTenantNotFound and ErrTenantExists sentinels, that UpdateTenant is
// atomic (no lost updates under concurrency) and writes nothing when fn
// fails or the context ends, listing order, odd text kept exactly or
// refused, and the revision contract of TenantChanges that lets caches on
// several nodes catch up incrementally: every write advances the revision,
// and a follower applying the changes while writers race never misses one.
// [RaceChanges] runs that last check over several store values on one
// database (several nodes).
//
// Times are compared at microsecond precision in UTC: the resolution SQL
// databases keep.
package routingtest
