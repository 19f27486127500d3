package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/apiclient"
	"github.com/gatehouse-idp/gatehouse/internal/testserver"
)

// provisioningEnv is a Gatehouse (src) with an app provisioned, over the REST API, to another Gatehouse's directory
// SCIM endpoint (dst).
type provisioningEnv struct {
	t        *testing.T
	src, dst *testserver.Server
	api      *apiclient.Client
	app      *gatehouse.App
	scimURL  string
	token    string
}

func newProvisioningEnv(t *testing.T) *provisioningEnv {
	t.Helper()
	ctx := context.Background()
	e := &provisioningEnv{t: t, src: testserver.Start(t, testserver.Options{}), dst: testserver.Start(t, testserver.Options{})}
	var err error
	if e.token, _, err = e.dst.Service.CreateSCIMToken(ctx, mustAdmin(t, e.dst), "default", "Upstream"); err != nil {
		t.Fatal(err)
	}
	e.scimURL = e.dst.Service.SCIMBaseURL("default")
	tok, _, err := e.src.Service.Login(ctx, "default", testserver.AdminUser, testserver.AdminPassword, "test")
	if err != nil {
		t.Fatal(err)
	}
	e.api = apiclient.New(e.src.URL, tok, nil)
	e.app = mustApp(t, e.src, "custom", nil)
	return e
}

func (e *provisioningEnv) at(name string) *gatehouse.User {
	u, err := e.dst.Store.FindUserByName(context.Background(), "default", name)
	if gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND {
		return nil
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(20 * time.Millisecond) // polling the condition
	}
}

func TestProvisioningAPI(t *testing.T) {
	ctx := context.Background()
	e := newProvisioningEnv(t)
	p, err := e.api.GetProvisioning(ctx, "default", e.app.ID)
	if err != nil || p.Configured || p.Settings.Mode != gatehouse.ProvisioningOff || len(p.Settings.UserMappings) == 0 {
		t.Fatalf("provisioning before set-up = %+v, %v", p, err)
	}
	// A failed test names the status and the body; a good one works.
	res, err := e.api.TestProvisioning(ctx, "default", e.app.ID, apiclient.ConnectionTest{TenantURL: e.scimURL, Token: "ghs_wrong"})
	if err != nil || res.OK || res.HTTPStatus != 401 || !strings.Contains(res.Message, "HTTP 401") {
		t.Errorf("test with a wrong token = %+v, %v", res, err)
	}
	if res, err = e.api.TestProvisioning(ctx, "default", e.app.ID, apiclient.ConnectionTest{TenantURL: e.scimURL, Token: e.token}); err != nil || !res.OK {
		t.Fatalf("test = %+v, %v", res, err)
	}
	// Bad input is a 400 naming the field.
	bad := "ftp://x"
	_, err = e.api.UpdateProvisioning(ctx, "default", e.app.ID, apiclient.ProvisioningPatch{TenantURL: &bad})
	var ae *apiclient.Error
	if !asAPIError(err, &ae) || ae.Status != http.StatusBadRequest || ae.Field != "tenantUrl" {
		t.Errorf("a bad tenant URL = %v", err)
	}
	on := gatehouse.ProvisioningAutomatic
	p, err = e.api.UpdateProvisioning(ctx, "default", e.app.ID, apiclient.ProvisioningPatch{Mode: &on, TenantURL: &e.scimURL, Token: &e.token})
	if err != nil || !p.TokenSet || !p.Configured {
		t.Fatalf("turning on = %+v, %v", p, err)
	}
	// The token never comes back, in any answer.
	raw := apiGet(t, e.src, e.api, "/api/v1/directories/default/apps/"+e.app.ID+"/provisioning")
	if strings.Contains(raw, e.token) || strings.Contains(raw, "sealedToken") {
		t.Errorf("the token is in the answer: %s", raw)
	}

	// Assign a user; the push shows in the log with its changes.
	u := mustUser(t, e.src, "b.simon@contoso.com", "B.Simon", gatehouse.RoleUser)
	if _, err := e.api.CreateAssignment(ctx, "default", e.app.ID, apiclient.AssignmentInput{PrincipalType: "user", PrincipalID: u.ID}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "B.Simon is provisioned", func() bool { return e.at("b.simon@contoso.com") != nil })
	var log []*gatehouse.ProvisioningEvent
	eventually(t, "the create is logged", func() bool {
		log, _, err = e.api.AppProvisioningLog(ctx, "default", e.app.ID, apiclient.ProvisioningLogQuery{Object: "simon", Action: "create"})
		return err == nil && len(log) == 1
	})
	if log[0].Result != gatehouse.ResultSuccess || log[0].TargetID != e.at("b.simon@contoso.com").ID || len(log[0].Changes) == 0 ||
		!strings.Contains(log[0].Target, "allowed by --provisioning-allow-addresses") {
		t.Errorf("the create's entry = %+v", log[0])
	}
	one, err := e.api.GetProvisioningEvent(ctx, "default", log[0].ID)
	if err != nil || one.ID != log[0].ID {
		t.Errorf("GetProvisioningEvent = %+v, %v", one, err)
	}
	all, total, err := e.api.ProvisioningLog(ctx, "default", apiclient.ProvisioningLogQuery{App: e.app.ID, Since: time.Now().Add(-time.Hour)})
	if err != nil || total < 1 || len(all) != total {
		t.Errorf("directory log = %d of %d, %v", len(all), total, err)
	}
	if _, _, err := e.api.ProvisioningLog(ctx, "default", apiclient.ProvisioningLogQuery{App: "nope"}); !asAPIError(err, &ae) || ae.Status != 404 {
		t.Errorf("log of an unknown app = %v", err)
	}

	// On demand, retry and restart.
	od, err := e.api.ProvisionOnDemand(ctx, "default", e.app.ID, "user", u.ID)
	if err != nil || len(od.Events) != 1 || len(od.Events[0].Steps) != 5 {
		t.Fatalf("on demand = %+v, %v", od, err)
	}
	if err := e.api.RetryProvisioning(ctx, "default", e.app.ID); err != nil {
		t.Error(err)
	}
	if err := e.api.RestartProvisioning(ctx, "default", e.app.ID); err != nil {
		t.Error(err)
	}
	// A user admin may read, not change.
	mustUser(t, e.src, "people@contoso.com", "People", gatehouse.RoleUserAdmin)
	tok, _, err := e.src.Service.Login(ctx, "default", "people@contoso.com", userPassword, "test")
	if err != nil {
		t.Fatal(err)
	}
	people := apiclient.New(e.src.URL, tok, nil)
	if _, err := people.GetProvisioning(ctx, "default", e.app.ID); err != nil {
		t.Errorf("a user admin cannot read: %v", err)
	}
	if err := people.RestartProvisioning(ctx, "default", e.app.ID); !asAPIError(err, &ae) || ae.Status != 403 {
		t.Errorf("a user admin restarted provisioning: %v", err)
	}
}

func asAPIError(err error, target **apiclient.Error) bool {
	e, ok := err.(*apiclient.Error)
	if ok {
		*target = e
	}
	return ok
}

// apiGet returns the raw body of a GET.
func apiGet(t *testing.T, srv *testserver.Server, c *apiclient.Client, path string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	tok, _, err := srv.Service.Login(context.Background(), "default", testserver.AdminUser, testserver.AdminPassword, "raw")
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return b.String()
}

func TestPortalProvisioning(t *testing.T) {
	e := newProvisioningEnv(t)
	c := adminClient(t, e.src)
	page := "/admin/d/default/apps/" + e.app.ID + "/provisioning"
	p := c.get(page)
	if p.Status != 200 || !strings.Contains(p.Body, `id="provisioning-form"`) || !strings.Contains(p.Body, `id="tab-provisioning"`) {
		t.Fatalf("the Provisioning page: %d\n%s", p.Status, p.Body)
	}
	// Test connection with what was typed, saving nothing.
	form := url.Values{"mode": {"off"}, "tenantUrl": {e.scimURL}, "token": {e.token}, "scope": {"assigned"},
		"matchAttribute": {"userName"}, "leaveAction": {"disable"}, "deleteAction": {"delete"}, "updateMethod": {"auto"}, "groups": {"on"}}
	p = c.post(page+"/test", form)
	if p.Status != 200 || !strings.Contains(p.Body, `data-ok="true"`) || !strings.Contains(p.Body, `id="test-ok"`) {
		t.Fatalf("test connection: %d\n%s", p.Status, p.Body)
	}
	if strings.Contains(p.Body, e.token) {
		t.Error("the page shows the token")
	}
	form.Set("token", "ghs_wrong")
	p = c.post(page+"/test", form)
	if !strings.Contains(p.Body, `data-ok="false"`) || !strings.Contains(p.Body, "HTTP 401 Unauthorized") {
		t.Errorf("test with a wrong token:\n%s", p.Body)
	}
	// Save: on, with the token; the page shows that a token is set, never the token.
	form.Set("token", e.token)
	form.Set("mode", "automatic")
	p = c.post(page, form)
	if p.Status != http.StatusSeeOther {
		t.Fatalf("save: %d\n%s", p.Status, p.Body)
	}
	p = c.get(page)
	if strings.Contains(p.Body, e.token) || !strings.Contains(p.Body, "Set on") || !strings.Contains(p.Body, `data-mode="automatic"`) {
		t.Errorf("the page after saving shows the token, or not that one is set:\n%s", p.Body)
	}
	// A bad mapping expression is named on its table.
	p = c.post(page+"/mappings", url.Values{"set": {"user"}, "rows": {"2"}, "target.0": {"userName"}, "kind.0": {"direct"},
		"source.0": {"userName"}, "apply.0": {"always"}, "target.1": {"displayName"}, "kind.1": {"expression"},
		"value.1": {"Join(\" \", [givenName]"}, "apply.1": {"always"}})
	if p.Status != 400 || !strings.Contains(p.Body, `id="error-userMappings"`) || !strings.Contains(p.Body, "Join( has no closing )") {
		t.Errorf("a bad expression: %d\n%s", p.Status, p.Body)
	}
	p = c.post(page+"/mappings", url.Values{"set": {"user"}, "rows": {"2"}, "target.0": {"userName"}, "kind.0": {"direct"},
		"source.0": {"userName"}, "apply.0": {"always"}, "target.1": {"displayName"}, "kind.1": {"expression"},
		"value.1": {`Join(" ", [givenName], [surname])`}, "apply.1": {"always"}})
	if p.Status != http.StatusSeeOther {
		t.Fatalf("saving mappings: %d\n%s", p.Status, p.Body)
	}
	v, err := e.api.GetProvisioning(context.Background(), "default", e.app.ID)
	if err != nil || len(v.Settings.UserMappings) != 2 || v.Settings.UserMappings[1].Expression != `Join(" ", [givenName], [surname])` {
		t.Fatalf("mappings after saving = %+v, %v", v.Settings.UserMappings, err)
	}

	// Provision on demand shows the steps.
	mustUser(t, e.src, "b.simon@contoso.com", "B.Simon", gatehouse.RoleUser)
	p = c.post(page+"/on-demand", url.Values{"type": {"user"}, "name": {"b.simon@contoso.com"}})
	for _, want := range []string{`id="on-demand-result"`, `data-step="connection" data-result="success"`, `data-step="source"`,
		`data-step="scope" data-result="skipped"`, "not assigned to the app"} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("on demand of an unassigned user lacks %s:\n%s", want, p.Body)
		}
	}
	p = c.post(page+"/on-demand", url.Values{"type": {"user"}, "name": {"nobody@contoso.com"}})
	if !strings.Contains(p.Body, `id="error-onDemand"`) {
		t.Errorf("on demand of nobody:\n%s", p.Body)
	}

	// The log: the on-demand entry, with filters, and its detail page.
	p = c.get("/admin/d/default/provisioning?app=" + e.app.ID + "&result=skipped&object=simon")
	if p.Status != 200 || !strings.Contains(p.Body, `data-result="skipped"`) {
		t.Fatalf("the log: %d\n%s", p.Status, p.Body)
	}
	id := regexp1(p.Body, `data-event-id="([a-z0-9]+)"`)
	p = c.get("/admin/d/default/provisioning/" + id)
	if p.Status != 200 || !strings.Contains(p.Body, `id="event-target"`) || !strings.Contains(p.Body, "loopback") {
		t.Errorf("the entry's page: %d\n%s", p.Status, p.Body)
	}
	p = c.get("/admin/d/default/provisioning?action=create")
	if !strings.Contains(p.Body, `id="no-events"`) {
		t.Errorf("the log filtered by an action that never happened:\n%s", p.Body)
	}
}

// regexp1 returns the first submatch of re in s, or "".
func regexp1(s, re string) string {
	if m := regexp.MustCompile(re).FindStringSubmatch(s); m != nil {
		return m[1]
	}
	return ""
}
