package idp

import (
	"context"

	"github.com/gatehouse-idp/gatehouse"
)

// Permission is what an action needs of the acting user's role.
type Permission func(gatehouse.Role) bool

// The permissions of administrative actions.
var (
	// ReadDirectory lets any admin read the directory's objects.
	ReadDirectory Permission = gatehouse.Role.IsAdmin
	// ManageUsers lets global and user admins change users and groups.
	ManageUsers Permission = gatehouse.Role.CanManageUsers
	// ManageApps lets global and app admins change apps, certificates and assignments.
	ManageApps Permission = gatehouse.Role.CanManageApps
	// ManageDirectory lets global admins change the directory itself.
	ManageDirectory Permission = func(r gatehouse.Role) bool { return r == gatehouse.RoleGlobalAdmin }
)

// IsInstanceAdmin reports whether u is a global admin of the default directory, who administers every directory.
func IsInstanceAdmin(u *gatehouse.User) bool {
	return u != nil && u.DirectoryID == gatehouse.DefaultDirectoryID && u.Role == gatehouse.RoleGlobalAdmin && !u.Disabled
}

// Authorize returns nil when actor may act with permission p in directory dirID. A user of another directory gets
// EFORBIDDEN (SECURITY-CASES 34), and so does a user whose role lacks p. A directory that does not exist is
// ENOTFOUND for instance admins and EFORBIDDEN for everyone else, so its existence is not revealed.
func (s *Service) Authorize(ctx context.Context, actor *gatehouse.User, dirID string, p Permission) error {
	if actor == nil || actor.Disabled {
		return gatehouse.Errorf(gatehouse.EUNAUTHORIZED, "Sign in first.")
	}
	if actor.DirectoryID != dirID && !IsInstanceAdmin(actor) {
		return gatehouse.Errorf(gatehouse.EFORBIDDEN, "You can only administer your own directory (%s).", actor.DirectoryID)
	}
	if !p(actor.Role) && !IsInstanceAdmin(actor) {
		return gatehouse.Errorf(gatehouse.EFORBIDDEN, "Your role (%s) does not allow this action.", actor.Role)
	}
	if actor.DirectoryID != dirID {
		if _, err := s.store.FindDirectory(ctx, dirID); err != nil {
			return err
		}
	}
	return nil
}
