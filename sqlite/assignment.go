package sqlite

import (
	"context"

	"github.com/gatehouse-idp/gatehouse"
)

const assignmentColumns = `directory_id, id, app_id, principal_type, coalesce(user_id, group_id, ''), created_at`

func scanAssignment(row scanner) (*gatehouse.Assignment, error) {
	var a gatehouse.Assignment
	if err := row.Scan(&a.DirectoryID, &a.ID, &a.AppID, &a.PrincipalType, &a.PrincipalID, timeAt{&a.CreatedAt}); err != nil {
		return nil, err
	}
	return &a, nil
}

// CreateAssignment stores a. ENOTFOUND if the app or the principal is not in the directory (a principal of an
// unknown type is in no directory), ECONFLICT if the principal is already assigned to the app.
func (s *Store) CreateAssignment(ctx context.Context, a *gatehouse.Assignment) error {
	var userID, groupID any
	switch a.PrincipalType {
	case gatehouse.PrincipalUser:
		userID = a.PrincipalID
	case gatehouse.PrincipalGroup:
		groupID = a.PrincipalID
	default:
		return gatehouse.Errorf(gatehouse.ENOTFOUND, "Principal type %q is neither user nor group.", a.PrincipalType)
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO assignments (directory_id, id, app_id, principal_type, user_id,
		group_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		a.DirectoryID, a.ID, a.AppID, a.PrincipalType, userID, groupID, micros(a.CreatedAt))
	return wrap(err, "create assignment", msgs{
		conflict: "The " + a.PrincipalType + " is already assigned to the app.",
		missing:  "The app or the " + a.PrincipalType + " does not exist in the directory.",
	})
}

// FindAssignments returns an app's assignments, oldest first. ENOTFOUND if there is no such app.
func (s *Store) FindAssignments(ctx context.Context, directoryID, appID string) ([]*gatehouse.Assignment, error) {
	if err := s.exists(ctx, "find assignments", "The app does not exist.",
		`SELECT EXISTS (SELECT 1 FROM apps WHERE directory_id = ? AND id = ?)`, directoryID, appID); err != nil {
		return nil, err
	}
	return queryList(ctx, s.r, "find assignments", scanAssignment, `SELECT `+assignmentColumns+` FROM assignments
		WHERE directory_id = ? AND app_id = ? ORDER BY created_at, id`, directoryID, appID)
}

// DeleteAssignment deletes the assignment.
func (s *Store) DeleteAssignment(ctx context.Context, directoryID, id string) error {
	return s.exec(ctx, "delete assignment", "The assignment does not exist.",
		`DELETE FROM assignments WHERE directory_id = ? AND id = ?`, directoryID, id)
}

// assignedTo is the condition that the assignment x gives the user ?2 of the directory ?1 access, directly or
// through a group.
const assignedTo = `x.directory_id = ?1 AND (x.user_id = ?2 OR x.group_id IN
	(SELECT m.group_id FROM group_members m WHERE m.directory_id = ?1 AND m.user_id = ?2))`

// FindUserApps returns the apps assigned to the user directly or through a group, ordered by name, each once.
// ENOTFOUND if there is no such user.
func (s *Store) FindUserApps(ctx context.Context, directoryID, userID string) ([]*gatehouse.App, error) {
	if err := s.exists(ctx, "find user apps", "The user does not exist.",
		`SELECT EXISTS (SELECT 1 FROM users WHERE directory_id = ? AND id = ?)`, directoryID, userID); err != nil {
		return nil, err
	}
	return queryList(ctx, s.r, "find user apps", scanApp, `SELECT `+appColumns+` FROM apps a
		WHERE a.directory_id = ?1 AND EXISTS (SELECT 1 FROM assignments x WHERE x.app_id = a.id AND `+assignedTo+`)
		ORDER BY `+appOrder, directoryID, userID)
}

// IsAssigned reports whether the user is assigned to the app directly or through a group.
func (s *Store) IsAssigned(ctx context.Context, directoryID, appID, userID string) (bool, error) {
	var ok bool
	err := s.queryRow(ctx, `SELECT EXISTS (SELECT 1 FROM assignments x WHERE x.app_id = ?3 AND `+assignedTo+`)`,
		directoryID, userID, appID).Scan(&ok)
	if err != nil {
		return false, internal(err, "is assigned")
	}
	return ok, nil
}
