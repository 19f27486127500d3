package web_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/internal/testserver"
)

// TestPortalFeedbackAfterEveryAction makes every kind of change the portal offers and checks that each one
// redirects (POST/redirect/GET) to a page that says what was done, once: a reload shows the page without it.
func TestPortalFeedbackAfterEveryAction(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	ctx := context.Background()
	c := adminClient(t, srv)
	admin := mustAdmin(t, srv)
	u := mustUser(t, srv, "b.simon@contoso.com", "B. Simon", gatehouse.RoleUser)
	gone := mustUser(t, srv, "leaver@contoso.com", "Leaver", gatehouse.RoleUser)
	app := mustApp(t, srv, "mixpanel", map[string]string{"org_id": "1"})
	doomed := mustApp(t, srv, "custom", nil)
	g, err := srv.Service.CreateGroup(ctx, admin, "default", idp.GroupInput{Name: "Sales"})
	if err != nil {
		t.Fatal(err)
	}
	base := "/admin/d/default"
	appBase := base + "/apps/" + app.ID
	// assignment returns the ID of the app's newest assignment.
	assignment := func() string {
		as, err := srv.Service.FindAssignments(ctx, admin, "default", app.ID)
		if err != nil || len(as) == 0 {
			t.Fatalf("no assignment: %v", err)
		}
		return as[len(as)-1].ID
	}
	nextCertificate := func() string {
		cs, err := srv.Service.CertificateList(ctx, admin, "default", app.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			if c.State == idp.CertNext {
				return c.ID
			}
		}
		t.Fatal("no next certificate")
		return ""
	}
	steps := []struct {
		name string
		path func() string
		form url.Values
		// to is where the change leads; say what the page then says.
		to, say string
	}{
		{"create a group", func() string { return base + "/groups" }, url.Values{"name": {"Marketing"}}, base + "/groups/", "Created the group Marketing."},
		{"rename a group", func() string { return base + "/groups/" + g.ID }, url.Values{"name": {"Sales EMEA"}, "description": {"x"}}, base + "/groups/" + g.ID, "Saved the group Sales EMEA."},
		{"add a member", func() string { return base + "/groups/" + g.ID + "/members" }, url.Values{"user": {u.UserName}}, base + "/groups/" + g.ID, "Added b.simon@contoso.com to the group."},
		{"remove a member", func() string { return base + "/groups/" + g.ID + "/members/" + u.ID + "/remove" }, nil, base + "/groups/" + g.ID, "Removed b.simon@contoso.com from the group."},
		{"delete a group", func() string { return base + "/groups/" + g.ID + "/delete" }, nil, base + "/groups", "Deleted the group Sales EMEA."},
		{"save a user", func() string { return base + "/users/" + u.ID }, url.Values{"userName": {u.UserName}, "displayName": {"B. Simon"}, "mail": {u.UserName}, "role": {"user"}},
			base + "/users/" + u.ID, "Saved the profile of b.simon@contoso.com."},
		{"disable a user", func() string { return base + "/users/" + u.ID + "/disable" }, nil, base + "/users/" + u.ID, "Disabled sign-in for b.simon@contoso.com"},
		{"enable a user", func() string { return base + "/users/" + u.ID + "/enable" }, nil, base + "/users/" + u.ID, "Enabled sign-in for b.simon@contoso.com."},
		{"delete a user", func() string { return base + "/users/" + gone.ID + "/delete" }, nil, base + "/users", "Deleted the user leaver@contoso.com."},
		{"assign a user", func() string { return appBase + "/users" }, url.Values{"type": {"user"}, "principal": {u.UserName}}, appBase + "/users", "Assigned b.simon@contoso.com to Mixpanel."},
		{"unassign a user", func() string { return appBase + "/users/" + assignment() + "/remove" }, nil, appBase + "/users", "Removed b.simon@contoso.com from Mixpanel."},
		{"add a claim", func() string { return appBase + "/sso/claims" }, url.Values{"new-claim-name": {"dept"}, "new-claim-source": {"constant"}, "new-claim-value": {"Sales"}},
			appBase + "/sso#claims", "Added the claim."},
		{"remove a claim", func() string { return appBase + "/sso/claims/remove" }, url.Values{"name": {"dept"}}, appBase + "/sso#claims", "Removed the claim dept."},
		{"save the unique user identifier", func() string { return appBase + "/sso/nameid" }, url.Values{"nameIdFormat": {gatehouse.NameIDPersistent}, "nameIdSource": {gatehouse.AttrUserName}},
			appBase + "/sso#claims", "Saved the unique user identifier."},
		{"save request signing", func() string { return appBase + "/sso/protocol" }, url.Values{}, appBase + "/sso#sp-certificates", "Nothing changed."},
		{"create a next certificate", func() string { return appBase + "/certificates" }, nil, appBase + "/sso#certificate", "Created a new certificate."},
		{"make it active", func() string { return appBase + "/certificates/" + nextCertificate() + "/activate" }, nil, appBase + "/sso#certificate", "The new certificate is active"},
		{"save properties", func() string { return appBase + "/properties" }, url.Values{"name": {"Mixpanel"}, "shown-name": {"Mixpanel"}, "notes": {"hi"}, "shown-notes": {""}},
			appBase + "/properties", "Saved the properties of Mixpanel."},
		{"delete an app", func() string { return base + "/apps/" + doomed.ID + "/delete" }, nil, base + "/apps", "Deleted the app Custom SAML app."},
		{"save the directory's settings", func() string { return base + "/settings" }, url.Values{"name": {"Default Directory"}, "domain": {"contoso.com"}},
			base + "/settings", "Saved the directory's settings."},
		{"save the passkey policy", func() string { return base + "/settings/passkeys" }, url.Values{"passkeys": {"second-factor"}, "recoveryCodes": {"on"}},
			base + "/settings/passkeys", "Saved the passkey policy."},
		{"remove a passkey", func() string {
			mustPasskey(t, srv, u, "pk-feedback", "Laptop")
			return base + "/users/" + u.ID + "/passkeys/pk-feedback/remove"
		}, nil,
			base + "/users/" + u.ID, "The passkey is removed"},
		{"reset two-step verification", func() string { return base + "/users/" + u.ID + "/reset-mfa" }, nil, base + "/users/" + u.ID, "Two-step verification is reset"},
		{"create a directory", func() string { return "/admin/directories" }, url.Values{"id": {"fabrikam"}, "name": {"Fabrikam"}}, "/admin/d/fabrikam/", "Created the directory Fabrikam."},
	}
	noticeRE := regexp.MustCompile(`(?s)<div class="notice[^"]*" id="notice"[^>]*>(.*?)</div>`)
	for _, st := range steps {
		p := c.post(st.path(), st.form)
		if p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location, st.to) {
			t.Fatalf("%s: status %d to %q, want 303 to %s\n%s", st.name, p.Status, p.Location, st.to, p.Body)
		}
		page := c.get(p.Location)
		m := noticeRE.FindStringSubmatch(page.Body)
		if m == nil || !strings.Contains(html.UnescapeString(m[1]), st.say) {
			t.Errorf("%s: the page after it says %q, want %q", st.name, m, st.say)
		}
		if again := c.get(p.Location); noticeRE.MatchString(again.Body) {
			t.Errorf("%s: a reload says it again", st.name)
		}
	}
}

// TestPortalNoticeCookie checks the notice's cookie: HttpOnly and SameSite, cleared when shown, and worthless to
// another session, or after its value was changed.
func TestPortalNoticeCookie(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	c := adminClient(t, srv)
	p := c.post("/admin/d/default/groups", url.Values{"name": {"Marketing"}})
	var sealed *http.Cookie
	for _, ck := range (&http.Response{Header: p.Header}).Cookies() {
		if ck.Name == "gatehouse_notice" {
			sealed = ck
		}
	}
	if sealed == nil || !sealed.HttpOnly || sealed.SameSite != http.SameSiteLaxMode || sealed.Path != "/" || sealed.MaxAge <= 0 || sealed.MaxAge > 300 {
		t.Fatalf("notice cookie %+v", sealed)
	}
	if strings.Contains(sealed.Value, "Marketing") {
		t.Error("the notice cookie is readable")
	}
	show := func(c *portalClient, value string) bool {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, srv.URL+p.Location, nil)
		u, _ := url.Parse(srv.URL)
		c.c.Jar.SetCookies(u, []*http.Cookie{{Name: "gatehouse_notice", Value: value, Path: "/"}})
		return strings.Contains(c.do(req).Body, `id="notice"`)
	}
	other := adminClient(t, srv)
	if show(other, sealed.Value) {
		t.Error("another session reads the notice")
	}
	tampered := []byte(sealed.Value)
	tampered[len(tampered)/2] ^= 1
	if show(c, string(tampered)) {
		t.Error("a changed notice is shown")
	}
	if !show(c, sealed.Value) {
		t.Error("the session that made the change does not see its notice")
	}
}

// TestPortalClaimGaps follows a user without a mail through the portal with Mixpanel, whose template requires
// the email claim: the assignment's notice warns, the assignments list marks the user, the user's page names the
// app and the field to fill in, and the assertion preview lists the claim it leaves out.
func TestPortalClaimGaps(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	c := adminClient(t, srv)
	app := mustApp(t, srv, "mixpanel", map[string]string{"org_id": "1"})
	u, _, err := srv.Service.CreateUser(context.Background(), mustAdmin(t, srv), "default", idp.UserInput{UserName: "b.simon@contoso.com", DisplayName: "B.Simon", FirstName: "B", LastName: "Simon"})
	if err != nil {
		t.Fatal(err)
	}
	base := "/admin/d/default"
	p := c.post(base+"/apps/"+app.ID+"/users", url.Values{"type": {"user"}, "principal": {u.UserName}})
	if p.Status != http.StatusSeeOther {
		t.Fatalf("assign: %d\n%s", p.Status, p.Body)
	}
	p = c.get(p.Location)
	if want := "b.simon@contoso.com: no E-mail (user.mail), so Mixpanel gets no email claim, which it requires."; !strings.Contains(p.Body, `<div class="notice warn" id="notice"`) ||
		!strings.Contains(p.Body, want) {
		t.Errorf("the assignment's notice does not warn %q:\n%s", want, p.Body)
	}
	if !strings.Contains(p.Body, `<span class="badge bad">No email</span>`) {
		t.Error("the assignments list does not mark the user")
	}
	p = c.get(base + "/users/" + u.ID)
	if got := textOf(p.Body, "claim-gaps", "section"); !strings.Contains(got, "Mixpanel gets no email claim: E-mail (user.mail) is empty, and Mixpanel requires it.") {
		t.Errorf("the user's page says %q", got)
	}
	if idOf(p.Body, "gap-mail") == "" {
		t.Error("the user's page does not mark the E-mail field")
	}
	p = c.get(base + "/apps/" + app.ID + "/preview?user=" + u.ID)
	if got := textOf(p.Body, "preview-missing-claims", "div"); !strings.Contains(got, "leaves out 1 claim") || !strings.Contains(got, "Mixpanel gets no email claim") {
		t.Errorf("the preview says %q", got)
	}
	// With a mail, nothing is missing.
	c.post(base+"/users/"+u.ID, url.Values{"userName": {u.UserName}, "displayName": {"B.Simon"}, "firstName": {"B"}, "lastName": {"Simon"}, "mail": {u.UserName}, "role": {"user"}})
	if p := c.get(base + "/users/" + u.ID); strings.Contains(p.Body, `id="claim-gaps"`) || strings.Contains(p.Body, `id="gap-mail"`) {
		t.Error("the user's page still warns once the mail is filled in")
	}
}
