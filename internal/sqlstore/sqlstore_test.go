package sqlstore_test

import (
	"errors"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/gatehouse-idp/gatehouse/internal/sqlstore"
)

// sqlFiles returns the names of the .sql files in dir.
func sqlFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
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

// TestEnginesHaveTheSameMigrations checks that SQLite and PostgreSQL number and name their migrations alike, so that
// one change to the schema is one number on both, and that both folders read as migrations.
func TestEnginesHaveTheSameMigrations(t *testing.T) {
	sqlite, postgres := sqlFiles(t, "../../sqlite/migrations"), sqlFiles(t, "../../postgres/migrations")
	if diff := cmp.Diff(postgres, sqlite); diff != "" {
		t.Errorf("the migrations of the two engines differ (-postgres +sqlite):\n%s", diff)
	}
	for _, dir := range []string{"../../sqlite", "../../postgres"} {
		ms, err := sqlstore.ReadMigrations(os.DirFS(dir))
		if err != nil || len(ms) != len(sqlite) {
			t.Errorf("%s: %d migrations, %v; want %d", dir, len(ms), err, len(sqlite))
		}
	}
}

func TestReadMigrations(t *testing.T) {
	tests := []struct {
		name  string
		files []string
		want  string // the error, or "" for none
	}{
		{"in order", []string{"0001_a.sql", "0002_b.sql", "README.md"}, ""},
		{"none", nil, ""},
		{"gap", []string{"0001_a.sql", "0003_c.sql"}, "0003_c.sql: want number 2"},
		{"duplicate", []string{"0001_a.sql", "0001_b.sql"}, "want number 2"},
		{"not from one", []string{"0002_b.sql"}, "0002_b.sql: want number 1"},
		{"no number", []string{"init.sql"}, "init.sql is not named NNNN_name.sql"},
		{"number zero", []string{"0000_a.sql"}, "0000_a.sql is not named NNNN_name.sql"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for _, f := range tt.files {
				fsys["migrations/"+f] = &fstest.MapFile{Data: []byte("SELECT 1; -- " + f)}
			}
			ms, err := sqlstore.ReadMigrations(fsys)
			if tt.want != "" {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("error %v, want one saying %q", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for i, m := range ms {
				if m.Version != i+1 || m.SQL != "SELECT 1; -- "+m.Name {
					t.Errorf("migration %d: %+v", i, m)
				}
			}
		})
	}
}

func TestNext(t *testing.T) {
	ms := []sqlstore.Migration{{Version: 1, Name: "0001_a.sql"}, {Version: 2, Name: "0002_b.sql"}, {Version: 3, Name: "0003_c.sql"}}
	tests := []struct {
		name    string
		applied []int
		want    int // the version of the next migration, or 0 for none
		tooNew  bool
	}{
		{"a new database", nil, 1, false},
		{"in order", []int{1, 2}, 3, false},
		{"all", []int{1, 2, 3}, 0, false},
		{"a gap is filled first", []int{1, 3}, 2, false},
		{"newer than the code", []int{1, 2, 3, 4}, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, ok, err := sqlstore.Next(ms, tt.applied)
			if tt.tooNew {
				if !errors.Is(err, sqlstore.ErrSchemaTooNew) || !strings.Contains(err.Error(), "version 4") {
					t.Errorf("Next = %v, want ErrSchemaTooNew naming version 4", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := map[bool]int{true: m.Version}[ok]; got != tt.want {
				t.Errorf("Next = %d (%v), want %d", m.Version, ok, tt.want)
			}
		})
	}
}

func TestPage(t *testing.T) {
	tests := []struct{ offset, limit, wantOffset, wantLimit int }{
		{0, 0, 0, sqlstore.DefaultLimit},
		{-5, 10, 0, 10},
		{20, sqlstore.MaxLimit + 1, 20, sqlstore.MaxLimit},
		{3, -1, 3, sqlstore.DefaultLimit},
	}
	for _, tt := range tests {
		if o, l := sqlstore.Page(tt.offset, tt.limit); o != tt.wantOffset || l != tt.wantLimit {
			t.Errorf("Page(%d, %d) = %d, %d; want %d, %d", tt.offset, tt.limit, o, l, tt.wantOffset, tt.wantLimit)
		}
	}
}

func TestKey(t *testing.T) {
	for in, want := range map[string]string{"B.Simon@Contoso.COM": "b.simon@contoso.com", "ÉLODIE": "élodie", "": ""} {
		if got := sqlstore.Key(in); got != want {
			t.Errorf("Key(%q) = %q, want %q", in, got, want)
		}
	}
}
