package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/gatehouse-idp/gatehouse/sqlite"
)

// runBackup writes a copy of the SQLite database of a data directory to a new file, while the server runs.
func runBackup(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	var data, to string
	fs := flag.NewFlagSet("gatehouse backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&data, "data", envOr(getenv, "GATEHOUSE_DATA", "./gatehouse-data"), "data directory of the server to back up (env GATEHOUSE_DATA)")
	fs.StringVar(&to, "to", "", "the backup file to write; it must not exist yet")
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: gatehouse backup --to <file> [--data <data directory>]

Writes a consistent copy of the SQLite database of a data directory to a new file, while the server keeps
running. The copy is itself a Gatehouse database: to restore it, stop the server, put the copy in place of
<data>/gatehouse.db (removing gatehouse.db-wal and gatehouse.db-shm beside it) and start the server again.

The signing keys in the copy are encrypted with the key file <data>/gatehouse.key (or the --key the server is
given), which the copy does not hold: keep that key too, apart from the backups. Without it no signing key opens.
A server on PostgreSQL is backed up with pg_dump instead (docs/operations.md).

Example:
  gatehouse backup --data /var/lib/gatehouse --to /backup/gatehouse.db

Flags:
`)
		fs.PrintDefaults()
	}
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	switch {
	case to == "":
		fs.Usage()
		return &usageError{"--to is required"}
	}
	path := filepath.Join(data, "gatehouse.db")
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("--data: %s holds no Gatehouse database: %w", data, err)
	}
	s, err := sqlite.Open(path)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.Backup(ctx, to); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Wrote a copy of %s to %s.\n", path, to)
	return nil
}
