// Package storetest is the conformance suite of gatehouse.Store: every database engine's store runs Run from its
// tests and must pass it.
//
// The suite checks the contract documented on gatehouse.Store and nothing engine-specific: round trips of every
// field (times to the microsecond, compared as instants; nil and empty slices alike), the uniqueness rules and their
// ECONFLICT, ENOTFOUND for missing objects and for IDs looked up in another directory, the cascades of the Delete
// methods, ordering, filtering and paging of the lists, expiry, the one-time use of sign-in requests and replay-cache
// keys under concurrent callers, the counter window, and transactions that commit or leave nothing behind.
//
// Each subtest opens a fresh, empty store with the function given to Run:
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(tb testing.TB) gatehouse.Store { return MustOpen(tb) })
//	}
package storetest
