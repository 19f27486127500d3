package postgres

import (
	"context"
	"fmt"
	"io/fs"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/internal/sqlstore"
)

// ReadMigrations exposes readMigrations to the tests.
var ReadMigrations = readMigrations

// OpenWithMigrations opens a store that knows the migrations in fsys instead of the embedded ones.
func OpenWithMigrations(ctx context.Context, url string, fsys fs.FS) (*Store, error) {
	return open(ctx, url, fsys)
}

// ConstraintMessages exposes the messages of constraint violations to the tests.
var ConstraintMessages = constraintMessages

// ExplainFindUsers returns PostgreSQL's plans of the page and of the count that FindUsers sends for f (a broad
// search when broad), after
// ANALYZE has given the planner the table's statistics. A table of a test's size fits in a few pages, which a
// sequential scan reads faster than any index; enable_seqscan=off tells the planner to find the plan it would
// choose for a large directory.
func (s *Store) ExplainFindUsers(ctx context.Context, directoryID string, f gatehouse.UserFilter, broad bool) (page, count string, err error) {
	if _, err := s.pool.Exec(ctx, `ANALYZE users`); err != nil {
		return "", "", err
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return "", "", err
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SET LOCAL enable_seqscan = off`); err != nil {
		return "", "", err
	}
	explain := func(q string, args []any) (string, error) {
		rows, err := tx.Query(ctx, `EXPLAIN `+q, args...)
		if err != nil {
			return "", err
		}
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		return strings.Join(lines, "\n"), err
	}
	window, countWindow := 0, 0
	if broad {
		window, countWindow = sqlstore.SearchWindow, -1
	}
	q, args := usersPage(directoryID, f, 25, window)
	if page, err = explain(q, args); err != nil {
		return "", "", err
	}
	f.After, f.Before = "", ""
	from, _, args := findUsersQuery(directoryID, f, countWindow)
	count, err = explain(fmt.Sprintf(`SELECT count(*) FROM (SELECT 1 FROM %s LIMIT %d) c`, from, gatehouse.UserCountLimit+1), args)
	return page, count, err
}
