package idp

import (
	"context"

	"github.com/gatehouse-idp/gatehouse"
)

// AssignmentView is an assignment with the name of its principal, for lists.
type AssignmentView struct {
	gatehouse.Assignment
	// PrincipalName is the user name or group name.
	PrincipalName string `json:"principalName"`
	// DisplayName is the user's display name or the group's name.
	DisplayName string `json:"displayName"`
}

// Assign gives a user or a group access to an app.
func (s *Service) Assign(ctx context.Context, actor *gatehouse.User, dirID, appID, principalType, principalID string) (*gatehouse.Assignment, error) {
	if err := s.Authorize(ctx, actor, dirID, ManageApps); err != nil {
		return nil, err
	}
	if principalType != gatehouse.PrincipalUser && principalType != gatehouse.PrincipalGroup {
		return nil, gatehouse.FieldErrorf("principalType", "Principal type %q is unknown; choose user or group.", principalType)
	}
	a := &gatehouse.Assignment{
		ID: s.newID(), DirectoryID: dirID, AppID: appID, PrincipalType: principalType, PrincipalID: principalID,
		CreatedAt: s.now(),
	}
	err := s.store.InTx(ctx, func(tx gatehouse.Store) error {
		if err := tx.CreateAssignment(ctx, a); err != nil {
			switch gatehouse.ErrorCode(err) {
			case gatehouse.ECONFLICT:
				return gatehouse.Errorf(gatehouse.ECONFLICT, "This %s is already assigned to the app.", principalType)
			case gatehouse.ENOTFOUND:
				return gatehouse.Errorf(gatehouse.ENOTFOUND, "No such app or %s in this directory.", principalType)
			}
			return err
		}
		if err := s.provisionAssignment(ctx, tx, a, "app.assign"); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, dirID, "app.assign", "app", appID, nil, a)
	})
	if err != nil {
		return nil, err
	}
	s.wakeProvisioning()
	return a, nil
}

// Unassign removes an assignment from an app.
func (s *Service) Unassign(ctx context.Context, actor *gatehouse.User, dirID, appID, assignmentID string) error {
	if err := s.Authorize(ctx, actor, dirID, ManageApps); err != nil {
		return err
	}
	err := s.store.InTx(ctx, func(tx gatehouse.Store) error {
		as, err := tx.FindAssignments(ctx, dirID, appID)
		if err != nil {
			return err
		}
		for _, a := range as {
			if a.ID == assignmentID {
				if err := tx.DeleteAssignment(ctx, dirID, assignmentID); err != nil {
					return err
				}
				if err := s.provisionAssignment(ctx, tx, a, "app.unassign"); err != nil {
					return err
				}
				return s.audit(ctx, tx, actor, dirID, "app.unassign", "app", appID, a, nil)
			}
		}
		return gatehouse.Errorf(gatehouse.ENOTFOUND, "The app has no assignment %s.", assignmentID)
	})
	if err != nil {
		return err
	}
	s.wakeProvisioning()
	return nil
}

// provisionAssignment queues, in tx, what an assignment made or removed changes at the app: its user, or its group
// and every member.
func (s *Service) provisionAssignment(ctx context.Context, tx gatehouse.Store, a *gatehouse.Assignment, reason string) error {
	p, err := tx.FindProvisioning(ctx, a.DirectoryID, a.AppID)
	if gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND || err == nil && p.Mode != gatehouse.ProvisioningAutomatic {
		return nil
	} else if err != nil {
		return err
	}
	objs := []provisionObject{{a.PrincipalType, a.PrincipalID}}
	if a.PrincipalType == gatehouse.PrincipalGroup {
		members, err := membersOf(ctx, tx, a.DirectoryID, a.PrincipalID)
		if err != nil {
			return err
		}
		objs = append(members, objs...)
	}
	now := s.now()
	var jobs []*gatehouse.ProvisioningJob
	for _, o := range objs {
		if o.typ == gatehouse.ObjectGroup && !p.Groups {
			continue
		}
		jobs = append(jobs, &gatehouse.ProvisioningJob{DirectoryID: a.DirectoryID, AppID: a.AppID, ObjectType: o.typ,
			ObjectID: o.id, Reason: reason, RequestedAt: now, NotBefore: now})
	}
	return tx.EnqueueProvisioningJobs(ctx, jobs)
}

// FindAssignments returns an app's assignments with their principals' names.
func (s *Service) FindAssignments(ctx context.Context, actor *gatehouse.User, dirID, appID string) ([]*AssignmentView, error) {
	if err := s.Authorize(ctx, actor, dirID, ReadDirectory); err != nil {
		return nil, err
	}
	as, err := s.store.FindAssignments(ctx, dirID, appID)
	if err != nil {
		return nil, err
	}
	out := make([]*AssignmentView, 0, len(as))
	for _, a := range as {
		v := &AssignmentView{Assignment: *a}
		switch a.PrincipalType {
		case gatehouse.PrincipalUser:
			if u, err := s.store.FindUser(ctx, dirID, a.PrincipalID); err == nil {
				v.PrincipalName, v.DisplayName = u.UserName, u.Name()
			}
		case gatehouse.PrincipalGroup:
			if g, err := s.store.FindGroup(ctx, dirID, a.PrincipalID); err == nil {
				v.PrincipalName, v.DisplayName = g.Name, g.Name
			}
		}
		out = append(out, v)
	}
	return out, nil
}

// FindUserApps returns the apps assigned to a user, for admins.
func (s *Service) FindUserApps(ctx context.Context, actor *gatehouse.User, dirID, userID string) ([]*gatehouse.App, error) {
	if err := s.Authorize(ctx, actor, dirID, ReadDirectory); err != nil {
		return nil, err
	}
	return s.store.FindUserApps(ctx, dirID, userID)
}

// Tile is an app as My Apps shows it.
type Tile struct {
	App *gatehouse.App
	// URL opens the app: its Sign-on URL (SP-initiated) when set, otherwise the user access URL (IdP-initiated). An
	// OpenID Connect app opens at its initiate login URI, or at the user access URL, which says it has none.
	URL string
}

// MyApps returns the tiles of the apps the signed-in user may open: assigned, enabled and visible apps. Apps that
// do not require assignment are not listed unless assigned, as in the seed system.
func (s *Service) MyApps(ctx context.Context, u *gatehouse.User) ([]Tile, error) {
	apps, err := s.store.FindUserApps(ctx, u.DirectoryID, u.ID)
	if err != nil {
		return nil, err
	}
	var tiles []Tile
	for _, a := range apps {
		if !a.Enabled || !a.Visible {
			continue
		}
		t := Tile{App: a, URL: a.SAML.SignOnURL}
		if a.IsOIDC() {
			t.URL = s.initiateLoginURL(a)
		}
		if t.URL == "" {
			t.URL = s.UserAccessURL(a.DirectoryID, a.ID)
		}
		tiles = append(tiles, t)
	}
	return tiles, nil
}
