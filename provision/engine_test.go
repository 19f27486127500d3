package provision_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/certs"
	"github.com/gatehouse-idp/gatehouse/internal/pgtest"
	"github.com/gatehouse-idp/gatehouse/postgres"
	"github.com/gatehouse-idp/gatehouse/provision"
	"github.com/gatehouse-idp/gatehouse/sqlite"
)

// world is a directory "d" with an app "a" provisioned to a fakeApp by an engine on a SQLite store.
type world struct {
	t      *testing.T
	s      gatehouse.Store
	sealer *certs.Sealer
	app    *fakeApp
	e      *provision.Engine
	p      *gatehouse.Provisioning
	ctx    context.Context
	ids    int
}

func newWorld(t *testing.T, configure func(p *gatehouse.Provisioning)) *world {
	t.Helper()
	s, err := sqlite.Open(filepath.Join(t.TempDir(), "gatehouse.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return newWorldOn(t, s, configure)
}

// newWorldOn is newWorld on the store s.
func newWorldOn(t *testing.T, s gatehouse.Store, configure func(p *gatehouse.Provisioning)) *world {
	t.Helper()
	var err error
	kek := make([]byte, 32)
	rand.Read(kek)
	sealer, _ := certs.NewSealer(kek)
	w := &world{t: t, s: s, sealer: sealer, app: newFakeApp(t), ctx: context.Background()}
	now := time.Now().UTC().Truncate(time.Microsecond)
	must(t, s.CreateDirectory(w.ctx, &gatehouse.Directory{ID: "d", Name: "Contoso", Domain: "contoso.com", CreatedAt: now, UpdatedAt: now}))
	must(t, s.CreateApp(w.ctx, &gatehouse.App{ID: "a", DirectoryID: "d", Name: "Analytics", GalleryID: "custom", Enabled: true,
		SAML: gatehouse.DefaultSAMLSettings(), CreatedAt: now, UpdatedAt: now}, nil))
	p := gatehouse.DefaultProvisioning("d", "a")
	p.Mode, p.TenantURL, p.TokenSetAt, p.CreatedAt, p.UpdatedAt = gatehouse.ProvisioningAutomatic, w.app.URL(), now, now, now
	if p.SealedToken, err = provision.SealToken(sealer, "d", "a", w.app.token); err != nil {
		t.Fatal(err)
	}
	if configure != nil {
		configure(p)
	}
	must(t, p.Validate())
	must(t, s.SetProvisioning(w.ctx, p))
	w.p = p
	w.e = w.engine("node-1")
	return w
}

func (w *world) engine(node string) *provision.Engine {
	return w.engineOn(w.s, node)
}

// engineOn returns an engine of the node on the store s, which may be another connection to w's database.
func (w *world) engineOn(s gatehouse.Store, node string) *provision.Engine {
	e, err := provision.New(provision.Config{Store: s, Sealer: w.sealer, Node: node, Retry: 20 * time.Millisecond,
		Lease: 5 * time.Second, Poll: 20 * time.Millisecond, AllowAddresses: loopback, Timeout: 5 * time.Second})
	if err != nil {
		w.t.Fatal(err)
	}
	return e
}

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

// user creates a user.
func (w *world) user(name string) *gatehouse.User {
	w.t.Helper()
	w.ids++
	now := time.Now().UTC().Truncate(time.Microsecond)
	first, _, _ := strings.Cut(name, ".")
	u := &gatehouse.User{ID: fmt.Sprintf("u%03d", w.ids), DirectoryID: "d", UserName: name + "@contoso.com", FirstName: strings.ToUpper(first),
		LastName: "Last", DisplayName: name, Mail: name + "@contoso.com", Role: gatehouse.RoleUser, CreatedAt: now, UpdatedAt: now}
	must(w.t, w.s.CreateUser(w.ctx, u))
	return u
}

func (w *world) group(name string, members ...*gatehouse.User) *gatehouse.Group {
	w.t.Helper()
	w.ids++
	now := time.Now().UTC().Truncate(time.Microsecond)
	g := &gatehouse.Group{ID: fmt.Sprintf("g%03d", w.ids), DirectoryID: "d", Name: name, CreatedAt: now, UpdatedAt: now}
	must(w.t, w.s.CreateGroup(w.ctx, g))
	for _, m := range members {
		must(w.t, w.s.AddGroupMember(w.ctx, "d", g.ID, m.ID))
	}
	return g
}

func (w *world) assign(typ, id string) *gatehouse.Assignment {
	w.t.Helper()
	w.ids++
	a := &gatehouse.Assignment{ID: fmt.Sprintf("x%03d", w.ids), DirectoryID: "d", AppID: "a", PrincipalType: typ, PrincipalID: id,
		CreatedAt: time.Now().UTC()}
	must(w.t, w.s.CreateAssignment(w.ctx, a))
	return a
}

// changed queues a change of objects, as package idp does in the transaction of the change.
func (w *world) changed(typ string, ids ...string) {
	w.t.Helper()
	now := time.Now().UTC().Truncate(time.Microsecond)
	var jobs []*gatehouse.ProvisioningJob
	for _, id := range ids {
		jobs = append(jobs, &gatehouse.ProvisioningJob{DirectoryID: "d", AppID: "a", ObjectType: typ, ObjectID: id,
			Reason: "test", RequestedAt: now, NotBefore: now})
	}
	must(w.t, w.s.EnqueueProvisioningJobs(w.ctx, jobs))
}

// cycle asks for a full cycle.
func (w *world) cycle() {
	w.t.Helper()
	must(w.t, w.s.RequestProvisioning(w.ctx, "d", "a", gatehouse.RequestCycle, time.Now().UTC().Truncate(time.Microsecond)))
}

// until runs the engine until cond holds.
func (w *world) until(what string, cond func() bool) {
	w.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			w.t.Fatalf("timed out waiting until %s; status %+v; requests %v", what, w.status(), w.app.log())
		}
		w.e.RunOnce(w.ctx)
	}
}

func (w *world) status() *gatehouse.ProvisioningStatus {
	st, err := w.s.FindProvisioningStatus(w.ctx, "d", "a")
	must(w.t, err)
	return st
}

func (w *world) queued() int {
	n, err := w.s.CountProvisioningJobs(w.ctx, "d", "a")
	must(w.t, err)
	return n
}

// events returns the provisioning log, oldest first.
func (w *world) events(f gatehouse.ProvisioningFilter) []*gatehouse.ProvisioningEvent {
	w.t.Helper()
	f.Limit = 1000
	list, _, err := w.s.FindProvisioningEvents(w.ctx, "d", f)
	must(w.t, err)
	slices.Reverse(list)
	return list
}

// one returns the only account at the app with the user name, failing when there are none or several.
func (w *world) one(u *gatehouse.User) map[string]any {
	w.t.Helper()
	list := w.app.userByName(u.UserName)
	if len(list) != 1 {
		w.t.Fatalf("the app has %d accounts named %s, want 1", len(list), u.UserName)
	}
	return list[0]
}

func requests(log []fakeRequest, method, prefix string) int {
	n := 0
	for _, r := range log {
		if r.Method == method && strings.HasPrefix(r.Path, "/scim/v2"+prefix) {
			n++
		}
	}
	return n
}

func TestCycleThenIncrementalChanges(t *testing.T) {
	w := newWorld(t, nil)
	bob, alice, carol, dave := w.user("bob"), w.user("alice"), w.user("carol"), w.user("dave")
	sales := w.group("Sales", alice)
	w.assign(gatehouse.PrincipalUser, bob.ID)
	w.assign(gatehouse.PrincipalUser, carol.ID)
	w.assign(gatehouse.PrincipalGroup, sales.ID)
	w.cycle()
	w.until("the initial cycle has finished", func() bool { st := w.status(); return st.LastCycle != nil })

	st := w.status()
	want := gatehouse.ProvisioningCounts{Created: 4}
	if st.LastCycle.Kind != gatehouse.CycleInitial || st.LastCycle.Counts != want || st.LastSuccessAt.IsZero() ||
		st.NextCycleAt.Sub(st.LastCycle.FinishedAt) != provision.DefaultInterval {
		t.Errorf("after the initial cycle: %+v (last %+v), want 3 users and a group created and the next cycle in 40 minutes", st, st.LastCycle)
	}
	if n := len(w.app.userByName(dave.UserName)); n != 0 {
		t.Errorf("dave, who is not assigned, has %d accounts", n)
	}
	acct := w.one(bob)
	for path, want := range map[string]string{"userName": "bob@contoso.com", "displayName": "bob", "name.givenName": "BOB",
		"name.familyName": "Last", `emails[type eq "work"].value`: "bob@contoso.com", "externalId": bob.ID} {
		p, _ := provision.ParsePath(path)
		if got := p.Get(acct); got != want {
			t.Errorf("bob's %s at the app = %q, want %q", path, got, want)
		}
	}
	if acct["active"] != true {
		t.Errorf("bob's account is not active: %v", acct)
	}
	g := w.app.groupByName("Sales")
	if g == nil || fmt.Sprint(g["members"]) != fmt.Sprintf("[map[value:%s]]", w.one(alice)["id"]) {
		t.Fatalf("the group Sales at the app = %v, want alice as its member", g)
	}

	// A changed display name is pushed as an update with PATCH.
	bob.DisplayName = "Bob Jones"
	must(t, w.s.UpdateUser(w.ctx, bob))
	w.changed(gatehouse.ObjectUser, bob.ID)
	w.until("bob's display name is updated", func() bool { return w.one(bob)["displayName"] == "Bob Jones" })
	ev := w.events(gatehouse.ProvisioningFilter{Object: bob.ID, Action: gatehouse.ActionUpdate})
	if len(ev) != 1 || len(ev[0].Changes) != 1 || ev[0].Changes[0] != (gatehouse.AttributeChange{Attribute: "displayName", Before: "bob", After: "Bob Jones"}) ||
		ev[0].Result != gatehouse.ResultSuccess || ev[0].Trigger != gatehouse.TriggerIncremental || ev[0].TargetID != fmt.Sprint(w.one(bob)["id"]) {
		t.Errorf("the update's log entry = %+v", ev)
	}
	if requests(w.app.log(), "PATCH", "/Users") != 1 || requests(w.app.log(), "PUT", "/Users") != 0 {
		t.Errorf("the update did not go out as one PATCH: %v", w.app.log())
	}

	// Unassigned: the account is disabled; assigned again: enabled.
	as, _ := w.s.FindAssignments(w.ctx, "d", "a")
	for _, a := range as {
		if a.PrincipalID == carol.ID {
			must(t, w.s.DeleteAssignment(w.ctx, "d", a.ID))
		}
	}
	w.changed(gatehouse.ObjectUser, carol.ID)
	w.until("carol's account is disabled", func() bool { return w.one(carol)["active"] == false })
	w.assign(gatehouse.PrincipalUser, carol.ID)
	w.changed(gatehouse.ObjectUser, carol.ID)
	w.until("carol's account is active again", func() bool { return w.one(carol)["active"] == true })
	ev = w.events(gatehouse.ProvisioningFilter{Object: carol.ID})
	if len(ev) != 3 || ev[1].Action != gatehouse.ActionDisable || ev[2].Action != gatehouse.ActionUpdate ||
		ev[2].Changes[0] != (gatehouse.AttributeChange{Attribute: "active", Before: "false", After: "true"}) {
		t.Errorf("carol's log = %+v", ev)
	}

	// Joining an assigned group: the user gets an account and joins the group at the app.
	must(t, w.s.AddGroupMember(w.ctx, "d", sales.ID, dave.ID))
	w.changed(gatehouse.ObjectUser, dave.ID)
	w.changed(gatehouse.ObjectGroup, sales.ID)
	w.until("dave is a member of Sales at the app", func() bool {
		return len(w.app.userByName(dave.UserName)) == 1 && len(w.app.groupByName("Sales")["members"].([]any)) == 2
	})
	if n := len(w.app.userByName(dave.UserName)); n != 1 {
		t.Errorf("dave has %d accounts", n)
	}

	// Deleted: the account is deleted; the link goes.
	must(t, w.s.DeleteUser(w.ctx, "d", bob.ID))
	w.changed(gatehouse.ObjectUser, bob.ID)
	w.until("bob's account is deleted", func() bool { return len(w.app.userByName(bob.UserName)) == 0 })
	links, _ := w.s.FindProvisionedObjects(w.ctx, "d", "a", gatehouse.ObjectUser, []string{bob.ID})
	if len(links) != 0 {
		t.Errorf("bob's link outlived his account: %v", links)
	}
	ev = w.events(gatehouse.ProvisioningFilter{Object: bob.ID, Action: gatehouse.ActionDelete})
	if len(ev) != 1 || ev[0].SourceName != bob.UserName {
		t.Errorf("bob's deletion in the log = %+v", ev)
	}

	// The group leaves the scope: it is deleted at the app, and alice and dave are disabled.
	for _, a := range must2(w.s.FindAssignments(w.ctx, "d", "a")) {
		if a.PrincipalID == sales.ID {
			must(t, w.s.DeleteAssignment(w.ctx, "d", a.ID))
		}
	}
	w.changed(gatehouse.ObjectGroup, sales.ID)
	w.changed(gatehouse.ObjectUser, alice.ID, dave.ID)
	w.until("Sales is gone and its members disabled", func() bool {
		return w.app.groupByName("Sales") == nil && w.one(alice)["active"] == false && w.one(dave)["active"] == false
	})
	if w.queued() != 0 {
		t.Errorf("%d changes left in the queue", w.queued())
	}
}

func must2[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestReconcileFindsDrift(t *testing.T) {
	w := newWorld(t, func(p *gatehouse.Provisioning) { p.Scope = gatehouse.ScopeAll })
	bob, alice := w.user("bob"), w.user("alice")
	w.cycle()
	w.until("the initial cycle has finished", func() bool { return w.status().LastCycle != nil })
	// Someone changes bob's account at the app and deletes alice's there.
	w.app.set(func(f *fakeApp) {
		for id, u := range f.users {
			switch u["userName"] {
			case bob.UserName:
				u["displayName"] = "Changed at the app"
			case alice.UserName:
				delete(f.users, id)
			}
		}
	})
	w.cycle()
	w.until("the second cycle has finished", func() bool { return w.status().LastCycle.Kind == gatehouse.CycleRestart })
	st := w.status()
	if st.LastCycle.Counts != (gatehouse.ProvisioningCounts{Created: 1, Updated: 1}) {
		t.Errorf("counts of the second cycle = %+v, want alice created again and bob updated", st.LastCycle.Counts)
	}
	if w.one(bob)["displayName"] != "bob" || len(w.app.userByName(alice.UserName)) != 1 {
		t.Errorf("drift not repaired: bob %v, alice %v", w.one(bob), w.app.userByName(alice.UserName))
	}
	// Nothing changed: the next cycle sends no change, and logs nothing.
	before := len(w.events(gatehouse.ProvisioningFilter{}))
	n := len(w.app.log())
	w.cycle()
	w.until("the third cycle has finished", func() bool { return w.status().LastCycle.Counts.Unchanged == 2 })
	for _, r := range w.app.log()[n:] {
		if r.Method != "GET" {
			t.Errorf("a cycle without changes sent %s %s", r.Method, r.Path)
		}
	}
	if after := len(w.events(gatehouse.ProvisioningFilter{})); after != before {
		t.Errorf("a cycle without changes logged %d entries", after-before)
	}
}

func TestPeriodicCycle(t *testing.T) {
	w := newWorld(t, func(p *gatehouse.Provisioning) { p.Scope = gatehouse.ScopeAll })
	w.user("bob")
	w.cycle()
	w.until("the initial cycle has finished", func() bool { return w.status().LastCycle != nil })
	// The next cycle starts at its time, without a request.
	now := time.Now()
	e, err := provision.New(provision.Config{Store: w.s, Sealer: w.sealer, Node: "later", AllowAddresses: loopback,
		Now: func() time.Time { return now.Add(41 * time.Minute) }})
	must(t, err)
	e.RunOnce(w.ctx)
	if st := w.status(); st.LastCycle.Kind != gatehouse.CycleReconcile {
		t.Errorf("41 minutes later the last cycle is %+v, want a reconcile cycle", st.LastCycle)
	}
}

func TestPUTWhenTheAppHasNoPATCH(t *testing.T) {
	w := newWorld(t, nil)
	w.app.set(func(f *fakeApp) { f.patch = false })
	bob := w.user("bob")
	w.assign(gatehouse.PrincipalUser, bob.ID)
	w.cycle()
	w.until("bob has an account", func() bool { return len(w.app.userByName(bob.UserName)) == 1 })
	// Something the app keeps that Gatehouse does not map survives the PUT.
	w.app.set(func(f *fakeApp) {
		for _, u := range f.users {
			u["title"] = "Tour Guide"
		}
	})
	bob.DisplayName = "Bob Jones"
	must(t, w.s.UpdateUser(w.ctx, bob))
	w.changed(gatehouse.ObjectUser, bob.ID)
	w.until("bob is updated", func() bool { return w.one(bob)["displayName"] == "Bob Jones" })
	if w.one(bob)["title"] != "Tour Guide" {
		t.Errorf("the PUT dropped what Gatehouse does not map: %v", w.one(bob))
	}
	bob.Disabled = true
	must(t, w.s.UpdateUser(w.ctx, bob))
	w.changed(gatehouse.ObjectUser, bob.ID)
	w.until("bob is disabled", func() bool { return w.one(bob)["active"] == false })
	if n := requests(w.app.log(), "PATCH", ""); n != 0 || requests(w.app.log(), "PUT", "/Users") != 2 {
		t.Errorf("%d PATCH requests, want none and two PUTs: %v", n, w.app.log())
	}
}

func TestMatchBeforeCreate(t *testing.T) {
	w := newWorld(t, nil)
	bob := w.user("bob")
	w.assign(gatehouse.PrincipalUser, bob.ID)
	// The app has bob's account already (made by hand, or by a create whose answer never arrived).
	w.app.set(func(f *fakeApp) {
		f.next++
		f.users["77"] = map[string]any{"id": "77", "userName": "BOB@contoso.com", "displayName": "Old name", "active": true}
	})
	w.cycle()
	w.until("the cycle has finished", func() bool { return w.status().LastCycle != nil })
	if requests(w.app.log(), "POST", "/Users") != 0 || w.one(bob)["displayName"] != "bob" {
		t.Errorf("the existing account was not matched and updated: %v", w.app.log())
	}
	links, _ := w.s.FindProvisionedObjects(w.ctx, "d", "a", gatehouse.ObjectUser, []string{bob.ID})
	if links[bob.ID] == nil || links[bob.ID].TargetID != "77" {
		t.Errorf("the link = %+v, want the app's id 77 kept", links[bob.ID])
	}
	// Two accounts match: Gatehouse does not choose.
	carol := w.user("carol")
	w.assign(gatehouse.PrincipalUser, carol.ID)
	w.app.set(func(f *fakeApp) {
		f.users["88"] = map[string]any{"id": "88", "userName": carol.UserName}
		f.users["89"] = map[string]any{"id": "89", "userName": carol.UserName}
	})
	w.changed(gatehouse.ObjectUser, carol.ID)
	w.until("carol's failure is logged", func() bool { return len(w.events(gatehouse.ProvisioningFilter{Object: carol.ID})) > 0 })
	ev := w.events(gatehouse.ProvisioningFilter{Object: carol.ID})[0]
	if ev.Result != gatehouse.ResultFailure || !strings.Contains(ev.Reason, `2 accounts at the app have userName eq "carol@contoso.com" ("88", "89")`) {
		t.Errorf("carol's entry = %+v", ev)
	}
}

func TestOneBadItemDoesNotBlockTheRest(t *testing.T) {
	w := newWorld(t, func(p *gatehouse.Provisioning) { p.Scope = gatehouse.ScopeAll })
	w.app.set(func(f *fakeApp) {
		f.reject = func(doc map[string]any) string {
			if strings.HasPrefix(fmt.Sprint(doc["userName"]), "bad") {
				return "userName must be in the organization's claimed domain"
			}
			return ""
		}
	})
	var users []*gatehouse.User
	for _, n := range []string{"a", "bad", "c", "d"} {
		users = append(users, w.user(n))
	}
	w.cycle()
	w.until("the cycle has finished", func() bool { return w.status().LastCycle != nil })
	st := w.status()
	if st.LastCycle.Counts != (gatehouse.ProvisioningCounts{Created: 3, Failed: 1}) || !st.LastSuccessAt.IsZero() {
		t.Errorf("cycle = %+v, last success %v; want 3 created, 1 failed, no success", st.LastCycle.Counts, st.LastSuccessAt)
	}
	ev := w.events(gatehouse.ProvisioningFilter{Object: users[1].ID})
	if len(ev) == 0 || ev[0].HTTPStatus != 400 || !strings.Contains(ev[0].ErrorBody, "claimed domain") || ev[0].Action != gatehouse.ActionCreate {
		t.Errorf("the failure's entry = %+v", ev)
	}
	// The failed item is retried, a few times, then left for the next cycle; the app is not quarantined for it.
	w.until("the retries are done", func() bool { return w.queued() == 0 })
	if n := len(w.events(gatehouse.ProvisioningFilter{Object: users[1].ID, Result: gatehouse.ResultFailure})); n != 6 {
		t.Errorf("the bad user was tried %d times, want 6", n)
	}
	if st := w.status(); st.Quarantine != nil {
		t.Errorf("quarantined for one bad user: %+v", st.Quarantine)
	}
}

func TestQuarantineForWrongToken(t *testing.T) {
	w := newWorld(t, nil)
	real := w.app.token
	w.app.set(func(f *fakeApp) { f.token = "another token" })
	bob := w.user("bob")
	w.assign(gatehouse.PrincipalUser, bob.ID)
	w.cycle()
	w.until("the app is in quarantine", func() bool { return w.status().Quarantine != nil })
	q := w.status().Quarantine
	if !strings.Contains(q.Reason, "The app refused the credentials") || !strings.Contains(q.Reason, "HTTP 401") ||
		!strings.Contains(q.Reason, "The bearer token is not valid.") {
		t.Errorf("quarantine reason = %q, want the 401 and its body", q.Reason)
	}
	if u, _ := w.app.count(); u != 0 {
		t.Errorf("%d accounts created with refused credentials", u)
	}
	// Still refused: the probes slow down.
	w.until("a probe failed", func() bool { return w.status().Quarantine.Probes >= 2 })
	q2 := w.status().Quarantine
	if d1, d2 := 6*20*time.Millisecond, q2.NextProbeAt.Sub(q2.Since); d2 <= d1 {
		t.Errorf("the probes do not slow down: next probe %v after the start", d2)
	}
	// The app accepts the token again: out of quarantine by itself, and the cycle goes on.
	w.app.set(func(f *fakeApp) { f.token = real })
	w.until("bob has an account", func() bool { return len(w.app.userByName(bob.UserName)) == 1 })
	if st := w.status(); st.Quarantine != nil {
		t.Errorf("still in quarantine: %+v", st.Quarantine)
	}
}

func TestTargetDownLosesNothing(t *testing.T) {
	w := newWorld(t, nil)
	w.app.set(func(f *fakeApp) { f.down = true })
	var users []*gatehouse.User
	for _, n := range []string{"a", "b", "c"} {
		u := w.user(n)
		users = append(users, u)
		w.assign(gatehouse.PrincipalUser, u.ID)
		w.changed(gatehouse.ObjectUser, u.ID)
	}
	w.until("the app is in quarantine", func() bool { return w.status().Quarantine != nil })
	if r := w.status().Quarantine.Reason; !strings.Contains(r, "The app failed") {
		t.Errorf("reason = %q", r)
	}
	if w.queued() != 3 {
		t.Errorf("%d changes queued, want 3", w.queued())
	}
	w.app.set(func(f *fakeApp) { f.down = false })
	w.until("every change is pushed", func() bool { u, _ := w.app.count(); return u == 3 && w.queued() == 0 })
	for _, u := range users {
		w.one(u)
	}
	if st := w.status(); st.Quarantine != nil {
		t.Errorf("still in quarantine: %+v", st.Quarantine)
	}
}

func TestThrottledAppIsWaitedFor(t *testing.T) {
	w := newWorld(t, nil)
	bob := w.user("bob")
	w.assign(gatehouse.PrincipalUser, bob.ID)
	w.changed(gatehouse.ObjectUser, bob.ID)
	w.app.set(func(f *fakeApp) { f.throttle, f.retryAfter = 1, 1 })
	w.until("bob has an account", func() bool { return len(w.app.userByName(bob.UserName)) == 1 })
	log := w.app.log()
	if log[0].Status != 429 || log[1].At.Sub(log[0].At) < time.Second {
		t.Errorf("after the 429 the next request came %v later, want at least the second asked for", log[1].At.Sub(log[0].At))
	}
}

func TestOnDemandShowsSteps(t *testing.T) {
	w := newWorld(t, func(p *gatehouse.Provisioning) { p.Mode = gatehouse.ProvisioningOff })
	bob := w.user("bob")
	w.assign(gatehouse.PrincipalUser, bob.ID)
	now := time.Now().UTC().Truncate(time.Microsecond)
	must(t, w.s.EnqueueProvisioningJobs(w.ctx, []*gatehouse.ProvisioningJob{{DirectoryID: "d", AppID: "a", ObjectType: gatehouse.ObjectUser,
		ObjectID: bob.ID, Reason: "on-demand", OnDemand: "req-1", RequestedAt: now, NotBefore: now}}))
	w.until("the on-demand request is logged", func() bool { return len(w.events(gatehouse.ProvisioningFilter{CycleID: "req-1"})) == 1 })
	ev := w.events(gatehouse.ProvisioningFilter{CycleID: "req-1"})[0]
	var names []string
	for _, s := range ev.Steps {
		names = append(names, s.Name+":"+s.Result)
	}
	if strings.Join(names, " ") != "connection:success source:success scope:success match:success action:success" ||
		ev.Action != gatehouse.ActionCreate || ev.Trigger != gatehouse.TriggerOnDemand {
		t.Errorf("on-demand entry = %+v with steps %v", ev, names)
	}
	if !strings.Contains(ev.Steps[2].Detail, "assigned to the app directly") ||
		!strings.Contains(ev.Target, "loopback") || !strings.Contains(ev.Target, "allowed by --provisioning-allow-addresses") {
		t.Errorf("scope step %q, target %q", ev.Steps[2].Detail, ev.Target)
	}
	// An unassigned user on demand: skipped, saying why.
	carol := w.user("carol")
	must(t, w.s.EnqueueProvisioningJobs(w.ctx, []*gatehouse.ProvisioningJob{{DirectoryID: "d", AppID: "a", ObjectType: gatehouse.ObjectUser,
		ObjectID: carol.ID, Reason: "on-demand", OnDemand: "req-2", RequestedAt: now, NotBefore: now}}))
	w.until("the second request is logged", func() bool { return len(w.events(gatehouse.ProvisioningFilter{CycleID: "req-2"})) == 1 })
	ev = w.events(gatehouse.ProvisioningFilter{CycleID: "req-2"})[0]
	if ev.Result != gatehouse.ResultSkipped || !strings.Contains(ev.Reason, "not assigned to the app") {
		t.Errorf("unassigned user on demand = %+v", ev)
	}
	// Provisioning is off: ordinary changes wait.
	w.changed(gatehouse.ObjectUser, carol.ID)
	w.e.RunOnce(w.ctx)
	if w.queued() != 1 {
		t.Errorf("a change was pushed while provisioning is off")
	}
}

// TestTwoNodesNoActionTwice runs two engines on one database, on SQLite and on PostgreSQL (there each node with
// its own connections): each account is created once and each change pushed once.
func TestTwoNodesNoActionTwice(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		w := newWorld(t, func(p *gatehouse.Provisioning) { p.Scope = gatehouse.ScopeAll })
		twoNodes(t, w, w.s)
	})
	t.Run("postgres", func(t *testing.T) {
		url := pgtest.URL(t)
		open := func() gatehouse.Store {
			s, err := postgres.Open(context.Background(), url)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}
		w := newWorldOn(t, open(), func(p *gatehouse.Provisioning) { p.Scope = gatehouse.ScopeAll })
		twoNodes(t, w, open())
	})
}

// twoNodes provisions 150 users and 20 changes with one engine on w's store and another on second.
func twoNodes(t *testing.T, w *world, second gatehouse.Store) {
	var users []*gatehouse.User
	for i := range 150 {
		users = append(users, w.user(fmt.Sprintf("user%03d", i)))
	}
	w.cycle()
	ctx, cancel := context.WithCancel(w.ctx)
	var wg sync.WaitGroup
	for _, e := range []*provision.Engine{w.engineOn(w.s, "node-a"), w.engineOn(second, "node-b")} {
		wg.Add(1)
		go func() { defer wg.Done(); e.Run(ctx) }()
	}
	deadline := time.Now().Add(30 * time.Second)
	for w.status().LastCycle == nil && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond) // polling the condition
	}
	// Changes while both run.
	for _, u := range users[:20] {
		u.DisplayName += " (changed)"
		must(t, w.s.UpdateUser(w.ctx, u))
		w.changed(gatehouse.ObjectUser, u.ID)
	}
	for w.queued() > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	wg.Wait()
	if w.status().LastCycle == nil || w.queued() != 0 {
		t.Fatalf("not done in time: %+v, %d queued", w.status(), w.queued())
	}
	if n := requests(w.app.log(), "POST", "/Users"); n != 150 {
		t.Errorf("%d creates for 150 users", n)
	}
	if n := requests(w.app.log(), "PATCH", "/Users"); n != 20 {
		t.Errorf("%d updates for 20 changes", n)
	}
	for _, u := range users {
		w.one(u)
	}
}

// TestCycleContinuesAfterAStop stops a node in the middle of a cycle (its context ends, as in a shutdown): another
// node continues where it stopped, and every user has one account.
func TestCycleContinuesAfterAStop(t *testing.T) {
	w := newWorld(t, func(p *gatehouse.Provisioning) { p.Scope = gatehouse.ScopeAll })
	for i := range 450 {
		w.user(fmt.Sprintf("user%03d", i))
	}
	w.cycle()
	ctx, cancel := context.WithCancel(w.ctx)
	e1 := w.engine("first")
	done := make(chan struct{})
	go func() { defer close(done); e1.Run(ctx) }()
	for {
		if u, _ := w.app.count(); u >= 150 {
			break
		}
		time.Sleep(time.Millisecond) // polling the condition
	}
	cancel()
	<-done
	if st := w.status(); st.Cycle == nil || st.Cycle.Cursor == "" {
		t.Fatalf("the cycle did not stop in the middle: %+v", st.Cycle)
	}
	w.e = w.engine("second")
	w.until("the cycle has finished", func() bool { return w.status().LastCycle != nil })
	seen := map[string]int{}
	w.app.mu.Lock()
	for _, u := range w.app.users {
		seen[u["userName"].(string)]++
	}
	w.app.mu.Unlock()
	if len(seen) != 450 {
		t.Errorf("%d users at the app, want 450", len(seen))
	}
	for name, n := range seen {
		if n != 1 {
			t.Errorf("%s has %d accounts", name, n)
		}
	}
}

func TestMain(m *testing.M) { pgtest.Main(m) }
