package sqlite_test

import (
	"context"
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

// TestMFABrandingRolloverMigration migrates a database holding rows from before 0002: users have MFA off with no
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
