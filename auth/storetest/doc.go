// Package storetest is the conformance suite for [auth.Store]
// implementations: the in-memory store, the SQLite and PostgreSQL stores of
// auth/sqlstore, and any store a partner writes. Every store runs the same
// tests:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) auth.Store { return newEmptyStore(t) })
//	}
//
// [Run] checks every method of the interfaces: copies in and out, the
// ErrNotFound and ErrConflict sentinels, that UpdateClient and UpdateKey are
// atomic under concurrency (twenty goroutines race to add a secret under a
// "at most two" rule checked inside the update; exactly two win), listing
// order, the signing-key lifecycle records, deny-list insert-if-absent and
// expiry, and that cancelled and expiring contexts are honoured, including
// while waiting behind another update. [RunDurable] checks that records
// survive closing and reopening the store. [RaceSecrets] runs the "at most
// two secrets" race over several store values on one database (several
// nodes).
//
// Times are compared at microsecond precision and nil and empty slices are
// equal: the resolution and representation SQL databases keep.
package storetest
