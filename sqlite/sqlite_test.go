package sqlite_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/sqlite"
	"github.com/gatehouse-idp/gatehouse/storetest"
)

// MustOpen opens a store on a new database file in a temporary directory and closes it when the test ends.
func MustOpen(tb testing.TB) *sqlite.Store {
	tb.Helper()
	return mustOpenPath(tb, filepath.Join(tb.TempDir(), "gatehouse.db"))
}

// mustOpenPath opens the store at path and closes it when the test ends.
func mustOpenPath(tb testing.TB, path string) *sqlite.Store {
	tb.Helper()
	s, err := sqlite.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Error(err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(tb testing.TB) gatehouse.Store { return MustOpen(tb) })
}

// t0 is the tests' "now".
var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
