package web_test

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/internal/testserver"
)

// portalClient is a signed-in browser without JavaScript: a cookie jar that does not follow redirects.
type portalClient struct {
	t   *testing.T
	srv *testserver.Server
	c   *http.Client
}

// portalResp is a response with its body read.
type portalResp struct {
	Status   int
	Body     string
	Location string
	Header   http.Header
}

func newPortalClient(t *testing.T, srv *testserver.Server) *portalClient {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &portalClient{t: t, srv: srv, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// signIn signs in on the directory's sign-in page.
func (c *portalClient) signIn(dir, userName, password string) {
	c.t.Helper()
	p := c.post("/d/"+dir+"/login", url.Values{"userName": {userName}, "password": {password}})
	if p.Status != http.StatusSeeOther {
		c.t.Fatalf("sign in as %s: status %d\n%s", userName, p.Status, p.Body)
	}
}

func (c *portalClient) do(req *http.Request) *portalResp {
	c.t.Helper()
	resp, err := c.c.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return &portalResp{Status: resp.StatusCode, Body: string(b), Location: resp.Header.Get("Location"), Header: resp.Header}
}

func (c *portalClient) get(path string) *portalResp {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.srv.URL+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.do(req)
}

// post sends a same-origin form, as a browser does.
func (c *portalClient) post(path string, form url.Values) *portalResp {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", c.srv.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return c.do(req)
}

// adminClient returns a client signed in as the test server's global admin.
func adminClient(t *testing.T, srv *testserver.Server) *portalClient {
	t.Helper()
	c := newPortalClient(t, srv)
	c.signIn("default", testserver.AdminUser, testserver.AdminPassword)
	return c
}

// mustUser creates a user with a known, non-temporary password through the service.
func mustUser(t *testing.T, srv *testserver.Server, userName, displayName string, role gatehouse.Role) *gatehouse.User {
	t.Helper()
	ctx := context.Background()
	admin := mustAdmin(t, srv)
	u, temp, err := srv.Service.CreateUser(ctx, admin, "default", idp.UserInput{UserName: userName, DisplayName: displayName, Mail: userName, Role: role, FirstName: "B", LastName: "Simon"})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Service.ChangePassword(ctx, u, temp, userPassword); err != nil {
		t.Fatal(err)
	}
	u, err = srv.Store.FindUser(ctx, "default", u.ID)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// userPassword is the password mustUser gives every user.
const userPassword = "Another-long-passw0rd"

func mustAdmin(t *testing.T, srv *testserver.Server) *gatehouse.User {
	t.Helper()
	us, _, err := srv.Store.FindUsers(context.Background(), "default", gatehouse.UserFilter{Query: testserver.AdminUser})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range us {
		if u.UserName == testserver.AdminUser {
			return u
		}
	}
	t.Fatal("no admin user")
	return nil
}

// mustApp adds an app from the gallery through the service.
func mustApp(t *testing.T, srv *testserver.Server, galleryID string, params map[string]string) *gatehouse.App {
	t.Helper()
	a, _, err := srv.Service.AddApp(context.Background(), mustAdmin(t, srv), "default", idp.AppInput{GalleryID: galleryID, Parameters: params})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// idOf returns the text of the element with the given id, or "" (a crude reader for server-rendered pages).
func idOf(body, id string) string {
	re := regexp.MustCompile(`id="` + regexp.QuoteMeta(id) + `"[^>]*>([^<]*)<`)
	m := re.FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

// textOf returns the text of the element with the id, up to its closing tag, without the markup inside it.
func textOf(body, id, tag string) string {
	m := regexp.MustCompile(`(?s)id="` + regexp.QuoteMeta(id) + `"[^>]*>(.*?)</` + tag + `>`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return strings.Join(strings.Fields(html.UnescapeString(regexp.MustCompile(`<[^>]*>`).ReplaceAllString(m[1], ""))), " ")
}

func TestPortalRequiresSignIn(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	c := newPortalClient(t, srv)
	for _, path := range []string{"/admin/", "/admin/d/default/", "/admin/d/default/users?q=a"} {
		p := c.get(path)
		if p.Status != http.StatusSeeOther {
			t.Fatalf("GET %s: status %d, want 303", path, p.Status)
		}
		u, err := url.Parse(p.Location)
		if err != nil || u.Path != "/d/default/login" || u.Query().Get("next") != path {
			t.Errorf("GET %s: redirect to %q, want the sign-in page with next=%s", path, p.Location, path)
		}
	}
}

func TestPortalPages(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	c := adminClient(t, srv)
	u := mustUser(t, srv, "b.simon@contoso.com", "B. Simon", gatehouse.RoleUser)
	app := mustApp(t, srv, "mixpanel", map[string]string{"org_id": "123"})
	base := "/admin/d/default"
	tests := []struct {
		name, path string
		status     int
		contains   []string
	}{
		{"admin without its slash", "/admin", 307, nil},
		{"app root", base + "/apps/" + app.ID, 303, nil},
		{"app page unknown", base + "/apps/" + app.ID + "/nosuchpage", 404, nil},
		{"portal home with one directory", "/admin/", 303, nil},
		{"directories", "/admin/directories", 200, []string{`data-directory-id="default"`, `id="new-directory-id"`, `id="nav-overview"`, `id="directory-switch"`}},
		{"overview", base + "/", 200, []string{`id="count-users">2<`, `id="count-apps">1<`, `id="count-groups">0<`, `id="count-signins-today"`, `id="expiring-certificates"`}},
		{"users", base + "/users", 200, []string{`data-user-id="` + u.ID + `"`, `id="user-search"`, `id="new-user"`, `class="user-link"`}},
		{"users search", base + "/users?q=simon", 200, []string{`data-user-id="` + u.ID + `"`}},
		{"users search none", base + "/users?q=nobody-at-all", 200, []string{`No user matches`}},
		{"users by role", base + "/users?role=global-admin", 200, []string{`id="role-filter"`, `<option value="global-admin" selected>`}},
		{"users by unknown role", base + "/users?role=emperor", 200, []string{`data-user-id="` + u.ID + `"`}},
		{"new user", base + "/users/new", 200, []string{`id="userName"`, `id="firstName"`, `id="lastName"`, `id="displayName"`, `id="mail"`, `id="role"`, `id="create-user"`}},
		{"user", base + "/users/" + u.ID, 200, []string{`id="save-user"`, `id="disable-user"`, `id="reset-password"`, `id="delete-user"`}},
		{"user of nowhere", base + "/users/nosuchuser", 404, nil},
		{"delete confirmation", base + "/users/" + u.ID + "/delete", 200, []string{`id="confirm-delete"`}},
		{"groups", base + "/groups", 200, []string{`id="new-group-name"`, `id="create-group"`}},
		{"unknown directory", "/admin/d/nosuch/", 404, nil},
		{"apps", base + "/apps", 200, []string{`data-app-id="` + app.ID + `"`, `class="app-link"`, `id="add-from-gallery"`}},
		{"gallery", base + "/apps/gallery", 200, []string{`id="gallery-search"`, `data-gallery-id="mixpanel"`}},
		{"gallery search", base + "/apps/gallery?q=analytics", 200, []string{`data-gallery-id="mixpanel"`}},
		{"gallery app", base + "/apps/gallery/mixpanel", 200, []string{`id="app-name"`, `id="param-org_id"`, `id="add-app"`}},
		{"gallery app unknown", base + "/apps/gallery/nosuch", 404, nil},
		{"sso", base + "/apps/" + app.ID + "/sso", 200, []string{`id="summary-entityId"><code>https://mixpanel.com/security/sso/v2/authorize/</code>`,
			`id="summary-replyUrls"><code>https://sso.mixpanel.com/sso/saml2</code>`, `id="edit-basic"`, `id="edit-metadata"`,
			`Unique User Identifier (Name ID)`, `id="nameid-source">user.userprincipalname<`, `id="nameid-format" title="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">Email address<`,
			`id="edit-nameid"`, `data-claim-name="email"`, `Required by Mixpanel`, `id="new-claim"`, `class="remove-claim`,
			`id="cert-thumbprint"`, `id="cert-expires"`, `id="cert-status"`, `id="download-base64"`, `id="download-raw"`, `id="download-pem"`, `id="download-metadata"`,
			`id="summary-signingOption">Sign SAML assertion<`, `id="edit-signing"`, `id="edit-protocol"`, `id="setup-loginUrl"`, `id="setup-identifier"`, `id="setup-logoutUrl"`,
			`id="setup-metadataUrl"`, `id="setup-userAccessUrl"`, `data-copy-target="setup-loginUrl"`, `id="test-sso"`, `href="https://mixpanel.com/security/sso/v2/authorize/?org_id=123"`}},
		// Each card's Edit opens its one form; no other form with fields is on the page.
		{"sso edit basic", base + "/apps/" + app.ID + "/sso?edit=basic", 200, []string{`id="entityId"`, `id="replyUrls"`, `id="signOnUrl"`, `id="relayState"`, `id="logoutUrl"`,
			`id="save-basic"`, `data-guard`, `data-cancel`}},
		{"sso edit metadata", base + "/apps/" + app.ID + "/sso?edit=metadata", 200, []string{`id="metadata-file"`, `id="metadata-url"`, `id="import-metadata"`}},
		{"sso edit nameid", base + "/apps/" + app.ID + "/sso?edit=nameid", 200, []string{`id="nameIdFormat"`, `id="nameIdSource"`, `id="save-nameid"`,
			`<option value="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">Persistent</option>`}},
		{"sso edit claim", base + "/apps/" + app.ID + "/sso?edit=claim", 200, []string{`id="new-claim-name"`, `id="new-claim-source"`, `id="new-claim-value"`, `id="add-claim"`}},
		{"sso edit signing", base + "/apps/" + app.ID + "/sso?edit=signing", 200, []string{`id="signingOption"`, `id="signingAlgorithm"`, `id="notificationEmails"`, `id="save-signing"`}},
		{"sso edit protocol", base + "/apps/" + app.ID + "/sso?edit=protocol", 200, []string{`id="requireSignedRequests"`, `id="encryptAssertions"`, `id="save-protocol"`}},
		{"sso edit sp certificate", base + "/apps/" + app.ID + "/sso?edit=sp-certificate", 200, []string{`id="sp-certificate-use"`, `id="sp-certificate-file"`, `id="add-sp-certificate"`}},
		{"claim", base + "/apps/" + app.ID + "/sso/claim?name=email", 200, []string{`id="claim-name"`, `value="email"`}},
		{"claim unknown", base + "/apps/" + app.ID + "/sso/claim?name=nope", 404, nil},
		{"app users", base + "/apps/" + app.ID + "/users", 200, []string{`id="assign-search"`, `id="assign-type"`, `id="assign"`}},
		{"properties", base + "/apps/" + app.ID + "/properties", 200, []string{`id="app-name"`, `id="enabled"`, `id="assignmentRequired"`, `id="visible"`, `id="notes"`, `id="logo"`, `id="save-properties"`}},
		{"preview without user", base + "/apps/" + app.ID + "/preview", 200, []string{`id="preview-user"`}},
		{"preview", base + "/apps/" + app.ID + "/preview?user=" + u.ID, 200, []string{`id="preview-nameid">b.simon@contoso.com<`, `data-claim="email"`, `id="preview-xml"`, `id="preview-problems"`, "GH5001"}},
		{"preview of a stranger", base + "/apps/" + app.ID + "/preview?user=nosuch", 404, nil},
		{"app of nowhere", base + "/apps/nosuchapp/sso", 404, nil},
		{"logo absent", base + "/apps/" + app.ID + "/logo", 404, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := c.get(tt.path)
			if p.Status != tt.status {
				t.Fatalf("GET %s: status %d, want %d\n%s", tt.path, p.Status, tt.status, p.Body)
			}
			for _, s := range tt.contains {
				if !strings.Contains(p.Body, s) {
					t.Errorf("GET %s: the page lacks %s", tt.path, s)
				}
			}
		})
	}
}

// TestPortalHomeLandsOnOverview: an admin who opens the portal (as the sign-in returns there) lands on the overview of
// their directory while there is one, and on the list of directories once there are two to choose from.
func TestPortalHomeLandsOnOverview(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	c := adminClient(t, srv)
	if p := c.get("/admin/"); p.Status != http.StatusSeeOther || p.Location != "/admin/d/default/" {
		t.Fatalf("with one directory /admin/ answers %d to %q, want the overview /admin/d/default/", p.Status, p.Location)
	}
	if p := c.get("/admin/d/default/"); p.Status != http.StatusOK || !strings.Contains(p.Body, `id="count-users"`) {
		t.Fatalf("the overview: %d\n%s", p.Status, p.Body)
	}
	if err := srv.Service.CreateDirectory(context.Background(), mustAdmin(t, srv), &gatehouse.Directory{ID: "fabrikam", Name: "Fabrikam"}); err != nil {
		t.Fatal(err)
	}
	if p := c.get("/admin/"); p.Status != http.StatusOK || !strings.Contains(p.Body, `data-directory-id="fabrikam"`) {
		t.Errorf("with two directories /admin/ answers %d to %q, want the list of directories", p.Status, p.Location)
	}
}

func TestPortalCreateUser(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	c := adminClient(t, srv)
	mustUser(t, srv, "taken@contoso.com", "Taken", gatehouse.RoleUser)
	tests := []struct {
		name   string
		form   url.Values
		status int
		// errorID is the id of the field message expected on the page.
		errorID string
	}{
		{"valid", url.Values{"userName": {"b.simon@contoso.com"}, "firstName": {"B."}, "lastName": {"Simon"}, "role": {"user"}}, 303, ""},
		{"bad user name", url.Values{"userName": {"not an address"}, "displayName": {"X"}, "role": {"user"}}, 400, "error-userName"},
		{"taken user name", url.Values{"userName": {"TAKEN@contoso.com"}, "displayName": {"X"}, "role": {"user"}}, 409, "error-userName"},
		{"bad mail", url.Values{"userName": {"c@contoso.com"}, "displayName": {"X"}, "mail": {"nope"}, "role": {"user"}}, 400, "error-mail"},
		{"bad role", url.Values{"userName": {"d@contoso.com"}, "displayName": {"X"}, "role": {"emperor"}}, 400, "error-role"},
		{"no display name", url.Values{"userName": {"e@contoso.com"}, "role": {"user"}}, 400, "error-displayName"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := c.post("/admin/d/default/users", tt.form)
			if p.Status != tt.status {
				t.Fatalf("status %d, want %d\n%s", p.Status, tt.status, p.Body)
			}
			if tt.errorID == "" {
				// POST, redirect, GET: the page that shows the password is a GET, which a reload repeats harmlessly.
				if !regexp.MustCompile(`^/admin/d/default/users/[a-z0-9]+/password$`).MatchString(p.Location) {
					t.Fatalf("redirect to %q, want the user's password page", p.Location)
				}
				created := p.Location
				p = c.get(created)
				pw := idOf(p.Body, "temporary-password")
				if len(pw) < 12 {
					t.Fatalf("temporary password %q not shown\n%s", pw, p.Body)
				}
				if _, err := srv.Service.Authenticate(context.Background(), "default", tt.form.Get("userName"), pw); err != nil {
					t.Errorf("the shown password does not sign in: %v", err)
				}
				if !strings.Contains(p.Body, `id="copy-temporary-password"`) || !strings.Contains(p.Body, `id="user-done"`) {
					t.Error("the password page lacks its copy or done button")
				}
				if cc := p.Header.Get("Cache-Control"); cc != "no-store" {
					t.Errorf("Cache-Control %q, want no-store", cc)
				}
				// Reloading shows the password no more, and creates no one.
				again := c.get(created)
				if again.Status != http.StatusOK || strings.Contains(again.Body, pw) || !strings.Contains(again.Body, `id="password-gone"`) {
					t.Errorf("the reloaded page: status %d, shows the password again or lacks the note", again.Status)
				}
				if _, total, _ := srv.Store.FindUsers(context.Background(), "default", gatehouse.UserFilter{Query: "b.simon@contoso.com"}); total != 1 {
					t.Errorf("%d users b.simon@contoso.com, want 1", total)
				}
				// Another browser of the same admin cannot read the notice of this one.
				other := adminClient(t, srv)
				if o := other.get(created); strings.Contains(o.Body, pw) {
					t.Error("another session reads the temporary password")
				}
				return
			}
			if idOf(p.Body, tt.errorID) == "" {
				t.Errorf("no message at #%s\n%s", tt.errorID, p.Body)
			}
			if !strings.Contains(p.Body, `value="`+tt.form.Get("userName")+`"`) {
				t.Error("the form does not keep what was typed")
			}
		})
	}
}

func TestPortalUserPaging(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	c := adminClient(t, srv)
	admin := mustAdmin(t, srv)
	for i := range 30 {
		name := "user" + string(rune('a'+i/10)) + string(rune('a'+i%10)) + "@contoso.com"
		if _, _, err := srv.Service.CreateUser(context.Background(), admin, "default", idp.UserInput{UserName: name, DisplayName: name}); err != nil {
			t.Fatal(err)
		}
	}
	rows := regexp.MustCompile(`<tr data-user-id=`)
	links := regexp.MustCompile(`id="(prev|next)-page" class="button quiet" href="([^"]*)"`)
	// page gets a page of the list and returns its rows' count and its previous and next links.
	page := func(t *testing.T, path string) (n int, prev, next string, body string) {
		t.Helper()
		p := c.get(path)
		if p.Status != 200 {
			t.Fatalf("GET %s: status %d", path, p.Status)
		}
		for _, m := range links.FindAllStringSubmatch(p.Body, -1) {
			href := "/admin/d/default/users" + html.UnescapeString(m[2])
			if m[1] == "prev" {
				prev = href
			} else {
				next = href
			}
		}
		return len(rows.FindAllString(p.Body, -1)), prev, next, p.Body
	}
	// 31 users: the admin and useraa to useraj, userba to userbj, userca to usercj; pages of 25 by user name.
	n, prev, next, body := page(t, "/admin/d/default/users")
	if n != 25 || prev != "" || next != "/admin/d/default/users?after=usercd%40contoso.com" {
		t.Fatalf("first page: %d rows, previous %q, next %q", n, prev, next)
	}
	if !strings.Contains(body, `<span class="small" id="user-count">31 users</span>`) {
		t.Error("the first page does not count 31 users")
	}
	n, prev, next, _ = page(t, next)
	if n != 6 || prev != "/admin/d/default/users?before=userce%40contoso.com" || next != "" {
		t.Fatalf("second page: %d rows, previous %q, next %q", n, prev, next)
	}
	// Back from the second page is the first page again, which has nothing before it.
	n, prev, next, _ = page(t, prev)
	if n != 25 || prev != "" || next != "/admin/d/default/users?after=usercd%40contoso.com" {
		t.Fatalf("back to the first page: %d rows, previous %q, next %q", n, prev, next)
	}
	// A search pages too, and its links keep the search and the role.
	n, prev, next, _ = page(t, "/admin/d/default/users?q=USER&role=user")
	if n != 25 || prev != "" || next != "/admin/d/default/users?after=userce%40contoso.com&q=USER&role=user" {
		t.Fatalf("search: %d rows, previous %q, next %q", n, prev, next)
	}
	if n, _, _, _ = page(t, next); n != 5 {
		t.Errorf("search, second page: %d rows, want 5", n)
	}
	// A page past the end says so and leads back to the first page.
	if n, _, _, body = page(t, "/admin/d/default/users?after=zzz&q=user"); n != 0 ||
		!strings.Contains(body, `No more users. <a href="?q=user">Back to the first page</a>`) {
		t.Errorf("past the end: %d rows\n%s", n, body)
	}
}

// TestPortalUserSearchStartsWith checks that the users page finds users by the beginning of their names, takes
// the search as text rather than a pattern, and says how it searches.
func TestPortalUserSearchStartsWith(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	c := adminClient(t, srv)
	u := mustUser(t, srv, "b.simon@contoso.com", "B. Simon", gatehouse.RoleUser)
	for _, tc := range []struct {
		q     string
		found bool
	}{{"b.sim", true}, {"SIM", true}, {"imon", false}, {"contoso", false}, {"b_simon", false}, {"%", false}} {
		p := c.get("/admin/d/default/users?q=" + url.QueryEscape(tc.q))
		if got := strings.Contains(p.Body, `data-user-id="`+u.ID+`"`); got != tc.found {
			t.Errorf("search %q finds B. Simon: %v, want %v", tc.q, got, tc.found)
		}
		if !strings.Contains(p.Body, "starts with what you type") {
			t.Errorf("search %q: the page does not say how it searches", tc.q)
		}
	}
}

func TestPortalGroups(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	c := adminClient(t, srv)
	u := mustUser(t, srv, "b.simon@contoso.com", "B. Simon", gatehouse.RoleUser)
	p := c.post("/admin/d/default/groups", url.Values{"name": {"Sales"}})
	if p.Status != 303 {
		t.Fatalf("create: status %d", p.Status)
	}
	group := p.Location
	steps := []struct {
		name    string
		path    string
		form    url.Values
		status  int
		errorID string
	}{
		{"same name again", "/admin/d/default/groups", url.Values{"name": {"sales"}}, 409, "error-name"},
		{"empty name", "/admin/d/default/groups", url.Values{"name": {""}}, 400, "error-name"},
		{"add member", group + "/members", url.Values{"user": {"B. Simon"}}, 303, ""},
		{"add member twice", group + "/members", url.Values{"user": {"b.simon@contoso.com"}}, 409, ""},
		{"add nobody", group + "/members", url.Values{"user": {"nobody"}}, 400, "error-user"},
		{"rename", group, url.Values{"name": {"Sales EMEA"}, "description": {"Sellers"}}, 303, ""},
		{"rename to nothing", group, url.Values{"name": {""}, "description": {""}}, 400, "error-name"},
		{"remove member", group + "/members/" + u.ID + "/remove", nil, 303, ""},
	}
	for _, st := range steps {
		p := c.post(st.path, st.form)
		if p.Status != st.status {
			t.Fatalf("%s: status %d, want %d\n%s", st.name, p.Status, st.status, p.Body)
		}
		if st.errorID != "" && idOf(p.Body, st.errorID) == "" {
			t.Errorf("%s: no message at #%s", st.name, st.errorID)
		}
	}
	p = c.get(group)
	if !strings.Contains(p.Body, "Sales EMEA") || strings.Contains(p.Body, `data-user-id="`+u.ID+`"`) {
		t.Error("the group page does not show the rename, or still lists the removed member")
	}
	if p := c.post(group+"/delete", nil); p.Status != 303 {
		t.Errorf("delete: status %d", p.Status)
	}
}

// TestPortalSSOOneFormAtATime checks the Single sign-on page's pattern: it shows every card's settings read-only
// with no form field in it, ?edit= opens exactly one card's form (an unknown one none), and a save goes back to the
// card with the notice beside its title, once.
func TestPortalSSOOneFormAtATime(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	c := adminClient(t, srv)
	app := mustApp(t, srv, "mixpanel", map[string]string{"org_id": "123"})
	sso := "/admin/d/default/apps/" + app.ID + "/sso"
	guarded := regexp.MustCompile(`<form[^>]*data-guard`)
	for _, tt := range []struct {
		edit  string
		forms int
	}{{"", 0}, {"basic", 1}, {"metadata", 1}, {"nameid", 1}, {"claim", 1}, {"signing", 1}, {"protocol", 1}, {"sp-certificate", 1}, {"nosuch", 0}} {
		p := c.get(sso + "?edit=" + tt.edit)
		if got := len(guarded.FindAllString(p.Body, -1)); p.Status != http.StatusOK || got != tt.forms {
			t.Errorf("edit=%q: status %d, %d forms with fields open, want %d", tt.edit, p.Status, got, tt.forms)
		}
	}
	p := c.post(sso+"/basic", url.Values{"entityId": {"https://mixpanel.com/other/"}, "shown-entityId": {"https://mixpanel.com/security/sso/v2/authorize/"}})
	if p.Status != http.StatusSeeOther || p.Location != sso+"#basic" {
		t.Fatalf("save: %d to %q, want the page at its card", p.Status, p.Location)
	}
	p = c.get(sso)
	if !strings.Contains(p.Body, `id="notice" role="status" data-section="basic">`) || !strings.Contains(p.Body, "Saved the basic SAML configuration.") {
		t.Errorf("after the save the Basic SAML configuration card shows no notice:\n%s", p.Body)
	}
	if strings.Index(p.Body, `id="notice"`) < strings.Index(p.Body, `id="basic-title"`) {
		t.Error("the notice is above the card, not beside its title")
	}
	if again := c.get(sso); strings.Contains(again.Body, `id="notice"`) {
		t.Error("the notice shows again on reload")
	}
	// A field error keeps the form open with what was typed.
	p = c.post(sso+"/basic", url.Values{"replyUrls": {"mixpanel.com/acs"}, "shown-replyUrls": {"https://sso.mixpanel.com/sso/saml2"}})
	if p.Status != http.StatusBadRequest || idOf(p.Body, "error-replyUrls") == "" || !strings.Contains(p.Body, ">mixpanel.com/acs</textarea>") {
		t.Errorf("a bad reply URL: status %d, the form is not open with the error and the typed value", p.Status)
	}
}
