package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/sqlite"
)

// TestMFABrandingRolloverMigration migrates a database holding rows from before mfa_branding_rollover: users have MFA off with no
// secret and no recovery codes, directories no logo, and certificates a zero DeactivatedAt; the new fields then
// store as on a new database.
func TestMFABrandingRolloverMigration(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "gatehouse.db")
	b, err := os.ReadFile(filepath.Join("migrations", "0001_init.sql"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := sqlite.OpenWithMigrations(path, fstest.MapFS{"migrations/0001_init.sql": {Data: b}})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	db := rawDB(t, path)
	for _, q := range []string{
		`INSERT INTO directories (id, name, domain, require_mfa, created_at, updated_at) VALUES ('d', 'D', '', 0, 1, 1)`,
		`INSERT INTO users (directory_id, id, user_name, user_name_key, first_name, first_name_key, last_name,
			last_name_key, display_name, display_name_key, mail, mail_key, role, disabled, must_change_password,
			password_hash, password_changed_at, created_at, updated_at)
			VALUES ('d', 'u1', 'b@c', 'b@c', '', '', '', '', '', '', '', '', 'user', 0, 0, '', 1, 1, 1)`,
		`INSERT INTO certificates (directory_id, id, app_id, der, encrypted_key, thumbprint, not_before, not_after,
			active, created_at) VALUES ('d', 'c1', NULL, x'30', x'00', 'AA', 1, 2, 0, 1)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	s, err = sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	u, err := s.FindUser(ctx, "d", "u1")
	if err != nil {
		t.Fatal(err)
	}
	if u.MFAEnabled || u.MFASecret != nil || u.RecoveryCodes != nil {
		t.Errorf("a user from before the migration: MFA %v, secret %q, codes %q; want none", u.MFAEnabled, u.MFASecret, u.RecoveryCodes)
	}
	d, err := s.FindDirectory(ctx, "d")
	if err != nil {
		t.Fatal(err)
	}
	if d.Logo != nil || d.LogoType != "" {
		t.Errorf("a directory from before the migration has logo %q of type %q; want none", d.Logo, d.LogoType)
	}
	c, err := s.FindCertificate(ctx, "d", "c1")
	if err != nil {
		t.Fatal(err)
	}
	if !c.DeactivatedAt.IsZero() {
		t.Errorf("a certificate from before the migration has DeactivatedAt %v; want zero", c.DeactivatedAt)
	}
	u.MFAEnabled, u.MFASecret, u.RecoveryCodes = true, []byte("sealed"), []string{"h1"}
	if err := s.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	if err := s.ActivateCertificate(ctx, "d", "c1", at); err != nil {
		t.Fatal(err)
	}
	got, err := s.FindUser(ctx, "d", "u1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(u, got); diff != "" {
		t.Errorf("user mismatch (-want +got):\n%s", diff)
	}
	if c, err := s.FindCertificate(ctx, "d", "c1"); err != nil || !c.Active || !c.DeactivatedAt.IsZero() {
		t.Errorf("activated certificate = %+v, %v; want active with a zero DeactivatedAt", c, err)
	}
}

// migrationsBefore returns the embedded migrations that come before the one whose file name contains name.
func migrationsBefore(t *testing.T, name string) fstest.MapFS {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("migrations", "*.sql"))
	if err != nil {
		t.Fatal(err)
	}
	out := fstest.MapFS{}
	for _, f := range files {
		if strings.Contains(filepath.Base(f), name) {
			return out
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out["migrations/"+filepath.Base(f)] = &fstest.MapFile{Data: b}
	}
	t.Fatalf("no migration named *%s*", name)
	return nil
}

// TestAuthnContextMigration migrates pending sign-ins that carry their authentication context class at the end of
// their ID ("-ac" and the class's index): the class moves to its own column and the ID stays, so the sign-in
// still continues; one without the suffix gets none.
func TestAuthnContextMigration(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "gatehouse.db")
	s, err := sqlite.OpenWithMigrations(path, migrationsBefore(t, "authn_context"))
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	if err := s.CreateDirectory(ctx, &gatehouse.Directory{ID: "d", Name: "D", CreatedAt: t0, UpdatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	db := rawDB(t, path)
	// The app is written as the schema of then held it: today's CreateApp writes columns of later migrations.
	if _, err := db.Exec(`INSERT INTO apps (directory_id, id, name, name_key, gallery_id, enabled, assignment_required,
		visible, notes, logo_type, saml, entity_id, created_at, updated_at)
		VALUES ('d', 'a', 'A', 'a', 'custom', 1, 0, 1, '', '', '{}', '', 1, 1)`); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"plain", "mfa-ac5", "pwd-ac1"} {
		if _, err := db.Exec(`INSERT INTO sign_in_requests (directory_id, id, app_id, request_id, acs_url, relay_state,
			force_authn, name_id_format, created_at, expires_at) VALUES ('d', ?, 'a', '_r', 'https://a.example/acs', '', 0, '', 1, ?)`,
			id, t0.Add(time.Hour).UnixMicro()); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	s = mustOpenPath(t, path)
	for id, want := range map[string]string{
		"plain":   "",
		"mfa-ac5": "https://refeds.org/profile/mfa",
		"pwd-ac1": "urn:oasis:names:tc:SAML:2.0:ac:classes:Password",
	} {
		r, err := s.FindSignInRequest(ctx, "d", id, t0)
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		if r.AuthnContext != want {
			t.Errorf("%s: AuthnContext %q, want %q", id, r.AuthnContext, want)
		}
	}
}

// migrationNames returns the names of the SQL files in migrations/, in order.
func migrationNames(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir("migrations")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".sql") {
			names = append(names, e.Name())
		}
	}
	return names
}

// TestRenumberedMigrations opens databases made by the SQLite store before it numbered its migrations as the
// PostgreSQL store does (0001_init, 0002_mfa_branding_rollover, 0003_sign_in_session; each prefix of them): what
// they recorded is renumbered, the migrations they lack are applied, and their rows stay as they were.
func TestRenumberedMigrations(t *testing.T) {
	read := func(name string) []byte {
		t.Helper()
		b, err := os.ReadFile(filepath.Join("migrations", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	// The files as they were, under their former names; their content has not changed since.
	before := []struct{ name, now string }{
		{"0001_init.sql", "0001_init.sql"},
		{"0002_mfa_branding_rollover.sql", "0004_mfa_branding_rollover.sql"},
		{"0003_sign_in_session.sql", "0005_sign_in_session.sql"},
	}
	names := migrationNames(t)
	ctx := context.Background()
	t0 := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	for n := 1; n <= len(before); n++ {
		t.Run(fmt.Sprintf("made at version %d", n), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "gatehouse.db")
			old := fstest.MapFS{}
			for _, f := range before[:n] {
				old["migrations/"+f.name] = &fstest.MapFile{Data: read(f.now)}
			}
			s, err := sqlite.OpenWithMigrations(path, old)
			if err != nil {
				t.Fatal(err)
			}
			s.Close()
			db := rawDB(t, path)
			for _, q := range []string{
				`INSERT INTO directories (id, name, domain, require_mfa, created_at, updated_at) VALUES ('d', 'D', '', 0, 1, 1)`,
				fmt.Sprintf(`INSERT INTO counters (key, count, started_at) VALUES ('old', 3, %d)`, t0.UnixMicro()),
			} {
				if _, err := db.Exec(q); err != nil {
					t.Fatal(err)
				}
			}
			db.Close()

			s, err = sqlite.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			rows, err := rawDB(t, path).Query(`SELECT version, name FROM schema_migrations ORDER BY version`)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for rows.Next() {
				var v int
				var name string
				if err := rows.Scan(&v, &name); err != nil {
					t.Fatal(err)
				}
				got = append(got, fmt.Sprintf("%d %s", v, name))
			}
			rows.Close()
			var want []string
			for i, name := range names {
				want = append(want, fmt.Sprintf("%d %s", i+1, name))
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("schema_migrations mismatch (-want +got):\n%s", diff)
			}
			if v, err := s.SchemaVersion(ctx); err != nil || v != len(names) {
				t.Errorf("SchemaVersion = %d, %v; want %d", v, err, len(names))
			}
			if _, err := s.FindDirectory(ctx, "d"); err != nil {
				t.Errorf("the directory from before: %v", err)
			}
			// The counter from before counts on, and expires a day after it started.
			if c, err := s.IncrementCounter(ctx, "old", t0.Add(time.Minute), time.Hour); err != nil || c != 4 {
				t.Errorf("IncrementCounter of the counter from before = %d, %v; want 4", c, err)
			}
			var expires int64
			if err := rawDB(t, path).QueryRow(`SELECT expires_at FROM counters WHERE key = 'old'`).Scan(&expires); err != nil {
				t.Fatal(err)
			}
			if got := time.UnixMicro(expires).UTC(); !got.Equal(t0.Add(time.Hour)) {
				t.Errorf("the counter from before expires at %v, want the end of its window %v", got, t0.Add(time.Hour))
			}
			// A second open finds nothing to do.
			s2, err := sqlite.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			s2.Close()
		})
	}
}

// TestCounterExpiry checks that DeleteExpired removes counters whose window has ended, and only those.
func TestCounterExpiry(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "gatehouse.db")
	s, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	t0 := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
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
	keys := func() []string {
		t.Helper()
		rows, err := rawDB(t, path).Query(`SELECT key FROM counters ORDER BY key`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var list []string
		for rows.Next() {
			var k string
			if err := rows.Scan(&k); err != nil {
				t.Fatal(err)
			}
			list = append(list, k)
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
