package sqlite

import (
	"context"

	"github.com/gatehouse-idp/gatehouse"
)

const groupColumns = `g.directory_id, g.id, g.name, g.description, g.created_at, g.updated_at, g.external_id`

// groupOrder orders groups by name: case-insensitively, then byte-wise.
const groupOrder = `g.name_key, g.name, g.id`

func scanGroup(row scanner) (*gatehouse.Group, error) {
	var g gatehouse.Group
	if err := row.Scan(&g.DirectoryID, &g.ID, &g.Name, &g.Description, timeAt{&g.CreatedAt}, timeAt{&g.UpdatedAt},
		&g.ExternalID); err != nil {
		return nil, err
	}
	return &g, nil
}

var groupConflict = msgs{
	conflict: "A group with this name (or ID) already exists in the directory.",
	missing:  "The directory does not exist.",
}

// CreateGroup stores g. ECONFLICT if the directory has a group with the same name, ignoring case.
func (s *Store) CreateGroup(ctx context.Context, g *gatehouse.Group) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO groups (directory_id, id, name, name_key, description, created_at,
		updated_at, external_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		g.DirectoryID, g.ID, g.Name, key(g.Name), g.Description, micros(g.CreatedAt), micros(g.UpdatedAt), g.ExternalID)
	return wrap(err, "create group", groupConflict)
}

// FindGroup returns the group with the given ID.
func (s *Store) FindGroup(ctx context.Context, directoryID, id string) (*gatehouse.Group, error) {
	g, err := scanGroup(s.r.QueryRowContext(ctx, `SELECT `+groupColumns+` FROM groups g
		WHERE g.directory_id = ? AND g.id = ?`, directoryID, id))
	if err != nil {
		return nil, notFound(err, "find group", "The group does not exist.")
	}
	return g, nil
}

// FindGroups returns the groups whose name contains query, ignoring case, ordered by name.
func (s *Store) FindGroups(ctx context.Context, directoryID, query string) ([]*gatehouse.Group, error) {
	return queryList(ctx, s.r, "find groups", scanGroup, `SELECT `+groupColumns+` FROM groups g
		WHERE g.directory_id = ?1 AND (?2 = '' OR instr(g.name_key, ?2) > 0)
		ORDER BY `+groupOrder, directoryID, key(query))
}

// UpdateGroup replaces the group's name, description, external ID and UpdatedAt. ECONFLICT as in CreateGroup.
func (s *Store) UpdateGroup(ctx context.Context, g *gatehouse.Group) error {
	res, err := s.w.ExecContext(ctx, `UPDATE groups SET name = ?3, name_key = ?4, description = ?5, updated_at = ?6,
		external_id = ?7 WHERE directory_id = ?1 AND id = ?2`,
		g.DirectoryID, g.ID, g.Name, key(g.Name), g.Description, micros(g.UpdatedAt), g.ExternalID)
	return changed(res, wrap(err, "update group", groupConflict), "update group", "The group does not exist.")
}

// DeleteGroup deletes the group and, by cascade, its memberships and assignments.
func (s *Store) DeleteGroup(ctx context.Context, directoryID, id string) error {
	return s.exec(ctx, "delete group", "The group does not exist.",
		`DELETE FROM groups WHERE directory_id = ? AND id = ?`, directoryID, id)
}

// AddGroupMember adds a user to a group. ENOTFOUND if either is not in the directory, ECONFLICT if already a member.
func (s *Store) AddGroupMember(ctx context.Context, directoryID, groupID, userID string) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO group_members (directory_id, group_id, user_id) VALUES (?, ?, ?)`,
		directoryID, groupID, userID)
	return wrap(err, "add group member", msgs{
		conflict: "The user is already a member of the group.",
		missing:  "The group or the user does not exist in the directory.",
	})
}

// RemoveGroupMember removes a user from a group. ENOTFOUND if the user is not a member.
func (s *Store) RemoveGroupMember(ctx context.Context, directoryID, groupID, userID string) error {
	return s.exec(ctx, "remove group member", "The user is not a member of the group.",
		`DELETE FROM group_members WHERE directory_id = ? AND group_id = ? AND user_id = ?`,
		directoryID, groupID, userID)
}

// FindGroupMembers returns a group's members ordered by user name. ENOTFOUND if there is no such group.
func (s *Store) FindGroupMembers(ctx context.Context, directoryID, groupID string) ([]*gatehouse.User, error) {
	if err := s.exists(ctx, "find group members", "The group does not exist.",
		`SELECT EXISTS (SELECT 1 FROM groups WHERE directory_id = ? AND id = ?)`, directoryID, groupID); err != nil {
		return nil, err
	}
	return queryList(ctx, s.r, "find group members", scanUser, `SELECT `+userColumns+`
		FROM group_members m JOIN users u ON u.directory_id = m.directory_id AND u.id = m.user_id
		WHERE m.directory_id = ? AND m.group_id = ? ORDER BY `+userOrder, directoryID, groupID)
}

// FindUserGroups returns the groups a user is a member of, ordered by name. ENOTFOUND if there is no such user.
func (s *Store) FindUserGroups(ctx context.Context, directoryID, userID string) ([]*gatehouse.Group, error) {
	if err := s.exists(ctx, "find user groups", "The user does not exist.",
		`SELECT EXISTS (SELECT 1 FROM users WHERE directory_id = ? AND id = ?)`, directoryID, userID); err != nil {
		return nil, err
	}
	return queryList(ctx, s.r, "find user groups", scanGroup, `SELECT `+groupColumns+`
		FROM group_members m JOIN groups g ON g.directory_id = m.directory_id AND g.id = m.group_id
		WHERE m.directory_id = ? AND m.user_id = ? ORDER BY `+groupOrder, directoryID, userID)
}
