package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/internal/pgtest"
	"github.com/gatehouse-idp/gatehouse/postgres"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// open opens a store on a fresh database and closes it when the test ends.
func open(tb testing.TB) *postgres.Store {
	tb.Helper()
	return openURL(tb, pgtest.URL(tb))
}

// openURL opens a store on the database at url and closes it when the test ends.
func openURL(tb testing.TB, url string) *postgres.Store {
	tb.Helper()
	s, err := postgres.Open(context.Background(), url)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// TestMigrateConcurrently opens one fresh database from several goroutines at once, as nodes starting together do:
// each open succeeds and each migration is applied once.
func TestMigrateConcurrently(t *testing.T) {
	url := pgtest.URL(t)
	const nodes = 4
	errs := make([]error, nodes)
	stores := make([]*postgres.Store, nodes)
	var wg sync.WaitGroup
	for i := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stores[i], errs[i] = postgres.Open(context.Background(), url)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("node %d: %v", i, err)
		}
		defer stores[i].Close()
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var rows, distinct int
	if err := conn.QueryRow(ctx, "SELECT count(*), count(DISTINCT version) FROM schema_migrations").Scan(&rows, &distinct); err != nil {
		t.Fatal(err)
	}
	want, err := stores[0].SchemaVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rows != want || distinct != want || want < 1 {
		t.Errorf("schema_migrations has %d rows (%d versions), want %d", rows, distinct, want)
	}
	// Every node works on the one schema.
	for i, s := range stores {
		d := &gatehouse.Directory{ID: fmt.Sprintf("d%d", i), Name: "D", CreatedAt: t0, UpdatedAt: t0}
		if err := s.CreateDirectory(ctx, d); err != nil {
			t.Errorf("node %d: %v", i, err)
		}
	}
}

// TestReopen checks that opening a migrated database again applies nothing and keeps the data.
func TestReopen(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	s := openURL(t, url)
	d := &gatehouse.Directory{ID: "default", Name: "Default", CreatedAt: t0, UpdatedAt: t0}
	if err := s.CreateDirectory(ctx, d); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = openURL(t, url)
	got, err := s.FindDirectory(ctx, "default")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(d, got); diff != "" {
		t.Errorf("directory mismatch (-want +got):\n%s", diff)
	}
}

// TestRefuseNewerSchema checks that Open refuses a database migrated by a newer version.
func TestRefuseNewerSchema(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	s := openURL(t, url)
	v, err := s.SchemaVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES ($1, 'from_the_future.sql')", v+1); err != nil {
		t.Fatal(err)
	}
	s, err = postgres.Open(ctx, url)
	if err == nil {
		s.Close()
		t.Fatal("Open succeeded on a newer schema")
	}
	if !errors.Is(err, postgres.ErrSchemaTooNew) {
		t.Errorf("Open: %v, want ErrSchemaTooNew", err)
	}
}

// TestMigrationNames checks the rule the embedded migrations follow: NNNN_name.sql numbered from 1 without gaps.
func TestMigrationNames(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files []string
		ok    bool
	}{
		{"in order", []string{"0001_a.sql", "0002_b.sql"}, true},
		{"gap", []string{"0001_a.sql", "0003_c.sql"}, false},
		{"duplicate", []string{"0001_a.sql", "0001_b.sql"}, false},
		{"not from one", []string{"0002_b.sql"}, false},
		{"no number", []string{"init.sql"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for _, f := range tc.files {
				fsys["migrations/"+f] = &fstest.MapFile{Data: []byte("SELECT 1;")}
			}
			_, err := postgres.ReadMigrations(fsys)
			if (err == nil) != tc.ok {
				t.Errorf("ReadMigrations(%v) error = %v, want ok=%v", tc.files, err, tc.ok)
			}
		})
	}
}

// t0 is the time the fixtures are created at; microseconds, as PostgreSQL keeps.
var t0 = time.Date(2026, 11, 25, 12, 0, 0, 123456000, time.UTC)

// TestFailedMigration checks that a migration that fails leaves no trace: the migrations before it stay applied,
// and it applies in full once fixed.
func TestFailedMigration(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	fsys := fstest.MapFS{
		"migrations/0001_a.sql": {Data: []byte("CREATE TABLE a (x int);")},
		"migrations/0002_b.sql": {Data: []byte("CREATE TABLE b (x int); SELECT * FROM missing;")},
	}
	if s, err := postgres.OpenWithMigrations(ctx, url, fsys); err == nil {
		s.Close()
		t.Fatal("Open succeeded with a broken migration")
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	tables := func() []string {
		t.Helper()
		rows, err := conn.Query(ctx, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
		if err != nil {
			t.Fatal(err)
		}
		names, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		return names
	}
	if diff := cmp.Diff([]string{"a", "schema_migrations"}, tables()); diff != "" {
		t.Errorf("tables after the failure mismatch (-want +got):\n%s", diff)
	}
	fsys["migrations/0002_b.sql"] = &fstest.MapFile{Data: []byte("CREATE TABLE b (x int);")}
	s, err := postgres.OpenWithMigrations(ctx, url, fsys)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if v, err := s.SchemaVersion(ctx); err != nil || v != 2 {
		t.Errorf("SchemaVersion = %d, %v; want 2", v, err)
	}
	if diff := cmp.Diff([]string{"a", "b", "schema_migrations"}, tables()); diff != "" {
		t.Errorf("tables after the fix mismatch (-want +got):\n%s", diff)
	}
}

// TestCounterExpiry checks that DeleteExpired removes counters whose window has ended, and only those.
func TestCounterExpiry(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	s := openURL(t, url)
	for _, key := range []string{"short", "long"} {
		window := 10 * time.Minute
		if key == "long" {
			window = time.Hour
		}
		for range 2 {
			if _, err := s.IncrementCounter(ctx, key, t0, window); err != nil {
				t.Fatal(err)
			}
		}
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	keys := func() []string {
		t.Helper()
		rows, err := conn.Query(ctx, "SELECT key FROM counters ORDER BY key")
		if err != nil {
			t.Fatal(err)
		}
		list, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		return list
	}
	if err := s.DeleteExpired(ctx, t0.Add(10*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"long", "short"}, keys()); diff != "" {
		t.Errorf("counters at the end of the short window mismatch (-want +got):\n%s", diff)
	}
	// Still counting at the last instant of its window.
	if n, err := s.IncrementCounter(ctx, "short", t0.Add(10*time.Minute), 10*time.Minute); err != nil || n != 3 {
		t.Errorf("IncrementCounter = %d, %v; want 3", n, err)
	}
	if err := s.DeleteExpired(ctx, t0.Add(10*time.Minute+time.Microsecond)); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"long"}, keys()); diff != "" {
		t.Errorf("counters after the short window mismatch (-want +got):\n%s", diff)
	}
}

// TestConstraintMessages checks that every unique and foreign key constraint of the schema has its own message,
// and that every message names a constraint of the schema.
func TestConstraintMessages(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	openURL(t, url)
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `
		SELECT conname FROM pg_constraint
		WHERE connamespace = 'public'::regnamespace AND contype IN ('f', 'p', 'u')
		UNION
		SELECT indexrelid::regclass::text FROM pg_index
		WHERE indisunique AND NOT indisprimary AND indrelid::regclass::text <> 'schema_migrations'
		ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, name := range names {
		if name != "schema_migrations_pkey" && !strings.HasPrefix(name, "pg_") {
			want = append(want, name)
		}
	}
	var got []string
	for name := range postgres.ConstraintMessages {
		got = append(got, name)
	}
	slices.Sort(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("constraints with a message mismatch (-schema +messages):\n%s", diff)
	}
}

// TestNameKeysMigration migrates a database holding users, groups and apps from before the name keys (migration
// 0003): their keys are filled in, so they are found, searched and kept unique without regard to case.
func TestNameKeysMigration(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	old := fstest.MapFS{}
	for _, name := range []string{"0001_init.sql", "0002_counter_expiry.sql"} {
		b, err := os.ReadFile(filepath.Join("migrations", name))
		if err != nil {
			t.Fatal(err)
		}
		old["migrations/"+name] = &fstest.MapFile{Data: b}
	}
	s, err := postgres.OpenWithMigrations(ctx, url, old)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, q := range []string{
		`INSERT INTO directories VALUES ('d', 'D', '', false, now(), now())`,
		`INSERT INTO users VALUES ('d', 'u1', 'B.Simon@Contoso.com', 'B.', 'Simon', 'B. Simon', 'B.Simon@Contoso.com',
			'user', false, false, '', now(), now(), now())`,
		`INSERT INTO groups VALUES ('d', 'g1', 'Sales', '', now(), now())`,
		`INSERT INTO apps VALUES ('d', 'a1', 'Mixpanel', 'mixpanel', true, true, true, '', NULL, '', '{}', '', now(), now())`,
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	s = openURL(t, url)
	if u, err := s.FindUserByName(ctx, "d", "b.simon@contoso.com"); err != nil || u.ID != "u1" {
		t.Errorf("FindUserByName = %v, %v; want u1", u, err)
	}
	if users, _, err := s.FindUsers(ctx, "d", gatehouse.UserFilter{Query: "SIMON"}); err != nil || len(users) != 1 {
		t.Errorf("FindUsers(SIMON) = %v, %v; want u1", users, err)
	}
	wantCode(t, "CreateGroup with a taken name", s.CreateGroup(ctx, &gatehouse.Group{ID: "g2", DirectoryID: "d", Name: "SALES"}), gatehouse.ECONFLICT)
	if apps, err := s.FindApps(ctx, "d", "PANEL"); err != nil || len(apps) != 1 {
		t.Errorf("FindApps(PANEL) = %v, %v; want a1", apps, err)
	}
}
