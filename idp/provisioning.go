package idp

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/gallery"
	"github.com/gatehouse-idp/gatehouse/provision"
)

// ProvisioningView is an app's Provisioning page: the settings (the token never, only whether one is set), what the
// engine reports, and what the gallery template knows of the app's SCIM service.
type ProvisioningView struct {
	Settings *gatehouse.Provisioning `json:"settings"`
	// TokenSet reports whether a secret token is set.
	TokenSet bool `json:"tokenSet"`
	// Configured reports whether the settings were ever saved (otherwise Settings are the template's defaults).
	Configured bool                          `json:"configured"`
	Status     *gatehouse.ProvisioningStatus `json:"status,omitempty"`
	// Queued counts the changes waiting to be pushed.
	Queued int `json:"queued"`
	// Users and Groups count the accounts Gatehouse provisioned at the app; ActiveUsers those that are active.
	Users       int `json:"users"`
	ActiveUsers int `json:"activeUsers"`
	Groups      int `json:"groups"`
	// Interval is the time between two full cycles, in seconds.
	Interval int64 `json:"intervalSeconds"`
	// Template is what the gallery template says of the app's SCIM service, nil when it says nothing.
	Template *gallery.SCIM `json:"template,omitempty"`
}

// provisioningTemplate returns the SCIM facts of the app's gallery template, or nil.
func (s *Service) provisioningTemplate(a *gatehouse.App) *gallery.Template {
	t, err := s.gallery.Find(a.GalleryID)
	if err != nil {
		return nil
	}
	return t
}

// provisioningOf returns an app's provisioning settings, or, when they were never saved, those its gallery template
// proposes (configured is false).
func (s *Service) provisioningOf(ctx context.Context, st gatehouse.Store, a *gatehouse.App) (p *gatehouse.Provisioning, configured bool, err error) {
	p, err = st.FindProvisioning(ctx, a.DirectoryID, a.ID)
	if err == nil {
		return p, true, nil
	}
	if gatehouse.ErrorCode(err) != gatehouse.ENOTFOUND {
		return nil, false, err
	}
	if t := s.provisioningTemplate(a); t != nil {
		return t.ProvisioningDefaults(a.DirectoryID, a.ID), false, nil
	}
	return gatehouse.DefaultProvisioning(a.DirectoryID, a.ID), false, nil
}

// FindProvisioning returns an app's Provisioning page. Any admin of the directory may read it.
func (s *Service) FindProvisioning(ctx context.Context, actor *gatehouse.User, dirID, appID string) (*ProvisioningView, error) {
	if err := s.Authorize(ctx, actor, dirID, ReadDirectory); err != nil {
		return nil, err
	}
	a, err := s.store.FindApp(ctx, dirID, appID)
	if err != nil {
		return nil, err
	}
	return s.provisioningView(ctx, a)
}

func (s *Service) provisioningView(ctx context.Context, a *gatehouse.App) (*ProvisioningView, error) {
	p, configured, err := s.provisioningOf(ctx, s.store, a)
	if err != nil {
		return nil, err
	}
	v := &ProvisioningView{Settings: p, TokenSet: len(p.SealedToken) > 0, Configured: configured,
		Interval: int64(s.provisioningInterval() / time.Second)}
	if t := s.provisioningTemplate(a); t != nil {
		v.Template = t.SCIM
	}
	if !configured {
		return v, nil
	}
	if v.Status, err = s.store.FindProvisioningStatus(ctx, a.DirectoryID, a.ID); err != nil {
		return nil, err
	}
	if v.Queued, err = s.store.CountProvisioningJobs(ctx, a.DirectoryID, a.ID); err != nil {
		return nil, err
	}
	if v.Users, v.ActiveUsers, err = s.store.CountProvisionedObjects(ctx, a.DirectoryID, a.ID, gatehouse.ObjectUser); err != nil {
		return nil, err
	}
	if v.Groups, _, err = s.store.CountProvisionedObjects(ctx, a.DirectoryID, a.ID, gatehouse.ObjectGroup); err != nil {
		return nil, err
	}
	return v, nil
}

// provisioningInterval returns the time between two full cycles.
func (s *Service) provisioningInterval() time.Duration {
	if s.provisioning != nil {
		return s.provisioning.Interval()
	}
	return provision.DefaultInterval
}

// ProvisioningInput lists the provisioning settings to change; nil fields stay as they are. Token is write-only:
// it is sealed and never shown again.
type ProvisioningInput struct {
	Mode           *string                       `json:"mode"`
	TenantURL      *string                       `json:"tenantUrl"`
	Token          *string                       `json:"token"`
	Scope          *string                       `json:"scope"`
	MatchAttribute *string                       `json:"matchAttribute"`
	UserMappings   *[]gatehouse.AttributeMapping `json:"userMappings"`
	GroupMappings  *[]gatehouse.AttributeMapping `json:"groupMappings"`
	Groups         *bool                         `json:"groups"`
	LeaveAction    *string                       `json:"leaveAction"`
	DeleteAction   *string                       `json:"deleteAction"`
	UpdateMethod   *string                       `json:"updateMethod"`
}

// maxTokenLength bounds a secret token.
const maxTokenLength = 4096

// checkToken returns EINVALID unless t is a token: 1 to 4096 printable characters without spaces.
func checkToken(t string) error {
	if t == "" || len(t) > maxTokenLength || strings.ContainsFunc(t, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) || r == unicode.ReplacementChar
	}) {
		return gatehouse.FieldErrorf("token", "The secret token is 1 to %d printable characters without spaces, as the app showed it.", maxTokenLength)
	}
	return nil
}

// UpdateProvisioning changes an app's provisioning settings. App admins may. Turning provisioning on starts the
// initial full cycle; changing what is provisioned while it is on (scope, matching, mappings, groups) starts a new
// full cycle; turning it off drops the queued changes. The token is sealed at rest and never returned.
func (s *Service) UpdateProvisioning(ctx context.Context, actor *gatehouse.User, dirID, appID string, in ProvisioningInput) (*ProvisioningView, error) {
	if err := s.Authorize(ctx, actor, dirID, ManageApps); err != nil {
		return nil, err
	}
	var sealed []byte
	if in.Token != nil {
		token := strings.TrimSpace(*in.Token)
		if strings.HasPrefix(strings.ToLower(token), "bearer ") {
			token = strings.TrimSpace(token[len("bearer "):])
		}
		if err := checkToken(token); err != nil {
			return nil, err
		}
		var err error
		if sealed, err = provision.SealToken(s.sealer, dirID, appID, token); err != nil {
			return nil, gatehouse.Internal(err)
		}
	}
	var a *gatehouse.App
	err := s.store.InTx(ctx, func(tx gatehouse.Store) error {
		var err error
		if a, err = tx.FindApp(ctx, dirID, appID); err != nil {
			return err
		}
		p, configured, err := s.provisioningOf(ctx, tx, a)
		if err != nil {
			return err
		}
		before := *p
		setIf(&p.Mode, in.Mode)
		setIf(&p.Scope, in.Scope)
		setIf(&p.MatchAttribute, in.MatchAttribute)
		setIf(&p.UserMappings, in.UserMappings)
		setIf(&p.GroupMappings, in.GroupMappings)
		setIf(&p.Groups, in.Groups)
		setIf(&p.LeaveAction, in.LeaveAction)
		setIf(&p.DeleteAction, in.DeleteAction)
		setIf(&p.UpdateMethod, in.UpdateMethod)
		if in.TenantURL != nil {
			p.TenantURL = strings.TrimRight(strings.TrimSpace(*in.TenantURL), "/")
		}
		if sealed != nil {
			p.SealedToken, p.TokenSetAt = sealed, s.now()
		}
		if err := p.Validate(); err != nil {
			return err
		}
		if err := provision.CheckMappings(p); err != nil {
			return err
		}
		now := s.now()
		if !configured {
			p.CreatedAt = now
		}
		p.UpdatedAt = now
		if err := tx.SetProvisioning(ctx, p); err != nil {
			return err
		}
		on := p.Mode == gatehouse.ProvisioningAutomatic
		wasOn := configured && before.Mode == gatehouse.ProvisioningAutomatic
		switch {
		case on && (!wasOn || scopeChanged(&before, p)):
			if err := tx.RequestProvisioning(ctx, dirID, appID, gatehouse.RequestCycle, now); err != nil {
				return err
			}
		case !on && wasOn:
			if err := tx.DeleteProvisioningJobs(ctx, dirID, appID); err != nil {
				return err
			}
		}
		type change struct {
			*gatehouse.Provisioning
			TokenChanged bool `json:"tokenChanged,omitempty"`
		}
		var was any
		if configured {
			was = change{Provisioning: &before}
		}
		return s.audit(ctx, tx, actor, dirID, "app.provisioning.update", "app", appID, was, change{p, sealed != nil})
	})
	if err != nil {
		return nil, err
	}
	s.wakeProvisioning()
	return s.provisioningView(ctx, a)
}

// scopeChanged reports whether the change from a to b changes what is provisioned, so that a full cycle must run.
func scopeChanged(a, b *gatehouse.Provisioning) bool {
	return a.Scope != b.Scope || a.MatchAttribute != b.MatchAttribute || a.Groups != b.Groups ||
		a.TenantURL != b.TenantURL || !reflect.DeepEqual(a.UserMappings, b.UserMappings) ||
		!reflect.DeepEqual(a.GroupMappings, b.GroupMappings)
}

// TestConnectionInput names what to test: the given tenant URL and token, or, for those left empty, the saved ones.
type TestConnectionInput struct {
	TenantURL string `json:"tenantUrl"`
	Token     string `json:"token"`
}

// TestProvisioningConnection checks that Gatehouse can provision to the app with the given or saved tenant URL and
// token, as Entra's Test Connection does: authenticate and list a user. A failure names the HTTP status and the
// body the app answered; the result is never an error for that. App admins may.
func (s *Service) TestProvisioningConnection(ctx context.Context, actor *gatehouse.User, dirID, appID string, in TestConnectionInput) (*provision.TestResult, error) {
	if err := s.Authorize(ctx, actor, dirID, ManageApps); err != nil {
		return nil, err
	}
	a, err := s.store.FindApp(ctx, dirID, appID)
	if err != nil {
		return nil, err
	}
	p, _, err := s.provisioningOf(ctx, s.store, a)
	if err != nil {
		return nil, err
	}
	url := strings.TrimRight(strings.TrimSpace(in.TenantURL), "/")
	if url == "" {
		url = p.TenantURL
	}
	if url == "" {
		return nil, gatehouse.FieldErrorf("tenantUrl", "Enter the app's tenant URL (its SCIM base URL) first.")
	}
	if err := gatehouse.ValidTenantURL(url); err != nil {
		return nil, err
	}
	token := strings.TrimSpace(in.Token)
	if strings.HasPrefix(strings.ToLower(token), "bearer ") {
		token = strings.TrimSpace(token[len("bearer "):])
	}
	if token == "" {
		if len(p.SealedToken) == 0 {
			return nil, gatehouse.FieldErrorf("token", "Enter the app's secret token first.")
		}
		if token, err = provision.OpenToken(s.sealer, p); err != nil {
			return nil, gatehouse.FieldErrorf("token", "Gatehouse cannot decrypt the saved token (was the server's key changed?); enter it again.")
		}
	} else if err := checkToken(token); err != nil {
		return nil, err
	}
	res := provision.TestConnection(ctx, url, token, s.clientOptions())
	s.logger.InfoContext(ctx, "provisioning connection tested", "directory", dirID, "app", appID, "ok", res.OK,
		"target", res.Target, "status", res.HTTPStatus)
	return res, nil
}

// clientOptions returns the options of SCIM clients: the engine's, or the defaults without one.
func (s *Service) clientOptions() provision.ClientOptions {
	if s.provisioning != nil {
		return s.provisioning.ClientOptions()
	}
	return provision.ClientOptions{}
}

// MaxOnDemandMembers is the largest group provision on demand takes, as in Entra ID.
const MaxOnDemandMembers = 5

// OnDemandTimeout bounds how long provision on demand waits for its result.
const OnDemandTimeout = 2 * time.Minute

// OnDemandResult is what provision on demand did: the log entries of the request, the members of a group first and
// the user or group asked for last, each with its steps.
type OnDemandResult struct {
	RequestID string                         `json:"requestId"`
	Events    []*gatehouse.ProvisioningEvent `json:"events"`
}

// ProvisionOnDemand provisions one user, or one group of at most five members, to the app now, whatever the mode
// and even in quarantine, and returns what it did step by step (connection, source, scope, match, action). App
// admins may. It queues the request, like any change, so that whichever node provisions the app runs it, and waits
// for its result.
func (s *Service) ProvisionOnDemand(ctx context.Context, actor *gatehouse.User, dirID, appID, objectType, objectID string) (*OnDemandResult, error) {
	if err := s.Authorize(ctx, actor, dirID, ManageApps); err != nil {
		return nil, err
	}
	if objectType != gatehouse.ObjectUser && objectType != gatehouse.ObjectGroup {
		return nil, gatehouse.FieldErrorf("objectType", "Provision on demand takes a user or a group, not %q.", objectType)
	}
	p, err := s.store.FindProvisioning(ctx, dirID, appID)
	if gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND || err == nil && (p.TenantURL == "" || len(p.SealedToken) == 0) {
		return nil, gatehouse.Errorf(gatehouse.EINVALID, "Save the app's tenant URL and secret token first.")
	} else if err != nil {
		return nil, err
	}
	id := s.newID()
	now := s.now()
	err = s.store.InTx(ctx, func(tx gatehouse.Store) error {
		var name string
		switch objectType {
		case gatehouse.ObjectUser:
			u, err := tx.FindUser(ctx, dirID, objectID)
			if err != nil {
				return err
			}
			name = u.UserName
		default:
			g, err := tx.FindGroup(ctx, dirID, objectID)
			if err != nil {
				return err
			}
			members, err := tx.FindGroupMembers(ctx, dirID, objectID)
			if err != nil {
				return err
			}
			if len(members) > MaxOnDemandMembers {
				return gatehouse.FieldErrorf("objectId", "Provision on demand takes a group of at most %d members; %s has %d. The group is provisioned with the next changes or cycle.", MaxOnDemandMembers, g.Name, len(members))
			}
			name = g.Name
		}
		j := &gatehouse.ProvisioningJob{DirectoryID: dirID, AppID: appID, ObjectType: objectType, ObjectID: objectID,
			Reason: "on-demand", OnDemand: id, RequestedAt: now, NotBefore: now}
		if err := tx.EnqueueProvisioningJobs(ctx, []*gatehouse.ProvisioningJob{j}); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, dirID, "app.provisioning.on-demand", "app", appID, nil,
			map[string]string{"requestId": id, "objectType": objectType, "objectId": objectID, "name": name})
	})
	if err != nil {
		return nil, err
	}
	s.wakeProvisioning()
	ctx, cancel := context.WithTimeout(ctx, OnDemandTimeout)
	defer cancel()
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		events, _, err := s.store.FindProvisioningEvents(ctx, dirID, gatehouse.ProvisioningFilter{AppID: appID, CycleID: id, Limit: 100})
		if err != nil && ctx.Err() == nil {
			return nil, err
		}
		if slices.ContainsFunc(events, func(e *gatehouse.ProvisioningEvent) bool {
			return e.ObjectType == objectType && e.SourceID == objectID
		}) {
			slices.Reverse(events)
			return &OnDemandResult{RequestID: id, Events: events}, nil
		}
		select {
		case <-ctx.Done():
			if parent := context.Cause(ctx); parent != nil && parent != context.DeadlineExceeded {
				return nil, parent
			}
			return nil, gatehouse.Errorf(gatehouse.EUNAVAILABLE, "Provisioning did not answer within %s; the request %s stays queued and its result will be in the provisioning log.", OnDemandTimeout, id)
		case <-t.C:
		}
	}
}

// RetryProvisioning asks for the app's provisioning to be tried again now: queued changes waiting for a retry are
// due at once, and an app in quarantine is probed at once (and leaves quarantine if the app answers). App admins
// may.
func (s *Service) RetryProvisioning(ctx context.Context, actor *gatehouse.User, dirID, appID string) error {
	return s.requestProvisioning(ctx, actor, dirID, appID, gatehouse.RequestRetry, "app.provisioning.retry")
}

// RestartProvisioning starts a new full cycle of the app's provisioning now. App admins may.
func (s *Service) RestartProvisioning(ctx context.Context, actor *gatehouse.User, dirID, appID string) error {
	return s.requestProvisioning(ctx, actor, dirID, appID, gatehouse.RequestCycle, "app.provisioning.restart")
}

func (s *Service) requestProvisioning(ctx context.Context, actor *gatehouse.User, dirID, appID, request, action string) error {
	if err := s.Authorize(ctx, actor, dirID, ManageApps); err != nil {
		return err
	}
	err := s.store.InTx(ctx, func(tx gatehouse.Store) error {
		p, err := tx.FindProvisioning(ctx, dirID, appID)
		if gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND {
			return gatehouse.Errorf(gatehouse.EINVALID, "The app's provisioning is not set up yet.")
		} else if err != nil {
			return err
		}
		if p.Mode != gatehouse.ProvisioningAutomatic {
			return gatehouse.Errorf(gatehouse.EINVALID, "The app's provisioning is off; turn it on first.")
		}
		if err := tx.RequestProvisioning(ctx, dirID, appID, request, s.now()); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, dirID, action, "app", appID, nil, nil)
	})
	if err != nil {
		return err
	}
	s.wakeProvisioning()
	return nil
}

// FindProvisioningEvents returns the directory's provisioning log entries that f selects, newest first, and how
// many match in all. Any admin of the directory may read them.
func (s *Service) FindProvisioningEvents(ctx context.Context, actor *gatehouse.User, dirID string, f gatehouse.ProvisioningFilter) ([]*gatehouse.ProvisioningEvent, int, error) {
	if err := s.Authorize(ctx, actor, dirID, ReadDirectory); err != nil {
		return nil, 0, err
	}
	for _, c := range []struct{ field, v string }{{"action", f.Action}, {"result", f.Result}} {
		if len(c.v) > 32 {
			return nil, 0, gatehouse.FieldErrorf(c.field, "The %s filter is at most 32 characters.", c.field)
		}
	}
	if f.AppID != "" {
		if _, err := s.store.FindApp(ctx, dirID, f.AppID); err != nil {
			return nil, 0, err
		}
	}
	return s.store.FindProvisioningEvents(ctx, dirID, f)
}

// FindProvisioningEvent returns one provisioning log entry.
func (s *Service) FindProvisioningEvent(ctx context.Context, actor *gatehouse.User, dirID, id string) (*gatehouse.ProvisioningEvent, error) {
	if err := s.Authorize(ctx, actor, dirID, ReadDirectory); err != nil {
		return nil, err
	}
	return s.store.FindProvisioningEvent(ctx, dirID, id)
}

// wakeProvisioning tells this node's engine that changes were queued, so that they are pushed at once.
func (s *Service) wakeProvisioning() {
	if s.provisioning != nil {
		s.provisioning.Wake()
	}
}

// provisionObject is a user or group whose change is pushed to apps.
type provisionObject struct{ typ, id string }

func userObject(id string) provisionObject  { return provisionObject{gatehouse.ObjectUser, id} }
func groupObject(id string) provisionObject { return provisionObject{gatehouse.ObjectGroup, id} }

// provisionLater queues, in tx, the changes of objs for each app of the directory whose provisioning is on and to
// which they matter: a user or group in the app's scope, or one with an account at the app. Call it in the
// transaction of the change (before a deletion, while the assignments still tell the scope), and wakeProvisioning
// after the commit. Every path that changes users, groups, memberships or assignments calls it.
func (s *Service) provisionLater(ctx context.Context, tx gatehouse.Store, dirID, reason string, objs ...provisionObject) error {
	if len(objs) == 0 {
		return nil
	}
	ps, err := tx.FindProvisionings(ctx, dirID, gatehouse.ProvisioningAutomatic)
	if err != nil || len(ps) == 0 {
		return err
	}
	now := s.now()
	var jobs []*gatehouse.ProvisioningJob
	for _, p := range ps {
		for _, o := range objs {
			ok, err := provisioningMatters(ctx, tx, p, o)
			if err != nil {
				return err
			}
			if ok {
				jobs = append(jobs, &gatehouse.ProvisioningJob{DirectoryID: dirID, AppID: p.AppID, ObjectType: o.typ,
					ObjectID: o.id, Reason: reason, RequestedAt: now, NotBefore: now})
			}
		}
	}
	if len(jobs) == 0 {
		return nil
	}
	return tx.EnqueueProvisioningJobs(ctx, jobs)
}

// provisioningMatters reports whether a change of o is pushed to the app of p.
func provisioningMatters(ctx context.Context, tx gatehouse.Store, p *gatehouse.Provisioning, o provisionObject) (bool, error) {
	if o.typ == gatehouse.ObjectGroup && !p.Groups {
		return false, nil
	}
	if p.Scope == gatehouse.ScopeAll {
		return true, nil
	}
	links, err := tx.FindProvisionedObjects(ctx, p.DirectoryID, p.AppID, o.typ, []string{o.id})
	if err != nil || len(links) > 0 {
		return len(links) > 0, err
	}
	if o.typ == gatehouse.ObjectUser {
		return tx.IsAssigned(ctx, p.DirectoryID, p.AppID, o.id)
	}
	as, err := tx.FindAssignments(ctx, p.DirectoryID, p.AppID)
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(as, func(a *gatehouse.Assignment) bool {
		return a.PrincipalType == gatehouse.PrincipalGroup && a.PrincipalID == o.id
	}), nil
}

// membersOf returns the objects of a group's members.
func membersOf(ctx context.Context, tx gatehouse.Store, dirID, groupID string) ([]provisionObject, error) {
	members, err := tx.FindGroupMembers(ctx, dirID, groupID)
	if err != nil {
		return nil, err
	}
	out := make([]provisionObject, len(members))
	for i, u := range members {
		out[i] = userObject(u.ID)
	}
	return out, nil
}

// groupsOf returns the objects of a user's groups.
func groupsOf(ctx context.Context, tx gatehouse.Store, dirID, userID string) ([]provisionObject, error) {
	groups, err := tx.FindUserGroups(ctx, dirID, userID)
	if err != nil {
		return nil, err
	}
	out := make([]provisionObject, len(groups))
	for i, g := range groups {
		out[i] = groupObject(g.ID)
	}
	return out, nil
}

// QuarantinedApp is an app whose provisioning is in quarantine, as the overview lists it.
type QuarantinedApp struct {
	AppID   string                `json:"appId"`
	AppName string                `json:"appName"`
	Since   time.Time             `json:"since"`
	Reason  string                `json:"reason"`
	Status  *gatehouse.Quarantine `json:"-"`
}

// quarantinedApps returns the directory's apps whose provisioning is in quarantine.
func (s *Service) quarantinedApps(ctx context.Context, dirID string, names map[string]string) ([]*QuarantinedApp, error) {
	ps, err := s.store.FindProvisionings(ctx, dirID, gatehouse.ProvisioningAutomatic)
	if err != nil {
		return nil, err
	}
	var out []*QuarantinedApp
	for _, p := range ps {
		st, err := s.store.FindProvisioningStatus(ctx, dirID, p.AppID)
		if err != nil {
			return nil, err
		}
		if q := st.Quarantine; q != nil {
			out = append(out, &QuarantinedApp{AppID: p.AppID, AppName: names[p.AppID], Since: q.Since, Reason: q.Reason, Status: q})
		}
	}
	return out, nil
}
