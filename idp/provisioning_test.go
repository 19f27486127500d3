package idp_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/internal/testserver"
	"github.com/gatehouse-idp/gatehouse/web"
)

// waitFor waits until cond holds, polling.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(20 * time.Millisecond) // polling the condition
	}
}

// TestProvisioningToAnotherGatehouse provisions an app whose tenant URL is another Gatehouse's directory SCIM URL
// (outbound meets inbound, in one process), and checks each change on the second one's store.
func TestProvisioningToAnotherGatehouse(t *testing.T) {
	ctx := context.Background()
	src, dst := testserver.Start(t, testserver.Options{}), testserver.Start(t, testserver.Options{})
	root, dstRoot := admin(t, src), admin(t, dst)
	token, _, err := dst.Service.CreateSCIMToken(ctx, dstRoot, "default", "Gatehouse (upstream)")
	if err != nil {
		t.Fatal(err)
	}
	app, _, err := src.Service.AddApp(ctx, root, "default", idp.AppInput{GalleryID: "custom", Name: "Downstream"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := src.Service.TestProvisioningConnection(ctx, root, "default", app.ID,
		idp.TestConnectionInput{TenantURL: dst.Service.SCIMBaseURL("default"), Token: token})
	if err != nil || !res.OK || !res.Patch {
		t.Fatalf("test connection = %+v, %v", res, err)
	}
	on, url := gatehouse.ProvisioningAutomatic, dst.Service.SCIMBaseURL("default")
	view, err := src.Service.UpdateProvisioning(ctx, root, "default", app.ID, idp.ProvisioningInput{Mode: &on, TenantURL: &url, Token: &token})
	if err != nil {
		t.Fatal(err)
	}
	if !view.TokenSet || view.Settings.Mode != on {
		t.Fatalf("view after turning on = %+v", view)
	}
	findAt := func(name string) *gatehouse.User {
		u, err := dst.Store.FindUserByName(ctx, "default", name)
		if gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND {
			return nil
		}
		if err != nil {
			t.Fatal(err)
		}
		return u
	}

	// Assigned: created at the other Gatehouse.
	bob, _, err := src.Service.CreateUser(ctx, root, "default", idp.UserInput{UserName: "bob@contoso.com", FirstName: "Bob",
		LastName: "Jones", DisplayName: "Bob Jones", Mail: "bob@contoso.com"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.Service.Assign(ctx, root, "default", app.ID, gatehouse.PrincipalUser, bob.ID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "bob is provisioned", func() bool { return findAt("bob@contoso.com") != nil })
	got := findAt("bob@contoso.com")
	if got.DisplayName != "Bob Jones" || got.FirstName != "Bob" || got.LastName != "Jones" || got.Mail != "bob@contoso.com" ||
		got.ExternalID != bob.ID || got.Source != gatehouse.SourceSCIM || got.Disabled {
		t.Errorf("bob at the other Gatehouse = %+v", got)
	}

	// Updated.
	name := "Robert Jones"
	if _, err := src.Service.UpdateUser(ctx, root, "default", bob.ID, idp.UserPatch{DisplayName: &name}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "bob's display name is updated", func() bool { return findAt("bob@contoso.com").DisplayName == name })

	// A group assigned, with a member.
	sales, err := src.Service.CreateGroup(ctx, root, "default", idp.GroupInput{Name: "Sales"})
	if err != nil {
		t.Fatal(err)
	}
	alice, _, err := src.Service.CreateUser(ctx, root, "default", idp.UserInput{UserName: "alice@contoso.com", DisplayName: "Alice"})
	if err != nil {
		t.Fatal(err)
	}
	must(t, src.Service.AddGroupMember(ctx, root, "default", sales.ID, alice.ID))
	if _, err := src.Service.Assign(ctx, root, "default", app.ID, gatehouse.PrincipalGroup, sales.ID); err != nil {
		t.Fatal(err)
	}
	groupAt := func() []string {
		gs, err := dst.Store.FindGroups(ctx, "default", "Sales")
		if err != nil || len(gs) == 0 {
			return nil
		}
		ms, _ := dst.Store.FindGroupMembers(ctx, "default", gs[0].ID)
		var names []string
		for _, m := range ms {
			names = append(names, m.UserName)
		}
		return append(names, "group")
	}
	waitFor(t, "Sales has alice at the other Gatehouse", func() bool { return slices.Equal(groupAt(), []string{"alice@contoso.com", "group"}) })
	must(t, src.Service.AddGroupMember(ctx, root, "default", sales.ID, bob.ID))
	waitFor(t, "bob joins Sales there", func() bool {
		return slices.Equal(groupAt(), []string{"alice@contoso.com", "bob@contoso.com", "group"})
	})

	// Unassigned (bob stays in scope through Sales until he leaves it): disabled there.
	as, err := src.Service.FindAssignments(ctx, root, "default", app.ID)
	must(t, err)
	for _, a := range as {
		if a.PrincipalID == bob.ID {
			must(t, src.Service.Unassign(ctx, root, "default", app.ID, a.ID))
		}
	}
	must(t, src.Service.RemoveGroupMember(ctx, root, "default", sales.ID, bob.ID))
	waitFor(t, "bob is disabled there", func() bool { return findAt("bob@contoso.com").Disabled })
	waitFor(t, "bob left Sales there", func() bool { return slices.Equal(groupAt(), []string{"alice@contoso.com", "group"}) })

	// Enabled again when assigned again; deleted when deleted.
	if _, err := src.Service.Assign(ctx, root, "default", app.ID, gatehouse.PrincipalUser, bob.ID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "bob is active there again", func() bool { return !findAt("bob@contoso.com").Disabled })
	must(t, src.Service.DeleteUser(ctx, root, "default", bob.ID))
	waitFor(t, "bob is deleted there", func() bool { return findAt("bob@contoso.com") == nil })

	// The log has it all (written after each batch, so once the deletion is there).
	var events []*gatehouse.ProvisioningEvent
	waitFor(t, "the deletion is logged", func() bool {
		events, _, err = src.Service.FindProvisioningEvents(ctx, root, "default", gatehouse.ProvisioningFilter{Object: "bob@"})
		must(t, err)
		return len(events) > 0 && events[0].Action == gatehouse.ActionDelete
	})
	var actions []string
	for _, e := range events {
		actions = append(actions, e.Action)
		if e.Result != gatehouse.ResultSuccess {
			t.Errorf("entry %+v failed", e)
		}
	}
	slices.Reverse(actions)
	if want := []string{"create", "update", "disable", "update", "delete"}; !slices.Equal(actions, want) {
		t.Errorf("bob's actions = %v, want %v", actions, want)
	}

	// On demand: the steps.
	carol, _, err := src.Service.CreateUser(ctx, root, "default", idp.UserInput{UserName: "carol@contoso.com", DisplayName: "Carol"})
	must(t, err)
	must(t, src.Service.AddGroupMember(ctx, root, "default", sales.ID, carol.ID))
	out, err := src.Service.ProvisionOnDemand(ctx, root, "default", app.ID, gatehouse.ObjectGroup, sales.ID)
	must(t, err)
	last := out.Events[len(out.Events)-1]
	if last.ObjectType != gatehouse.ObjectGroup || last.SourceID != sales.ID || len(last.Steps) < 5 {
		t.Errorf("on demand's last entry = %+v", last)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestProvisioningSettings(t *testing.T) {
	ctx := context.Background()
	srv := testserver.Start(t, testserver.Options{})
	root := admin(t, srv)
	app, _, err := srv.Service.AddApp(ctx, root, "default", idp.AppInput{GalleryID: "mixpanel", Parameters: map[string]string{"org_id": "42"}})
	must(t, err)
	v, err := srv.Service.FindProvisioning(ctx, root, "default", app.ID)
	must(t, err)
	if v.Configured || v.Settings.TenantURL != "https://mixpanel.com/api/app/scim/v2" || v.Template == nil || !v.Template.Supported {
		t.Fatalf("Mixpanel's provisioning before it is set up = %+v", v)
	}
	on := gatehouse.ProvisioningAutomatic
	str := func(s string) *string { return &s }
	for _, tt := range []struct {
		name  string
		in    idp.ProvisioningInput
		field string
	}{
		{"on without a token", idp.ProvisioningInput{Mode: &on}, "mode"},
		{"a tenant URL that is not one", idp.ProvisioningInput{TenantURL: str("mixpanel.com/scim")}, "tenantUrl"},
		{"a tenant URL with a query", idp.ProvisioningInput{TenantURL: str("https://mixpanel.com/scim?x=1")}, "tenantUrl"},
		{"a token with a space", idp.ProvisioningInput{Token: str("two words")}, "token"},
		{"an unknown scope", idp.ProvisioningInput{Scope: str("everyone")}, "scope"},
		{"a matching attribute without a mapping", idp.ProvisioningInput{MatchAttribute: str("externalId")}, "matchAttribute"},
		{"an expression that does not parse", idp.ProvisioningInput{UserMappings: &[]gatehouse.AttributeMapping{
			{Target: "userName", Kind: gatehouse.MappingExpression, Expression: "ToLower([userName]", Apply: gatehouse.ApplyAlways}}}, "userMappings"},
		{"a mapping of active", idp.ProvisioningInput{UserMappings: &[]gatehouse.AttributeMapping{
			{Target: "userName", Kind: gatehouse.MappingDirect, Source: "userName", Apply: gatehouse.ApplyAlways},
			{Target: "active", Kind: gatehouse.MappingConstant, Value: "true", Apply: gatehouse.ApplyAlways}}}, "userMappings"},
		{"an unknown deprovisioning action", idp.ProvisioningInput{LeaveAction: str("archive")}, "leaveAction"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := srv.Service.UpdateProvisioning(ctx, root, "default", app.ID, tt.in)
			if gatehouse.ErrorCode(err) != gatehouse.EINVALID || gatehouse.ErrorField(err) != tt.field {
				t.Errorf("err = %v (field %q), want EINVALID on %s", err, gatehouse.ErrorField(err), tt.field)
			}
		})
	}

	// An app admin may; a user admin may not.
	appAdmin, _, err := srv.Service.CreateUser(ctx, root, "default", idp.UserInput{UserName: "apps@contoso.com", DisplayName: "Apps", Role: gatehouse.RoleAppAdmin})
	must(t, err)
	userAdmin, _, err := srv.Service.CreateUser(ctx, root, "default", idp.UserInput{UserName: "people@contoso.com", DisplayName: "People", Role: gatehouse.RoleUserAdmin})
	must(t, err)
	const secret = "tok3n-never-shown-again"
	if _, err := srv.Service.UpdateProvisioning(ctx, userAdmin, "default", app.ID, idp.ProvisioningInput{Token: str(secret)}); gatehouse.ErrorCode(err) != gatehouse.EFORBIDDEN {
		t.Errorf("a user admin set the token: %v", err)
	}
	v, err = srv.Service.UpdateProvisioning(ctx, appAdmin, "default", app.ID, idp.ProvisioningInput{Token: str("Bearer " + secret), Mode: &on})
	must(t, err)
	if !v.TokenSet || !v.Configured || v.Status == nil {
		t.Errorf("view = %+v", v)
	}
	// The token is sealed: not in the view, the stored settings or the audit log.
	b, _ := json.Marshal(v)
	p, err := srv.Store.FindProvisioning(ctx, "default", app.ID)
	must(t, err)
	audit, _, err := srv.Store.FindAuditEvents(ctx, "default", gatehouse.AuditFilter{Limit: 100})
	must(t, err)
	ab, _ := json.Marshal(audit)
	if strings.Contains(string(b), secret) || strings.Contains(string(p.SealedToken), secret) || strings.Contains(string(ab), secret) {
		t.Error("the token is readable in the view, the store or the audit log")
	}
	if audit[0].Action != "app.provisioning.update" || !strings.Contains(audit[0].After, `"tokenChanged":true`) {
		t.Errorf("the audit log does not record the change: %+v", audit[0])
	}
	// Turning it on asked for the initial cycle (which fails here: mixpanel.com is not reached from tests).
	st, err := srv.Store.FindProvisioningStatus(ctx, "default", app.ID)
	must(t, err)
	if st.CycleRequestedAt.IsZero() && st.Cycle == nil && st.LastCycle == nil && st.Quarantine == nil {
		t.Errorf("turning provisioning on started no cycle: %+v", st)
	}
}

// TestChangesAreQueuedInTheirTransaction checks that each change of users, groups, memberships and assignments
// queues its push, for the apps it matters to.
func TestChangesAreQueuedInTheirTransaction(t *testing.T) {
	ctx := context.Background()
	srv := testserver.Start(t, testserver.Options{Configure: func(c *idp.Config, _ *web.Server) { c.Provisioning = nil }})
	root := admin(t, srv)
	app, _, err := srv.Service.AddApp(ctx, root, "default", idp.AppInput{GalleryID: "custom", Name: "Target"})
	must(t, err)
	// Set on directly in the store, so that no engine runs and the queue stays as the changes left it.
	p := gatehouse.DefaultProvisioning("default", app.ID)
	p.Mode, p.TenantURL, p.SealedToken = gatehouse.ProvisioningAutomatic, "https://scim.example.com", []byte{1}
	p.CreatedAt, p.UpdatedAt = time.Now(), time.Now()
	must(t, srv.Store.SetProvisioning(ctx, p))
	queued := func() []string {
		t.Helper()
		list, err := srv.Store.FindProvisioningJobs(ctx, "default", app.ID, time.Time{}, 1000)
		must(t, err)
		var out []string
		for _, j := range list {
			out = append(out, j.ObjectType+":"+j.ObjectID+":"+j.Reason)
		}
		slices.Sort(out)
		must(t, srv.Store.DeleteProvisioningJobs(ctx, "default", app.ID))
		return out
	}
	expect := func(what string, want ...string) {
		t.Helper()
		slices.Sort(want)
		if got := queued(); !slices.Equal(got, want) {
			t.Errorf("%s queued %v, want %v", what, got, want)
		}
	}
	bob, _, err := srv.Service.CreateUser(ctx, root, "default", idp.UserInput{UserName: "bob@contoso.com", DisplayName: "Bob"})
	must(t, err)
	expect("creating a user the app does not have")
	x, err := srv.Service.Assign(ctx, root, "default", app.ID, gatehouse.PrincipalUser, bob.ID)
	must(t, err)
	expect("assigning bob", "user:"+bob.ID+":app.assign")
	name := "Bobby"
	_, err = srv.Service.UpdateUser(ctx, root, "default", bob.ID, idp.UserPatch{DisplayName: &name})
	must(t, err)
	expect("renaming bob", "user:"+bob.ID+":user.update")
	sales, err := srv.Service.CreateGroup(ctx, root, "default", idp.GroupInput{Name: "Sales"})
	must(t, err)
	alice, _, err := srv.Service.CreateUser(ctx, root, "default", idp.UserInput{UserName: "alice@contoso.com", DisplayName: "Alice"})
	must(t, err)
	must(t, srv.Service.AddGroupMember(ctx, root, "default", sales.ID, alice.ID))
	expect("a membership of groups the app does not have")
	_, err = srv.Service.Assign(ctx, root, "default", app.ID, gatehouse.PrincipalGroup, sales.ID)
	must(t, err)
	expect("assigning Sales", "group:"+sales.ID+":app.assign", "user:"+alice.ID+":app.assign")
	must(t, srv.Service.AddGroupMember(ctx, root, "default", sales.ID, bob.ID))
	expect("bob joining Sales", "group:"+sales.ID+":group.add-member", "user:"+bob.ID+":group.add-member")
	disabled := true
	_, err = srv.Service.UpdateUser(ctx, root, "default", alice.ID, idp.UserPatch{Disabled: &disabled})
	must(t, err)
	expect("disabling alice", "user:"+alice.ID+":user.update", "group:"+sales.ID+":user.update")
	must(t, srv.Service.Unassign(ctx, root, "default", app.ID, x.ID))
	expect("unassigning bob (still in scope through Sales)", "user:"+bob.ID+":app.unassign")
	must(t, srv.Service.DeleteGroup(ctx, root, "default", sales.ID))
	expect("deleting Sales", "group:"+sales.ID+":group.delete", "user:"+alice.ID+":group.delete", "user:"+bob.ID+":group.delete")
	// A user with an account at the app matters when deleted, whether assigned or not.
	must(t, srv.Store.SaveProvisionedObject(ctx, &gatehouse.ProvisionedObject{DirectoryID: "default", AppID: app.ID,
		ObjectType: gatehouse.ObjectUser, SourceID: bob.ID, SourceName: bob.UserName, TargetID: "9", Active: true,
		CreatedAt: time.Now(), UpdatedAt: time.Now()}))
	must(t, srv.Service.DeleteUser(ctx, root, "default", bob.ID))
	expect("deleting bob", "user:"+bob.ID+":user.delete")
	// Inbound SCIM changes are pushed too (every user matters with scope all).
	p.Scope = gatehouse.ScopeAll
	must(t, srv.Store.SetProvisioning(ctx, p))
	tok, _, err := srv.Service.CreateSCIMToken(ctx, root, "default", "HR")
	must(t, err)
	st, err := srv.Service.SCIMToken(ctx, "default", tok)
	must(t, err)
	doc, err := srv.Service.SCIMCreateUser(ctx, st, []byte(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"hr@contoso.com"}`))
	must(t, err)
	expect("a user created over SCIM", "user:"+doc["id"].(string)+":scim.user.create")
	// Turned off, nothing is queued.
	p.Mode = gatehouse.ProvisioningOff
	must(t, srv.Store.SetProvisioning(ctx, p))
	_, err = srv.Service.UpdateUser(ctx, root, "default", alice.ID, idp.UserPatch{DisplayName: &name})
	must(t, err)
	expect("a change while provisioning is off")
}

func TestTestConnection(t *testing.T) {
	ctx := context.Background()
	srv := testserver.Start(t, testserver.Options{})
	root := admin(t, srv)
	app, _, err := srv.Service.AddApp(ctx, root, "default", idp.AppInput{GalleryID: "custom", Name: "Target"})
	must(t, err)
	refuse := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte(`{"detail":"Invalid API token"}`))
	}))
	defer refuse.Close()
	res, err := srv.Service.TestProvisioningConnection(ctx, root, "default", app.ID, idp.TestConnectionInput{TenantURL: refuse.URL, Token: "wrong"})
	must(t, err)
	if res.OK || res.HTTPStatus != 401 || !strings.Contains(res.Message, "HTTP 401 Unauthorized") || !strings.Contains(res.Message, "Invalid API token") ||
		!strings.Contains(res.Message, "refused the credentials") {
		t.Errorf("test of a refusing app = %+v", res)
	}
	_, err = srv.Service.TestProvisioningConnection(ctx, root, "default", app.ID, idp.TestConnectionInput{TenantURL: refuse.URL})
	if gatehouse.ErrorField(err) != "token" {
		t.Errorf("a test without a token = %v, want the token asked for", err)
	}
	// Without the server's setting, loopback is refused (SECURITY-CASES 51).
	plain := testserver.Start(t, testserver.Options{Configure: func(c *idp.Config, _ *web.Server) { c.Provisioning = nil }})
	proot := admin(t, plain)
	papp, _, err := plain.Service.AddApp(ctx, proot, "default", idp.AppInput{GalleryID: "custom", Name: "Target"})
	must(t, err)
	res, err = plain.Service.TestProvisioningConnection(ctx, proot, "default", papp.ID, idp.TestConnectionInput{TenantURL: refuse.URL, Token: "t"})
	must(t, err)
	if res.OK || !strings.Contains(res.Message, "loopback") || !strings.Contains(res.Message, "--provisioning-allow-addresses") {
		t.Errorf("test of a loopback app without the setting = %+v", res)
	}
}

func TestProvisionOnDemandLimits(t *testing.T) {
	ctx := context.Background()
	srv := testserver.Start(t, testserver.Options{})
	root := admin(t, srv)
	app, _, err := srv.Service.AddApp(ctx, root, "default", idp.AppInput{GalleryID: "custom", Name: "Target"})
	must(t, err)
	big, err := srv.Service.CreateGroup(ctx, root, "default", idp.GroupInput{Name: "Big"})
	must(t, err)
	_, err = srv.Service.ProvisionOnDemand(ctx, root, "default", app.ID, gatehouse.ObjectGroup, big.ID)
	if gatehouse.ErrorCode(err) != gatehouse.EINVALID || !strings.Contains(gatehouse.ErrorMessage(err), "tenant URL and secret token first") {
		t.Errorf("on demand before set-up = %v", err)
	}
	url, tok := "https://scim.example.com/v2", "t0ken"
	_, err = srv.Service.UpdateProvisioning(ctx, root, "default", app.ID, idp.ProvisioningInput{TenantURL: &url, Token: &tok})
	must(t, err)
	for i := range 6 {
		u, _, err := srv.Service.CreateUser(ctx, root, "default", idp.UserInput{UserName: "m" + string(rune('a'+i)) + "@contoso.com", DisplayName: "M"})
		must(t, err)
		must(t, srv.Service.AddGroupMember(ctx, root, "default", big.ID, u.ID))
	}
	_, err = srv.Service.ProvisionOnDemand(ctx, root, "default", app.ID, gatehouse.ObjectGroup, big.ID)
	if gatehouse.ErrorField(err) != "objectId" || !strings.Contains(gatehouse.ErrorMessage(err), "at most 5 members; Big has 6") {
		t.Errorf("on demand of 6 members = %v", err)
	}
	_, err = srv.Service.ProvisionOnDemand(ctx, root, "default", app.ID, "device", big.ID)
	if gatehouse.ErrorField(err) != "objectType" {
		t.Errorf("on demand of a device = %v", err)
	}
}

// TestOverviewListsQuarantinedApps checks that an app in quarantine is on the directory's overview with the reason.
func TestOverviewListsQuarantinedApps(t *testing.T) {
	ctx := context.Background()
	srv := testserver.Start(t, testserver.Options{})
	root := admin(t, srv)
	app, _, err := srv.Service.AddApp(ctx, root, "default", idp.AppInput{GalleryID: "custom", Name: "Refusing"})
	must(t, err)
	refuse := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte(`{"detail":"Invalid API token"}`))
	}))
	defer refuse.Close()
	on, url, tok := gatehouse.ProvisioningAutomatic, refuse.URL, "t0ken"
	_, err = srv.Service.UpdateProvisioning(ctx, root, "default", app.ID, idp.ProvisioningInput{Mode: &on, TenantURL: &url, Token: &tok})
	must(t, err)
	waitFor(t, "the app is in quarantine", func() bool {
		o, err := srv.Service.Overview(ctx, root, "default")
		must(t, err)
		return len(o.Quarantined) == 1
	})
	o, _ := srv.Service.Overview(ctx, root, "default")
	if q := o.Quarantined[0]; q.AppName != "Refusing" || !strings.Contains(q.Reason, "HTTP 401") || !strings.Contains(q.Reason, "Invalid API token") {
		t.Errorf("quarantined = %+v", q)
	}
	// Retry now: probed at once; still refused, so still in quarantine, with one more failed probe.
	must(t, srv.Service.RetryProvisioning(ctx, root, "default", app.ID))
	waitFor(t, "the retry's probe", func() bool {
		v, err := srv.Service.FindProvisioning(ctx, root, "default", app.ID)
		must(t, err)
		return v.Status.Quarantine != nil && v.Status.Quarantine.Probes >= 1 && v.Status.RetryRequestedAt.IsZero()
	})
}
