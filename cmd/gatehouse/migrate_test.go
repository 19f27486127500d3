package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/certs"
	"github.com/gatehouse-idp/gatehouse/gallery"
	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/internal/pgtest"
	"github.com/gatehouse-idp/gatehouse/password"
	"github.com/gatehouse-idp/gatehouse/postgres"
	"github.com/gatehouse-idp/gatehouse/sqlite"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// newService returns the services as gatehouse serve builds them, on store with the key-encryption key kek, with
// password hashing cheap enough for tests.
func newService(t *testing.T, store gatehouse.Store, kek []byte) *idp.Service {
	t.Helper()
	sealer, err := certs.NewSealer(kek)
	if err != nil {
		t.Fatal(err)
	}
	nameIDs, err := nameIDKey(kek)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := idp.New(idp.Config{
		Store: store, Gallery: gallery.MustLoad(), Sealer: sealer, PublicURL: "http://127.0.0.1:8080",
		Hasher:    password.NewHasher(password.Params{Time: 1, MemoryKiB: 1024, Threads: 1, KeyLen: 32, SaltLen: 16}, 2),
		NameIDKey: nameIDs,
	})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// runCLI runs the command line and returns its exit code, stdout and stderr.
func runCLI(args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, system{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr,
		getenv: func(string) string { return "" }, hc: http.DefaultClient, isTerminal: func(any) bool { return false }})
	return code, stdout.String(), stderr.String()
}

// verifyAssertion checks the signature of the Assertion in a SAML Response with the certificate.
func verifyAssertion(t *testing.T, response []byte, cert *x509.Certificate) {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(response); err != nil {
		t.Fatalf("read the Response: %v", err)
	}
	assertion := doc.FindElement("//Assertion")
	if assertion == nil {
		t.Fatalf("the Response has no Assertion:\n%s", response)
	}
	vc := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{cert}})
	if _, err := vc.Validate(assertion); err != nil {
		t.Fatalf("the Assertion's signature does not verify with the app's certificate: %v", err)
	}
}

// TestMigrate fills a SQLite deployment through the services, as a running server would, copies it into
// PostgreSQL with gatehouse migrate, and signs the same user in to the same app from PostgreSQL: the session, the
// assignment and the signing key (opened with the data directory's key file) all came across.
func TestMigrate(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	kek, err := certs.LoadOrCreateKeyFile(filepath.Join(data, "gatehouse.key"))
	if err != nil {
		t.Fatal(err)
	}
	src, err := sqlite.Open(filepath.Join(data, "gatehouse.db"))
	if err != nil {
		t.Fatal(err)
	}
	svc := newService(t, src, kek)
	if _, _, err := svc.Bootstrap(ctx, "admin@contoso.com", "Correct-Horse-Battery-9"); err != nil {
		t.Fatal(err)
	}
	admin, err := src.FindUserByName(ctx, gatehouse.DefaultDirectoryID, "admin@contoso.com")
	if err != nil {
		t.Fatal(err)
	}
	user, tempPW, err := svc.CreateUser(ctx, admin, gatehouse.DefaultDirectoryID, idp.UserInput{UserName: "b.simon@contoso.com",
		FirstName: "B", LastName: "Simon", Mail: "b.simon@contoso.com"})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.ChangePassword(ctx, user, tempPW, "Blue-Ocean-Lantern-42"); err != nil {
		t.Fatal(err)
	}
	if user, err = src.FindUser(ctx, gatehouse.DefaultDirectoryID, user.ID); err != nil {
		t.Fatal(err)
	}
	app, _, err := svc.AddApp(ctx, admin, gatehouse.DefaultDirectoryID, idp.AppInput{GalleryID: "custom", Name: "Analytics"})
	if err != nil {
		t.Fatal(err)
	}
	settings := app.SAML
	settings.EntityID, settings.ReplyURLs = "https://analytics.example.test/saml", []string{"https://analytics.example.test/acs"}
	if app, err = svc.UpdateApp(ctx, admin, gatehouse.DefaultDirectoryID, app.ID, idp.AppPatch{SAML: &settings}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Assign(ctx, admin, gatehouse.DefaultDirectoryID, app.ID, gatehouse.PrincipalUser, user.ID); err != nil {
		t.Fatal(err)
	}
	token, _, err := svc.CreateSession(ctx, user, false)
	if err != nil {
		t.Fatal(err)
	}
	if a, err := svc.OpenApp(ctx, gatehouse.DefaultDirectoryID, app.ID, token); err != nil || a.Post == nil {
		t.Fatalf("OpenApp = %+v, %v; want a Response", a, err)
	}
	before, _, err := src.FindSignInEvents(ctx, gatehouse.DefaultDirectoryID, gatehouse.SignInFilter{})
	if err != nil || len(before) == 0 {
		t.Fatalf("the sign-in log before the move: %v, %v", before, err)
	}
	certsBefore, err := src.FindCertificates(ctx, gatehouse.DefaultDirectoryID, app.ID)
	if err != nil || len(certsBefore) != 1 {
		t.Fatalf("certificates before the move: %v, %v", certsBefore, err)
	}
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}

	url := pgtest.URL(t)
	code, stdout, stderr := runCLI("migrate", "--from", data, "--to", url)
	if code != exitOK || !strings.Contains(stdout, "Every signing key opens with the key file") {
		t.Fatalf("gatehouse migrate: exit code %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "Copied 1 directory, 2 users, 1 app and 2 signing certificates") {
		t.Errorf("gatehouse migrate did not sum up what it copied:\n%s", stdout)
	}

	dst, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	svc = newService(t, dst, kek)
	_, u, err := svc.SessionUser(ctx, token)
	if err != nil {
		t.Fatalf("the session cookie from before the move: %v", err)
	}
	if u.ID != user.ID {
		t.Fatalf("the session is %s's, want %s's", u.ID, user.ID)
	}
	a, err := svc.OpenApp(ctx, gatehouse.DefaultDirectoryID, app.ID, token)
	if err != nil || a.Post == nil {
		t.Fatalf("sign-in from PostgreSQL: %+v, %v", a, err)
	}
	post := a.Post
	cert, err := x509.ParseCertificate(certsBefore[0].DER)
	if err != nil {
		t.Fatal(err)
	}
	verifyAssertion(t, post.Response, cert)
	after, _, err := dst.FindSignInEvents(ctx, gatehouse.DefaultDirectoryID, gatehouse.SignInFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before)+1 || after[len(after)-1].ID != before[len(before)-1].ID {
		t.Errorf("the sign-in log after the move has %d entries, want the %d from before and the new one", len(after), len(before))
	}

	t.Run("NotIntoAFilledDatabase", func(t *testing.T) {
		code, _, stderr := runCLI("migrate", "--from", data, "--to", url)
		if code != exitError || !strings.Contains(stderr, "already holds 1 directory") {
			t.Errorf("second migrate: exit code %d, stderr %q; want 1 saying the database is not empty", code, stderr)
		}
	})
	t.Run("KeyFileContentAsKey", func(t *testing.T) {
		// As docs/operations.md says: --key "$(cat gatehouse-data/gatehouse.key)" is the key file's key.
		b, err := os.ReadFile(filepath.Join(data, "gatehouse.key"))
		if err != nil {
			t.Fatal(err)
		}
		code, stdout, stderr := runCLI("migrate", "--from", data, "--to", pgtest.URL(t), "--key", string(b))
		if code != exitOK || !strings.Contains(stdout, "Every signing key opens with the key given with --key") {
			t.Errorf("migrate with the key file's content as --key: exit code %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
		}
	})
	t.Run("WrongKey", func(t *testing.T) {
		key := make([]byte, 32)
		rand.Read(key)
		url := pgtest.URL(t)
		code, _, stderr := runCLI("migrate", "--from", filepath.Join(data, "gatehouse.db"), "--to", url,
			"--key", base64.StdEncoding.EncodeToString(key))
		if code != exitError || !strings.Contains(stderr, "does not open with the key given, so nothing was copied") {
			t.Errorf("migrate with another key: exit code %d, stderr %q; want 1 naming the key", code, stderr)
		}
		s, err := postgres.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if dirs, err := s.FindDirectories(ctx); err != nil || len(dirs) != 0 {
			t.Errorf("the database after a refused move holds %d directories (%v), want none", len(dirs), err)
		}
	})
}

func TestMigrateUsage(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nothing-here")
	empty := t.TempDir()
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"NoFrom", []string{"migrate", "--to", "postgres://127.0.0.1/x"}, exitUsage, "--from is required"},
		{"NotPostgres", []string{"migrate", "--from", empty, "--to", "mysql://127.0.0.1/x"}, exitUsage, "--to must be a postgres://"},
		{"UnknownFlag", []string{"migrate", "--form", empty}, exitUsage, "flag provided but not defined: -form"},
		{"Extra", []string{"migrate", "--from", empty, "--to", "postgres://127.0.0.1/x", "now"}, exitUsage, "unexpected arguments: now"},
		{"MissingSource", []string{"migrate", "--from", missing, "--to", "postgres://127.0.0.1/x"}, exitError, "no such file"},
		{"EmptyDataDirectory", []string{"migrate", "--from", empty, "--to", "postgres://127.0.0.1/x"}, exitError, "holds no Gatehouse database"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCLI(tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.stderr) {
				t.Errorf("exit code %d, stderr %q; want %d and %q", code, stderr, tc.code, tc.stderr)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(empty, "gatehouse.db")); err == nil {
		t.Error("migrate created a database in the source directory")
	}
	code, stdout, stderr := runCLI("help", "migrate")
	if code != exitOK || !strings.Contains(stdout, "Usage: gatehouse migrate --from") || stderr != "" {
		t.Errorf("gatehouse help migrate: exit code %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}
