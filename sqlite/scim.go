package sqlite

import (
	"context"
	"time"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/internal/sqlquery"
	"github.com/gatehouse-idp/gatehouse/internal/sqlstore"
)

var dialect = sqlquery.SQLite(key)

// QueryUsers returns the directory's users that q selects, and how many match in all. The page and the count are
// two statements; the count reads the same filter and so uses the same index.
func (s *Store) QueryUsers(ctx context.Context, directoryID string, q gatehouse.Query) ([]*gatehouse.User, int, error) {
	from, order, b, err := usersQuery(directoryID, q)
	if err != nil {
		return nil, 0, err
	}
	return queryWithCount(ctx, s, "query users", scanUser, from, `SELECT `+userColumns, order, b, q)
}

// usersQuery returns the FROM clause (with WHERE), the ORDER BY list and the arguments of QueryUsers.
func usersQuery(directoryID string, q gatehouse.Query) (from, order string, b *sqlquery.Builder, err error) {
	b = sqlquery.New(dialect, sqlstore.UserQueryColumns, directoryID)
	where, err := b.Where(q.Filter)
	if err != nil {
		return "", "", nil, err
	}
	// A match on external ID or ID finds a row or two through its own index; "+" keeps SQLite, which has no
	// statistics to tell, from walking the whole user name index for the order instead.
	byName := "u.user_name_key"
	if matchesKey(q.Filter) {
		byName = "+u.user_name_key"
	}
	if order, err = b.OrderBy(q.SortBy, q.Descending, byName, "u.id"); err != nil {
		return "", "", nil, err
	}
	return `FROM users u WHERE u.directory_id = ?1 AND ` + where, order, b, nil
}

// matchesKey reports whether f requires an ID or external ID to equal a value.
func matchesKey(f *gatehouse.Filter) bool {
	switch {
	case f == nil:
		return false
	case f.Op == gatehouse.FilterAnd:
		return matchesKey(f.Left) || matchesKey(f.Right)
	case f.Op == gatehouse.FilterEq:
		return f.Attr == gatehouse.QueryExternalID || f.Attr == gatehouse.QueryID
	}
	return false
}

// QueryGroups returns the directory's groups that q selects, and how many match in all.
func (s *Store) QueryGroups(ctx context.Context, directoryID string, q gatehouse.Query) ([]*gatehouse.Group, int, error) {
	b := sqlquery.New(dialect, sqlstore.GroupQueryColumns, directoryID)
	where, err := b.Where(q.Filter)
	if err != nil {
		return nil, 0, err
	}
	order, err := b.OrderBy(q.SortBy, q.Descending, "g.name_key", "g.id")
	if err != nil {
		return nil, 0, err
	}
	return queryWithCount(ctx, s, "query groups", scanGroup, `FROM groups g WHERE g.directory_id = ?1 AND `+where,
		`SELECT `+groupColumns, order, b, q)
}

// queryWithCount returns one page of "selection from ORDER BY order" and the count of "from".
func queryWithCount[T any](ctx context.Context, s *Store, op string, scan func(scanner) (*T, error), from, selection, order string, b *sqlquery.Builder, q gatehouse.Query) ([]*T, int, error) {
	var total int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) `+from, b.Args...).Scan(&total); err != nil {
		return nil, 0, internal(err, op)
	}
	offset, limit := page(q.Offset, q.Limit)
	if total == 0 || offset >= total {
		return nil, total, nil
	}
	list, err := queryList(ctx, s.r, op, scan, selection+` `+from+` ORDER BY `+order+` LIMIT `+b.Param(limit)+
		` OFFSET `+b.Param(offset), b.Args...)
	return list, total, err
}

// FindUserForUpdate returns the user. SQLite transactions hold the database's write lock from their start, so
// inside InTx nothing else changes the user until the transaction ends.
func (s *Store) FindUserForUpdate(ctx context.Context, directoryID, id string) (*gatehouse.User, error) {
	return s.FindUser(ctx, directoryID, id)
}

// FindGroupForUpdate returns the group; see FindUserForUpdate.
func (s *Store) FindGroupForUpdate(ctx context.Context, directoryID, id string) (*gatehouse.Group, error) {
	return s.FindGroup(ctx, directoryID, id)
}

const scimTokenColumns = `id, directory_id, name, secret_hash, prefix, created_by, created_at, last_used_at`

func scanSCIMToken(row scanner) (*gatehouse.SCIMToken, error) {
	var t gatehouse.SCIMToken
	if err := row.Scan(&t.ID, &t.DirectoryID, &t.Name, &t.SecretHash, &t.Prefix, &t.CreatedBy, timeAt{&t.CreatedAt},
		optTimeAt{&t.LastUsedAt}); err != nil {
		return nil, err
	}
	return &t, nil
}

// CreateSCIMToken stores t. ENOTFOUND if there is no such directory.
func (s *Store) CreateSCIMToken(ctx context.Context, t *gatehouse.SCIMToken) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO scim_tokens (`+scimTokenColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		t.ID, t.DirectoryID, t.Name, t.SecretHash, t.Prefix, t.CreatedBy, micros(t.CreatedAt), microsPtr(t.LastUsedAt))
	return wrap(err, "create SCIM token", msgs{
		conflict: "A SCIM token with this ID or secret already exists.",
		missing:  "The directory does not exist.",
	})
}

// FindSCIMTokenBySecretHash returns the token with that hash.
func (s *Store) FindSCIMTokenBySecretHash(ctx context.Context, secretHash string) (*gatehouse.SCIMToken, error) {
	t, err := scanSCIMToken(s.queryRow(ctx, `SELECT `+scimTokenColumns+` FROM scim_tokens WHERE secret_hash = ?`,
		secretHash))
	if err != nil {
		return nil, notFound(err, "find SCIM token", "The SCIM token does not exist.")
	}
	return t, nil
}

// FindSCIMTokens returns the directory's SCIM tokens, newest first.
func (s *Store) FindSCIMTokens(ctx context.Context, directoryID string) ([]*gatehouse.SCIMToken, error) {
	return queryList(ctx, s.r, "find SCIM tokens", scanSCIMToken, `SELECT `+scimTokenColumns+` FROM scim_tokens
		WHERE directory_id = ? ORDER BY created_at DESC, id DESC`, directoryID)
}

// TouchSCIMToken sets the token's LastUsedAt.
func (s *Store) TouchSCIMToken(ctx context.Context, id string, at time.Time) error {
	return s.exec(ctx, "touch SCIM token", "The SCIM token does not exist.",
		`UPDATE scim_tokens SET last_used_at = ? WHERE id = ?`, micros(at), id)
}

// DeleteSCIMToken deletes the token.
func (s *Store) DeleteSCIMToken(ctx context.Context, directoryID, id string) error {
	return s.exec(ctx, "delete SCIM token", "The SCIM token does not exist.",
		`DELETE FROM scim_tokens WHERE directory_id = ? AND id = ?`, directoryID, id)
}

// FindGroupsOfUsers returns the groups of each of the users, in one query.
func (s *Store) FindGroupsOfUsers(ctx context.Context, directoryID string, userIDs []string) (map[string][]*gatehouse.Group, error) {
	out := map[string][]*gatehouse.Group{}
	if len(userIDs) == 0 {
		return out, nil
	}
	var userID string
	_, err := queryList(ctx, s.r, "find groups of users", func(row scanner) (*gatehouse.Group, error) {
		g, err := scanGroup(withUserID{row, &userID})
		if err == nil {
			out[userID] = append(out[userID], g)
		}
		return g, err
	}, `SELECT `+groupColumns+`, m.user_id
		FROM group_members m JOIN groups g ON g.directory_id = m.directory_id AND g.id = m.group_id
		WHERE m.directory_id = ?1 AND m.user_id IN (SELECT value FROM json_each(?2)) ORDER BY `+groupOrder,
		directoryID, jsonStrings(userIDs))
	return out, err
}

// withUserID scans a row whose last column is a user ID into id.
type withUserID struct {
	scanner
	id *string
}

// Scan implements scanner.
func (w withUserID) Scan(dest ...any) error { return w.scanner.Scan(append(dest, w.id)...) }
