package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/internal/testserver"
)

// TestPortalPermissions checks that each role reaches only what it may (SECURITY-CASES 34, 35): the portal asks
// the same services as the API, so a page never allows what the API refuses.
func TestPortalPermissions(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	app := mustApp(t, srv, "mixpanel", map[string]string{"org_id": "1"})
	target := mustUser(t, srv, "target@contoso.com", "Target", gatehouse.RoleUser)
	roles := map[gatehouse.Role]*portalClient{}
	for _, r := range []gatehouse.Role{gatehouse.RoleUser, gatehouse.RoleUserAdmin, gatehouse.RoleAppAdmin} {
		mustUser(t, srv, string(r)+"@contoso.com", string(r), r)
		c := newPortalClient(t, srv)
		c.signIn("default", string(r)+"@contoso.com", userPassword)
		roles[r] = c
	}
	roles[gatehouse.RoleGlobalAdmin] = adminClient(t, srv)
	// An admin of another directory.
	ctx := context.Background()
	admin := mustAdmin(t, srv)
	if err := srv.Service.CreateDirectory(ctx, admin, &gatehouse.Directory{ID: "fabrikam", Name: "Fabrikam"}); err != nil {
		t.Fatal(err)
	}
	fu, temp, err := srv.Service.CreateUser(ctx, admin, "fabrikam", idp.UserInput{UserName: "admin@fabrikam.com", DisplayName: "F", Role: gatehouse.RoleGlobalAdmin})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Service.ChangePassword(ctx, fu, temp, userPassword); err != nil {
		t.Fatal(err)
	}
	other := newPortalClient(t, srv)
	other.signIn("fabrikam", "admin@fabrikam.com", userPassword)

	base := "/admin/d/default"
	type req struct {
		method, path string
		form         url.Values
	}
	requests := map[string]req{
		"overview":      {"GET", base + "/", nil},
		"sso page":      {"GET", base + "/apps/" + app.ID + "/sso", nil},
		"create user":   {"POST", base + "/users", url.Values{"userName": {"new@contoso.com"}, "displayName": {"N"}, "role": {"user"}}},
		"disable user":  {"POST", base + "/users/" + target.ID + "/disable", nil},
		"save basic":    {"POST", base + "/apps/" + app.ID + "/sso/basic", url.Values{"entityId": {"https://x.example"}, "replyUrls": {"https://x.example/acs"}}},
		"assign":        {"POST", base + "/apps/" + app.ID + "/users", url.Values{"type": {"user"}, "principal": {"target@contoso.com"}}},
		"create group":  {"POST", base + "/groups", url.Values{"name": {"G"}}},
		"new directory": {"POST", "/admin/directories", url.Values{"id": {"x"}, "name": {"X"}}},
		"preview":       {"GET", base + "/apps/" + app.ID + "/preview?user=" + target.ID, nil},
		"download":      {"GET", base + "/apps/" + app.ID + "/certificates/active/download?format=pem", nil},
		"sign-in log":   {"GET", base + "/sign-ins", nil},
		"audit log":     {"GET", base + "/audit", nil},
	}
	ok := func(s int) bool { return s == 200 || s == 303 }
	tests := []struct {
		who     string
		c       *portalClient
		request string
		allowed bool
	}{
		{"user", roles[gatehouse.RoleUser], "overview", false},
		{"user", roles[gatehouse.RoleUser], "sso page", false},
		{"user", roles[gatehouse.RoleUser], "download", false},
		{"user", roles[gatehouse.RoleUser], "create user", false},
		{"user-admin", roles[gatehouse.RoleUserAdmin], "overview", true},
		{"user-admin", roles[gatehouse.RoleUserAdmin], "sso page", true},
		{"user-admin", roles[gatehouse.RoleUserAdmin], "create user", true},
		{"user-admin", roles[gatehouse.RoleUserAdmin], "create group", true},
		{"user-admin", roles[gatehouse.RoleUserAdmin], "save basic", false},
		{"user-admin", roles[gatehouse.RoleUserAdmin], "assign", false},
		{"user-admin", roles[gatehouse.RoleUserAdmin], "new directory", false},
		{"app-admin", roles[gatehouse.RoleAppAdmin], "save basic", true},
		{"app-admin", roles[gatehouse.RoleAppAdmin], "assign", true},
		{"app-admin", roles[gatehouse.RoleAppAdmin], "disable user", false},
		{"app-admin", roles[gatehouse.RoleAppAdmin], "create group", false},
		{"app-admin", roles[gatehouse.RoleAppAdmin], "preview", true},
		{"app-admin", roles[gatehouse.RoleAppAdmin], "sign-in log", true},
		{"global-admin", roles[gatehouse.RoleGlobalAdmin], "disable user", true},
		{"global-admin", roles[gatehouse.RoleGlobalAdmin], "audit log", true},
		{"admin of another directory", other, "overview", false},
		{"admin of another directory", other, "sso page", false},
		{"admin of another directory", other, "download", false},
		{"admin of another directory", other, "assign", false},
	}
	for _, tt := range tests {
		t.Run(tt.who+" "+tt.request, func(t *testing.T) {
			rq := requests[tt.request]
			var p *portalResp
			if rq.method == "GET" {
				p = tt.c.get(rq.path)
			} else {
				p = tt.c.post(rq.path, rq.form)
			}
			switch {
			case tt.allowed && !ok(p.Status):
				t.Errorf("status %d, want success\n%s", p.Status, p.Body)
			case !tt.allowed && p.Status != http.StatusForbidden:
				t.Errorf("status %d, want 403\n%.300s", p.Status, p.Body)
			case !tt.allowed && idOf(p.Body, "error-code") != gatehouse.EFORBIDDEN:
				t.Errorf("the 403 page lacks the code: %q", idOf(p.Body, "error-code"))
			}
		})
	}
	// Another directory's object under one's own directory is not found (SECURITY-CASES 35).
	if p := other.get("/admin/d/fabrikam/apps/" + app.ID + "/sso"); p.Status != http.StatusNotFound {
		t.Errorf("another directory's app: status %d, want 404", p.Status)
	}
	if p := other.get("/admin/d/fabrikam/users/" + target.ID); p.Status != http.StatusNotFound {
		t.Errorf("another directory's user: status %d, want 404", p.Status)
	}
}

// TestPortalEscapesMarkup is SECURITY-CASES 37: markup in names and values is shown as text on every portal page.
func TestPortalEscapesMarkup(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	c := adminClient(t, srv)
	const evil = `<script>alert("x")</script>`
	ctx := context.Background()
	admin := mustAdmin(t, srv)
	u, _, err := srv.Service.CreateUser(ctx, admin, "default", idp.UserInput{UserName: "evil@contoso.com", DisplayName: evil, FirstName: evil, LastName: evil, Mail: "evil@contoso.com"})
	if err != nil {
		t.Fatal(err)
	}
	a, _, err := srv.Service.AddApp(ctx, admin, "default", idp.AppInput{GalleryID: "custom", Name: evil})
	if err != nil {
		t.Fatal(err)
	}
	settings := a.SAML
	settings.EntityID = "https://evil.example/<b>"
	settings.ReplyURLs = []string{"https://evil.example/acs?a=<script>"}
	settings.RelayState = evil
	settings.Claims = append(settings.Claims, gatehouse.Claim{Name: "x", Value: evil})
	notes := evil
	if _, err := srv.Service.UpdateApp(ctx, admin, "default", a.ID, idp.AppPatch{SAML: &settings, Notes: &notes}); err != nil {
		t.Fatal(err)
	}
	g, err := srv.Service.CreateGroup(ctx, admin, "default", idp.GroupInput{Name: evil, Description: evil})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Service.AddGroupMember(ctx, admin, "default", g.ID, u.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Service.Assign(ctx, admin, "default", a.ID, "user", u.ID); err != nil {
		t.Fatal(err)
	}
	// A failed sign-in with markup in the user name lands in the sign-in log.
	evilLogin := newPortalClient(t, srv)
	evilLogin.post("/d/default/login", url.Values{"userName": {evil}, "password": {"x"}})

	base := "/admin/d/default"
	pages := []string{
		base + "/users", base + "/users?q=" + url.QueryEscape(evil), base + "/users/" + u.ID, base + "/users/" + u.ID + "/delete",
		base + "/groups", base + "/groups/" + g.ID, base + "/apps", base + "/apps?q=" + url.QueryEscape(evil),
		base + "/apps/" + a.ID + "/sso", base + "/apps/" + a.ID + "/sso/claim?name=x", base + "/apps/" + a.ID + "/users",
		base + "/apps/" + a.ID + "/properties", base + "/apps/" + a.ID + "/preview?user=" + u.ID, base + "/apps/" + a.ID + "/delete",
		base + "/apps/gallery?q=" + url.QueryEscape(evil), base + "/sign-ins", base + "/audit", base + "/", "/admin/directories",
	}
	for _, path := range pages {
		p := c.get(path)
		if p.Status != 200 {
			t.Errorf("GET %s: status %d", path, p.Status)
			continue
		}
		if strings.Contains(p.Body, "<script>alert") || strings.Contains(p.Body, "<b>") {
			t.Errorf("GET %s: markup is not escaped", path)
		}
	}
	// The edit form echoes a rejected value escaped too.
	p := c.post(base+"/users", url.Values{"userName": {evil}, "displayName": {evil}, "role": {"user"}})
	if p.Status != 400 || strings.Contains(p.Body, "<script>alert") {
		t.Errorf("rejected form: status %d, escaped: %v", p.Status, !strings.Contains(p.Body, "<script>alert"))
	}
}

// TestPortalRefusesCrossOriginPosts is SECURITY-CASES 29 for the portal: a form posted from another site is
// refused, and nothing changes.
func TestPortalRefusesCrossOriginPosts(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	c := adminClient(t, srv)
	tests := []struct {
		name    string
		headers map[string]string
	}{
		{"cross-site fetch metadata", map[string]string{"Sec-Fetch-Site": "cross-site"}},
		{"foreign origin", map[string]string{"Origin": "https://evil.example"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := url.Values{"userName": {"csrf@contoso.com"}, "displayName": {"C"}, "role": {"global-admin"}}
			req, err := http.NewRequest(http.MethodPost, srv.URL+"/admin/d/default/users", strings.NewReader(form.Encode()))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for k, v := range tt.headers {
				req.Header.Set(k, v)
			}
			p := c.do(req)
			if p.Status != http.StatusForbidden {
				t.Errorf("status %d, want 403", p.Status)
			}
			if _, total, _ := srv.Store.FindUsers(context.Background(), "default", gatehouse.UserFilter{Query: "csrf"}); total != 0 {
				t.Error("the cross-origin post created a user")
			}
		})
	}
}

// TestPortalNextIsLocal checks that the sign-in page the portal sends to keeps only local paths (SECURITY-CASES 30).
func TestPortalNextIsLocal(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	c := newPortalClient(t, srv)
	for _, next := range []string{"https://evil.example/admin/", "//evil.example/", "/\\evil.example"} {
		p := c.post("/d/default/login", url.Values{"userName": {testserver.AdminUser}, "password": {testserver.AdminPassword}, "next": {next}})
		if p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location, "/") || strings.HasPrefix(p.Location, "//") {
			t.Errorf("next=%q: redirect to %q", next, p.Location)
		}
	}
	p := c.post("/d/default/login", url.Values{"userName": {testserver.AdminUser}, "password": {testserver.AdminPassword}, "next": {"/admin/d/default/users"}})
	if p.Location != "/admin/d/default/users" {
		t.Errorf("a local next: redirect to %q", p.Location)
	}
}
