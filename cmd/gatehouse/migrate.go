package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/certs"
	"github.com/gatehouse-idp/gatehouse/postgres"
	"github.com/gatehouse-idp/gatehouse/sqlite"
	"github.com/gatehouse-idp/gatehouse/storecopy"
)

// migrateConfig is the configuration of `gatehouse migrate`.
type migrateConfig struct {
	From string
	To   string
	Key  string
}

// runMigrate copies a SQLite deployment into an empty PostgreSQL database.
func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	var c migrateConfig
	fs := flag.NewFlagSet("gatehouse migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.From, "from", "", "the SQLite deployment to copy: its data directory, or the database file itself")
	fs.StringVar(&c.To, "to", getenv("GATEHOUSE_DATABASE_URL"), "postgres://… URL of the empty PostgreSQL database to fill (env GATEHOUSE_DATABASE_URL)")
	fs.StringVar(&c.Key, "key", getenv("GATEHOUSE_KEY"), "the key that encrypts the signing keys, when it is not the key file of the data directory (env GATEHOUSE_KEY)")
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: gatehouse migrate --from <data directory or SQLite file> --to postgres://…

Copies a SQLite deployment into an empty PostgreSQL database, all or nothing: directories, users (with
password hashes and TOTP secrets), groups, apps, signing certificates with their encrypted keys, assignments,
API tokens, live sign-in sessions and the sign-in and audit logs. Stop the server first: changes made during
the copy would be missed. Signing keys are copied as they are, still encrypted; every node that serves from
PostgreSQL needs the same key (--key, or the key file <data>/gatehouse.key). With that key at hand (in the data
directory, or given with --key) migrate checks that every signing key opens with it.

Example:
  gatehouse migrate --from ./gatehouse-data --to 'postgres://gatehouse:secret@db.internal:5432/gatehouse'

Flags:
`)
		fs.PrintDefaults()
	}
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	switch {
	case c.From == "":
		fs.Usage()
		return &usageError{"--from is required"}
	case !isPostgresURL(c.To):
		fs.Usage()
		return &usageError{"--to must be a postgres:// or postgresql:// URL"}
	}

	dbPath, keyPath, err := sqliteSource(c.From)
	if err != nil {
		return err
	}
	var sealer *certs.Sealer
	switch {
	case c.Key != "":
		kek, err := certs.ParseKey(c.Key)
		if err != nil {
			return err
		}
		if sealer, err = certs.NewSealer(kek); err != nil {
			return err
		}
	case keyPath != "":
		kek, err := certs.LoadOrCreateKeyFile(keyPath)
		if err != nil {
			return err
		}
		if sealer, err = certs.NewSealer(kek); err != nil {
			return err
		}
	}

	src, err := sqlite.Open(dbPath)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := postgres.Open(ctx, c.To)
	if err != nil {
		return err
	}
	defer dst.Close()
	existing, err := dst.FindDirectories(ctx)
	if err != nil {
		return err
	}
	if len(existing) > 0 {
		return fmt.Errorf("the PostgreSQL database already holds %s; migrate fills an empty database only",
			plural(len(existing), "directory", "directories"))
	}
	// The keys are checked in the source first, so a wrong key stops the move before anything is written.
	want, err := countAll(ctx, src)
	if err != nil {
		return err
	}
	if err := openKeys(sealer, want.certificates); err != nil {
		return err
	}
	if err := storecopy.Copy(ctx, dst, src); err != nil {
		return err
	}
	got, err := countAll(ctx, dst)
	if err != nil {
		return err
	}
	if got.directories != want.directories || got.users != want.users || got.apps != want.apps ||
		len(got.certificates) != len(want.certificates) {
		return fmt.Errorf("PostgreSQL holds %d directories, %d users, %d apps and %d certificates after the copy, "+
			"but SQLite %d, %d, %d and %d", got.directories, got.users, got.apps, len(got.certificates),
			want.directories, want.users, want.apps, len(want.certificates))
	}
	if err := openKeys(sealer, got.certificates); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Copied %s, %s, %s and %s from %s to PostgreSQL.\n", plural(got.directories, "directory", "directories"),
		plural(got.users, "user", "users"), plural(got.apps, "app", "apps"),
		plural(len(got.certificates), "signing certificate", "signing certificates"), dbPath)
	switch {
	case sealer == nil:
		fmt.Fprintf(stdout, "No key was found beside the database: the signing keys were copied still encrypted, and open only with\n"+
			"the key the old server used. Give every node that key with --key.\n")
		return nil
	case c.Key != "":
		fmt.Fprintf(stdout, "Every signing key opens with the key given with --key.\n")
	default:
		fmt.Fprintf(stdout, "Every signing key opens with the key file %s.\n", keyPath)
	}
	fmt.Fprintf(stdout, "Start each node with --database-url and that key (--key, or a copy of the key file in its data directory).\n")
	return nil
}

// openKeys checks that the signing key of every certificate opens with the sealer; a nil sealer checks nothing.
func openKeys(sealer *certs.Sealer, list []*gatehouse.Certificate) error {
	if sealer == nil {
		return nil
	}
	for _, cert := range list {
		if len(cert.EncryptedKey) == 0 {
			continue
		}
		if _, err := sealer.OpenSigner(cert.EncryptedKey, cert.ID); err != nil {
			return fmt.Errorf("the signing key of certificate %s does not open with the key given, so nothing was copied: "+
				"give migrate the key the old server used (the key file in its data directory, or --key): %w", cert.ID, err)
		}
	}
	return nil
}

// plural returns n with the singular or the plural noun.
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// isPostgresURL reports whether u names a PostgreSQL database as --database-url takes it.
func isPostgresURL(u string) bool {
	return strings.HasPrefix(u, "postgres://") || strings.HasPrefix(u, "postgresql://")
}

// sqliteSource returns the database file of a data directory (or the file itself) and the key file beside it, ""
// when there is none. The database must exist: opening a missing one would create an empty one.
func sqliteSource(from string) (dbPath, keyPath string, err error) {
	fi, err := os.Stat(from)
	if err != nil {
		return "", "", fmt.Errorf("--from: %w", err)
	}
	dbPath = from
	if fi.IsDir() {
		dbPath = filepath.Join(from, "gatehouse.db")
		if _, err := os.Stat(dbPath); err != nil {
			return "", "", fmt.Errorf("--from: %s holds no Gatehouse database: %w", from, err)
		}
	}
	keyPath = filepath.Join(filepath.Dir(dbPath), "gatehouse.key")
	if _, err := os.Stat(keyPath); err != nil {
		keyPath = ""
	}
	return dbPath, keyPath, nil
}

// counts is what a store holds, for the summary of a migration.
type counts struct {
	directories, users, apps int
	certificates             []*gatehouse.Certificate
}

// countAll counts the directories, users and apps of s and returns its certificates.
func countAll(ctx context.Context, s gatehouse.Store) (*counts, error) {
	dirs, err := s.FindDirectories(ctx)
	if err != nil {
		return nil, err
	}
	n := &counts{directories: len(dirs)}
	for _, d := range dirs {
		// FindUsers counts no further than gatehouse.UserCountLimit+1: count every user, a page at a time.
		for after := ""; ; {
			users, _, err := s.FindUsers(ctx, d.ID, gatehouse.UserFilter{After: after, Limit: 1000})
			if err != nil {
				return nil, err
			}
			n.users += len(users)
			if len(users) < 1000 {
				break
			}
			after = users[len(users)-1].UserName
		}
		apps, err := s.FindApps(ctx, d.ID, "")
		if err != nil {
			return nil, err
		}
		n.apps += len(apps)
		owners := []string{""}
		for _, a := range apps {
			owners = append(owners, a.ID)
		}
		for _, appID := range owners {
			list, err := s.FindCertificates(ctx, d.ID, appID)
			if err != nil {
				return nil, err
			}
			n.certificates = append(n.certificates, list...)
		}
	}
	return n, nil
}

// runOperation runs gatehouse migrate or gatehouse backup, which work on the database itself rather than through
// the API, and returns the exit code.
func runOperation(ctx context.Context, args []string, sys system) int {
	run := runMigrate
	if args[0] == "backup" {
		run = runBackup
	}
	err := run(ctx, args[1:], sys.stdout, sys.stderr, sys.getenv)
	var usage *usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &usage):
		fmt.Fprintf(sys.stderr, "gatehouse %s: %v\n", args[0], err)
		return exitUsage
	}
	fmt.Fprintf(sys.stderr, "gatehouse %s: %v\n", args[0], err)
	return exitError
}

// parseNoArgs parses a server-side command's flags and refuses positional arguments, both as usage errors.
func parseNoArgs(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return &usageError{"unexpected arguments: " + strings.Join(fs.Args(), " ")}
	}
	return nil
}
