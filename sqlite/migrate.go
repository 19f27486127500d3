package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"time"

	"github.com/gatehouse-idp/gatehouse/internal/sqlstore"
)

// migrationFS holds the migrations, numbered and named as PostgreSQL's (see migrations/README.md).
//
//go:embed migrations/*.sql
var migrationFS embed.FS

// ErrSchemaTooNew is returned by Open when the database was migrated by a newer Gatehouse than this one.
var ErrSchemaTooNew = sqlstore.ErrSchemaTooNew

// readMigrations returns the migrations of fsys in order. Their numbers must run 1, 2, 3... without gaps.
func readMigrations(fsys fs.FS) ([]sqlstore.Migration, error) {
	ms, err := sqlstore.ReadMigrations(fsys)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	return ms, nil
}

// renumbered maps the file names that migrations 2 and 3 had before the SQLite store numbered its migrations as the
// PostgreSQL store does to their numbers and names now. The SQLite store's 0001_init already had what PostgreSQL's
// 0002_counter_expiry (in part) and 0003_name_keys add, so its next two migrations were numbered 2 and 3; they are
// 4 and 5 now, and 2 and 3 are the same changes as on PostgreSQL.
var renumbered = []struct {
	oldName string
	version int
	name    string
}{
	{"0003_sign_in_session.sql", 5, "0005_sign_in_session.sql"},
	{"0002_mfa_branding_rollover.sql", 4, "0004_mfa_branding_rollover.sql"},
}

// renumber gives the migrations a database recorded under their former numbers (renumbered) their numbers now, in
// one transaction. Migrations 2 and 3 are then missing from such a database, and migrate applies them.
func renumber(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	var exists bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations')`).Scan(&exists); err != nil {
		return fmt.Errorf("look for schema_migrations: %w", err)
	}
	if !exists {
		return nil
	}
	for _, r := range renumbered {
		if _, err := tx.ExecContext(ctx, `UPDATE schema_migrations SET version = ?, name = ? WHERE name = ?`,
			r.version, r.name, r.oldName); err != nil {
			return fmt.Errorf("renumber migration %s: %w", r.oldName, err)
		}
	}
	return tx.Commit()
}

// migrate applies the migrations the database lacks, each in its own transaction, after renumbering those recorded
// under former numbers. Transactions take the write lock as they begin, so two processes opening the database at
// once apply each migration once. It returns ErrSchemaTooNew when the database has a migration this code does not
// know.
func migrate(ctx context.Context, db *sql.DB, ms []sqlstore.Migration) error {
	if err := renumber(ctx, db); err != nil {
		return err
	}
	for {
		done, err := migrateNext(ctx, db, ms)
		if err != nil || done {
			return err
		}
	}
}

// migrateNext applies the first migration the database lacks, and reports whether there was none left.
func migrateNext(ctx context.Context, db *sql.DB, ms []sqlstore.Migration) (done bool, err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at INTEGER NOT NULL
	) STRICT`); err != nil {
		return false, fmt.Errorf("create schema_migrations: %w", err)
	}
	applied, err := appliedVersions(ctx, tx)
	if err != nil {
		return false, err
	}
	m, ok, err := sqlstore.Next(ms, applied)
	if err != nil {
		return false, err
	}
	if !ok {
		// Nothing to apply; the transaction only created schema_migrations, if even that.
		return true, tx.Commit()
	}
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return false, fmt.Errorf("apply migration %s: %w", m.Name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		m.Version, m.Name, time.Now().UnixMicro()); err != nil {
		return false, fmt.Errorf("record migration %s: %w", m.Name, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("commit migration %s: %w", m.Name, err)
	}
	return false, nil
}

// appliedVersions returns the versions recorded in schema_migrations.
func appliedVersions(ctx context.Context, tx *sql.Tx) ([]int, error) {
	rows, err := tx.QueryContext(ctx, `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		return nil, fmt.Errorf("read the applied migrations: %w", err)
	}
	defer rows.Close()
	var vs []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("read the applied migrations: %w", err)
		}
		vs = append(vs, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the applied migrations: %w", err)
	}
	return vs, nil
}

// SchemaVersion returns the number of the newest migration applied to the database.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	if err := s.r.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("sqlite: read the schema version: %w", err)
	}
	return v, nil
}
