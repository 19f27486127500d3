package sqlite

import (
	"context"
	"fmt"
	"io/fs"
	"time"
)

// OpenWithMigrations opens a store that knows the migrations in fsys instead of the embedded ones.
func OpenWithMigrations(path string, fsys fs.FS) (*Store, error) {
	return open(path, fsys)
}

// MigrationCount is the number of embedded migrations.
func MigrationCount() (int, error) {
	ms, err := readMigrations(migrationFS)
	return len(ms), err
}

// Pragmas returns the values of the named pragmas on a writing connection and on a reading one.
func Pragmas(ctx context.Context, s *Store, names ...string) (write, read map[string]string, err error) {
	get := func(q querier) (map[string]string, error) {
		m := map[string]string{}
		for _, name := range names {
			var v string
			if err := q.QueryRowContext(ctx, "PRAGMA "+name).Scan(&v); err != nil {
				return nil, fmt.Errorf("pragma %s: %w", name, err)
			}
			m[name] = v
		}
		return m, nil
	}
	if write, err = get(s.writeDB); err != nil {
		return nil, nil, err
	}
	read, err = get(s.readDB)
	return write, read, err
}

// WaitingWriters returns the number of sign-on transactions and of other transactions waiting for the writer.
func WaitingWriters(s *Store) (urgent, normal int) {
	s.gate.mu.Lock()
	defer s.gate.mu.Unlock()
	return len(s.gate.urgent), len(s.gate.normal)
}

// SetMaxHold sets how long the group commit holds a transaction back while none of its callers waits.
func SetMaxHold(s *Store, d time.Duration) { s.signOns.maxHold.Store(int64(d)) }

// HeldSignOns returns the number of sign-on records in the transaction the group commit holds back.
func HeldSignOns(s *Store) int { return int(s.signOns.held.Load()) }

// SignOnTransactions returns the number of transactions the group commit has committed.
func SignOnTransactions(s *Store) int { return int(s.signOns.transactions.Load()) }
