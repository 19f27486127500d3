package idp

import (
	"context"
	"strings"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/password"
	"github.com/gatehouse-idp/gatehouse/username"
)

// UserInput is what an admin gives to create a user.
type UserInput struct {
	UserName    string         `json:"userName"`
	FirstName   string         `json:"firstName"`
	LastName    string         `json:"lastName"`
	DisplayName string         `json:"displayName"`
	Mail        string         `json:"mail"`
	Role        gatehouse.Role `json:"role"`
	// Source is where the request came from (portal, api or cli); the caller sets it, never the request body.
	Source gatehouse.UserSource `json:"-"`
}

// CreateUser creates a user with a generated temporary password, which is returned once and must be changed at
// the first sign-in. The display name defaults to "first last", the role to user.
func (s *Service) CreateUser(ctx context.Context, actor *gatehouse.User, dirID string, in UserInput) (*gatehouse.User, string, error) {
	if err := s.Authorize(ctx, actor, dirID, ManageUsers); err != nil {
		return nil, "", err
	}
	if in.Role == gatehouse.RoleGlobalAdmin && actor.Role != gatehouse.RoleGlobalAdmin && !IsInstanceAdmin(actor) {
		return nil, "", gatehouse.Errorf(gatehouse.EFORBIDDEN, "Only global admins can create global admins.")
	}
	u := &gatehouse.User{
		DirectoryID: dirID,
		UserName:    strings.TrimSpace(in.UserName),
		FirstName:   strings.TrimSpace(in.FirstName),
		LastName:    strings.TrimSpace(in.LastName),
		DisplayName: strings.TrimSpace(in.DisplayName),
		Mail:        strings.TrimSpace(in.Mail),
		Role:        in.Role,
		Source:      in.Source,
	}
	if u.DisplayName == "" {
		u.DisplayName = strings.TrimSpace(u.FirstName + " " + u.LastName)
	}
	if u.Role == "" {
		u.Role = gatehouse.RoleUser
	}
	u.MustChangePassword = true
	if err := validateUser(u, ""); err != nil {
		return nil, "", err
	}
	temp, hash, err := s.newPassword(ctx)
	if err != nil {
		return nil, "", err
	}
	u.PasswordHash = hash
	err = s.store.InTx(ctx, func(tx gatehouse.Store) error { return s.insertUser(ctx, tx, actor, u) })
	if err != nil {
		return nil, "", err
	}
	return u, temp, nil
}

// newPassword generates a password and hashes it. Call it before the transaction that stores the hash, never
// inside one: a hash takes tens of MiB and milliseconds, and on SQLite's single writer a transaction open that long
// holds up every other write (STYLE 18).
func (s *Service) newPassword(ctx context.Context) (pw, hash string, err error) {
	if pw, err = s.generatePassword(); err != nil {
		return "", "", err
	}
	if hash, err = s.hasher.Hash(ctx, pw); err != nil {
		return "", "", err
	}
	return pw, hash, nil
}

// insertUser stores u, validated and with its password hash set, with an audit event.
func (s *Service) insertUser(ctx context.Context, tx gatehouse.Store, actor *gatehouse.User, u *gatehouse.User) error {
	u.ID = s.newID()
	u.CreatedAt, u.UpdatedAt, u.PasswordChangedAt = s.now(), s.now(), s.now()
	if err := tx.CreateUser(ctx, u); err != nil {
		if gatehouse.ErrorCode(err) == gatehouse.ECONFLICT {
			return &gatehouse.Error{Code: gatehouse.ECONFLICT, Field: "userName", Message: gatehouse.Messagef("A user named %q already exists in this directory.", u.UserName)}
		}
		return err
	}
	return s.audit(ctx, tx, actor, u.DirectoryID, "user.create", "user", u.ID, nil, u)
}

func (s *Service) generatePassword() (string, error) {
	pw, err := password.Generate(s.rand)
	if err != nil {
		return "", gatehouse.Internal(err)
	}
	return pw, nil
}

// FindUser returns a user of the directory.
func (s *Service) FindUser(ctx context.Context, actor *gatehouse.User, dirID, id string) (*gatehouse.User, error) {
	if err := s.Authorize(ctx, actor, dirID, ReadDirectory); err != nil {
		return nil, err
	}
	return s.store.FindUser(ctx, dirID, id)
}

// FindUsers searches the directory's users.
func (s *Service) FindUsers(ctx context.Context, actor *gatehouse.User, dirID string, f gatehouse.UserFilter) ([]*gatehouse.User, int, error) {
	if err := s.Authorize(ctx, actor, dirID, ReadDirectory); err != nil {
		return nil, 0, err
	}
	if f.Role != "" && !f.Role.Valid() {
		return nil, 0, gatehouse.FieldErrorf("role", "Role %q is unknown.", f.Role)
	}
	return s.store.FindUsers(ctx, dirID, f)
}

// UserPatch lists the user fields to change; nil fields stay as they are.
type UserPatch struct {
	UserName    *string         `json:"userName"`
	FirstName   *string         `json:"firstName"`
	LastName    *string         `json:"lastName"`
	DisplayName *string         `json:"displayName"`
	Mail        *string         `json:"mail"`
	Role        *gatehouse.Role `json:"role"`
	Disabled    *bool           `json:"disabled"`
}

// UpdateUser changes a user. Disabling a user or changing their role ends their sessions. Admins cannot disable
// themselves or change their own role, so a directory never loses its last way in by accident.
func (s *Service) UpdateUser(ctx context.Context, actor *gatehouse.User, dirID, id string, p UserPatch) (*gatehouse.User, error) {
	if err := s.Authorize(ctx, actor, dirID, ManageUsers); err != nil {
		return nil, err
	}
	var out *gatehouse.User
	err := s.store.InTx(ctx, func(tx gatehouse.Store) error {
		u, err := tx.FindUser(ctx, dirID, id)
		if err != nil {
			return err
		}
		before := *u
		setIf(&u.UserName, p.UserName)
		setIf(&u.FirstName, p.FirstName)
		setIf(&u.LastName, p.LastName)
		setIf(&u.DisplayName, p.DisplayName)
		setIf(&u.Mail, p.Mail)
		setIf(&u.Role, p.Role)
		setIf(&u.Disabled, p.Disabled)
		u.UserName, u.Mail = strings.TrimSpace(u.UserName), strings.TrimSpace(u.Mail)
		if err := s.checkRoleChange(actor, &before, u); err != nil {
			return err
		}
		if err := validateUser(u, before.UserName); err != nil {
			return err
		}
		u.UpdatedAt = s.now()
		if err := tx.UpdateUser(ctx, u); err != nil {
			if gatehouse.ErrorCode(err) == gatehouse.ECONFLICT {
				return &gatehouse.Error{Code: gatehouse.ECONFLICT, Field: "userName", Message: gatehouse.Messagef("A user named %q already exists in this directory.", u.UserName)}
			}
			return err
		}
		if u.Disabled != before.Disabled || u.Role != before.Role {
			if err := tx.DeleteUserSessions(ctx, dirID, id); err != nil {
				return err
			}
		}
		out = u
		return s.audit(ctx, tx, actor, dirID, "user.update", "user", id, before, u)
	})
	return out, err
}

func (s *Service) checkRoleChange(actor, before, after *gatehouse.User) error {
	if before.ID == actor.ID && (after.Role != before.Role || after.Disabled) {
		return gatehouse.Errorf(gatehouse.EINVALID, "You cannot change your own role or disable yourself; ask another admin.")
	}
	elevated := after.Role == gatehouse.RoleGlobalAdmin || before.Role == gatehouse.RoleGlobalAdmin
	if after.Role != before.Role && elevated && actor.Role != gatehouse.RoleGlobalAdmin && !IsInstanceAdmin(actor) {
		return gatehouse.Errorf(gatehouse.EFORBIDDEN, "Only global admins can grant or remove the global-admin role.")
	}
	if before.Role == gatehouse.RoleGlobalAdmin && actor.Role != gatehouse.RoleGlobalAdmin && !IsInstanceAdmin(actor) {
		return gatehouse.Errorf(gatehouse.EFORBIDDEN, "Only global admins can change a global admin.")
	}
	return nil
}

// ResetPassword gives a user a new temporary password, returned once, and ends their sessions.
func (s *Service) ResetPassword(ctx context.Context, actor *gatehouse.User, dirID, id string) (*gatehouse.User, string, error) {
	if err := s.Authorize(ctx, actor, dirID, ManageUsers); err != nil {
		return nil, "", err
	}
	temp, hash, err := s.newPassword(ctx)
	if err != nil {
		return nil, "", err
	}
	var out *gatehouse.User
	err = s.store.InTx(ctx, func(tx gatehouse.Store) error {
		u, err := tx.FindUser(ctx, dirID, id)
		if err != nil {
			return err
		}
		if err := s.checkRoleChange(actor, u, u); err != nil {
			return err
		}
		u.PasswordHash, u.MustChangePassword = hash, true
		u.PasswordChangedAt, u.UpdatedAt = s.now(), s.now()
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		if err := tx.DeleteUserSessions(ctx, dirID, id); err != nil {
			return err
		}
		out = u
		return s.audit(ctx, tx, actor, dirID, "user.reset-password", "user", id, nil, nil)
	})
	if err != nil {
		return nil, "", err
	}
	return out, temp, nil
}

// DeleteUser deletes a user with their sessions, tokens, memberships and assignments. Admins cannot delete
// themselves.
func (s *Service) DeleteUser(ctx context.Context, actor *gatehouse.User, dirID, id string) error {
	if err := s.Authorize(ctx, actor, dirID, ManageUsers); err != nil {
		return err
	}
	if actor.ID == id {
		return gatehouse.Errorf(gatehouse.EINVALID, "You cannot delete yourself; ask another admin.")
	}
	return s.store.InTx(ctx, func(tx gatehouse.Store) error {
		u, err := tx.FindUser(ctx, dirID, id)
		if err != nil {
			return err
		}
		if err := s.checkRoleChange(actor, u, u); err != nil {
			return err
		}
		if err := tx.DeleteUser(ctx, dirID, id); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, dirID, "user.delete", "user", id, u, nil)
	})
}

// validateUser checks a user about to be stored: the user-name rule when the name is new or changes (names stored
// under an older rule keep working), and what every stored user satisfies.
func validateUser(u *gatehouse.User, previousName string) error {
	if u.UserName != previousName {
		if err := username.Check(u.UserName); err != nil {
			return err
		}
	}
	return u.Validate()
}
