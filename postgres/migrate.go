package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-idp/gatehouse/internal/sqlstore"
)

// migrationFS holds the migrations, numbered and named as SQLite's (see migrations/README.md).
//
//go:embed migrations/*.sql
var migrationFS embed.FS

// ErrSchemaTooNew is returned by Open when the database was migrated by a newer Gatehouse than this one.
var ErrSchemaTooNew = sqlstore.ErrSchemaTooNew

// migrationLockID is the pg_advisory_xact_lock key that serializes migrations between nodes starting at once.
const migrationLockID int64 = 0x67617465686f7573 // "gatehous"

// readMigrations returns the embedded migrations in order. Their numbers must run 1, 2, 3... without gaps.
func readMigrations(fsys fs.FS) ([]sqlstore.Migration, error) {
	ms, err := sqlstore.ReadMigrations(fsys)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return ms, nil
}

// migrate applies the migrations the database lacks, each in its own transaction that first takes the migration
// lock, so nodes starting at once apply each migration exactly once. It returns ErrSchemaTooNew when the database
// has a migration this code does not know.
func (s *Store) migrate(ctx context.Context, ms []sqlstore.Migration) error {
	for {
		done, err := s.migrateNext(ctx, ms)
		if err != nil || done {
			return err
		}
	}
}

// migrateNext applies the first migration the database lacks, and reports whether there was none left.
func (s *Store) migrateNext(ctx context.Context, ms []sqlstore.Migration) (done bool, err error) {
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", migrationLockID); err != nil {
			return fmt.Errorf("take the migration lock: %w", err)
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    integer PRIMARY KEY,
			name       text NOT NULL,
			applied_at timestamptz NOT NULL DEFAULT now()
		)`); err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		rows, err := tx.Query(ctx, "SELECT version FROM schema_migrations ORDER BY version")
		if err != nil {
			return fmt.Errorf("read the applied migrations: %w", err)
		}
		applied, err := pgx.CollectRows(rows, pgx.RowTo[int])
		if err != nil {
			return fmt.Errorf("read the applied migrations: %w", err)
		}
		m, ok, err := sqlstore.Next(ms, applied)
		if err != nil {
			return err
		}
		if !ok {
			done = true
			return nil
		}
		if _, err := tx.Exec(ctx, m.SQL); err != nil {
			return fmt.Errorf("apply migration %s: %w", m.Name, err)
		}
		if _, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.Version, m.Name); err != nil {
			return fmt.Errorf("record migration %s: %w", m.Name, err)
		}
		return nil
	})
	return done, err
}

// SchemaVersion returns the number of the newest migration applied to the database.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	if err := s.db.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM schema_migrations").Scan(&v); err != nil {
		return 0, fmt.Errorf("postgres: read the schema version: %w", err)
	}
	return v, nil
}
