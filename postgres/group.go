package postgres

import (
	"context"

	"github.com/gatehouse-idp/gatehouse"
)

const groupColumns = `g.directory_id, g.id, g.name, g.description, g.created_at, g.updated_at, g.external_id`

// groupOrder orders groups by name: case-insensitively, then byte-wise, the same on every database collation.
const groupOrder = `g.name_key COLLATE "C", g.name COLLATE "C", g.id`

func scanGroup(row scanner) (*gatehouse.Group, error) {
	var g gatehouse.Group
	if err := row.Scan(&g.DirectoryID, &g.ID, &g.Name, &g.Description, &g.CreatedAt, &g.UpdatedAt,
		&g.ExternalID); err != nil {
		return nil, err
	}
	g.CreatedAt, g.UpdatedAt = utc(g.CreatedAt), utc(g.UpdatedAt)
	return &g, nil
}

// CreateGroup stores g. ECONFLICT if the directory has a group with the same name, ignoring case.
func (s *Store) CreateGroup(ctx context.Context, g *gatehouse.Group) error {
	_, err := s.db.Exec(ctx, `INSERT INTO groups (directory_id, id, name, name_key, description, created_at,
		updated_at, external_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		g.DirectoryID, g.ID, g.Name, key(g.Name), g.Description, g.CreatedAt, g.UpdatedAt, g.ExternalID)
	return wrap(err, "create group")
}

// FindGroup returns the group with the given ID.
func (s *Store) FindGroup(ctx context.Context, directoryID, id string) (*gatehouse.Group, error) {
	g, err := scanGroup(s.db.QueryRow(ctx, `SELECT `+groupColumns+` FROM groups g
		WHERE g.directory_id = $1 AND g.id = $2`, directoryID, id))
	if err != nil {
		return nil, notFound(err, "find group", "The group does not exist.")
	}
	return g, nil
}

// FindGroups returns the groups whose name contains query, ignoring case, ordered by name.
func (s *Store) FindGroups(ctx context.Context, directoryID, query string) ([]*gatehouse.Group, error) {
	return queryList(ctx, s.db, "find groups", scanGroup, `SELECT `+groupColumns+` FROM groups g
		WHERE g.directory_id = $1 AND ($2 = '' OR strpos(g.name_key, $2) > 0)
		ORDER BY `+groupOrder, directoryID, key(query))
}

// UpdateGroup replaces the group's name, description, external ID and UpdatedAt. ECONFLICT as in CreateGroup.
func (s *Store) UpdateGroup(ctx context.Context, g *gatehouse.Group) error {
	return s.exec(ctx, "update group", "The group does not exist.", `UPDATE groups
		SET name = $3, name_key = $4, description = $5, updated_at = $6, external_id = $7
		WHERE directory_id = $1 AND id = $2`,
		g.DirectoryID, g.ID, g.Name, key(g.Name), g.Description, g.UpdatedAt, g.ExternalID)
}

// DeleteGroup deletes the group and, by cascade, its memberships and assignments.
func (s *Store) DeleteGroup(ctx context.Context, directoryID, id string) error {
	return s.exec(ctx, "delete group", "The group does not exist.",
		`DELETE FROM groups WHERE directory_id = $1 AND id = $2`, directoryID, id)
}

// AddGroupMember adds a user to a group. ENOTFOUND if either is not in the directory, ECONFLICT if already a member.
func (s *Store) AddGroupMember(ctx context.Context, directoryID, groupID, userID string) error {
	_, err := s.db.Exec(ctx, `INSERT INTO group_members (directory_id, group_id, user_id) VALUES ($1, $2, $3)`,
		directoryID, groupID, userID)
	return wrap(err, "add group member")
}

// RemoveGroupMember removes a user from a group. ENOTFOUND if the user is not a member.
func (s *Store) RemoveGroupMember(ctx context.Context, directoryID, groupID, userID string) error {
	return s.exec(ctx, "remove group member", "The user is not a member of the group.",
		`DELETE FROM group_members WHERE directory_id = $1 AND group_id = $2 AND user_id = $3`,
		directoryID, groupID, userID)
}

// FindGroupMembers returns a group's members ordered by user name. ENOTFOUND if there is no such group.
func (s *Store) FindGroupMembers(ctx context.Context, directoryID, groupID string) ([]*gatehouse.User, error) {
	if err := s.exists(ctx, "find group members", "The group does not exist.",
		`SELECT EXISTS (SELECT 1 FROM groups WHERE directory_id = $1 AND id = $2)`, directoryID, groupID); err != nil {
		return nil, err
	}
	return queryList(ctx, s.db, "find group members", scanUser, `SELECT `+userColumnsOf+`
		FROM group_members m JOIN users u ON u.directory_id = m.directory_id AND u.id = m.user_id
		WHERE m.directory_id = $1 AND m.group_id = $2 ORDER BY `+userOrder, directoryID, groupID)
}

// FindUserGroups returns the groups a user is a member of, ordered by name. ENOTFOUND if there is no such user.
func (s *Store) FindUserGroups(ctx context.Context, directoryID, userID string) ([]*gatehouse.Group, error) {
	if err := s.exists(ctx, "find user groups", "The user does not exist.",
		`SELECT EXISTS (SELECT 1 FROM users WHERE directory_id = $1 AND id = $2)`, directoryID, userID); err != nil {
		return nil, err
	}
	return queryList(ctx, s.db, "find user groups", scanGroup, `SELECT `+groupColumns+`
		FROM group_members m JOIN groups g ON g.directory_id = m.directory_id AND g.id = m.group_id
		WHERE m.directory_id = $1 AND m.user_id = $2 ORDER BY `+groupOrder, directoryID, userID)
}

// exists runs a SELECT EXISTS query and returns ENOTFOUND with msg when it is false.
func (s *Store) exists(ctx context.Context, op, msg, sql string, args ...any) error {
	var ok bool
	if err := s.db.QueryRow(ctx, sql, args...).Scan(&ok); err != nil {
		return wrap(err, op)
	}
	if !ok {
		return gatehouse.Errorf(gatehouse.ENOTFOUND, "%s", msg)
	}
	return nil
}
