package postgres

import (
	"context"
	"time"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/internal/sqlquery"
	"github.com/gatehouse-idp/gatehouse/internal/sqlstore"
)

var dialect = sqlquery.PostgreSQL(key)

// QueryUsers returns the directory's users that q selects, and how many match in all.
func (s *Store) QueryUsers(ctx context.Context, directoryID string, q gatehouse.Query) ([]*gatehouse.User, int, error) {
	b := sqlquery.New(dialect, sqlstore.UserQueryColumns, directoryID)
	where, err := b.Where(q.Filter)
	if err != nil {
		return nil, 0, err
	}
	order, err := b.OrderBy(q.SortBy, q.Descending, "u.user_name_key", "u.id")
	if err != nil {
		return nil, 0, err
	}
	return queryWithCount(ctx, s, "query users", scanUser, `FROM users u WHERE u.directory_id = $1 AND `+where,
		`SELECT `+userColumnsOf, order, b, q)
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
	return queryWithCount(ctx, s, "query groups", scanGroup, `FROM groups g WHERE g.directory_id = $1 AND `+where,
		`SELECT `+groupColumns, order, b, q)
}

// queryWithCount returns one page of "selection from ORDER BY order" and the count of "from".
func queryWithCount[T any](ctx context.Context, s *Store, op string, scan func(scanner) (*T, error), from, selection, order string, b *sqlquery.Builder, q gatehouse.Query) ([]*T, int, error) {
	var total int
	if err := s.db.QueryRow(ctx, `SELECT count(*) `+from, b.Args...).Scan(&total); err != nil {
		return nil, 0, wrap(err, op)
	}
	offset, limit := page(q.Offset, q.Limit)
	if total == 0 || offset >= total {
		return nil, total, nil
	}
	list, err := queryList(ctx, s.db, op, scan, selection+` `+from+` ORDER BY `+order+` LIMIT `+b.Param(limit)+
		` OFFSET `+b.Param(offset), b.Args...)
	return list, total, err
}

// FindUserForUpdate returns the user and, inside InTx, locks their row until the transaction ends.
func (s *Store) FindUserForUpdate(ctx context.Context, directoryID, id string) (*gatehouse.User, error) {
	u, err := scanUser(s.db.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE directory_id = $1 AND id = $2
		FOR UPDATE`, directoryID, id))
	if err != nil {
		return nil, notFound(err, "find user for update", "The user does not exist.")
	}
	return u, nil
}

// FindGroupForUpdate returns the group and, inside InTx, locks its row until the transaction ends.
func (s *Store) FindGroupForUpdate(ctx context.Context, directoryID, id string) (*gatehouse.Group, error) {
	g, err := scanGroup(s.db.QueryRow(ctx, `SELECT `+groupColumns+` FROM groups g
		WHERE g.directory_id = $1 AND g.id = $2 FOR UPDATE`, directoryID, id))
	if err != nil {
		return nil, notFound(err, "find group for update", "The group does not exist.")
	}
	return g, nil
}

const scimTokenColumns = `id, directory_id, name, secret_hash, prefix, created_by, created_at, last_used_at`

func scanSCIMToken(row scanner) (*gatehouse.SCIMToken, error) {
	var t gatehouse.SCIMToken
	if err := row.Scan(&t.ID, &t.DirectoryID, &t.Name, &t.SecretHash, &t.Prefix, &t.CreatedBy, &t.CreatedAt,
		&t.LastUsedAt); err != nil {
		return nil, err
	}
	t.CreatedAt, t.LastUsedAt = utc(t.CreatedAt), utcPtr(t.LastUsedAt)
	return &t, nil
}

// CreateSCIMToken stores t. ENOTFOUND if there is no such directory.
func (s *Store) CreateSCIMToken(ctx context.Context, t *gatehouse.SCIMToken) error {
	_, err := s.db.Exec(ctx, `INSERT INTO scim_tokens (`+scimTokenColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		t.ID, t.DirectoryID, t.Name, t.SecretHash, t.Prefix, t.CreatedBy, t.CreatedAt, t.LastUsedAt)
	return wrap(err, "create SCIM token")
}

// FindSCIMTokenBySecretHash returns the token with that hash.
func (s *Store) FindSCIMTokenBySecretHash(ctx context.Context, secretHash string) (*gatehouse.SCIMToken, error) {
	t, err := scanSCIMToken(s.db.QueryRow(ctx, `SELECT `+scimTokenColumns+` FROM scim_tokens WHERE secret_hash = $1`,
		secretHash))
	if err != nil {
		return nil, notFound(err, "find SCIM token", "The SCIM token does not exist.")
	}
	return t, nil
}

// FindSCIMTokens returns the directory's SCIM tokens, newest first.
func (s *Store) FindSCIMTokens(ctx context.Context, directoryID string) ([]*gatehouse.SCIMToken, error) {
	return queryList(ctx, s.db, "find SCIM tokens", scanSCIMToken, `SELECT `+scimTokenColumns+` FROM scim_tokens
		WHERE directory_id = $1 ORDER BY created_at DESC, id DESC`, directoryID)
}

// TouchSCIMToken sets the token's LastUsedAt.
func (s *Store) TouchSCIMToken(ctx context.Context, id string, at time.Time) error {
	return s.exec(ctx, "touch SCIM token", "The SCIM token does not exist.",
		`UPDATE scim_tokens SET last_used_at = $2 WHERE id = $1`, id, at)
}

// DeleteSCIMToken deletes the token.
func (s *Store) DeleteSCIMToken(ctx context.Context, directoryID, id string) error {
	return s.exec(ctx, "delete SCIM token", "The SCIM token does not exist.",
		`DELETE FROM scim_tokens WHERE directory_id = $1 AND id = $2`, directoryID, id)
}

// FindGroupsOfUsers returns the groups of each of the users, in one query.
func (s *Store) FindGroupsOfUsers(ctx context.Context, directoryID string, userIDs []string) (map[string][]*gatehouse.Group, error) {
	out := map[string][]*gatehouse.Group{}
	if len(userIDs) == 0 {
		return out, nil
	}
	var userID string
	_, err := queryList(ctx, s.db, "find groups of users", func(row scanner) (*gatehouse.Group, error) {
		g, err := scanGroup(withUserID{row, &userID})
		if err == nil {
			out[userID] = append(out[userID], g)
		}
		return g, err
	}, `SELECT `+groupColumns+`, m.user_id
		FROM group_members m JOIN groups g ON g.directory_id = m.directory_id AND g.id = m.group_id
		WHERE m.directory_id = $1 AND m.user_id = ANY($2) ORDER BY `+groupOrder, directoryID, userIDs)
	return out, err
}

// withUserID scans a row whose last column is a user ID into id.
type withUserID struct {
	scanner
	id *string
}

func (w withUserID) Scan(dest ...any) error { return w.scanner.Scan(append(dest, w.id)...) }
