package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/sqlite"
)

// TestBackupAndRestore backs up a data directory whose database is open, and restores the copy as
// docs/operations.md says: the copy put in place of gatehouse.db in a data directory is the database.
func TestBackupAndRestore(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	live, err := sqlite.Open(filepath.Join(data, "gatehouse.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	t0 := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	if err := live.CreateDirectory(ctx, &gatehouse.Directory{ID: "contoso", Name: "Contoso", CreatedAt: t0, UpdatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	backup := filepath.Join(t.TempDir(), "gatehouse-backup.db")
	code, stdout, stderr := runCLI("backup", "--data", data, "--to", backup)
	if code != exitOK || !strings.Contains(stdout, "Wrote a copy of") {
		t.Fatalf("gatehouse backup: exit code %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	code, _, stderr = runCLI("backup", "--data", data, "--to", backup)
	if code != exitError || !strings.Contains(stderr, "exists already") {
		t.Errorf("backup over an existing file: exit code %d, stderr %q; want 1", code, stderr)
	}

	restored := t.TempDir()
	b, err := os.ReadFile(backup)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(restored, "gatehouse.db"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := sqlite.Open(filepath.Join(restored, "gatehouse.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if d, err := s.FindDirectory(ctx, "contoso"); err != nil || d.Name != "Contoso" {
		t.Errorf("the restored database: %+v, %v; want the directory contoso", d, err)
	}
}

func TestBackupUsage(t *testing.T) {
	empty := t.TempDir()
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"NoTo", []string{"backup", "--data", empty}, exitUsage, "--to is required"},
		{"Extra", []string{"backup", "--data", empty, "--to", "x.db", "now"}, exitUsage, "unexpected arguments: now"},
		{"NoDatabase", []string{"backup", "--data", empty, "--to", filepath.Join(empty, "x.db")}, exitError, "holds no Gatehouse database"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCLI(tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.stderr) {
				t.Errorf("exit code %d, stderr %q; want %d and %q", code, stderr, tc.code, tc.stderr)
			}
		})
	}
	code, stdout, _ := runCLI("help", "backup")
	if code != exitOK || !strings.Contains(stdout, "Usage: gatehouse backup --to") {
		t.Errorf("gatehouse help backup: exit code %d, stdout %q", code, stdout)
	}
}
