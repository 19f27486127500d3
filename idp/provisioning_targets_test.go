package idp_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/demoapp"
	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/internal/scimtarget"
	"github.com/gatehouse-idp/gatehouse/internal/testserver"
)

// TestProvisioningToSCIMMY provisions to an independent SCIM service provider (SCIMMY with SCIMMY Routers, npm)
// and checks every change through that server's own API.
func TestProvisioningToSCIMMY(t *testing.T) {
	provisionAndCheck(t, scimtarget.Start(t, scimtarget.Options{}))
}

// TestProvisioningToDemoApp provisions to the demo app's SCIM service, shaped like Mixpanel's, and checks every
// change through the demo app's SCIM API.
func TestProvisioningToDemoApp(t *testing.T) {
	provisionAndCheck(t, startDemoSCIM(t, "contoso.com"))
}

// TestProvisioningToAnotherGatehouseThroughSCIM provisions to another Gatehouse's directory SCIM endpoint
// (outbound meets inbound) and checks every change through that endpoint, as a client of the second one would.
func TestProvisioningToAnotherGatehouseThroughSCIM(t *testing.T) {
	dst := testserver.Start(t, testserver.Options{})
	token, _, err := dst.Service.CreateSCIMToken(context.Background(), admin(t, dst), "default", "Gatehouse (upstream)")
	must(t, err)
	provisionAndCheck(t, &scimtarget.Reader{BaseURL: dst.Service.SCIMBaseURL("default"), Token: token})
}

// startDemoSCIM starts the demo app, and as its owner claims the domain and generates a SCIM token, as an admin
// does under Settings → Access security → SCIM.
func startDemoSCIM(t testing.TB, domain string) *scimtarget.Reader {
	t.Helper()
	ctx := context.Background()
	hs := httptest.NewUnstartedServer(nil)
	pub := "http://" + hs.Listener.Addr().String()
	app, err := demoapp.Open(ctx, demoapp.Config{PublicURL: pub, DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close() })
	hs.Config.Handler = app.Handler()
	hs.Start()
	t.Cleanup(hs.Close)
	const owner, pw = "owner@" + "acme.example", "owner password of the demo app"
	if _, _, err := app.EnsureOwner(ctx, owner, pw); err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	post := func(path string, form url.Values) string {
		resp, err := c.PostForm(pub+path, form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("POST %s: HTTP %d\n%s", path, resp.StatusCode, b)
		}
		return string(b)
	}
	post("/signin", url.Values{"email": {owner}, "password": {pw}})
	post("/settings/scim/domain", url.Values{"domain": {domain}})
	page := post("/settings/scim/token", nil)
	m := regexp.MustCompile(`id="scim-token" type="text" readonly value="([^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no token on the SCIM page:\n%s", page)
	}
	return &scimtarget.Reader{BaseURL: app.SCIMBaseURL(), Token: m[1]}
}

// provisionAndCheck turns on provisioning of an app to the target and checks each change there through the
// target's API: assign → created; rename → updated; a member of an assigned group → group member; unassign →
// active=false; assign again → active; delete → removed; leaving the scope with the delete action → removed.
func provisionAndCheck(t *testing.T, target *scimtarget.Reader) {
	ctx := context.Background()
	src := testserver.Start(t, testserver.Options{})
	root := admin(t, src)
	app, _, err := src.Service.AddApp(ctx, root, "default", idp.AppInput{GalleryID: "custom", Name: "Target"})
	must(t, err)

	// Test connection: a wrong token is named, the right one works.
	res, err := src.Service.TestProvisioningConnection(ctx, root, "default", app.ID,
		idp.TestConnectionInput{TenantURL: target.BaseURL, Token: "wrong-token"})
	if err != nil || res.OK || res.HTTPStatus != http.StatusUnauthorized {
		t.Errorf("test connection with a wrong token = %+v, %v; want HTTP 401 named", res, err)
	}
	res, err = src.Service.TestProvisioningConnection(ctx, root, "default", app.ID,
		idp.TestConnectionInput{TenantURL: target.BaseURL, Token: target.Token})
	if err != nil || !res.OK {
		t.Fatalf("test connection = %+v, %v", res, err)
	}
	on := gatehouse.ProvisioningAutomatic
	_, err = src.Service.UpdateProvisioning(ctx, root, "default", app.ID, idp.ProvisioningInput{Mode: &on, TenantURL: &target.BaseURL, Token: &target.Token})
	must(t, err)

	bob, _, err := src.Service.CreateUser(ctx, root, "default", idp.UserInput{UserName: "bob@contoso.com", FirstName: "Bob",
		LastName: "Jones", DisplayName: "Bob Jones", Mail: "bob@contoso.com"})
	must(t, err)
	_, err = src.Service.Assign(ctx, root, "default", app.ID, gatehouse.PrincipalUser, bob.ID)
	must(t, err)
	waitFor(t, "bob is created", func() bool { return target.User(t, "bob@contoso.com") != nil })
	if u := target.User(t, "bob@contoso.com"); u.String("displayName") != "Bob Jones" || !u.Active() {
		t.Errorf("bob at the target = %v", u)
	}

	name := "Robert Jones"
	_, err = src.Service.UpdateUser(ctx, root, "default", bob.ID, idp.UserPatch{DisplayName: &name})
	must(t, err)
	waitFor(t, "bob's display name is updated", func() bool { return target.User(t, "bob@contoso.com").String("displayName") == name })

	sales, err := src.Service.CreateGroup(ctx, root, "default", idp.GroupInput{Name: "Sales"})
	must(t, err)
	alice, _, err := src.Service.CreateUser(ctx, root, "default", idp.UserInput{UserName: "alice@contoso.com", DisplayName: "Alice"})
	must(t, err)
	must(t, src.Service.AddGroupMember(ctx, root, "default", sales.ID, alice.ID))
	_, err = src.Service.Assign(ctx, root, "default", app.ID, gatehouse.PrincipalGroup, sales.ID)
	must(t, err)
	members := func() []string { m := target.Members(t, "Sales"); slices.Sort(m); return m }
	waitFor(t, "Sales has alice", func() bool { return slices.Equal(members(), []string{"alice@contoso.com"}) })
	must(t, src.Service.AddGroupMember(ctx, root, "default", sales.ID, bob.ID))
	waitFor(t, "bob joins Sales", func() bool { return slices.Equal(members(), []string{"alice@contoso.com", "bob@contoso.com"}) })

	as, err := src.Service.FindAssignments(ctx, root, "default", app.ID)
	must(t, err)
	for _, a := range as {
		if a.PrincipalID == bob.ID {
			must(t, src.Service.Unassign(ctx, root, "default", app.ID, a.ID))
		}
	}
	must(t, src.Service.RemoveGroupMember(ctx, root, "default", sales.ID, bob.ID))
	waitFor(t, "bob is deactivated", func() bool { return !target.User(t, "bob@contoso.com").Active() })
	waitFor(t, "bob left Sales", func() bool { return slices.Equal(members(), []string{"alice@contoso.com"}) })

	_, err = src.Service.Assign(ctx, root, "default", app.ID, gatehouse.PrincipalUser, bob.ID)
	must(t, err)
	waitFor(t, "bob is active again", func() bool { return target.User(t, "bob@contoso.com").Active() })
	must(t, src.Service.DeleteUser(ctx, root, "default", bob.ID))
	waitFor(t, "bob is removed", func() bool { return target.User(t, "bob@contoso.com") == nil })

	// On demand shows its steps, each a success.
	out, err := src.Service.ProvisionOnDemand(ctx, root, "default", app.ID, gatehouse.ObjectUser, alice.ID)
	must(t, err)
	if len(out.Events) != 1 || len(out.Events[0].Steps) < 5 {
		t.Fatalf("on demand = %+v", out)
	}
	for _, s := range out.Events[0].Steps {
		if s.Result != gatehouse.ResultSuccess && s.Result != gatehouse.ResultSkipped {
			t.Errorf("on demand step %+v", s)
		}
	}

	// With the delete action, a user who leaves the scope is removed.
	del := gatehouse.DeprovisionDelete
	_, err = src.Service.UpdateProvisioning(ctx, root, "default", app.ID, idp.ProvisioningInput{LeaveAction: &del})
	must(t, err)
	must(t, src.Service.RemoveGroupMember(ctx, root, "default", sales.ID, alice.ID))
	waitFor(t, "alice is removed", func() bool { return target.User(t, "alice@contoso.com") == nil })

	// The metrics count the actions by app, action and result.
	rec := httptest.NewRecorder()
	src.Metrics.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, want := range []string{
		`gatehouse_provisioning_actions_total{action="create",app="` + app.ID + `",result="success"}`,
		`gatehouse_provisioning_actions_total{action="delete",app="` + app.ID + `",result="success"}`,
		"gatehouse_provisioning_queue_depth ",
	} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("the metrics lack %s", want)
		}
	}

	failed, _, err := src.Service.FindProvisioningEvents(ctx, root, "default", gatehouse.ProvisioningFilter{Result: gatehouse.ResultFailure})
	must(t, err)
	for _, e := range failed {
		t.Errorf("failed: %s %s %s: %s (HTTP %d %s)", e.Action, e.ObjectType, e.SourceName, e.Reason, e.HTTPStatus, e.ErrorBody)
	}
}

// TestProvisioningQuarantineForWrongTokenAtSCIMMY turns provisioning on with a wrong token for an independent SCIM
// server: the app goes into quarantine with a message naming the refusal, and the right token and Retry now bring
// it out, with nothing lost.
func TestProvisioningQuarantineForWrongTokenAtSCIMMY(t *testing.T) {
	ctx := context.Background()
	target := scimtarget.Start(t, scimtarget.Options{})
	src := testserver.Start(t, testserver.Options{})
	root := admin(t, src)
	app, _, err := src.Service.AddApp(ctx, root, "default", idp.AppInput{GalleryID: "custom", Name: "Target"})
	must(t, err)
	on, wrong := gatehouse.ProvisioningAutomatic, "not-the-token"
	_, err = src.Service.UpdateProvisioning(ctx, root, "default", app.ID, idp.ProvisioningInput{Mode: &on, TenantURL: &target.BaseURL, Token: &wrong})
	must(t, err)
	bob, _, err := src.Service.CreateUser(ctx, root, "default", idp.UserInput{UserName: "bob@contoso.com", DisplayName: "Bob"})
	must(t, err)
	_, err = src.Service.Assign(ctx, root, "default", app.ID, gatehouse.PrincipalUser, bob.ID)
	must(t, err)
	var q *gatehouse.Quarantine
	waitFor(t, "the app is in quarantine", func() bool {
		v, err := src.Service.FindProvisioning(ctx, root, "default", app.ID)
		must(t, err)
		if v.Status != nil {
			q = v.Status.Quarantine
		}
		return q != nil
	})
	if !strings.Contains(q.Reason, "401") {
		t.Errorf("quarantine reason %q does not name the app's HTTP 401", q.Reason)
	}
	if target.User(t, "bob@contoso.com") != nil {
		t.Fatal("bob was created with a wrong token")
	}
	_, err = src.Service.UpdateProvisioning(ctx, root, "default", app.ID, idp.ProvisioningInput{Token: &target.Token})
	must(t, err)
	must(t, src.Service.RetryProvisioning(ctx, root, "default", app.ID))
	waitFor(t, "bob is created once the token is right", func() bool { return target.User(t, "bob@contoso.com") != nil })
	waitFor(t, "the app leaves quarantine", func() bool {
		v, err := src.Service.FindProvisioning(ctx, root, "default", app.ID)
		must(t, err)
		return v.Status != nil && v.Status.Quarantine == nil
	})
}
