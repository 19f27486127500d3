package postgres_test

import (
	"testing"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/storetest"
)

// TestConformance runs the storage conformance suite, each subtest on a fresh database.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(tb testing.TB) gatehouse.Store { return open(tb) })
}
