package idp

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"time"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/scim"
)

// SCIMTokenPrefix starts every SCIM token, so that SCIM tokens are told apart from API tokens ("gh_") at a glance
// and by secret scanners.
const SCIMTokenPrefix = "ghs_"

// SCIMBaseURL returns the base URL of the directory's SCIM endpoint.
func (s *Service) SCIMBaseURL(dirID string) string { return s.publicURL + "/d/" + dirID + "/scim/v2" }

// CreateSCIMToken creates a bearer token for the directory's SCIM endpoint and returns its secret, shown once.
// Global admins of the directory may.
func (s *Service) CreateSCIMToken(ctx context.Context, actor *gatehouse.User, dirID, name string) (string, *gatehouse.SCIMToken, error) {
	if err := s.Authorize(ctx, actor, dirID, ManageDirectory); err != nil {
		return "", nil, err
	}
	if name = strings.TrimSpace(name); name == "" || len(name) > 100 || strings.ContainsAny(name, "\x00\r\n") {
		return "", nil, gatehouse.FieldErrorf("name", "Name the token after the client that uses it (such as \"Entra ID\"): 1 to 100 characters on one line.")
	}
	secret := SCIMTokenPrefix + s.newSecret()
	t := &gatehouse.SCIMToken{ID: s.newID(), DirectoryID: dirID, Name: name, SecretHash: hashSecret(secret),
		Prefix: secret[:len(SCIMTokenPrefix)+6], CreatedBy: actor.UserName, CreatedAt: s.now()}
	err := s.store.InTx(ctx, func(tx gatehouse.Store) error {
		if err := tx.CreateSCIMToken(ctx, t); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, dirID, "scim-token.create", "scim-token", t.ID, nil, t)
	})
	if err != nil {
		return "", nil, err
	}
	return secret, t, nil
}

// FindSCIMTokens returns the directory's SCIM tokens, newest first. Global admins of the directory may.
func (s *Service) FindSCIMTokens(ctx context.Context, actor *gatehouse.User, dirID string) ([]*gatehouse.SCIMToken, error) {
	if err := s.Authorize(ctx, actor, dirID, ManageDirectory); err != nil {
		return nil, err
	}
	return s.store.FindSCIMTokens(ctx, dirID)
}

// RevokeSCIMToken deletes a SCIM token; it stops working at once.
func (s *Service) RevokeSCIMToken(ctx context.Context, actor *gatehouse.User, dirID, id string) error {
	if err := s.Authorize(ctx, actor, dirID, ManageDirectory); err != nil {
		return err
	}
	return s.store.InTx(ctx, func(tx gatehouse.Store) error {
		ts, err := tx.FindSCIMTokens(ctx, dirID)
		if err != nil {
			return err
		}
		for _, t := range ts {
			if t.ID == id {
				if err := tx.DeleteSCIMToken(ctx, dirID, id); err != nil {
					return err
				}
				return s.audit(ctx, tx, actor, dirID, "scim-token.revoke", "scim-token", id, t, nil)
			}
		}
		return gatehouse.Errorf(gatehouse.ENOTFOUND, "The directory has no SCIM token %s.", id)
	})
}

// SCIMToken returns the SCIM token whose secret is given, if it is one of directory dirID's. Any other secret —
// unknown, revoked, an API token, or a SCIM token of another directory — is EUNAUTHORIZED with one message, so the
// answer does not tell them apart (SECURITY-CASES 46).
func (s *Service) SCIMToken(ctx context.Context, dirID, secret string) (*gatehouse.SCIMToken, error) {
	fail := gatehouse.Errorf(gatehouse.EUNAUTHORIZED, "The SCIM token is missing, unknown or revoked, or belongs to another directory.")
	if !strings.HasPrefix(secret, SCIMTokenPrefix) || len(secret) > 200 {
		return nil, fail
	}
	t, err := s.store.FindSCIMTokenBySecretHash(ctx, hashSecret(secret))
	if gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND || err == nil && t.DirectoryID != dirID {
		return nil, fail
	} else if err != nil {
		return nil, err
	}
	now := s.now()
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) > time.Minute {
		if err := s.store.TouchSCIMToken(ctx, t.ID, now); err != nil && gatehouse.ErrorCode(err) != gatehouse.ENOTFOUND {
			return nil, err
		}
	}
	return t, nil
}

// auditSCIM appends an audit event of a change made with SCIM token t, under the token's name.
func (s *Service) auditSCIM(ctx context.Context, tx gatehouse.Store, t *gatehouse.SCIMToken, action, targetType, targetID string, before, after any) error {
	return tx.CreateAuditEvent(ctx, &gatehouse.AuditEvent{
		ID: s.newID(), DirectoryID: t.DirectoryID, Time: s.now(), ActorID: t.ID, ActorName: t.Name + " (SCIM)",
		Action: action, TargetType: targetType, TargetID: targetID, Before: marshal(before), After: marshal(after),
		CorrelationID: RequestInfoFrom(ctx).CorrelationID,
	})
}

// scimError turns an error of the directory into the SCIM error a client understands: a taken name is uniqueness,
// invalid input invalidValue.
func scimError(err error) error {
	var se *scim.Error
	if err == nil || errors.As(err, &se) {
		return err
	}
	switch gatehouse.ErrorCode(err) {
	case gatehouse.ECONFLICT:
		return &scim.Error{Status: http.StatusConflict, Type: scim.TypeUniqueness, Detail: gatehouse.ErrorMessage(err), Err: err}
	case gatehouse.EINVALID:
		return &scim.Error{Status: http.StatusBadRequest, Type: scim.TypeInvalidValue, Detail: gatehouse.ErrorMessage(err), Err: err}
	}
	return err
}

// checkVersion returns ErrPreconditionFailed unless ifMatch is empty, "*" or lists version.
func checkVersion(ifMatch, version string) error {
	if ifMatch == "" || strings.TrimSpace(ifMatch) == "*" {
		return nil
	}
	for _, v := range strings.Split(ifMatch, ",") {
		v = strings.TrimSpace(v)
		if v == version || "W/"+v == version || strings.TrimPrefix(v, "W/") == strings.TrimPrefix(version, "W/") {
			return nil
		}
	}
	return scim.ErrPreconditionFailed
}

// SCIMGetUser returns a user's resource.
func (s *Service) SCIMGetUser(ctx context.Context, t *gatehouse.SCIMToken, id string, p scim.Projection) (map[string]any, error) {
	u, err := s.store.FindUser(ctx, t.DirectoryID, id)
	if err != nil {
		return nil, err
	}
	doc, err := s.userResource(ctx, s.store, u, p.Wants("groups"))
	if err != nil {
		return nil, err
	}
	return p.Apply(doc), nil
}

func (s *Service) userResource(ctx context.Context, st gatehouse.Store, u *gatehouse.User, withGroups bool) (map[string]any, error) {
	var groups []*gatehouse.Group
	if withGroups {
		var err error
		if groups, err = st.FindUserGroups(ctx, u.DirectoryID, u.ID); err != nil {
			return nil, err
		}
	}
	return scim.UserResource(u, groups, s.SCIMBaseURL(u.DirectoryID)), nil
}

// SCIMListUsers returns a list response of the users the parameters select.
func (s *Service) SCIMListUsers(ctx context.Context, t *gatehouse.SCIMToken, p *scim.ListParams) (map[string]any, error) {
	users, total, err := s.store.QueryUsers(ctx, t.DirectoryID, p.Query)
	if err != nil {
		return nil, scimFilterError(err)
	}
	docs := make([]map[string]any, 0, len(users))
	if p.Query.Limit == 0 {
		users = nil
	}
	groups := map[string][]*gatehouse.Group{}
	if p.Projection.Wants("groups") && len(users) > 0 {
		ids := make([]string, len(users))
		for i, u := range users {
			ids[i] = u.ID
		}
		if groups, err = s.store.FindGroupsOfUsers(ctx, t.DirectoryID, ids); err != nil {
			return nil, err
		}
	}
	base := s.SCIMBaseURL(t.DirectoryID)
	for _, u := range users {
		docs = append(docs, p.Projection.Apply(scim.UserResource(u, groups[u.ID], base)))
	}
	return scim.ListResponse(docs, total, p.StartIndex), nil
}

// scimFilterError reports a filter the store refused as invalidFilter.
func scimFilterError(err error) error {
	if gatehouse.ErrorCode(err) == gatehouse.EINVALID {
		return &scim.Error{Status: http.StatusBadRequest, Type: scim.TypeInvalidFilter, Detail: gatehouse.ErrorMessage(err), Err: err}
	}
	return err
}

// SCIMCreateUser creates a user from a SCIM User resource. The user has no password until an admin sets a
// temporary one; their source is scim.
func (s *Service) SCIMCreateUser(ctx context.Context, t *gatehouse.SCIMToken, body []byte) (map[string]any, error) {
	doc, err := scim.ParseResource(scim.Users, body)
	if err != nil {
		return nil, err
	}
	u := &gatehouse.User{DirectoryID: t.DirectoryID, Role: gatehouse.RoleUser, Source: gatehouse.SourceSCIM}
	if err := scim.ReadUser(doc, nil, u); err != nil {
		return nil, err
	}
	if err := validateUser(u, ""); err != nil {
		return nil, scimError(err)
	}
	u.ID = s.newID()
	u.CreatedAt, u.UpdatedAt = s.now(), s.now()
	err = s.store.InTx(ctx, func(tx gatehouse.Store) error {
		if err := tx.CreateUser(ctx, u); err != nil {
			if gatehouse.ErrorCode(err) == gatehouse.ECONFLICT {
				return &scim.Error{Status: http.StatusConflict, Type: scim.TypeUniqueness,
					Detail: "A user named " + u.UserName + " (ignoring case and Unicode form) already exists in the directory.", Err: err}
			}
			return err
		}
		return s.auditSCIM(ctx, tx, t, "user.create", "user", u.ID, nil, u)
	})
	if err != nil {
		return nil, scimError(err)
	}
	return scim.UserResource(u, nil, s.SCIMBaseURL(u.DirectoryID)), nil
}

// SCIMReplaceUser replaces a user's attributes with a SCIM User resource (PUT).
func (s *Service) SCIMReplaceUser(ctx context.Context, t *gatehouse.SCIMToken, id, ifMatch string, body []byte) (map[string]any, error) {
	doc, err := scim.ParseResource(scim.Users, body)
	if err != nil {
		return nil, err
	}
	return s.changeUser(ctx, t, id, ifMatch, func(map[string]any) (map[string]any, error) { return doc, nil })
}

// SCIMPatchUser applies PATCH operations to a user.
func (s *Service) SCIMPatchUser(ctx context.Context, t *gatehouse.SCIMToken, id, ifMatch string, body []byte) (map[string]any, error) {
	ops, err := scim.ParsePatch(body)
	if err != nil {
		return nil, err
	}
	return s.changeUser(ctx, t, id, ifMatch, func(cur map[string]any) (map[string]any, error) {
		return scim.Apply(scim.Users, cur, ops)
	})
}

// changeUser reads the user and their resource in one transaction, holding the row, makes the new resource with
// change, and stores what changed: a user set inactive is disabled and their sessions end.
func (s *Service) changeUser(ctx context.Context, t *gatehouse.SCIMToken, id, ifMatch string, change func(cur map[string]any) (map[string]any, error)) (map[string]any, error) {
	var out map[string]any
	err := s.store.InTx(ctx, func(tx gatehouse.Store) error {
		u, err := tx.FindUserForUpdate(ctx, t.DirectoryID, id)
		if err != nil {
			return err
		}
		if err := checkVersion(ifMatch, scim.Version(u.UpdatedAt)); err != nil {
			return err
		}
		cur, err := s.userResource(ctx, tx, u, true)
		if err != nil {
			return err
		}
		doc, err := change(cur)
		if err != nil {
			return err
		}
		next := *u
		if err := scim.ReadUser(doc, cur, &next); err != nil {
			return err
		}
		if reflect.DeepEqual(&next, u) {
			out = cur
			return nil
		}
		if err := guardAdmin(u, next.Disabled); err != nil {
			return err
		}
		if err := validateUser(&next, u.UserName); err != nil {
			return err
		}
		next.UpdatedAt = s.now()
		if err := tx.UpdateUser(ctx, &next); err != nil {
			if gatehouse.ErrorCode(err) == gatehouse.ECONFLICT {
				return &scim.Error{Status: http.StatusConflict, Type: scim.TypeUniqueness,
					Detail: "A user named " + next.UserName + " (ignoring case and Unicode form) already exists in the directory.", Err: err}
			}
			return err
		}
		if next.Disabled && !u.Disabled {
			if err := tx.DeleteUserSessions(ctx, t.DirectoryID, id); err != nil {
				return err
			}
		}
		if out, err = s.userResource(ctx, tx, &next, true); err != nil {
			return err
		}
		return s.auditSCIM(ctx, tx, t, "user.update", "user", id, u, &next)
	})
	return out, scimError(err)
}

// guardAdmin refuses to let provisioning disable or delete a global admin: an HR feed must not lock the directory's
// administrators out; they are disabled or deleted in the portal.
func guardAdmin(u *gatehouse.User, disable bool) error {
	if u.Role == gatehouse.RoleGlobalAdmin && disable && !u.Disabled {
		return &scim.Error{Status: http.StatusForbidden, Detail: u.UserName + " is a global admin of the directory; provisioning cannot disable or delete global admins. Change their role in the portal first."}
	}
	return nil
}

// SCIMDeleteUser deletes a user.
func (s *Service) SCIMDeleteUser(ctx context.Context, t *gatehouse.SCIMToken, id, ifMatch string) error {
	return scimError(s.store.InTx(ctx, func(tx gatehouse.Store) error {
		u, err := tx.FindUserForUpdate(ctx, t.DirectoryID, id)
		if err != nil {
			return err
		}
		if err := checkVersion(ifMatch, scim.Version(u.UpdatedAt)); err != nil {
			return err
		}
		if err := guardAdmin(u, true); err != nil {
			return err
		}
		if err := tx.DeleteUser(ctx, t.DirectoryID, id); err != nil {
			return err
		}
		return s.auditSCIM(ctx, tx, t, "user.delete", "user", id, u, nil)
	}))
}

// SCIMGetGroup returns a group's resource; its members only when the projection wants them.
func (s *Service) SCIMGetGroup(ctx context.Context, t *gatehouse.SCIMToken, id string, p scim.Projection) (map[string]any, error) {
	g, err := s.store.FindGroup(ctx, t.DirectoryID, id)
	if err != nil {
		return nil, err
	}
	doc, err := s.groupResource(ctx, s.store, g, p.Wants("members"))
	if err != nil {
		return nil, err
	}
	return p.Apply(doc), nil
}

func (s *Service) groupResource(ctx context.Context, st gatehouse.Store, g *gatehouse.Group, withMembers bool) (map[string]any, error) {
	var members []*gatehouse.User
	if withMembers {
		var err error
		if members, err = st.FindGroupMembers(ctx, g.DirectoryID, g.ID); err != nil {
			return nil, err
		}
	}
	return scim.GroupResource(g, members, s.SCIMBaseURL(g.DirectoryID)), nil
}

// SCIMListGroups returns a list response of the groups the parameters select.
func (s *Service) SCIMListGroups(ctx context.Context, t *gatehouse.SCIMToken, p *scim.ListParams) (map[string]any, error) {
	groups, total, err := s.store.QueryGroups(ctx, t.DirectoryID, p.Query)
	if err != nil {
		return nil, scimFilterError(err)
	}
	if p.Query.Limit == 0 {
		groups = nil
	}
	docs := make([]map[string]any, 0, len(groups))
	for _, g := range groups {
		doc, err := s.groupResource(ctx, s.store, g, p.Projection.Wants("members"))
		if err != nil {
			return nil, err
		}
		docs = append(docs, p.Projection.Apply(doc))
	}
	return scim.ListResponse(docs, total, p.StartIndex), nil
}

// SCIMCreateGroup creates a group with its members from a SCIM Group resource.
func (s *Service) SCIMCreateGroup(ctx context.Context, t *gatehouse.SCIMToken, body []byte) (map[string]any, error) {
	doc, err := scim.ParseResource(scim.Groups, body)
	if err != nil {
		return nil, err
	}
	g := &gatehouse.Group{DirectoryID: t.DirectoryID}
	memberIDs, err := scim.ReadGroup(doc, nil, g)
	if err != nil {
		return nil, err
	}
	if err := g.Validate(); err != nil {
		return nil, scimError(err)
	}
	g.ID = s.newID()
	g.CreatedAt, g.UpdatedAt = s.now(), s.now()
	var out map[string]any
	err = s.store.InTx(ctx, func(tx gatehouse.Store) error {
		if err := tx.CreateGroup(ctx, g); err != nil {
			return groupConflict(err, g.Name)
		}
		if err := addMembers(ctx, tx, g, memberIDs); err != nil {
			return err
		}
		if out, err = s.groupResource(ctx, tx, g, true); err != nil {
			return err
		}
		return s.auditSCIM(ctx, tx, t, "group.create", "group", g.ID, nil, map[string]any{"group": g, "members": memberIDs})
	})
	return out, scimError(err)
}

func addMembers(ctx context.Context, tx gatehouse.Store, g *gatehouse.Group, ids []string) error {
	for _, id := range ids {
		if err := tx.AddGroupMember(ctx, g.DirectoryID, g.ID, id); err != nil {
			if gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND {
				return scim.InvalidValue("There is no user %s in the directory to make a member.", id)
			}
			return err
		}
	}
	return nil
}

// SCIMReplaceGroup replaces a group's name, external ID and members (PUT).
func (s *Service) SCIMReplaceGroup(ctx context.Context, t *gatehouse.SCIMToken, id, ifMatch string, body []byte) (map[string]any, error) {
	doc, err := scim.ParseResource(scim.Groups, body)
	if err != nil {
		return nil, err
	}
	return s.changeGroup(ctx, t, id, ifMatch, func(map[string]any) (map[string]any, error) { return doc, nil })
}

// SCIMPatchGroup applies PATCH operations to a group.
func (s *Service) SCIMPatchGroup(ctx context.Context, t *gatehouse.SCIMToken, id, ifMatch string, body []byte) (map[string]any, error) {
	ops, err := scim.ParsePatch(body)
	if err != nil {
		return nil, err
	}
	return s.changeGroup(ctx, t, id, ifMatch, func(cur map[string]any) (map[string]any, error) {
		return scim.Apply(scim.Groups, cur, ops)
	})
}

// changeGroup reads the group and its members in one transaction, holding the group, and stores what change makes
// of its resource: the name, the external ID, members added and removed.
func (s *Service) changeGroup(ctx context.Context, t *gatehouse.SCIMToken, id, ifMatch string, change func(cur map[string]any) (map[string]any, error)) (map[string]any, error) {
	var out map[string]any
	err := s.store.InTx(ctx, func(tx gatehouse.Store) error {
		g, err := tx.FindGroupForUpdate(ctx, t.DirectoryID, id)
		if err != nil {
			return err
		}
		if err := checkVersion(ifMatch, scim.Version(g.UpdatedAt)); err != nil {
			return err
		}
		members, err := tx.FindGroupMembers(ctx, t.DirectoryID, id)
		if err != nil {
			return err
		}
		cur := scim.GroupResource(g, members, s.SCIMBaseURL(g.DirectoryID))
		doc, err := change(cur)
		if err != nil {
			return err
		}
		next := *g
		ids, err := scim.ReadGroup(doc, cur, &next)
		if err != nil {
			return err
		}
		had := map[string]bool{}
		for _, u := range members {
			had[u.ID] = true
		}
		var added, removed []string
		for _, uid := range ids {
			if !had[uid] {
				added = append(added, uid)
			}
			delete(had, uid)
		}
		for uid := range had {
			removed = append(removed, uid)
		}
		if next == *g && len(added) == 0 && len(removed) == 0 {
			out = cur
			return nil
		}
		if err := next.Validate(); err != nil {
			return err
		}
		next.UpdatedAt = s.now()
		if err := tx.UpdateGroup(ctx, &next); err != nil {
			return groupConflict(err, next.Name)
		}
		if err := addMembers(ctx, tx, &next, added); err != nil {
			return err
		}
		for _, uid := range removed {
			if err := tx.RemoveGroupMember(ctx, t.DirectoryID, id, uid); err != nil {
				return err
			}
		}
		if out, err = s.groupResource(ctx, tx, &next, true); err != nil {
			return err
		}
		return s.auditSCIM(ctx, tx, t, "group.update", "group", id, g,
			map[string]any{"group": &next, "membersAdded": added, "membersRemoved": removed})
	})
	return out, scimError(err)
}

// SCIMDeleteGroup deletes a group.
func (s *Service) SCIMDeleteGroup(ctx context.Context, t *gatehouse.SCIMToken, id, ifMatch string) error {
	return scimError(s.store.InTx(ctx, func(tx gatehouse.Store) error {
		g, err := tx.FindGroupForUpdate(ctx, t.DirectoryID, id)
		if err != nil {
			return err
		}
		if err := checkVersion(ifMatch, scim.Version(g.UpdatedAt)); err != nil {
			return err
		}
		if err := tx.DeleteGroup(ctx, t.DirectoryID, id); err != nil {
			return err
		}
		return s.auditSCIM(ctx, tx, t, "group.delete", "group", id, g, nil)
	}))
}
