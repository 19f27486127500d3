package idp

import (
	"context"
	"strings"

	"github.com/gatehouse-idp/gatehouse"
)

// GroupInput is what an admin gives to create a group.
type GroupInput struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

// CreateGroup creates a group.
func (s *Service) CreateGroup(ctx context.Context, actor *gatehouse.User, dirID string, in GroupInput) (*gatehouse.Group, error) {
	if err := s.Authorize(ctx, actor, dirID, ManageUsers); err != nil {
		return nil, err
	}
	g := &gatehouse.Group{
		ID: s.newID(), DirectoryID: dirID, Name: strings.TrimSpace(in.Name), Description: strings.TrimSpace(in.Description),
		CreatedAt: s.now(), UpdatedAt: s.now(),
	}
	if err := g.Validate(); err != nil {
		return nil, err
	}
	err := s.store.InTx(ctx, func(tx gatehouse.Store) error {
		if err := tx.CreateGroup(ctx, g); err != nil {
			return groupConflict(err, g.Name)
		}
		if err := s.provisionLater(ctx, tx, dirID, "group.create", groupObject(g.ID)); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, dirID, "group.create", "group", g.ID, nil, g)
	})
	if err == nil {
		s.wakeProvisioning()
	}
	return g, err
}

func groupConflict(err error, name string) error {
	if gatehouse.ErrorCode(err) == gatehouse.ECONFLICT {
		return &gatehouse.Error{Code: gatehouse.ECONFLICT, Field: "name", Message: gatehouse.Messagef("A group named %q already exists in this directory.", name)}
	}
	return err
}

// FindGroup returns a group.
func (s *Service) FindGroup(ctx context.Context, actor *gatehouse.User, dirID, id string) (*gatehouse.Group, error) {
	if err := s.Authorize(ctx, actor, dirID, ReadDirectory); err != nil {
		return nil, err
	}
	return s.store.FindGroup(ctx, dirID, id)
}

// FindGroups returns the groups whose name contains query.
func (s *Service) FindGroups(ctx context.Context, actor *gatehouse.User, dirID, query string) ([]*gatehouse.Group, error) {
	if err := s.Authorize(ctx, actor, dirID, ReadDirectory); err != nil {
		return nil, err
	}
	return s.store.FindGroups(ctx, dirID, query)
}

// GroupPatch lists the group fields to change; nil fields stay as they are.
type GroupPatch struct {
	Name        *string `json:"name"`
	Description *string `json:"description"`
}

// UpdateGroup renames a group or changes its description.
func (s *Service) UpdateGroup(ctx context.Context, actor *gatehouse.User, dirID, id string, p GroupPatch) (*gatehouse.Group, error) {
	if err := s.Authorize(ctx, actor, dirID, ManageUsers); err != nil {
		return nil, err
	}
	var out *gatehouse.Group
	err := s.store.InTx(ctx, func(tx gatehouse.Store) error {
		g, err := tx.FindGroup(ctx, dirID, id)
		if err != nil {
			return err
		}
		before := *g
		setIf(&g.Name, p.Name)
		setIf(&g.Description, p.Description)
		g.Name = strings.TrimSpace(g.Name)
		if err := g.Validate(); err != nil {
			return err
		}
		g.UpdatedAt = s.now()
		if err := tx.UpdateGroup(ctx, g); err != nil {
			return groupConflict(err, g.Name)
		}
		if err := s.provisionLater(ctx, tx, dirID, "group.update", groupObject(id)); err != nil {
			return err
		}
		out = g
		return s.audit(ctx, tx, actor, dirID, "group.update", "group", id, before, g)
	})
	if err == nil {
		s.wakeProvisioning()
	}
	return out, err
}

// DeleteGroup deletes a group with its memberships and assignments.
func (s *Service) DeleteGroup(ctx context.Context, actor *gatehouse.User, dirID, id string) error {
	if err := s.Authorize(ctx, actor, dirID, ManageUsers); err != nil {
		return err
	}
	err := s.store.InTx(ctx, func(tx gatehouse.Store) error {
		g, err := tx.FindGroup(ctx, dirID, id)
		if err != nil {
			return err
		}
		if err := s.provisionGroupDeletion(ctx, tx, dirID, id, "group.delete"); err != nil {
			return err
		}
		if err := tx.DeleteGroup(ctx, dirID, id); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, dirID, "group.delete", "group", id, g, nil)
	})
	if err != nil {
		return err
	}
	s.wakeProvisioning()
	return nil
}

// provisionGroupDeletion queues, in tx and before the group is deleted, the deletion of the group and the change
// of its members (who may leave an app's scope with it) for the apps it matters to.
func (s *Service) provisionGroupDeletion(ctx context.Context, tx gatehouse.Store, dirID, id, reason string) error {
	members, err := membersOf(ctx, tx, dirID, id)
	if err != nil {
		return err
	}
	return s.provisionLater(ctx, tx, dirID, reason, append(members, groupObject(id))...)
}

// AddGroupMember adds a user to a group.
func (s *Service) AddGroupMember(ctx context.Context, actor *gatehouse.User, dirID, groupID, userID string) error {
	if err := s.Authorize(ctx, actor, dirID, ManageUsers); err != nil {
		return err
	}
	err := s.store.InTx(ctx, func(tx gatehouse.Store) error {
		if err := tx.AddGroupMember(ctx, dirID, groupID, userID); err != nil {
			if gatehouse.ErrorCode(err) == gatehouse.ECONFLICT {
				return gatehouse.Errorf(gatehouse.ECONFLICT, "The user is already a member of the group.")
			}
			return err
		}
		if err := s.touchGroup(ctx, tx, dirID, groupID); err != nil {
			return err
		}
		if err := s.provisionLater(ctx, tx, dirID, "group.add-member", userObject(userID), groupObject(groupID)); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, dirID, "group.add-member", "group", groupID, nil, map[string]string{"userId": userID})
	})
	if err != nil {
		return err
	}
	s.wakeProvisioning()
	return nil
}

// touchGroup marks the group changed now, in tx: its members are part of it, so a SCIM client's ETag of the group
// (its version) must change with them.
func (s *Service) touchGroup(ctx context.Context, tx gatehouse.Store, dirID, groupID string) error {
	g, err := tx.FindGroup(ctx, dirID, groupID)
	if err != nil {
		return err
	}
	g.UpdatedAt = s.now()
	return tx.UpdateGroup(ctx, g)
}

// RemoveGroupMember removes a user from a group.
func (s *Service) RemoveGroupMember(ctx context.Context, actor *gatehouse.User, dirID, groupID, userID string) error {
	if err := s.Authorize(ctx, actor, dirID, ManageUsers); err != nil {
		return err
	}
	err := s.store.InTx(ctx, func(tx gatehouse.Store) error {
		if err := tx.RemoveGroupMember(ctx, dirID, groupID, userID); err != nil {
			return err
		}
		if err := s.touchGroup(ctx, tx, dirID, groupID); err != nil {
			return err
		}
		if err := s.provisionLater(ctx, tx, dirID, "group.remove-member", userObject(userID), groupObject(groupID)); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, dirID, "group.remove-member", "group", groupID, map[string]string{"userId": userID}, nil)
	})
	if err != nil {
		return err
	}
	s.wakeProvisioning()
	return nil
}

// FindGroupMembers returns a group's members.
func (s *Service) FindGroupMembers(ctx context.Context, actor *gatehouse.User, dirID, groupID string) ([]*gatehouse.User, error) {
	if err := s.Authorize(ctx, actor, dirID, ReadDirectory); err != nil {
		return nil, err
	}
	return s.store.FindGroupMembers(ctx, dirID, groupID)
}

// FindUserGroups returns the groups a user is a member of.
func (s *Service) FindUserGroups(ctx context.Context, actor *gatehouse.User, dirID, userID string) ([]*gatehouse.Group, error) {
	if err := s.Authorize(ctx, actor, dirID, ReadDirectory); err != nil {
		return nil, err
	}
	return s.store.FindUserGroups(ctx, dirID, userID)
}
