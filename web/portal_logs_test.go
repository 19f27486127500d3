package web_test

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/internal/testserver"
)

func TestPortalSignInLog(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	c := adminClient(t, srv)
	app := mustApp(t, srv, "custom", nil)
	u := mustUser(t, srv, "b.simon@contoso.com", "B. Simon", gatehouse.RoleUser)
	// B. Simon is not assigned, so an IdP-initiated sign-in fails with GH5001.
	bs := newPortalClient(t, srv)
	bs.signIn("default", u.UserName, userPassword)
	if p := bs.get("/d/default/apps/" + app.ID + "/signin"); p.Status != 403 {
		t.Fatalf("unassigned sign-in: status %d", p.Status)
	}
	base := "/admin/d/default/sign-ins"
	tests := []struct {
		name, query string
		rows        int
		code        string
	}{
		{"all", "", 3, ""},
		{"failures", "?result=failure", 1, "GH5001"},
		{"app", "?app=" + app.ID, 1, "GH5001"},
		{"user", "?user=" + u.ID, 2, ""},
		{"bad result ignored", "?result=" + url.QueryEscape("' OR 1=1 --"), 3, ""},
	}
	rowRE := regexp.MustCompile(`data-signin-id="([a-z0-9]+)"`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := c.get(base + tt.query)
			if p.Status != 200 {
				t.Fatalf("status %d", p.Status)
			}
			rows := rowRE.FindAllStringSubmatch(p.Body, -1)
			if len(rows) != tt.rows {
				t.Fatalf("%d rows, want %d", len(rows), tt.rows)
			}
			if tt.code == "" {
				return
			}
			d := c.get(base + "/" + rows[0][1])
			if got := idOf(d.Body, "signin-code"); got != tt.code {
				t.Errorf("detail code %q, want %q", got, tt.code)
			}
			if idOf(d.Body, "signin-reason") == "" || idOf(d.Body, "signin-correlation-id") == "" {
				t.Error("the detail lacks the reason or correlation ID")
			}
		})
	}
	if p := c.get("/admin/d/default/"); !strings.Contains(p.Body, `id="recent-failures"`) || !strings.Contains(p.Body, "GH5001") {
		t.Error("the overview does not list the recent failure")
	}
	if p := c.get(base + "/nosuchevent"); p.Status != 404 {
		t.Errorf("unknown event: status %d", p.Status)
	}
}

func TestPortalAuditLog(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	c := adminClient(t, srv)
	u := mustUser(t, srv, "b.simon@contoso.com", "B. Simon", gatehouse.RoleUser)
	if p := c.post("/admin/d/default/users/"+u.ID, url.Values{"userName": {u.UserName}, "displayName": {"Barbara Simon"}, "role": {"user"}}); p.Status != 303 {
		t.Fatalf("save user: status %d\n%s", p.Status, p.Body)
	}
	p := c.get("/admin/d/default/audit?targetType=user")
	m := regexp.MustCompile(`href="(\?[^"]*event=[a-z0-9]+)#audit-detail"`).FindAllStringSubmatch(p.Body, -1)
	if len(m) < 2 {
		t.Fatalf("%d entries with links, want at least 2\n%s", len(m), p.Body)
	}
	link := strings.ReplaceAll(m[0][1], "&amp;", "&")
	if !strings.Contains(link, "targetType=user&event=") {
		t.Errorf("the link %q does not keep the filter", link)
	}
	d := c.get("/admin/d/default/audit" + link)
	if d.Status != 200 {
		t.Fatalf("detail: status %d", d.Status)
	}
	before, after := idOf(d.Body, "audit-before"), idOf(d.Body, "audit-after")
	if !strings.Contains(before, "B. Simon") || !strings.Contains(after, "Barbara Simon") {
		t.Errorf("before %q, after %q", before, after)
	}
	if !strings.Contains(d.Body, `data-field="displayName"`) {
		t.Error("the changed field is not listed")
	}
	if p := c.get("/admin/d/default/audit?event=nosuch"); p.Status != 404 {
		t.Errorf("unknown entry: status %d", p.Status)
	}
}
