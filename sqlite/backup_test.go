package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/sqlite"
)

// TestBackup copies a database that another store on the same file keeps writing to, and opens the copy as a
// restored database: it holds every directory committed before the backup began.
func TestBackup(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "gatehouse.db")
	s, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	t0 := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	newDir := func(id string) *gatehouse.Directory {
		return &gatehouse.Directory{ID: id, Name: id, Logo: []byte{0x89, 'P', 'N', 'G'}, LogoType: "image/png", CreatedAt: t0, UpdatedAt: t0}
	}
	for i := range 20 {
		if err := s.CreateDirectory(ctx, newDir(fmt.Sprintf("before-%02d", i))); err != nil {
			t.Fatal(err)
		}
	}
	// A second process's store writes while the backup runs.
	writer, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range 50 {
			if err := writer.CreateDirectory(ctx, newDir(fmt.Sprintf("during-%02d", i))); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	backup := filepath.Join(dir, "backup", "gatehouse.db")
	if err := s.Backup(ctx, filepath.Join(dir, "missing", "dir", "x.db")); err == nil {
		t.Error("Backup into a missing directory succeeded")
	}
	if err := os.MkdirAll(filepath.Dir(backup), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := s.Backup(ctx, backup); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if err := s.Backup(ctx, backup); err == nil {
		t.Error("Backup over an existing file succeeded")
	}

	restored, err := sqlite.Open(backup)
	if err != nil {
		t.Fatal(err)
	}
	defer restored.Close()
	list, err := restored.FindDirectories(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, d := range list {
		got[d.ID] = true
	}
	for i := range 20 {
		if id := fmt.Sprintf("before-%02d", i); !got[id] {
			t.Errorf("the backup lacks directory %s, committed before it began", id)
		}
	}
	d, err := restored.FindDirectory(ctx, "before-00")
	if err != nil || string(d.Logo) != "\x89PNG" {
		t.Errorf("restored directory = %+v, %v; want its logo", d, err)
	}
	v, err := restored.SchemaVersion(ctx)
	if n, _ := sqlite.MigrationCount(); err != nil || v != n {
		t.Errorf("restored schema version = %d, %v; want %d", v, err, n)
	}
}
