package storecopy_test

import (
	"path/filepath"
	"testing"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/sqlite"
)

func openSQLite(tb testing.TB) gatehouse.Store {
	tb.Helper()
	s, err := sqlite.Open(filepath.Join(tb.TempDir(), "gatehouse.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// TestCopySQLiteToPostgres moves a SQLite deployment to PostgreSQL, as gatehouse migrate does.
func TestCopySQLiteToPostgres(t *testing.T) {
	testCopy(t, openPostgres(t), openSQLite(t))
}

// TestCopyPostgresToSQLite moves back, for a way out.
func TestCopyPostgresToSQLite(t *testing.T) {
	testCopy(t, openSQLite(t), openPostgres(t))
}
