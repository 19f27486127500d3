package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/sqlite"
)

// rawDB opens the database file without the store, to look at it from outside.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// migrationRows returns the versions recorded in schema_migrations.
func migrationRows(t *testing.T, path string) []int {
	t.Helper()
	rows, err := rawDB(t, path).Query(`SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var vs []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return vs
}

func TestMigrationsAppliedOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nested", "dir", "gatehouse.db")
	n, err := sqlite.MigrationCount()
	if err != nil || n < 1 {
		t.Fatalf("MigrationCount = %d, %v", n, err)
	}
	var want []int
	for i := range n {
		want = append(want, i+1)
	}
	for open := range 3 {
		s, err := sqlite.Open(path)
		if err != nil {
			t.Fatalf("open %d: %v", open, err)
		}
		v, err := s.SchemaVersion(context.Background())
		if err != nil || v != n {
			t.Errorf("open %d: SchemaVersion = %d, %v; want %d", open, v, err, n)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, migrationRows(t, path)); diff != "" {
			t.Errorf("open %d: schema_migrations mismatch (-want +got):\n%s", open, diff)
		}
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gatehouse.db")
	s, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := rawDB(t, path).Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, '0999_future.sql', 0)`); err != nil {
		t.Fatal(err)
	}
	s, err = sqlite.Open(path)
	if !errors.Is(err, sqlite.ErrSchemaTooNew) {
		if s != nil {
			s.Close()
		}
		t.Fatalf("Open of a database from a newer version: %v, want ErrSchemaTooNew", err)
	}
	if !strings.Contains(err.Error(), "999") {
		t.Errorf("error %q does not name the database's version", err)
	}
}

func TestFailedMigrationLeavesNoTrace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gatehouse.db")
	s, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	// The embedded migrations, and one more whose second statement fails, so the first must not stay either.
	entries, err := os.ReadDir("migrations")
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".sql") {
			continue // the folder's README
		}
		b, err := os.ReadFile(filepath.Join("migrations", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		fsys["migrations/"+e.Name()] = &fstest.MapFile{Data: b}
	}
	n := len(fsys)
	broken := fmt.Sprintf("migrations/%04d_broken.sql", n+1)
	fsys[broken] = &fstest.MapFile{Data: []byte("CREATE TABLE half (x INTEGER);\nINSERT INTO no_such_table VALUES (1);\n")}
	var want []int
	for i := range n {
		want = append(want, i+1)
	}
	if _, err := sqlite.OpenWithMigrations(path, fsys); err == nil || !strings.Contains(err.Error(), strings.TrimPrefix(broken, "migrations/")) {
		t.Fatalf("Open with a broken migration: %v, want an error naming it", err)
	}
	var tables int
	if err := rawDB(t, path).QueryRow(`SELECT count(*) FROM sqlite_schema WHERE name = 'half'`).Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != 0 {
		t.Error("the broken migration's table exists")
	}
	if diff := cmp.Diff(want, migrationRows(t, path)); diff != "" {
		t.Errorf("schema_migrations mismatch (-want +got):\n%s", diff)
	}
	// Once fixed, it applies.
	fsys[broken] = &fstest.MapFile{Data: []byte("CREATE TABLE half (x INTEGER);\n")}
	s, err = sqlite.OpenWithMigrations(path, fsys)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if diff := cmp.Diff(append(want, n+1), migrationRows(t, path)); diff != "" {
		t.Errorf("schema_migrations mismatch (-want +got):\n%s", diff)
	}
}

func TestPragmas(t *testing.T) {
	s := MustOpen(t)
	write, read, err := sqlite.Pragmas(context.Background(), s, "journal_mode", "foreign_keys", "busy_timeout",
		"synchronous", "query_only")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		got  map[string]string
		want map[string]string
	}{
		// synchronous 2 is FULL.
		{"Write", write, map[string]string{"journal_mode": "wal", "foreign_keys": "1", "busy_timeout": "10000",
			"synchronous": "2", "query_only": "0"}},
		{"Read", read, map[string]string{"journal_mode": "wal", "foreign_keys": "1", "busy_timeout": "10000",
			"synchronous": "2", "query_only": "1"}},
	} {
		if diff := cmp.Diff(tc.want, tc.got); diff != "" {
			t.Errorf("%s connection pragmas mismatch (-want +got):\n%s", tc.name, diff)
		}
	}
}

func TestSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "gatehouse.db")
	s, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	saml := gatehouse.DefaultSAMLSettings()
	saml.EntityID = "https://mixpanel.com/saml"
	app := &gatehouse.App{ID: "a", DirectoryID: "d", Name: "Mixpanel", Logo: []byte{1, 2, 3}, SAML: saml}
	err = s.InTx(ctx, func(tx gatehouse.Store) error {
		if err := tx.CreateDirectory(ctx, &gatehouse.Directory{ID: "d", Name: "D"}); err != nil {
			return err
		}
		return tx.CreateApp(ctx, app, nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.UseOnce(ctx, "key", t0, t0.AddDate(1, 0, 0)); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = mustOpenPath(t, path)
	got, err := s.FindAppByEntityID(ctx, "d", "https://mixpanel.com/saml")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(app, got); diff != "" {
		t.Errorf("app after reopening mismatch (-want +got):\n%s", diff)
	}
	if err := s.UseOnce(ctx, "key", t0, t0.AddDate(1, 0, 0)); gatehouse.ErrorCode(err) != gatehouse.ECONFLICT {
		t.Errorf("UseOnce of a key recorded before reopening: %v, want ECONFLICT", err)
	}
}

func TestPathWithURICharacters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a?b#c%d e", "gatehouse.db")
	s := mustOpenPath(t, path)
	if err := s.CreateDirectory(context.Background(), &gatehouse.Directory{ID: "d", Name: "D"}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("the database is not at the path given: %v", err)
	}
}
