package postgres_test

import (
	"testing"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/internal/pgtest"
	"github.com/gatehouse-idp/gatehouse/storetest"
)

// TestConformance runs the storage conformance suite, each subtest on a fresh database.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(tb testing.TB) gatehouse.Store { return open(tb) })
}

// TestConformanceSimpleProtocol runs the suite again with statements sent as plain text, as behind a connection
// pooler that cannot keep prepared statements (default_query_exec_mode=simple_protocol in the URL).
func TestConformanceSimpleProtocol(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped in -short: TestConformance runs the suite once already, with prepared statements")
	}
	storetest.Run(t, func(tb testing.TB) gatehouse.Store {
		return openURL(tb, pgtest.URL(tb)+"&default_query_exec_mode=simple_protocol")
	})
}
