package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse"
)

// provisioningOf returns provisioning settings of an app with every field set.
func provisioningOf(dirID, appID string) *gatehouse.Provisioning {
	p := gatehouse.DefaultProvisioning(dirID, appID)
	p.Mode = gatehouse.ProvisioningAutomatic
	p.TenantURL = "https://scim.example.com/" + appID + "/v2"
	p.SealedToken = []byte("\x01sealed-" + appID)
	p.TokenSetAt = t0
	p.UserMappings = append(p.UserMappings, gatehouse.AttributeMapping{Target: "title", Kind: gatehouse.MappingExpression,
		Expression: `Join(" ", [department], "staff")`, Apply: gatehouse.ApplyOnCreate, Default: "Staff"})
	p.CreatedAt, p.UpdatedAt = t0, t0
	return p
}

// testProvisioningSettings checks an app's provisioning settings: stored and replaced whole, listed by directory
// and mode, refused for an app that does not exist, and deleted with the app.
func testProvisioningSettings(t *testing.T, open Opener) {
	s := open(t)
	w := seed(t, s, "d")
	seed(t, s, "e")
	_, err := s.FindProvisioning(ctx, "d", w.app.ID)
	wantCode(t, "settings never set", err, gatehouse.ENOTFOUND)
	_, err = s.FindProvisioningStatus(ctx, "d", w.app.ID)
	wantCode(t, "status without settings", err, gatehouse.ENOTFOUND)

	p := provisioningOf("d", w.app.ID)
	must(t, s.SetProvisioning(ctx, p))
	got, err := s.FindProvisioning(ctx, "d", w.app.ID)
	must(t, err)
	diff(t, "settings", p, got)
	st, err := s.FindProvisioningStatus(ctx, "d", w.app.ID)
	must(t, err)
	diff(t, "new status", &gatehouse.ProvisioningStatus{DirectoryID: "d", AppID: w.app.ID}, st)

	// Replaced whole, but for the creation time.
	p2 := *p
	p2.Mode, p2.Scope, p2.SealedToken, p2.TokenSetAt = gatehouse.ProvisioningOff, gatehouse.ScopeAll, nil, time.Time{}
	p2.UserMappings = gatehouse.DefaultUserMappings()[:1]
	p2.CreatedAt, p2.UpdatedAt = t0.Add(time.Hour), t0.Add(time.Hour)
	must(t, s.SetProvisioning(ctx, &p2))
	got, err = s.FindProvisioning(ctx, "d", w.app.ID)
	must(t, err)
	want := p2
	want.CreatedAt = t0
	diff(t, "replaced settings", &want, got)

	ep := provisioningOf("e", "e-app")
	must(t, s.SetProvisioning(ctx, ep))
	list, err := s.FindProvisionings(ctx, "", "")
	must(t, err)
	diff(t, "every app", []string{"d-app", "e-app"}, ids(list, func(p *gatehouse.Provisioning) string { return p.AppID }))
	list, err = s.FindProvisionings(ctx, "", gatehouse.ProvisioningAutomatic)
	must(t, err)
	diff(t, "automatic apps", []string{"e-app"}, ids(list, func(p *gatehouse.Provisioning) string { return p.AppID }))
	list, err = s.FindProvisionings(ctx, "d", "")
	must(t, err)
	diff(t, "apps of d", []string{"d-app"}, ids(list, func(p *gatehouse.Provisioning) string { return p.AppID }))

	wantCode(t, "unknown app", s.SetProvisioning(ctx, provisioningOf("d", "nope")), gatehouse.ENOTFOUND)
	wantCode(t, "app of another directory", s.SetProvisioning(ctx, provisioningOf("e", "d-app")), gatehouse.ENOTFOUND)

	must(t, s.DeleteApp(ctx, "d", w.app.ID))
	_, err = s.FindProvisioning(ctx, "d", w.app.ID)
	wantCode(t, "settings of a deleted app", err, gatehouse.ENOTFOUND)
}

// testProvisioningLease checks the lease that lets one node at a time run an app's provisioning, and that only
// the lease holder writes the engine's status.
func testProvisioningLease(t *testing.T, open Opener) {
	s := open(t)
	w := seed(t, s, "d")
	must(t, s.SetProvisioning(ctx, provisioningOf("d", w.app.ID)))
	app := w.app.ID

	_, err := s.ClaimProvisioning(ctx, "d", "nope", "n1", t0, t0.Add(time.Minute))
	wantCode(t, "claim of an app without settings", err, gatehouse.ENOTFOUND)
	st, err := s.ClaimProvisioning(ctx, "d", app, "n1", t0, t0.Add(time.Minute))
	must(t, err)
	if st.LeaseOwner != "n1" || !st.LeaseUntil.Equal(t0.Add(time.Minute)) {
		t.Errorf("claimed lease = %q until %v, want n1 until %v", st.LeaseOwner, st.LeaseUntil, t0.Add(time.Minute))
	}
	_, err = s.ClaimProvisioning(ctx, "d", app, "n2", t0.Add(30*time.Second), t0.Add(90*time.Second))
	wantCode(t, "claim of a lease another node holds", err, gatehouse.ECONFLICT)
	_, err = s.ClaimProvisioning(ctx, "d", app, "n1", t0.Add(30*time.Second), t0.Add(90*time.Second))
	wantCode(t, "renewal by the holder", err, "")

	// The holder writes the status; another node cannot.
	st.Cycle = &gatehouse.ProvisioningCycle{ID: "c1", Kind: gatehouse.CycleInitial, Phase: "users", Cursor: "u5",
		StartedAt: t0, Counts: gatehouse.ProvisioningCounts{Created: 5, Failed: 1}}
	st.LastCycle = &gatehouse.ProvisioningCycle{ID: "c0", Kind: gatehouse.CycleReconcile, StartedAt: t0.Add(-time.Hour),
		FinishedAt: t0.Add(-50 * time.Minute), Counts: gatehouse.ProvisioningCounts{Unchanged: 7}}
	st.LastSuccessAt, st.NextCycleAt = t0.Add(-50*time.Minute), t0.Add(40*time.Minute)
	st.Quarantine = &gatehouse.Quarantine{Since: t0, Reason: "HTTP 401", Probes: 2, NextProbeAt: t0.Add(4 * time.Minute)}
	must(t, s.UpdateProvisioningStatus(ctx, st))
	got, err := s.FindProvisioningStatus(ctx, "d", app)
	must(t, err)
	want := *st
	want.LeaseUntil = t0.Add(90 * time.Second)
	diff(t, "status", &want, got)

	stolen := *st
	stolen.LeaseOwner, stolen.Quarantine = "n2", nil
	wantCode(t, "status written without the lease", s.UpdateProvisioningStatus(ctx, &stolen), gatehouse.ECONFLICT)

	// Once the lease expires another node takes it over, and the old holder can no longer write.
	st2, err := s.ClaimProvisioning(ctx, "d", app, "n2", t0.Add(2*time.Minute), t0.Add(3*time.Minute))
	must(t, err)
	if st2.LeaseOwner != "n2" || st2.Cycle == nil || st2.Cycle.Cursor != "u5" {
		t.Errorf("status after take-over = %+v, want n2's lease and the cycle at u5", st2)
	}
	wantCode(t, "status written after losing the lease", s.UpdateProvisioningStatus(ctx, st), gatehouse.ECONFLICT)
	must(t, s.ReleaseProvisioning(ctx, "d", app, "n1")) // not n1's: left alone
	_, err = s.ClaimProvisioning(ctx, "d", app, "n3", t0.Add(2*time.Minute), t0.Add(3*time.Minute))
	wantCode(t, "claim after a release by a node that lost the lease", err, gatehouse.ECONFLICT)
	must(t, s.ReleaseProvisioning(ctx, "d", app, "n2"))
	_, err = s.ClaimProvisioning(ctx, "d", app, "n3", t0.Add(2*time.Minute), t0.Add(3*time.Minute))
	wantCode(t, "claim after the holder released it", err, "")

	// Cleared parts of the status are stored as cleared.
	st3, err := s.FindProvisioningStatus(ctx, "d", app)
	must(t, err)
	st3.LeaseOwner, st3.Cycle, st3.Quarantine, st3.NextCycleAt = "n3", nil, nil, time.Time{}
	must(t, s.UpdateProvisioningStatus(ctx, st3))
	got, err = s.FindProvisioningStatus(ctx, "d", app)
	must(t, err)
	if got.Cycle != nil || got.Quarantine != nil || !got.NextCycleAt.IsZero() || got.LastCycle == nil {
		t.Errorf("status after clearing = %+v, want no cycle, quarantine or next cycle, and the last cycle", got)
	}

	// Racing nodes: exactly one gets a free lease.
	must(t, s.ReleaseProvisioning(ctx, "d", app, "n3"))
	errs := parallel(8, func(i int) error {
		_, err := s.ClaimProvisioning(ctx, "d", app, fmt.Sprintf("racer-%d", i), t0.Add(time.Hour), t0.Add(2*time.Hour))
		return err
	})
	wantOneWinner(t, "ClaimProvisioning", errs, gatehouse.ECONFLICT)
}

// testProvisioningRequests checks the requests an admin makes and the engine consumes: a request made again
// after the engine read it survives the engine's consuming of the older one.
func testProvisioningRequests(t *testing.T, open Opener) {
	s := open(t)
	w := seed(t, s, "d")
	app := w.app.ID
	wantCode(t, "request without settings", s.RequestProvisioning(ctx, "d", app, gatehouse.RequestCycle, t0), gatehouse.ENOTFOUND)
	must(t, s.SetProvisioning(ctx, provisioningOf("d", app)))
	must(t, s.RequestProvisioning(ctx, "d", app, gatehouse.RequestCycle, t0))
	must(t, s.RequestProvisioning(ctx, "d", app, gatehouse.RequestRetry, t0.Add(time.Second)))
	st, err := s.FindProvisioningStatus(ctx, "d", app)
	must(t, err)
	if !st.CycleRequestedAt.Equal(t0) || !st.RetryRequestedAt.Equal(t0.Add(time.Second)) {
		t.Fatalf("requests = %v, %v; want %v, %v", st.CycleRequestedAt, st.RetryRequestedAt, t0, t0.Add(time.Second))
	}
	must(t, s.RequestProvisioning(ctx, "d", app, gatehouse.RequestCycle, t0.Add(time.Minute)))
	must(t, s.ConsumeProvisioningRequest(ctx, "d", app, gatehouse.RequestCycle, t0))
	must(t, s.ConsumeProvisioningRequest(ctx, "d", app, gatehouse.RequestRetry, t0.Add(time.Second)))
	st, err = s.FindProvisioningStatus(ctx, "d", app)
	must(t, err)
	if !st.CycleRequestedAt.Equal(t0.Add(time.Minute)) || !st.RetryRequestedAt.IsZero() {
		t.Errorf("after consuming = %v, %v; want the newer cycle request kept and no retry", st.CycleRequestedAt, st.RetryRequestedAt)
	}
}

// job returns a job for an object of app, requested at at.
func job(dirID, appID, typ, id string, at time.Time) *gatehouse.ProvisioningJob {
	return &gatehouse.ProvisioningJob{DirectoryID: dirID, AppID: appID, ObjectType: typ, ObjectID: id,
		Reason: "user.update", RequestedAt: at, NotBefore: at}
}

func jobKey(j *gatehouse.ProvisioningJob) string { return j.ObjectType + ":" + j.ObjectID }

// testProvisioningJobs checks the durable queue: a change to an object that waits is one job; a job finished
// while it was requested again stays; retries wait; resets and deletes.
func testProvisioningJobs(t *testing.T, open Opener) {
	s := open(t)
	w := seed(t, s, "d")
	seed(t, s, "e")
	app := w.app.ID
	must(t, s.SetProvisioning(ctx, provisioningOf("d", app)))
	due := func(t *testing.T, now time.Time) []string {
		t.Helper()
		list, err := s.FindProvisioningJobs(ctx, "d", app, now, 100)
		must(t, err)
		return ids(list, jobKey)
	}
	must(t, s.EnqueueProvisioningJobs(ctx, []*gatehouse.ProvisioningJob{
		job("d", app, gatehouse.ObjectGroup, "g1", t0),
		job("d", app, gatehouse.ObjectUser, "u2", t0),
		job("d", app, gatehouse.ObjectUser, "u1", t0.Add(time.Second)),
	}))
	wantCode(t, "job of an unknown app", s.EnqueueProvisioningJobs(ctx, []*gatehouse.ProvisioningJob{job("d", "nope", "user", "u1", t0)}), gatehouse.ENOTFOUND)
	diff(t, "due jobs, users first", []string{"user:u2", "group:g1", "user:u1"}, due(t, t0.Add(time.Minute)))
	diff(t, "jobs due at t0", []string{"user:u2", "group:g1"}, due(t, t0))
	diff(t, "every job", []string{"user:u2", "group:g1", "user:u1"}, due(t, time.Time{}))

	// A failed attempt waits; a new request of the same object makes it due again with no attempts.
	list, err := s.FindProvisioningJobs(ctx, "d", app, t0, 1)
	must(t, err)
	j := list[0]
	j.Attempts, j.NotBefore, j.LastError = 1, t0.Add(time.Hour), "HTTP 500"
	must(t, s.RetryProvisioningJob(ctx, j))
	diff(t, "due after a retry", []string{"group:g1", "user:u1"}, due(t, t0.Add(time.Minute)))
	all, err := s.FindProvisioningJobs(ctx, "d", app, time.Time{}, 100)
	must(t, err)
	diff(t, "the retried job", j, all[len(all)-1])
	again := job("d", app, gatehouse.ObjectUser, "u2", t0.Add(2*time.Minute))
	must(t, s.EnqueueProvisioningJobs(ctx, []*gatehouse.ProvisioningJob{again}))
	n, err := s.CountProvisioningJobs(ctx, "d", app)
	must(t, err)
	if n != 3 {
		t.Errorf("jobs after a second request of u2 = %d, want 3", n)
	}
	list, err = s.FindProvisioningJobs(ctx, "d", app, t0.Add(2*time.Minute), 100)
	must(t, err)
	diff(t, "u2 requested again", again, list[len(list)-1])

	// Finishing the old attempt of u2 (requested before) leaves the new request; finishing the new one deletes it.
	must(t, s.FinishProvisioningJob(ctx, j))
	must(t, s.RetryProvisioningJob(ctx, j))
	list, err = s.FindProvisioningJobs(ctx, "d", app, t0.Add(2*time.Minute), 100)
	must(t, err)
	diff(t, "u2 after the old attempt finished", again, list[len(list)-1])
	must(t, s.FinishProvisioningJob(ctx, again))
	diff(t, "after u2 finished", []string{"group:g1", "user:u1"}, due(t, time.Time{}))
	must(t, s.FinishProvisioningJob(ctx, again)) // gone: not an error

	// Reset makes waiting jobs due; an on-demand job survives DeleteProvisioningJobs.
	late := job("d", app, gatehouse.ObjectUser, "u3", t0)
	late.NotBefore = t0.Add(time.Hour)
	od := job("d", app, gatehouse.ObjectUser, "u4", t0)
	od.OnDemand, od.Reason = "req-1", "on-demand"
	must(t, s.EnqueueProvisioningJobs(ctx, []*gatehouse.ProvisioningJob{late, od, job("e", "e-app", "user", "x", t0)}))
	diff(t, "due before the reset", []string{"user:u4", "group:g1", "user:u1"}, due(t, t0.Add(time.Minute)))
	must(t, s.ResetProvisioningJobs(ctx, "d", app, t0.Add(time.Minute)))
	diff(t, "due after the reset", []string{"user:u4", "group:g1", "user:u1", "user:u3"}, due(t, t0.Add(time.Minute)))
	// A plain request of an on-demand job's object keeps it on demand.
	must(t, s.EnqueueProvisioningJobs(ctx, []*gatehouse.ProvisioningJob{job("d", app, gatehouse.ObjectUser, "u4", t0.Add(3*time.Minute))}))
	for _, c := range []struct {
		dir, app string
		want     int
	}{{"d", app, 4}, {"d", "", 4}, {"", "", 5}, {"e", "", 1}} {
		n, err := s.CountProvisioningJobs(ctx, c.dir, c.app)
		must(t, err)
		if n != c.want {
			t.Errorf("CountProvisioningJobs(%q, %q) = %d, want %d", c.dir, c.app, n, c.want)
		}
	}
	must(t, s.DeleteProvisioningJobs(ctx, "d", app))
	list, err = s.FindProvisioningJobs(ctx, "d", app, time.Time{}, 100)
	must(t, err)
	if len(list) != 1 || list[0].ObjectID != "u4" || list[0].OnDemand != "req-1" {
		t.Errorf("jobs after DeleteProvisioningJobs = %v, want only u4's on-demand job", ids(list, jobKey))
	}
	must(t, s.DeleteApp(ctx, "d", app))
	n, err = s.CountProvisioningJobs(ctx, "d", "")
	must(t, err)
	if n != 0 {
		t.Errorf("jobs after the app was deleted = %d, want 0", n)
	}
}

// testProvisioningDue checks which apps FindProvisioningDue finds: only those with work due, and not those whose
// lease another node holds.
func testProvisioningDue(t *testing.T, open Opener) {
	s := open(t)
	w := seed(t, s, "d")
	app := w.app.ID
	due := func(t *testing.T, owner string, now time.Time) bool {
		t.Helper()
		list, err := s.FindProvisioningDue(ctx, owner, now)
		must(t, err)
		return len(list) == 1 && list[0].AppID == app
	}
	p := provisioningOf("d", app)
	p.Mode = gatehouse.ProvisioningOff
	must(t, s.SetProvisioning(ctx, p))
	if due(t, "n1", t0) {
		t.Error("an app that is off and has nothing to do is due")
	}
	// An on-demand job makes an app that is off due.
	od := job("d", app, gatehouse.ObjectUser, "u1", t0)
	od.OnDemand = "req-1"
	must(t, s.EnqueueProvisioningJobs(ctx, []*gatehouse.ProvisioningJob{od}))
	if !due(t, "n1", t0) {
		t.Error("an on-demand job does not make an app that is off due")
	}
	must(t, s.FinishProvisioningJob(ctx, od))
	// An ordinary job does not, while the app is off; it does once the app is on.
	must(t, s.EnqueueProvisioningJobs(ctx, []*gatehouse.ProvisioningJob{job("d", app, gatehouse.ObjectUser, "u1", t0)}))
	if due(t, "n1", t0) {
		t.Error("a job makes an app that is off due")
	}
	p.Mode = gatehouse.ProvisioningAutomatic
	must(t, s.SetProvisioning(ctx, p))
	if !due(t, "n1", t0) || due(t, "n1", t0.Add(-time.Second)) {
		t.Error("a job is not due at its time, or is due before it")
	}
	// Another node's lease hides it until the lease expires.
	st, err := s.ClaimProvisioning(ctx, "d", app, "n2", t0, t0.Add(time.Minute))
	must(t, err)
	if due(t, "n1", t0) || !due(t, "n2", t0) || !due(t, "n1", t0.Add(2*time.Minute)) {
		t.Error("a held lease does not hide the app from other nodes only until it expires")
	}
	// In quarantine, jobs wait for the probe.
	st.Quarantine = &gatehouse.Quarantine{Since: t0, Reason: "down", NextProbeAt: t0.Add(5 * time.Minute)}
	must(t, s.UpdateProvisioningStatus(ctx, st))
	must(t, s.ReleaseProvisioning(ctx, "d", app, "n2"))
	if due(t, "n1", t0) || !due(t, "n1", t0.Add(5*time.Minute)) {
		t.Error("an app in quarantine is due before its probe, or not at it")
	}
	must(t, s.RequestProvisioning(ctx, "d", app, gatehouse.RequestRetry, t0))
	if !due(t, "n1", t0) {
		t.Error("a retry request does not make an app in quarantine due")
	}
	must(t, s.ConsumeProvisioningRequest(ctx, "d", app, gatehouse.RequestRetry, t0))
	// Out of quarantine, with no job: a running cycle, a requested one or a periodic one makes it due.
	st, err = s.ClaimProvisioning(ctx, "d", app, "n1", t0, t0.Add(time.Minute))
	must(t, err)
	must(t, s.DeleteProvisioningJobs(ctx, "d", app))
	st.Quarantine, st.NextCycleAt = nil, t0.Add(40*time.Minute)
	must(t, s.UpdateProvisioningStatus(ctx, st))
	must(t, s.ReleaseProvisioning(ctx, "d", app, "n1"))
	if due(t, "n1", t0) || !due(t, "n1", t0.Add(40*time.Minute)) {
		t.Error("a periodic cycle is due before its time, or not at it")
	}
	must(t, s.RequestProvisioning(ctx, "d", app, gatehouse.RequestCycle, t0))
	if !due(t, "n1", t0) {
		t.Error("a requested cycle does not make the app due")
	}
}

// testProvisionedObjects checks the links of users and groups to their accounts at an app: they outlive the user
// and go with the app.
func testProvisionedObjects(t *testing.T, open Opener) {
	s := open(t)
	w := seed(t, s, "d")
	app := w.app.ID
	link := func(typ, id, target string, active bool) *gatehouse.ProvisionedObject {
		return &gatehouse.ProvisionedObject{DirectoryID: "d", AppID: app, ObjectType: typ, SourceID: id,
			SourceName: "name of " + id, TargetID: target, Active: active, CreatedAt: t0, UpdatedAt: t0}
	}
	wantCode(t, "link of an unknown app", s.SaveProvisionedObject(ctx, &gatehouse.ProvisionedObject{DirectoryID: "d",
		AppID: "nope", ObjectType: "user", SourceID: "u", TargetID: "t", CreatedAt: t0, UpdatedAt: t0}), gatehouse.ENOTFOUND)
	alice := link(gatehouse.ObjectUser, w.alice.ID, "target-alice", true)
	bob := link(gatehouse.ObjectUser, w.bob.ID, "target-bob", false)
	sales := link(gatehouse.ObjectGroup, w.sales.ID, "target-sales", true)
	for _, o := range []*gatehouse.ProvisionedObject{alice, bob, sales} {
		must(t, s.SaveProvisionedObject(ctx, o))
	}
	got, err := s.FindProvisionedObjects(ctx, "d", app, gatehouse.ObjectUser, []string{w.alice.ID, w.bob.ID, "nobody", w.sales.ID})
	must(t, err)
	diff(t, "links of users", map[string]*gatehouse.ProvisionedObject{w.alice.ID: alice, w.bob.ID: bob}, got)

	// Replacing keeps the creation time.
	again := link(gatehouse.ObjectUser, w.bob.ID, "target-bob-2", true)
	again.CreatedAt, again.UpdatedAt = t0.Add(time.Hour), t0.Add(time.Hour)
	must(t, s.SaveProvisionedObject(ctx, again))
	got, err = s.FindProvisionedObjects(ctx, "d", app, gatehouse.ObjectUser, []string{w.bob.ID})
	must(t, err)
	want := *again
	want.CreatedAt = t0
	diff(t, "replaced link", &want, got[w.bob.ID])

	total, active, err := s.CountProvisionedObjects(ctx, "d", app, gatehouse.ObjectUser)
	must(t, err)
	if total != 2 || active != 2 {
		t.Errorf("CountProvisionedObjects = %d, %d; want 2, 2", total, active)
	}
	page, err := s.ListProvisionedObjects(ctx, "d", app, gatehouse.ObjectUser, "", 1)
	must(t, err)
	page2, err := s.ListProvisionedObjects(ctx, "d", app, gatehouse.ObjectUser, page[0].SourceID, 10)
	must(t, err)
	diff(t, "pages of links", []string{w.alice.ID, w.bob.ID}, append(ids(page, func(o *gatehouse.ProvisionedObject) string { return o.SourceID }),
		ids(page2, func(o *gatehouse.ProvisionedObject) string { return o.SourceID })...))

	// Many sources at once.
	var many []string
	for i := range 1200 {
		many = append(many, fmt.Sprintf("u%04d", i))
	}
	got, err = s.FindProvisionedObjects(ctx, "d", app, gatehouse.ObjectUser, append(many, w.alice.ID))
	must(t, err)
	if len(got) != 1 || got[w.alice.ID] == nil {
		t.Errorf("links of 1201 sources = %d, want alice's", len(got))
	}

	// A deleted user's link stays (its account must still be removed); the app's deletion removes them all.
	must(t, s.DeleteUser(ctx, "d", w.alice.ID))
	got, err = s.FindProvisionedObjects(ctx, "d", app, gatehouse.ObjectUser, []string{w.alice.ID})
	must(t, err)
	if got[w.alice.ID] == nil {
		t.Error("the link of a deleted user is gone")
	}
	must(t, s.DeleteProvisionedObject(ctx, "d", app, gatehouse.ObjectUser, w.alice.ID))
	must(t, s.DeleteProvisionedObject(ctx, "d", app, gatehouse.ObjectUser, w.alice.ID))
	must(t, s.DeleteApp(ctx, "d", app))
	total, _, err = s.CountProvisionedObjects(ctx, "d", app, gatehouse.ObjectGroup)
	must(t, err)
	if total != 0 {
		t.Errorf("links after the app was deleted = %d, want 0", total)
	}
}

// testScopeUsers checks the users in an app's scope: assigned directly or through a group, each once, or every
// user; in pages by ID.
func testScopeUsers(t *testing.T, open Opener) {
	s := open(t)
	w := seed(t, s, "d")
	seed(t, s, "e")
	carol := newUser("d", "d-carol", "carol@d.example.com")
	must(t, s.CreateUser(ctx, carol))
	// bob is assigned directly and, through sales, twice over.
	must(t, s.AddGroupMember(ctx, "d", w.sales.ID, w.bob.ID))
	scope := func(t *testing.T, all bool, after string, limit int) []string {
		t.Helper()
		list, err := s.FindScopeUsers(ctx, "d", w.app.ID, all, after, limit)
		must(t, err)
		return ids(list, userID)
	}
	diff(t, "assigned users", []string{"d-alice", "d-bob"}, scope(t, false, "", 10))
	diff(t, "assigned users after alice", []string{"d-bob"}, scope(t, false, "d-alice", 10))
	diff(t, "first assigned user", []string{"d-alice"}, scope(t, false, "", 1))
	diff(t, "every user", []string{"d-alice", "d-bob", "d-carol"}, scope(t, true, "", 10))
	diff(t, "every user after bob", []string{"d-carol"}, scope(t, true, "d-bob", 10))
	list, err := s.FindScopeUsers(ctx, "d", w.app.ID, false, "", 10)
	must(t, err)
	diff(t, "a user in scope", w.alice, list[0])
}

// testProvisioningEvents checks the provisioning log: every field kept, filters, newest first, and the entries of
// a deleted app gone with it.
func testProvisioningEvents(t *testing.T, open Opener) {
	s := open(t)
	w := seed(t, s, "d")
	seed(t, s, "e")
	app := w.app.ID
	ev := func(id string, at time.Time, name, action, result string) *gatehouse.ProvisioningEvent {
		return &gatehouse.ProvisioningEvent{ID: id, DirectoryID: "d", AppID: app, AppName: "Mixpanel", Time: at,
			Trigger: gatehouse.TriggerIncremental, ObjectType: gatehouse.ObjectUser, SourceID: "src-" + id,
			SourceName: name, Action: action, Result: result}
	}
	full := ev("e1", t0, "B.Simon@contoso.com", gatehouse.ActionUpdate, gatehouse.ResultFailure)
	full.CycleID, full.Trigger, full.TargetID, full.Reason = "cycle-1", gatehouse.CycleInitial, "t-1", "The app refused it."
	full.Changes = []gatehouse.AttributeChange{{Attribute: "displayName", Before: "B", After: "B.Simon"}}
	full.Steps = []gatehouse.ProvisioningStep{{Name: "match", Result: gatehouse.ResultSuccess, Detail: "userName eq \"b\""}}
	full.HTTPStatus, full.ErrorBody, full.Target, full.DurationMS = 400, `{"detail":"bad"}`, "scim.example.com (192.0.2.7:443)", 42
	events := []*gatehouse.ProvisioningEvent{
		full,
		ev("e2", t0.Add(time.Minute), "alice@contoso.com", gatehouse.ActionCreate, gatehouse.ResultSuccess),
		ev("e3", t0.Add(2*time.Minute), "alice@contoso.com", gatehouse.ActionDisable, gatehouse.ResultSuccess),
		ev("e4", t0.Add(3*time.Minute), "carol@contoso.com", gatehouse.ActionSkip, gatehouse.ResultSkipped),
	}
	for _, e := range events {
		must(t, s.CreateProvisioningEvent(ctx, e))
	}
	wantCode(t, "an ID used twice", s.CreateProvisioningEvent(ctx, events[0]), gatehouse.ECONFLICT)
	bad := ev("e9", t0, "x", "create", "success")
	bad.AppID = "nope"
	wantCode(t, "an event of an unknown app", s.CreateProvisioningEvent(ctx, bad), gatehouse.ENOTFOUND)
	got, err := s.FindProvisioningEvent(ctx, "d", "e1")
	must(t, err)
	diff(t, "event", full, got)
	_, err = s.FindProvisioningEvent(ctx, "e", "e1")
	wantCode(t, "event through another directory", err, gatehouse.ENOTFOUND)

	eventID := func(e *gatehouse.ProvisioningEvent) string { return e.ID }
	for _, c := range []struct {
		name  string
		f     gatehouse.ProvisioningFilter
		want  []string
		total int
	}{
		{"all, newest first", gatehouse.ProvisioningFilter{}, []string{"e4", "e3", "e2", "e1"}, 4},
		{"by app", gatehouse.ProvisioningFilter{AppID: app}, []string{"e4", "e3", "e2", "e1"}, 4},
		{"by another app", gatehouse.ProvisioningFilter{AppID: "other"}, []string{}, 0},
		{"by name, ignoring case", gatehouse.ProvisioningFilter{Object: "ALICE"}, []string{"e3", "e2"}, 2},
		{"by source ID", gatehouse.ProvisioningFilter{Object: "src-e4"}, []string{"e4"}, 1},
		{"by action", gatehouse.ProvisioningFilter{Action: gatehouse.ActionDisable}, []string{"e3"}, 1},
		{"by result", gatehouse.ProvisioningFilter{Result: gatehouse.ResultSuccess}, []string{"e3", "e2"}, 2},
		{"by cycle", gatehouse.ProvisioningFilter{CycleID: "cycle-1"}, []string{"e1"}, 1},
		{"since", gatehouse.ProvisioningFilter{Since: t0.Add(2 * time.Minute)}, []string{"e4", "e3"}, 2},
		{"until (excluded)", gatehouse.ProvisioningFilter{Until: t0.Add(2 * time.Minute)}, []string{"e2", "e1"}, 2},
		{"a page", gatehouse.ProvisioningFilter{Offset: 1, Limit: 2}, []string{"e3", "e2"}, 4},
		{"a % is no wildcard", gatehouse.ProvisioningFilter{Object: "%"}, []string{}, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			list, total, err := s.FindProvisioningEvents(ctx, "d", c.f)
			must(t, err)
			diff(t, "events", c.want, ids(list, eventID))
			if total != c.total {
				t.Errorf("total = %d, want %d", total, c.total)
			}
		})
	}
	list, _, err := s.FindProvisioningEvents(ctx, "e", gatehouse.ProvisioningFilter{})
	must(t, err)
	if len(list) != 0 {
		t.Errorf("directory e sees %d of d's events", len(list))
	}
	must(t, s.DeleteApp(ctx, "d", app))
	list, _, err = s.FindProvisioningEvents(ctx, "d", gatehouse.ProvisioningFilter{})
	must(t, err)
	if len(list) != 0 {
		t.Errorf("events after the app was deleted = %d, want 0", len(list))
	}
}
