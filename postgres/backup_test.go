package postgres_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/internal/pgtest"
	"github.com/gatehouse-idp/gatehouse/postgres"
)

// TestDumpAndRestore follows docs/operations.md: pg_dump --format=custom of a database in use, pg_restore
// --no-owner into an empty database, and Gatehouse opens the restored database as it is, with everything in it.
func TestDumpAndRestore(t *testing.T) {
	pgDump, pgRestore := pgtest.Tool(t, "pg_dump"), pgtest.Tool(t, "pg_restore")
	ctx := context.Background()
	from := pgtest.URL(t)
	s, err := postgres.Open(ctx, from)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	at := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	d := &gatehouse.Directory{ID: "contoso", Name: "Contoso", Logo: []byte{0x89, 'P', 'N', 'G'}, LogoType: "image/png",
		CreatedAt: at, UpdatedAt: at}
	u := &gatehouse.User{ID: "u1", DirectoryID: "contoso", UserName: "b.simon@contoso.com", Role: gatehouse.RoleUser,
		MFAEnabled: true, MFASecret: []byte("sealed"), RecoveryCodes: []string{"h1", "h2"}, CreatedAt: at, UpdatedAt: at}
	c := &gatehouse.Certificate{ID: "c1", DirectoryID: "contoso", DER: []byte{0x30}, EncryptedKey: []byte("sealed-key"),
		Thumbprint: "AA", NotBefore: at, NotAfter: at.AddDate(3, 0, 0), DeactivatedAt: at.Add(time.Hour), CreatedAt: at}
	for _, err := range []error{s.CreateDirectory(ctx, d), s.CreateUser(ctx, u), s.CreateCertificate(ctx, c)} {
		if err != nil {
			t.Fatal(err)
		}
	}

	dump := filepath.Join(t.TempDir(), "gatehouse.dump")
	if out, err := exec.Command(pgDump, "--format=custom", "--file="+dump, from).CombinedOutput(); err != nil {
		t.Fatalf("pg_dump: %v\n%s", err, out)
	}
	to := pgtest.URL(t)
	if out, err := exec.Command(pgRestore, "--no-owner", "--dbname="+to, dump).CombinedOutput(); err != nil {
		t.Fatalf("pg_restore: %v\n%s", err, out)
	}
	r, err := postgres.Open(ctx, to)
	if err != nil {
		t.Fatalf("open the restored database: %v", err)
	}
	defer r.Close()
	want, _ := s.SchemaVersion(ctx)
	if got, err := r.SchemaVersion(ctx); err != nil || got != want {
		t.Errorf("restored schema version = %d, %v; want %d", got, err, want)
	}
	gotD, err := r.FindDirectory(ctx, "contoso")
	if err != nil {
		t.Fatal(err)
	}
	gotU, err := r.FindUser(ctx, "contoso", "u1")
	if err != nil {
		t.Fatal(err)
	}
	gotC, err := r.FindCertificate(ctx, "contoso", "c1")
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range []struct{ want, got any }{{d, gotD}, {u, gotU}, {c, gotC}} {
		if diff := cmp.Diff(x.want, x.got); diff != "" {
			t.Errorf("restored mismatch (-want +got):\n%s", diff)
		}
	}
}
