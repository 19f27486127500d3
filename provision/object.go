package provision

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse-idp/gatehouse"
)

// item is one user or group to bring in line at the app.
type item struct {
	typ, id string
	// trigger and cycleID say what made Gatehouse act (see gatehouse.ProvisioningEvent).
	trigger, cycleID string
	// verbose makes the outcome logged with its steps even when nothing changed (provision on demand).
	verbose bool
	// inScope reports that the caller knows the user is in scope, and why (a cycle's pass over the scope, a member
	// of a group in scope).
	inScope bool
	why     string
}

// outcome is what processing an item did.
type outcome struct {
	// action is one of the gatehouse.Action* constants, "" when nothing needed doing.
	action string
	// result is gatehouse.ResultSuccess, ResultFailure or ResultSkipped.
	result string
	// kind is the failure kind (see classify) of a failure.
	kind int
	err  error
	// retryAfter is the wait the app asked for.
	retryAfter time.Duration
	// same reports that the account already matched the directory.
	same bool
}

// failInternal is a failure of Gatehouse's own database: retried, counted toward nothing.
const failInternal = 99

// step appends a step to the event.
func step(ev *gatehouse.ProvisioningEvent, name, result, format string, args ...any) {
	ev.Steps = append(ev.Steps, gatehouse.ProvisioningStep{Name: name, Result: result, Detail: fmt.Sprintf(format, args...)})
}

// keyedLocks serialises the work on one object: a group's members are provisioned as part of the group while the
// same users may be in the batch too.
type keyedLocks struct {
	mu sync.Mutex
	m  map[string]*sync.Mutex // guarded by mu
}

func (k *keyedLocks) lock(key string) func() {
	k.mu.Lock()
	if k.m == nil {
		k.m = map[string]*sync.Mutex{}
	}
	l := k.m[key]
	if l == nil {
		l = &sync.Mutex{}
		k.m[key] = l
	}
	k.mu.Unlock()
	l.Lock()
	return l.Unlock
}

// newEvent starts the log entry of an item.
func (r *run) newEvent(it item) *gatehouse.ProvisioningEvent {
	return &gatehouse.ProvisioningEvent{ID: newID(), DirectoryID: r.p.DirectoryID, AppID: r.p.AppID, AppName: r.appName,
		Time: r.e.now(), CycleID: it.cycleID, Trigger: it.trigger, ObjectType: it.typ, SourceID: it.id, SourceName: it.id}
}

// finish completes the event with the outcome and queues it for the log when it is worth logging: every action,
// every failure, and anything on demand.
func (r *run) finish(it item, ev *gatehouse.ProvisioningEvent, o outcome, start time.Time) outcome {
	ev.Time = r.e.now() // when it was done, so that a group's members come before it in the log
	ev.DurationMS = time.Since(start).Milliseconds()
	ev.Target = Where(r.t.c.Host(), r.t.lastAddr())
	ev.Result = o.result
	if ev.Action == "" {
		ev.Action = o.action
	}
	if o.err != nil {
		msg, status, body := describeError(o.err)
		if ev.Reason == "" {
			ev.Reason = msg
		}
		ev.HTTPStatus, ev.ErrorBody = status, body
	}
	if ev.Action == "" {
		ev.Action = gatehouse.ActionSkip
	}
	if o.action != "" || o.result == gatehouse.ResultFailure || it.verbose {
		r.queueEvent(ev)
	}
	r.e.observe(r.p.AppID, o)
	return o
}

// failed records a failed step and returns the failure's outcome.
func (r *run) failed(ev *gatehouse.ProvisioningEvent, stepName, action string, err error) outcome {
	msg, _, _ := describeError(err)
	step(ev, stepName, gatehouse.ResultFailure, "%s", msg)
	o := outcome{action: action, result: gatehouse.ResultFailure, kind: classify(err), err: err}
	if he := (*HTTPError)(nil); asHTTP(err, &he) {
		o.retryAfter = he.RetryAfter
	}
	r.det.record(o.kind, err)
	return o
}

// internalFailure is the outcome of a failure of Gatehouse's database.
func (r *run) internalFailure(ev *gatehouse.ProvisioningEvent, err error) outcome {
	step(ev, "source", gatehouse.ResultFailure, "Gatehouse could not read its database: %v", err)
	ev.Reason = "Gatehouse could not read its database; the change is tried again."
	return outcome{result: gatehouse.ResultFailure, kind: failInternal, err: err}
}

// skipped returns the outcome of an item that needs nothing, with the reason.
func skipped(ev *gatehouse.ProvisioningEvent, reason string) outcome {
	ev.Reason = reason
	return outcome{result: gatehouse.ResultSkipped}
}

// connectionStep adds the step that says where the requests go. On demand (verbose) it first checks that the app
// answers and accepts the credentials, and returns the failure's outcome when it does not (ok false).
func (r *run) connectionStep(ctx context.Context, it item, ev *gatehouse.ProvisioningEvent) (outcome, bool) {
	if it.verbose {
		if _, err := r.t.find(ctx, gatehouse.ObjectUser, "userName eq "+filterValue("gatehouse-connection-test-"+newID())); err != nil {
			return r.failed(ev, "connection", "", err), false
		}
	}
	step(ev, "connection", gatehouse.ResultSuccess, "Requests go to %s; %s", Where(r.t.c.Host(), r.t.lastAddr()), r.method())
	return outcome{}, true
}

func (r *run) method() string {
	if r.t.patch {
		return "changes are sent with PATCH."
	}
	return "changes are sent with PUT."
}

// user brings the account of a user in line with the directory.
func (r *run) user(ctx context.Context, it item) outcome {
	start := time.Now()
	ev := r.newEvent(it)
	defer r.locks.lock("user:" + it.id)()
	link, err := r.link(ctx, gatehouse.ObjectUser, it.id)
	if err != nil {
		return r.finish(it, ev, r.internalFailure(ev, err), start)
	}
	if o, ok := r.connectionStep(ctx, it, ev); !ok {
		return r.finish(it, ev, o, start)
	}
	u, err := r.e.store.FindUser(ctx, r.p.DirectoryID, it.id)
	if gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND {
		if link != nil {
			ev.SourceName = link.SourceName
		}
		step(ev, "source", gatehouse.ResultSuccess, "The user %s is no longer in the directory.", it.id)
		if link == nil {
			step(ev, "scope", gatehouse.ResultSkipped, "Nothing was provisioned for the user.")
			return r.finish(it, ev, skipped(ev, "The user was deleted, and the app has no account of theirs from Gatehouse."), start)
		}
		step(ev, "scope", gatehouse.ResultSuccess, "The user was deleted: the account is %s.", pastTense(r.p.DeleteAction))
		return r.finish(it, ev, r.deprovision(ctx, ev, link, r.p.DeleteAction, "the user was deleted from the directory"), start)
	}
	if err != nil {
		return r.finish(it, ev, r.internalFailure(ev, err), start)
	}
	ev.SourceName = u.UserName
	step(ev, "source", gatehouse.ResultSuccess, "Read the user %s (%s) from the directory.", u.UserName, u.ID)
	in, why := it.inScope, it.why
	if !in {
		if in, why, err = r.userInScope(ctx, u, it.verbose); err != nil {
			return r.finish(it, ev, r.internalFailure(ev, err), start)
		}
	}
	if !in || u.Disabled {
		if u.Disabled {
			why = "the user is disabled in the directory"
		}
		if link == nil || !link.Active && r.p.LeaveAction == gatehouse.DeprovisionDisable {
			step(ev, "scope", gatehouse.ResultSkipped, "Not in scope: %s.", why)
			reason := "Not in scope: " + why + "; the app has no active account of the user from Gatehouse."
			return r.finish(it, ev, skipped(ev, reason), start)
		}
		step(ev, "scope", gatehouse.ResultSuccess, "Out of scope: %s; the account is %s.", why, pastTense(r.p.LeaveAction))
		return r.finish(it, ev, r.deprovision(ctx, ev, link, r.p.LeaveAction, why), start)
	}
	step(ev, "scope", gatehouse.ResultSuccess, "In scope: %s.", why)
	d := evaluate(r.users, UserAttributes(u))
	value := d.get(r.p.MatchAttribute)
	if value == "" {
		step(ev, "match", gatehouse.ResultFailure, "The matching attribute %s has no value for this user.", r.p.MatchAttribute)
		o := outcome{result: gatehouse.ResultFailure, kind: failItem, err: fmt.Errorf("the matching attribute %s has no value for the user %s", r.p.MatchAttribute, u.UserName)}
		return r.finish(it, ev, o, start)
	}
	doc, o, ok := r.match(ctx, ev, gatehouse.ObjectUser, link, value)
	if !ok {
		return r.finish(it, ev, o, start)
	}
	if doc == nil {
		res := d.resource(schemaOf(gatehouse.ObjectUser))
		res["active"] = true
		created, err := r.t.create(ctx, gatehouse.ObjectUser, res)
		if err != nil {
			return r.finish(it, ev, r.failed(ev, "action", gatehouse.ActionCreate, err), start)
		}
		ev.TargetID, ev.Action = id(created), gatehouse.ActionCreate
		for _, v := range d.values {
			ev.Changes = append(ev.Changes, gatehouse.AttributeChange{Attribute: v.path.raw, After: v.value})
		}
		ev.Changes = append(ev.Changes, gatehouse.AttributeChange{Attribute: "active", After: "true"})
		r.saveLink(gatehouse.ObjectUser, u.ID, u.UserName, ev.TargetID, true, link)
		step(ev, "action", gatehouse.ResultSuccess, "Created the account %s.", ev.TargetID)
		r.det.record(0, nil)
		return r.finish(it, ev, outcome{action: gatehouse.ActionCreate, result: gatehouse.ResultSuccess}, start)
	}
	ev.TargetID = id(doc)
	changes := d.changes(doc)
	wasActive := active(doc)
	all := changes
	if !wasActive {
		all = append(slices.Clip(changes), gatehouse.AttributeChange{Attribute: "active", Before: "false", After: "true"})
	}
	if len(all) == 0 {
		r.saveLinkIfChanged(gatehouse.ObjectUser, u.ID, u.UserName, ev.TargetID, true, link)
		step(ev, "action", gatehouse.ResultSkipped, "Nothing to change: the account already matches.")
		r.det.record(0, nil)
		o := skipped(ev, "The account already matches the directory.")
		o.same = true
		return r.finish(it, ev, o, start)
	}
	if r.t.patch {
		ops := d.patchOps(doc, changes)
		if !wasActive {
			ops = append(ops, map[string]any{"op": "replace", "path": "active", "value": true})
		}
		err = r.t.patchOps(ctx, gatehouse.ObjectUser, ev.TargetID, ops)
	} else {
		body := d.replaced(doc, changes)
		body["active"] = true
		err = r.t.put(ctx, gatehouse.ObjectUser, ev.TargetID, body)
	}
	if err != nil {
		return r.finish(it, ev, r.failed(ev, "action", gatehouse.ActionUpdate, err), start)
	}
	ev.Action, ev.Changes = gatehouse.ActionUpdate, all
	r.saveLink(gatehouse.ObjectUser, u.ID, u.UserName, ev.TargetID, true, link)
	step(ev, "action", gatehouse.ResultSuccess, "Updated %s.", changedNames(all))
	r.det.record(0, nil)
	return r.finish(it, ev, outcome{action: gatehouse.ActionUpdate, result: gatehouse.ResultSuccess}, start)
}

// pastTense says what a deprovisioning action does to an account.
func pastTense(action string) string {
	if action == gatehouse.DeprovisionDelete {
		return "deleted"
	}
	return "disabled (active=false)"
}

func changedNames(changes []gatehouse.AttributeChange) string {
	names := make([]string, len(changes))
	for i, c := range changes {
		names[i] = c.Attribute
	}
	return strings.Join(names, ", ")
}

// match finds the account at the app: by the id Gatehouse kept, or, when there is none or the app no longer has
// it, with the matching attribute. It returns the account (nil when there is none); ok is false on a failure,
// whose outcome it returns.
func (r *run) match(ctx context.Context, ev *gatehouse.ProvisioningEvent, typ string, link *gatehouse.ProvisionedObject, value string) (map[string]any, outcome, bool) {
	if link != nil {
		doc, found, err := r.t.get(ctx, typ, link.TargetID)
		if err != nil {
			return nil, r.failed(ev, "match", "", err), false
		}
		if found {
			step(ev, "match", gatehouse.ResultSuccess, "Found the account by the id Gatehouse kept: %s.", link.TargetID)
			return doc, outcome{}, true
		}
		step(ev, "match", gatehouse.ResultSuccess, "The app no longer has the account %s; looking for it again.", link.TargetID)
		r.deleteLink(typ, link.SourceID)
	}
	path := r.matchPath
	if typ == gatehouse.ObjectGroup {
		path = displayName
	}
	filter := path.Filter(value)
	list, err := r.t.find(ctx, typ, filter)
	if err != nil {
		return nil, r.failed(ev, "match", "", err), false
	}
	// Some apps ignore the filter or match loosely: only accounts whose value really equals count.
	var found []map[string]any
	for _, doc := range list {
		if path.same(path.Get(doc), value) {
			found = append(found, doc)
		}
	}
	switch len(found) {
	case 0:
		step(ev, "match", gatehouse.ResultSuccess, "No account at the app has %s; one is created.", filter)
		return nil, outcome{}, true
	case 1:
		step(ev, "match", gatehouse.ResultSuccess, "Found the account %s with %s.", id(found[0]), filter)
		return found[0], outcome{}, true
	}
	ids := make([]string, len(found))
	for i, doc := range found {
		ids[i] = id(doc)
	}
	slices.Sort(ids)
	err = fmt.Errorf("%d accounts at the app have %s (%s); Gatehouse does not choose one: remove the duplicates at the app",
		len(found), filter, quoteList(ids))
	step(ev, "match", gatehouse.ResultFailure, "%s.", err.Error())
	r.det.record(0, nil)
	return nil, outcome{result: gatehouse.ResultFailure, kind: failItem, err: err}, false
}

var displayName = Path{Attr: "displayName", raw: "displayName"}

// deprovision disables or deletes the account of link, because of why.
func (r *run) deprovision(ctx context.Context, ev *gatehouse.ProvisioningEvent, link *gatehouse.ProvisionedObject, action, why string) outcome {
	ev.TargetID = link.TargetID
	typ := link.ObjectType
	if action == gatehouse.DeprovisionDelete || typ == gatehouse.ObjectGroup {
		if err := r.t.remove(ctx, typ, link.TargetID); err != nil {
			return r.failed(ev, "action", gatehouse.ActionDelete, err)
		}
		r.deleteLink(typ, link.SourceID)
		ev.Action, ev.Reason = gatehouse.ActionDelete, "Deleted because "+why+"."
		step(ev, "action", gatehouse.ResultSuccess, "Deleted the account %s.", link.TargetID)
		r.det.record(0, nil)
		return outcome{action: gatehouse.ActionDelete, result: gatehouse.ResultSuccess}
	}
	if !link.Active {
		step(ev, "action", gatehouse.ResultSkipped, "The account %s is disabled already.", link.TargetID)
		return skipped(ev, "The account is disabled already.")
	}
	var err error
	if r.t.patch {
		err = r.t.patchOps(ctx, typ, link.TargetID, []any{map[string]any{"op": "replace", "path": "active", "value": false}})
	} else {
		var doc map[string]any
		var found bool
		if doc, found, err = r.t.get(ctx, typ, link.TargetID); err == nil && found {
			doc = deepCopy(doc).(map[string]any)
			delete(doc, "meta")
			doc["active"] = false
			err = r.t.put(ctx, typ, link.TargetID, doc)
		} else if err == nil {
			err = &HTTPError{Method: http.MethodGet, Path: endpoint(typ) + "/" + link.TargetID, Status: http.StatusNotFound}
		}
	}
	if he := (*HTTPError)(nil); asHTTP(err, &he) && he.Status == http.StatusNotFound {
		r.deleteLink(typ, link.SourceID)
		step(ev, "action", gatehouse.ResultSkipped, "The app no longer has the account %s.", link.TargetID)
		r.det.record(0, nil)
		return skipped(ev, "The app no longer has the account.")
	}
	if err != nil {
		return r.failed(ev, "action", gatehouse.ActionDisable, err)
	}
	r.saveLink(typ, link.SourceID, link.SourceName, link.TargetID, false, link)
	ev.Action, ev.Reason = gatehouse.ActionDisable, "Disabled because "+why+"."
	ev.Changes = []gatehouse.AttributeChange{{Attribute: "active", Before: "true", After: "false"}}
	step(ev, "action", gatehouse.ResultSuccess, "Disabled the account %s (active=false).", link.TargetID)
	r.det.record(0, nil)
	return outcome{action: gatehouse.ActionDisable, result: gatehouse.ResultSuccess}
}

// userInScope reports whether the user is in the app's scope and says why; detailed looks up how the user is
// assigned (for on demand).
func (r *run) userInScope(ctx context.Context, u *gatehouse.User, detailed bool) (bool, string, error) {
	if r.p.Scope == gatehouse.ScopeAll {
		return true, "the app's scope is every user of the directory", nil
	}
	ok, err := r.e.store.IsAssigned(ctx, r.p.DirectoryID, r.p.AppID, u.ID)
	if err != nil || !ok {
		return false, "the user is not assigned to the app, directly or through a group", err
	}
	if !detailed {
		return true, "assigned to the app", nil
	}
	as, err := r.e.store.FindAssignments(ctx, r.p.DirectoryID, r.p.AppID)
	if err != nil {
		return false, "", err
	}
	groups, err := r.e.store.FindUserGroups(ctx, r.p.DirectoryID, u.ID)
	if err != nil {
		return false, "", err
	}
	var via []string
	for _, a := range as {
		if a.PrincipalType == gatehouse.PrincipalUser && a.PrincipalID == u.ID {
			via = append(via, "directly")
		}
		for _, g := range groups {
			if a.PrincipalType == gatehouse.PrincipalGroup && a.PrincipalID == g.ID {
				via = append(via, "through the group "+g.Name)
			}
		}
	}
	return true, "assigned to the app " + strings.Join(via, " and "), nil
}

// groupInScope reports whether a group is in the app's scope.
func (r *run) groupInScope(ctx context.Context, groupID string) (bool, error) {
	if r.p.Scope == gatehouse.ScopeAll {
		return true, nil
	}
	as, err := r.e.store.FindAssignments(ctx, r.p.DirectoryID, r.p.AppID)
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(as, func(a *gatehouse.Assignment) bool {
		return a.PrincipalType == gatehouse.PrincipalGroup && a.PrincipalID == groupID
	}), nil
}

// maxListedMembers bounds the member ids an event lists.
const maxListedMembers = 20

func listIDs(ids []string) string {
	if len(ids) > maxListedMembers {
		return strings.Join(ids[:maxListedMembers], ", ") + fmt.Sprintf(" and %d more", len(ids)-maxListedMembers)
	}
	return strings.Join(ids, ", ")
}

// group brings a group at the app, with its members, in line with the directory. Members that have no account at
// the app yet are provisioned first.
func (r *run) group(ctx context.Context, it item) outcome {
	start := time.Now()
	ev := r.newEvent(it)
	defer r.locks.lock("group:" + it.id)()
	link, err := r.link(ctx, gatehouse.ObjectGroup, it.id)
	if err != nil {
		return r.finish(it, ev, r.internalFailure(ev, err), start)
	}
	if o, ok := r.connectionStep(ctx, it, ev); !ok {
		return r.finish(it, ev, o, start)
	}
	g, err := r.e.store.FindGroup(ctx, r.p.DirectoryID, it.id)
	if gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND {
		if link != nil {
			ev.SourceName = link.SourceName
		}
		step(ev, "source", gatehouse.ResultSuccess, "The group %s is no longer in the directory.", it.id)
		if link == nil {
			return r.finish(it, ev, skipped(ev, "The group was deleted, and the app has no group of it from Gatehouse."), start)
		}
		return r.finish(it, ev, r.deprovision(ctx, ev, link, gatehouse.DeprovisionDelete, "the group was deleted from the directory"), start)
	}
	if err != nil {
		return r.finish(it, ev, r.internalFailure(ev, err), start)
	}
	ev.SourceName = g.Name
	step(ev, "source", gatehouse.ResultSuccess, "Read the group %s (%s) from the directory.", g.Name, g.ID)
	if !r.p.Groups {
		step(ev, "scope", gatehouse.ResultSkipped, "Groups are not provisioned to this app.")
		return r.finish(it, ev, skipped(ev, "Groups are not provisioned to this app."), start)
	}
	in, err := r.groupInScope(ctx, g.ID)
	if err != nil {
		return r.finish(it, ev, r.internalFailure(ev, err), start)
	}
	if !in {
		if link == nil {
			step(ev, "scope", gatehouse.ResultSkipped, "Not in scope: the group is not assigned to the app.")
			return r.finish(it, ev, skipped(ev, "Not in scope: the group is not assigned to the app."), start)
		}
		step(ev, "scope", gatehouse.ResultSuccess, "Out of scope: the group is no longer assigned to the app; its group at the app is deleted.")
		return r.finish(it, ev, r.deprovision(ctx, ev, link, gatehouse.DeprovisionDelete, "the group left the app's scope"), start)
	}
	step(ev, "scope", gatehouse.ResultSuccess, "In scope: %s.", map[bool]string{true: "every group of the directory is", false: "assigned to the app"}[r.p.Scope == gatehouse.ScopeAll])
	members, err := r.e.store.FindGroupMembers(ctx, r.p.DirectoryID, g.ID)
	if err != nil {
		return r.finish(it, ev, r.internalFailure(ev, err), start)
	}
	var memberIDsIn []string
	for _, m := range members {
		if !m.Disabled {
			memberIDsIn = append(memberIDsIn, m.ID)
		}
	}
	links, err := r.linksOf(ctx, gatehouse.ObjectUser, memberIDsIn)
	if err != nil {
		return r.finish(it, ev, r.internalFailure(ev, err), start)
	}
	var want []string
	for _, uid := range memberIDsIn {
		l := links[uid]
		if l == nil || !l.Active {
			// A member without an account at the app gets one first (the group's members are in scope).
			o := r.user(ctx, item{typ: gatehouse.ObjectUser, id: uid, trigger: it.trigger, cycleID: it.cycleID, verbose: it.verbose,
				inScope: true, why: "a member of the group " + g.Name + ", which is in the app's scope"})
			if o.result == gatehouse.ResultFailure && o.kind != failItem {
				step(ev, "members", gatehouse.ResultFailure, "Member %s could not be provisioned.", uid)
				return r.finish(it, ev, o, start)
			}
			if l, err = r.link(ctx, gatehouse.ObjectUser, uid); err != nil {
				return r.finish(it, ev, r.internalFailure(ev, err), start)
			}
		}
		if l != nil && l.Active {
			want = append(want, l.TargetID)
		}
	}
	slices.Sort(want)
	step(ev, "members", gatehouse.ResultSuccess, "%d of the group's %d members have an active account at the app.", len(want), len(members))
	d := evaluate(r.groups, GroupAttributes(g))
	name := d.get("displayName")
	doc, o, ok := r.match(ctx, ev, gatehouse.ObjectGroup, link, name)
	if !ok {
		return r.finish(it, ev, o, start)
	}
	memberList := func(ids []string) []any {
		out := make([]any, len(ids))
		for i, id := range ids {
			out[i] = map[string]any{"value": id}
		}
		return out
	}
	if doc == nil {
		res := d.resource(schemaOf(gatehouse.ObjectGroup))
		if len(want) > 0 {
			res["members"] = memberList(want)
		}
		created, err := r.t.create(ctx, gatehouse.ObjectGroup, res)
		if err != nil {
			return r.finish(it, ev, r.failed(ev, "action", gatehouse.ActionCreate, err), start)
		}
		ev.TargetID, ev.Action = id(created), gatehouse.ActionCreate
		for _, v := range d.values {
			ev.Changes = append(ev.Changes, gatehouse.AttributeChange{Attribute: v.path.raw, After: v.value})
		}
		if len(want) > 0 {
			ev.Changes = append(ev.Changes, gatehouse.AttributeChange{Attribute: "members added", After: listIDs(want)})
		}
		r.saveLink(gatehouse.ObjectGroup, g.ID, g.Name, ev.TargetID, true, link)
		step(ev, "action", gatehouse.ResultSuccess, "Created the group %s with %d members.", ev.TargetID, len(want))
		r.det.record(0, nil)
		return r.finish(it, ev, outcome{action: gatehouse.ActionCreate, result: gatehouse.ResultSuccess}, start)
	}
	ev.TargetID = id(doc)
	changes := d.changes(doc)
	have := memberIDs(doc)
	var add, remove []string
	for _, id := range want {
		if !slices.Contains(have, id) {
			add = append(add, id)
		}
	}
	for _, id := range have {
		if !slices.Contains(want, id) {
			remove = append(remove, id)
		}
	}
	all := slices.Clip(changes)
	if len(add) > 0 {
		all = append(all, gatehouse.AttributeChange{Attribute: "members added", After: listIDs(add)})
	}
	if len(remove) > 0 {
		all = append(all, gatehouse.AttributeChange{Attribute: "members removed", Before: listIDs(remove)})
	}
	if len(all) == 0 {
		r.saveLinkIfChanged(gatehouse.ObjectGroup, g.ID, g.Name, ev.TargetID, true, link)
		step(ev, "action", gatehouse.ResultSkipped, "Nothing to change: the group and its members already match.")
		r.det.record(0, nil)
		o := skipped(ev, "The group already matches the directory.")
		o.same = true
		return r.finish(it, ev, o, start)
	}
	if r.t.patch {
		ops := d.patchOps(doc, changes)
		if len(add) > 0 {
			ops = append(ops, map[string]any{"op": "add", "path": "members", "value": memberList(add)})
		}
		for _, id := range remove {
			ops = append(ops, map[string]any{"op": "remove", "path": "members[value eq " + filterValue(id) + "]"})
		}
		err = r.t.patchOps(ctx, gatehouse.ObjectGroup, ev.TargetID, ops)
	} else {
		body := d.replaced(doc, changes)
		body["members"] = memberList(want)
		err = r.t.put(ctx, gatehouse.ObjectGroup, ev.TargetID, body)
	}
	if err != nil {
		return r.finish(it, ev, r.failed(ev, "action", gatehouse.ActionUpdate, err), start)
	}
	ev.Action, ev.Changes = gatehouse.ActionUpdate, all
	r.saveLink(gatehouse.ObjectGroup, g.ID, g.Name, ev.TargetID, true, link)
	step(ev, "action", gatehouse.ResultSuccess, "Updated %s.", changedNames(all))
	r.det.record(0, nil)
	return r.finish(it, ev, outcome{action: gatehouse.ActionUpdate, result: gatehouse.ResultSuccess}, start)
}

// process processes an item of either type.
func (r *run) process(ctx context.Context, it item) outcome {
	if it.typ == gatehouse.ObjectGroup {
		return r.group(ctx, it)
	}
	return r.user(ctx, it)
}
