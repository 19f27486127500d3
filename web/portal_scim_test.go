package web_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/internal/scimref"
	"github.com/gatehouse-idp/gatehouse/internal/testserver"
)

// TestPortalSCIMTokens: the settings page shows the SCIM tenant URL; a global admin creates a token there, sees its
// secret once, the token provisions a user whose page says where they came from and that they have no password,
// and revoking the token stops it.
func TestPortalSCIMTokens(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	c := adminClient(t, srv)
	settings := c.get("/admin/d/default/settings")
	if settings.Status != http.StatusOK || !strings.Contains(settings.Body, srv.URL+"/d/default/scim/v2") ||
		!strings.Contains(settings.Body, `id="no-scim-tokens"`) {
		t.Fatalf("settings page (%d) lacks the tenant URL or the no-token note:\n%s", settings.Status, settings.Body)
	}
	if r := c.post("/admin/d/default/settings/scim-tokens", url.Values{"name": {""}}); r.Status != http.StatusBadRequest ||
		!strings.Contains(r.Body, `id="error-scim-token-name"`) {
		t.Errorf("an empty name: status %d, no field error\n%s", r.Status, r.Body)
	}
	post := c.post("/admin/d/default/settings/scim-tokens", url.Values{"name": {"Entra ID"}})
	if post.Status != http.StatusSeeOther || !strings.HasPrefix(post.Location, "/admin/d/default/settings/scim-tokens/") {
		t.Fatalf("create token: status %d to %q", post.Status, post.Location)
	}
	created := c.get(post.Location)
	m := regexp.MustCompile(`id="scim-secret-token">([^<]+)<`).FindStringSubmatch(created.Body)
	if created.Status != http.StatusOK || m == nil || created.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("the new token's page: status %d, Cache-Control %q\n%s", created.Status, created.Header.Get("Cache-Control"), created.Body)
	}
	secret := html.UnescapeString(m[1])
	if again := c.get(post.Location); strings.Contains(again.Body, secret) || !strings.Contains(again.Body, `id="secret-gone"`) {
		t.Error("reloading the new token's page shows its secret again")
	}

	e := &scimEnv{t: t, srv: srv, ref: scimref.Get(t), token: secret, base: srv.URL + "/d/default/scim/v2", client: &http.Client{}}
	doc := e.must(http.StatusCreated, "POST", "/Users", map[string]any{"userName": "p.user@contoso.com",
		"externalId": "E-1", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": map[string]any{"department": "Sales"}}).Doc
	page := c.get("/admin/d/default/users/" + doc["id"].(string))
	for _, want := range []string{`id="user-source">from SCIM provisioning`, `id="user-status">No password yet`, `id="no-password"`, "E-1", "Sales"} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("the provisioned user's page lacks %q", want)
		}
	}

	if list := c.get("/admin/d/default/users"); !strings.Contains(list.Body, `<td data-label="Source">SCIM</td>`) || !strings.Contains(list.Body, "No password yet") {
		t.Errorf("the users page does not show the provisioned user's source and missing password:\n%s", list.Body)
	}

	settings = c.get("/admin/d/default/settings")
	ids := regexp.MustCompile(`id="revoke-scim-token-([a-z0-9]+)"`).FindStringSubmatch(settings.Body)
	if ids == nil || !strings.Contains(settings.Body, "Entra ID") {
		t.Fatalf("the settings page does not list the token:\n%s", settings.Body)
	}
	if strings.Contains(settings.Body, secret) {
		t.Error("the settings page shows the token's secret again")
	}
	if r := c.post("/admin/d/default/settings/scim-tokens/"+ids[1]+"/revoke", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("revoke: status %d", r.Status)
	}
	e.wantError(http.StatusUnauthorized, "", "GET", "/Users", nil)

	// A user admin sees the tenant URL but cannot create tokens.
	mustUser(t, srv, "ua@contoso.com", "User Admin", gatehouse.RoleUserAdmin)
	ua := newPortalClient(t, srv)
	ua.signIn("default", "ua@contoso.com", userPassword)
	if p := ua.get("/admin/d/default/settings"); !strings.Contains(p.Body, "Only global admins can create and revoke SCIM tokens") {
		t.Errorf("a user admin's settings page:\n%s", p.Body)
	}
	if r := ua.post("/admin/d/default/settings/scim-tokens", url.Values{"name": {"Okta"}}); r.Status != http.StatusForbidden {
		t.Errorf("a user admin created a SCIM token: status %d", r.Status)
	}
}
