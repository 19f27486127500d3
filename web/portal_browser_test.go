package web_test

import (
	"context"
	"encoding/pem"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/internal/browsertest"
	"github.com/gatehouse-idp/gatehouse/internal/testserver"
)

// portalBrowser is a headless Chromium signed in to the admin portal of a test server.
type portalBrowser struct {
	t         *testing.T
	ctx       context.Context
	srv       *testserver.Server
	downloads string
}

// portalStep bounds one step of a browser test, so a missing element fails the step instead of the whole test's
// deadline; it is generous, so that a busy machine does not fail a step that is only slow.
const portalStep = time.Minute

// newPortalBrowser starts a server and a browser, and signs in as the admin through the sign-in page the portal
// sends to.
func newPortalBrowser(t *testing.T) *portalBrowser {
	t.Helper()
	ctx := browsertest.New(t, 10*time.Minute)
	b := &portalBrowser{t: t, ctx: ctx, srv: testserver.Start(t, testserver.Options{}), downloads: t.TempDir()}
	// The first action starts the browser, which lives as long as the context it ran on: run it on ctx itself.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start the browser: %v", err)
	}
	b.do("open the portal", chromedp.Navigate(b.srv.URL+"/admin/d/default/"), chromedp.WaitVisible(chromedp.CSS("#userName")))
	if loc := b.location(); !strings.Contains(loc, "/d/default/login?next=") {
		t.Fatalf("the portal sent a stranger to %s, want the sign-in page", loc)
	}
	b.do("sign in", portalType("#userName", testserver.AdminUser), portalType("#password", testserver.AdminPassword),
		browsertest.Loads(chromedp.Click(chromedp.CSS("#sign-in"))), chromedp.WaitVisible(chromedp.CSS("#count-users")))
	if err := browsertest.AllowDownloads(ctx, b.downloads); err != nil {
		t.Fatalf("allow downloads: %v", err)
	}
	return b
}

// do runs one step's actions.
func (b *portalBrowser) do(step string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, portalStep)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v (the browser is at %s)", step, err, b.location())
	}
}

// clickTo clicks sel, which loads a new page, and waits until the new page has loaded and shows want.
func (b *portalBrowser) clickTo(step, sel, want string) {
	b.t.Helper()
	b.do(step, browsertest.Loads(chromedp.Click(chromedp.CSS(sel))), chromedp.WaitVisible(chromedp.CSS(want)))
}

// open navigates to a portal path and waits for an element.
func (b *portalBrowser) open(path, sel string) {
	b.t.Helper()
	b.do("open "+path, chromedp.Navigate(b.srv.URL+path), chromedp.WaitVisible(chromedp.CSS(sel)))
}

func (b *portalBrowser) text(sel string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, portalStep)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("read %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

func (b *portalBrowser) eval(expr string) bool {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, portalStep)
	defer cancel()
	ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return ok
}

func (b *portalBrowser) location() string {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	u, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return "(unknown: " + err.Error() + ")"
	}
	return u
}

// download clicks sel, which downloads a file, and returns the file once the download has completed.
func (b *portalBrowser) download(step, sel string) []byte {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, portalStep)
	defer cancel()
	path, err := browsertest.Download(ctx, b.downloads, chromedp.Click(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("%s: %v (the browser is at %s)", step, err, b.location())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		b.t.Fatal(err)
	}
	return data
}

// portalType replaces an input's value by typing.
func portalType(sel, text string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(chromedp.Clear(chromedp.CSS(sel)), chromedp.SendKeys(chromedp.CSS(sel), text))
}

// TestPortalBrowserUsers walks the user screens: the overview, the create wizard with its one-time temporary
// password, the user page and the password reset.
func TestPortalBrowserUsers(t *testing.T) {
	b := newPortalBrowser(t)
	if got := b.text("#count-users"); got != "1" {
		t.Errorf("#count-users = %q, want 1", got)
	}
	browsertest.Screenshot(b.ctx, t, "portal-overview")
	b.clickTo("open Users", "#nav-users", "#new-user")
	b.clickTo("open New user", "#new-user", "#create-user")
	b.do("a bad user name", portalType("#userName", "b simon"), portalType("#firstName", "B."), portalType("#lastName", "Simon"))
	b.clickTo("create", "#create-user", "#error-userName")
	b.do("fill in the wizard", portalType("#userName", "b.simon@contoso.com"), portalType("#displayName", "B. Simon"),
		portalType("#mail", "b.simon@contoso.com"), chromedp.SetValue(chromedp.CSS("#role"), "user"))
	browsertest.Screenshot(b.ctx, t, "portal-new-user")
	b.clickTo("create the user", "#create-user", "#temporary-password")
	pw := b.text("#temporary-password")
	if _, err := b.srv.Service.Authenticate(context.Background(), "default", "b.simon@contoso.com", pw); err != nil {
		t.Fatalf("the temporary password %q shown does not sign in: %v", pw, err)
	}
	browsertest.Screenshot(b.ctx, t, "portal-user-created")
	// The clipboard answers asynchronously: the button then says Copied, or the password is selected to copy by hand.
	copied := `document.querySelector("#copy-temporary-password").textContent === "Copied" || window.getSelection().toString().trim() === ` + jsQuote(pw)
	b.do("copy the password: the copy button neither copied nor selected it", chromedp.Click(chromedp.CSS("#copy-temporary-password")),
		browsertest.WaitFor(copied))
	b.clickTo("done", "#user-done", "#save-user")
	b.clickTo("reset the password", "#reset-password", "#temporary-password")
	if again := b.text("#temporary-password"); again == pw || len(again) < 12 {
		t.Errorf("the reset password %q is not new", again)
	}
	b.clickTo("open Users", "#nav-users", "#user-search")
	b.do("search for the user", portalType("#user-search", "simon"),
		browsertest.Loads(chromedp.SendKeys(chromedp.CSS("#user-search"), "\n")))
	b.do("the list narrows", chromedp.WaitVisible(chromedp.CSS("#user-search[value=simon]")), chromedp.WaitVisible(chromedp.CSS("tr[data-user-id] a.user-link")))
	if n := b.eval(`document.querySelectorAll("tr[data-user-id]").length === 1`); !n {
		t.Error("the search does not narrow the list to B. Simon")
	}
	browsertest.Screenshot(b.ctx, t, "portal-users")
	b.clickTo("open the user", "tr[data-user-id] a.user-link", "#disable-user")
	b.clickTo("disable the user", "#disable-user", "#enable-user")
	b.clickTo("delete the user", "#delete-user", "#confirm-delete")
	b.clickTo("confirm", "#confirm-delete", "#user-search")
	if _, total, _ := b.srv.Store.FindUsers(context.Background(), "default", gatehouse.UserFilter{Query: "simon"}); total != 0 {
		t.Error("the user was not deleted")
	}
}

// TestPortalBrowserApp walks the app screens of the tutorial: the gallery, Mixpanel's Single sign-on page with a
// field error and a save, the certificate download, the set-up values, the assignment and the assertion preview.
func TestPortalBrowserApp(t *testing.T) {
	b := newPortalBrowser(t)
	simon := mustUser(t, b.srv, "b.simon@contoso.com", "B. Simon", gatehouse.RoleUser)

	b.clickTo("open Enterprise apps", "#nav-apps", "#add-from-gallery")
	b.clickTo("open the gallery", "#add-from-gallery", "#gallery-search")
	b.do("type Mixpanel", chromedp.SendKeys(chromedp.CSS("#gallery-search"), "mixp"), chromedp.WaitNotVisible(chromedp.CSS(`a.gallery-tile[data-gallery-id="slack"]`)))
	if !b.eval(`document.querySelectorAll("li[data-gallery-text]:not([hidden])").length === 1`) {
		t.Error("typing mixp leaves other tiles than Mixpanel")
	}
	browsertest.Screenshot(b.ctx, t, "portal-gallery")
	b.clickTo("pick Mixpanel", `a.gallery-tile[data-gallery-id="mixpanel"]`, "#param-org_id")
	b.do("fill in the organization ID", portalType("#param-org_id", "1234567"))
	b.clickTo("add Mixpanel", "#add-app", "#entityId")
	loc, err := url.Parse(b.location())
	if err != nil || !strings.HasSuffix(loc.Path, "/sso") {
		t.Fatalf("after adding, the browser is at %s", b.location())
	}
	appID := strings.Split(strings.TrimPrefix(loc.Path, "/admin/d/default/apps/"), "/")[0]

	b.do("a bad reply URL", portalType("#replyUrls", "mixpanel.com/acs"))
	b.clickTo("save", "#save-basic", "#error-replyUrls")
	if msg := b.text("#error-replyUrls"); !strings.Contains(msg, "mixpanel.com/acs") {
		t.Errorf("#error-replyUrls = %q, want it to name the bad URL", msg)
	}
	b.do("fix it", portalType("#replyUrls", "https://sso.mixpanel.com/sso/saml2"))
	b.clickTo("save", "#save-basic", "#saved")
	browsertest.Screenshot(b.ctx, t, "portal-sso")

	if got, want := b.text("#setup-loginUrl"), b.srv.URL+"/d/default/saml2"; got != want {
		t.Errorf("#setup-loginUrl = %q, want %q", got, want)
	}
	if got, want := b.text("#setup-identifier"), b.srv.URL+"/d/default"; got != want {
		t.Errorf("#setup-identifier = %q, want %q", got, want)
	}
	if got := b.text("#setup-metadataUrl"); !strings.HasSuffix(got, "?appid="+appID) {
		t.Errorf("#setup-metadataUrl = %q", got)
	}
	if thumb := b.text("#cert-thumbprint"); len(thumb) != 40 {
		t.Errorf("#cert-thumbprint = %q", thumb)
	}
	data := b.download("download the certificate (Base64)", "#download-base64")
	if blk, _ := pem.Decode(data); blk == nil || blk.Type != "CERTIFICATE" || strings.Contains(string(data), "PRIVATE") {
		t.Errorf("the Base64 download is not a PEM certificate:\n%s", data)
	}
	if href := b.eval(`document.querySelector("#test-sso").href === "https://mixpanel.com/security/sso/v2/authorize/?org_id=1234567"`); !href {
		t.Error("Test does not start at Mixpanel's sign-on URL")
	}

	b.open("/admin/d/default/apps/"+appID+"/users", "#assign-search")
	b.do("assign B. Simon", chromedp.SetValue(chromedp.CSS("#assign-type"), "user"), portalType("#assign-search", "b.simon@contoso.com"))
	b.clickTo("assign", "#assign", "tr[data-assignment-id] button.unassign")
	browsertest.Screenshot(b.ctx, t, "portal-assignments")

	b.open("/admin/d/default/apps/"+appID+"/preview", "#preview-user")
	// Choosing a user submits the form (the Preview button is there for browsers without JavaScript).
	b.do("choose B. Simon", browsertest.Loads(chromedp.SetValue(chromedp.CSS("#preview-user"), simon.ID)),
		chromedp.WaitVisible(chromedp.CSS("#preview-nameid")))
	b.clickTo("preview", "#preview-show", "#preview-nameid")
	if got := b.text("#preview-nameid"); got != "b.simon@contoso.com" {
		t.Errorf("#preview-nameid = %q", got)
	}
	if got := b.text(`tr[data-claim="firstName"] .claim-value`); got != "B" {
		t.Errorf("the firstName claim is %q, want B", got)
	}
	if xml := b.text("#preview-xml"); !strings.Contains(xml, "<Assertion") || !strings.Contains(xml, "SignatureValue") {
		t.Errorf("#preview-xml is not a signed assertion:\n%.300s", xml)
	}
	if b.eval(`document.querySelector("#preview-problems") !== null`) {
		t.Errorf("an assigned user's preview lists problems: %s", b.text("#preview-problems"))
	}
	browsertest.Screenshot(b.ctx, t, "portal-preview")
}

// TestPortalBrowserSignInLog makes a sign-in fail and finds it, with its code, in the sign-in log.
func TestPortalBrowserSignInLog(t *testing.T) {
	b := newPortalBrowser(t)
	app := mustApp(t, b.srv, "custom", nil)
	simon := mustUser(t, b.srv, "b.simon@contoso.com", "B. Simon", gatehouse.RoleUser)
	c := newPortalClient(t, b.srv)
	c.signIn("default", simon.UserName, userPassword)
	if p := c.get("/d/default/apps/" + app.ID + "/signin"); p.Status != 403 {
		t.Fatalf("an unassigned user's sign-in: status %d, want 403", p.Status)
	}
	b.clickTo("open the sign-in log", "#nav-signins", "#filter-result")
	b.do("only failures", chromedp.SetValue(chromedp.CSS("#filter-result"), "failure"))
	b.clickTo("filter", "#apply-filters", "tr[data-signin-id] .code")
	if got := b.text("tr[data-signin-id] .code"); got != "GH5001" {
		t.Errorf("the failure's code is %q, want GH5001", got)
	}
	browsertest.Screenshot(b.ctx, t, "portal-signins")
	b.clickTo("open the failure", "tr[data-signin-id] a.signin-link", "#signin-code")
	if got := b.text("#signin-reason"); !strings.Contains(got, "b.simon@contoso.com") {
		t.Errorf("#signin-reason = %q", got)
	}
	if b.text("#signin-correlation-id") == "" {
		t.Error("no correlation ID")
	}
	b.clickTo("open the audit log", "#nav-audit", "tr[data-audit-id] a.audit-link")
	b.clickTo("open the newest change", "tr[data-audit-id] a.audit-link", "#audit-after")
	browsertest.Screenshot(b.ctx, t, "portal-audit")
}

// jsQuote returns s as a JavaScript string literal.
func jsQuote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", `\n`).Replace(s) + "'"
}

// TestPortalBrowserAccessible checks every main portal page for form controls without a label, and that on a
// phone-sized screen no page scrolls sideways.
func TestPortalBrowserAccessible(t *testing.T) {
	b := newPortalBrowser(t)
	app := mustApp(t, b.srv, "mixpanel", map[string]string{"org_id": "1"})
	u := mustUser(t, b.srv, "b.simon@contoso.com", "B. Simon", gatehouse.RoleUser)
	base := "/admin/d/default"
	pages := []string{"/admin/", base + "/", base + "/users", base + "/users/new", base + "/users/" + u.ID, base + "/groups",
		base + "/apps", base + "/apps/gallery", base + "/apps/gallery/mixpanel", base + "/apps/" + app.ID + "/sso",
		base + "/apps/" + app.ID + "/users", base + "/apps/" + app.ID + "/properties", base + "/apps/" + app.ID + "/preview?user=" + u.ID,
		base + "/sign-ins", base + "/audit"}
	const unlabelled = `[...document.querySelectorAll("input:not([type=hidden]), select, textarea")]
		.filter(e => e.labels.length === 0 && !e.getAttribute("aria-label")).map(e => e.id || e.name).join(" ")`
	for _, width := range []int64{1280, 390} {
		b.do("resize", chromedp.EmulateViewport(width, 900))
		for _, path := range pages {
			b.open(path, "main")
			ctx, cancel := context.WithTimeout(b.ctx, portalStep)
			missing, err := chromedp.Run(ctx, chromedp.Evaluate[string](unlabelled))
			cancel()
			if err != nil {
				t.Fatal(err)
			}
			if missing != "" {
				t.Errorf("%s: controls without a label: %s", path, missing)
			}
			if width < 500 && !b.eval(`document.documentElement.scrollWidth <= window.innerWidth + 1`) {
				ctx, cancel := context.WithTimeout(b.ctx, portalStep)
				wide, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`[...document.querySelectorAll("body *")].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1).slice(0, 5).map(e => e.tagName + "#" + e.id + "." + e.className).join(" ")`))
				cancel()
				t.Errorf("%s scrolls sideways at %dpx: %s", path, width, wide)
			}
		}
	}
	b.open(base+"/apps/"+app.ID+"/sso", "#entityId")
	browsertest.Screenshot(b.ctx, t, "portal-sso-phone")
}
