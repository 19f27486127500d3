package sqlstore

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// ErrSchemaTooNew is returned (wrapped) when a database has a migration that this version of Gatehouse does not know:
// a newer version migrated it.
var ErrSchemaTooNew = errors.New("the database schema is newer than this version of Gatehouse knows")

// Migration is one numbered SQL file of a migrations folder.
type Migration struct {
	Version int
	Name    string // the file name, such as 0001_init.sql
	SQL     string
}

// ReadMigrations returns the migrations in the folder "migrations" of fsys, in order. Each file is named
// NNNN_name.sql, and their numbers must run 1, 2, 3... without gaps.
func ReadMigrations(fsys fs.FS) ([]Migration, error) {
	names, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	var ms []Migration
	for _, name := range names {
		base := path.Base(name)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s is not named NNNN_name.sql", base)
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", base, err)
		}
		ms = append(ms, Migration{Version: v, Name: base, SQL: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	for i, m := range ms {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migration %s: want number %d", m.Name, i+1)
		}
	}
	return ms, nil
}

// Next returns the first migration of ms whose version is not among applied, the versions a database records, and
// reports whether there is one. A database migrated in order has applied a prefix of ms; one that has a gap (see
// the SQLite store's renumbering) gets the missing migrations in order. Next returns an error wrapping
// ErrSchemaTooNew when applied holds a version ms does not have.
func Next(ms []Migration, applied []int) (Migration, bool, error) {
	if len(applied) > 0 {
		if newest := slices.Max(applied); newest > len(ms) {
			return Migration{}, false, fmt.Errorf("%w (database at version %d, this code at %d)", ErrSchemaTooNew, newest, len(ms))
		}
	}
	for _, m := range ms {
		if !slices.Contains(applied, m.Version) {
			return m, true, nil
		}
	}
	return Migration{}, false, nil
}
