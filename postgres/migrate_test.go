package postgres_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/internal/pgtest"
	"github.com/gatehouse-idp/gatehouse/postgres"
)

// TestMFABrandingRolloverMigration migrates a database holding rows from before 0004: users have MFA off with no
// secret and no recovery codes, directories no logo, and certificates a zero DeactivatedAt; the new fields then
// store as on a new database.
func TestMFABrandingRolloverMigration(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	old := fstest.MapFS{}
	for _, name := range []string{"0001_init.sql", "0002_counter_expiry.sql", "0003_name_keys.sql"} {
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
		`INSERT INTO directories (id, name, domain, require_mfa, created_at, updated_at) VALUES ('d', 'D', '', false, now(), now())`,
		`INSERT INTO users (directory_id, id, user_name, first_name, last_name, display_name, mail, role, disabled,
			must_change_password, password_hash, password_changed_at, created_at, updated_at, user_name_key,
			first_name_key, last_name_key, display_name_key, mail_key)
			VALUES ('d', 'u1', 'b@c', '', '', '', '', 'user', false, false, '', now(), now(), now(), 'b@c', '', '', '', '')`,
		`INSERT INTO certificates (directory_id, id, app_id, der, encrypted_key, thumbprint, not_before, not_after,
			active, created_at) VALUES ('d', 'c1', NULL, '\x30', '\x00', 'AA', now(), now(), false, now())`,
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}

	s = openURL(t, url)
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
	if err := s.ActivateCertificate(ctx, "d", "c1", time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)); err != nil {
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
	url := pgtest.URL(t)
	s, err := postgres.OpenWithMigrations(ctx, url, migrationsBefore(t, "authn_context"))
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	if err := s.CreateDirectory(ctx, &gatehouse.Directory{ID: "d", Name: "D", CreatedAt: t0, UpdatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	// The app is written as the schema of then held it: today's CreateApp writes columns of later migrations.
	if _, err := conn.Exec(ctx, `INSERT INTO apps (directory_id, id, name, name_key, gallery_id, enabled,
		assignment_required, visible, notes, logo_type, saml, entity_id, created_at, updated_at)
		VALUES ('d', 'a', 'A', 'a', 'custom', true, false, true, '', '', '{}', '', $1, $1)`, t0); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"plain", "mfa-ac5", "pwd-ac1"} {
		if _, err := conn.Exec(ctx, `INSERT INTO sign_in_requests (directory_id, id, app_id, request_id, acs_url, relay_state,
			force_authn, name_id_format, created_at, expires_at) VALUES ('d', $1, 'a', '_r', 'https://a.example/acs', '', false, '', $2, $3)`,
			id, t0, t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	conn.Close(ctx)

	s = openURL(t, url)
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
