package e2e

import (
	"bytes"
	"context"
	"encoding/pem"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gatehouse-idp/gatehouse/internal/browsertest"
)

// tab drives one browser tab (or one isolated browser context) by element ids, failing the test with the step's
// name when an action does not complete within stepTimeout.
type tab struct {
	t   *testing.T
	ctx context.Context
}

// newTab starts the browser tab of ctx, so that the per-step contexts derived from it do not own (and close) it.
func newTab(t *testing.T, ctx context.Context) *tab {
	t.Helper()
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start the browser: %v", err)
	}
	return &tab{t: t, ctx: ctx}
}

// stepTimeout bounds each step, so that a missing element fails with the step's name instead of the test's
// overall deadline.
const stepTimeout = time.Minute

// do runs the actions of one step.
func (b *tab) do(step string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v\nat %s", step, err, b.location())
	}
}

// open navigates to u and returns the HTTP status of the page.
func (b *tab) open(u string) int64 {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Navigate(u))
	if err != nil {
		b.t.Fatalf("open %s: %v", u, err)
	}
	if resp == nil {
		return 0
	}
	return resp.Status
}

// text returns the trimmed text of the element sel.
func (b *tab) text(sel string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v\nat %s", sel, err, b.location())
	}
	return strings.TrimSpace(s)
}

// value returns the value of the input sel.
func (b *tab) value(sel string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("value of %s: %v\nat %s", sel, err, b.location())
	}
	return s
}

// attr returns the attribute name of the element sel.
func (b *tab) attr(sel, name string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	r, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(sel), name))
	if err != nil {
		b.t.Fatalf("attribute %s of %s: %v\nat %s", name, sel, err, b.location())
	}
	return r.Value
}

// location returns the URL of the page, or "" when the browser cannot say.
func (b *tab) location() string {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	u, _ := chromedp.Run(ctx, chromedp.Location())
	return u
}

// has reports whether the page has an element matching sel now.
func (b *tab) has(sel string) bool {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("document.querySelector("+jsString(sel)+") !== null"))
	return err == nil && ok
}

// waitAt waits until the page is on origin and has an element matching sel, through any redirects and
// auto-submitted forms on the way.
func (b *tab) waitAt(step, origin, sel string) {
	b.t.Helper()
	b.waitFor(step, "location.origin === "+jsString(origin)+" && document.querySelector("+jsString(sel)+") !== null",
		"no "+sel+" on "+origin)
}

// waitFor waits until the JavaScript expression cond is true on a completely loaded page, through any navigations
// on the way; what describes cond in the failure message.
func (b *tab) waitFor(step, cond, what string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, browsertest.WaitFor(cond)); err != nil {
		b.t.Fatalf("%s: %s within %v (%v); the browser is at %s", step, what, stepTimeout, err, b.location())
	}
}

// click clicks sel, which loads a new page, and waits until that page has loaded.
func click(sel string) chromedp.Action[chromedp.Void] {
	return browsertest.Loads(chromedp.Click(chromedp.CSS(sel)))
}

// typeInto replaces the value of each input or textarea (selector → text) by typing the text.
func typeInto(fields ...string) chromedp.Action[chromedp.Void] {
	var steps []chromedp.Action[chromedp.Void]
	for i := 0; i+1 < len(fields); i += 2 {
		steps = append(steps, chromedp.Clear(chromedp.CSS(fields[i])), chromedp.SendKeys(chromedp.CSS(fields[i]), fields[i+1]))
	}
	return chromedp.Steps(steps...)
}

func jsString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", `\n`)
	return "'" + r.Replace(s) + "'"
}

// screenshot saves a PNG of the browser's viewport as docs/images/<name>.png when GATEHOUSE_SCREENSHOTS names a
// directory (relative to the repository root, e.g. GATEHOUSE_SCREENSHOTS=docs/images); otherwise it does nothing.
// Viewport shots keep the documentation's images small.
func (b *tab) screenshot(name string) {
	b.t.Helper()
	dir := os.Getenv("GATEHOUSE_SCREENSHOTS")
	if dir == "" {
		return
	}
	if !filepath.IsAbs(dir) {
		dir = filepath.Join("..", dir) // tests run in e2e/
	}
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// gatehouseAdmin performs the tutorial's steps in Gatehouse's admin portal as its admin.
type gatehouseAdmin struct {
	*tab
	gh        string
	downloads string
}

// newGatehouseAdmin opens the admin portal in b, which sends the admin to the sign-in page first, and signs in.
func newGatehouseAdmin(t *testing.T, b *tab, gh string) *gatehouseAdmin {
	t.Helper()
	a := &gatehouseAdmin{tab: b, gh: gh, downloads: t.TempDir()}
	a.open(gh + "/admin/")
	a.waitAt("the portal asks the admin to sign in", gh, "#userName")
	a.do("the admin signs in", typeInto("#userName", demoAdminUser, "#password", adminPassword))
	a.screenshot("01-admin-sign-in")
	a.do("the admin signs in", click("#sign-in"))
	a.waitFor("the admin is signed in", "location.pathname.startsWith('/admin/')", "not in the portal")
	if err := browsertest.AllowDownloads(b.ctx, a.downloads); err != nil {
		t.Fatalf("allow downloads: %v", err)
	}
	return a
}

// portal opens a portal page, failing the test unless it answers 200.
func (a *gatehouseAdmin) portal(step, path string) {
	a.t.Helper()
	if status := a.open(a.gh + path); status != http.StatusOK {
		a.t.Fatalf("%s: portal page %s answered %d", step, path, status)
	}
}

// addApp adds the gallery template galleryID, found by typing search into the gallery's search box, with the
// template parameters params, and returns the new app's ID. shotGallery and shotAdd name the screenshots of the
// gallery and of the add page ("" for none).
func (a *gatehouseAdmin) addApp(galleryID, search string, params map[string]string, shotGallery, shotAdd string) string {
	a.t.Helper()
	a.portal("the app list", "/admin/d/default/apps")
	tile := `a.gallery-tile[data-gallery-id="` + galleryID + `"]`
	a.do("open the gallery", click("#add-from-gallery"), chromedp.WaitVisible(chromedp.CSS("#gallery-search")),
		chromedp.SendKeys(chromedp.CSS("#gallery-search"), search), chromedp.WaitVisible(chromedp.CSS(tile)))
	if shotGallery != "" {
		a.screenshot(shotGallery)
	}
	a.do("pick the tile", click(tile), chromedp.WaitVisible(chromedp.CSS("#add-app")))
	for name, v := range params {
		a.do("fill in "+name, typeInto("#param-"+name, v))
	}
	if shotAdd != "" {
		a.screenshot(shotAdd)
	}
	a.do("add the app", click("#add-app"))
	a.waitFor("the app's single sign-on page", "location.pathname.endsWith('/sso') && document.querySelector('#entityId') !== null",
		"not on the new app's single sign-on page")
	loc := a.location()
	_, rest, _ := strings.Cut(loc, "/apps/")
	id, _, _ := strings.Cut(rest, "/")
	if id == "" {
		a.t.Fatalf("after adding %s the portal is at %s, want the app's single sign-on page", galleryID, loc)
	}
	return id
}

// configureBasic types the app's basic SAML values on its single sign-on page and saves them.
func (a *gatehouseAdmin) configureBasic(appID, entityID, replyURL, signOnURL string) {
	a.t.Helper()
	a.portal("basic SAML configuration", "/admin/d/default/apps/"+appID+"/sso")
	a.do("type the basic SAML values", typeInto("#entityId", entityID, "#replyUrls", replyURL, "#signOnUrl", signOnURL))
	if signOnURL != "" {
		a.screenshot("05-basic-saml")
	}
	a.do("save them", click("#save-basic"), chromedp.WaitVisible(chromedp.CSS("#saved")))
}

// signWith sets what Gatehouse signs for the app (assertion, response or both) in its signing settings.
func (a *gatehouseAdmin) signWith(appID, option string) {
	a.t.Helper()
	a.portal("the signing settings", "/admin/d/default/apps/"+appID+"/sso")
	a.do("sign the "+option, chromedp.SetValue(chromedp.CSS("#signingOption"), option),
		click("#save-signing"), chromedp.WaitVisible(chromedp.CSS("#saved")))
	if got := a.value("#signingOption"); got != option {
		a.t.Fatalf("signing option after saving %q, want %q", got, option)
	}
}

// setup returns the app's Login URL and Identifier from its "Set up" section.
func (a *gatehouseAdmin) setup(appID string) (loginURL, identifier string) {
	a.t.Helper()
	a.portal("read the set-up values", "/admin/d/default/apps/"+appID+"/sso")
	a.do("scroll to the set-up values", chromedp.ScrollIntoView(chromedp.CSS("#setup-loginUrl")))
	a.screenshot("06-setup-values")
	return a.text("#setup-loginUrl"), a.text("#setup-identifier")
}

// downloadCertificate clicks Certificate (Base64) on the app's single sign-on page and returns the downloaded file's
// path, checking that it is a PEM certificate.
func (a *gatehouseAdmin) downloadCertificate(appID string) string {
	a.t.Helper()
	a.portal("download the certificate", "/admin/d/default/apps/"+appID+"/sso")
	ctx, cancel := context.WithTimeout(a.ctx, stepTimeout)
	defer cancel()
	path, err := browsertest.Download(ctx, a.downloads, chromedp.Click(chromedp.CSS("#download-base64")))
	if err != nil {
		a.t.Fatalf("click Certificate (Base64): %v\nat %s", err, a.location())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		a.t.Fatal(err)
	}
	if block, _ := pem.Decode(data); block == nil || block.Type != "CERTIFICATE" || bytes.Contains(data, []byte("PRIVATE")) {
		a.t.Fatalf("the downloaded %s is not a PEM certificate:\n%s", filepath.Base(path), data)
	}
	return path
}

// createUser creates a user with Users → New user and returns the temporary password the portal shows.
func (a *gatehouseAdmin) createUser(userName, first, last string, shot bool) (tempPassword string) {
	a.t.Helper()
	a.portal("the user list", "/admin/d/default/users")
	a.do("open New user", click("#new-user"), chromedp.WaitVisible(chromedp.CSS("#create-user")))
	a.do("fill in the user", typeInto("#userName", userName, "#firstName", first, "#lastName", last,
		"#displayName", first+"."+last, "#mail", userName))
	if shot {
		a.screenshot("08-new-user")
	}
	a.do("create the user", click("#create-user"), chromedp.WaitVisible(chromedp.CSS("#temporary-password")))
	if shot {
		a.screenshot("09-temporary-password")
	}
	return a.text("#temporary-password")
}

// assign assigns the user userName to the app on its Users and groups page.
func (a *gatehouseAdmin) assign(appID, userName string, shot bool) {
	a.t.Helper()
	a.portal("the app's users and groups", "/admin/d/default/apps/"+appID+"/users")
	a.do("assign "+userName, typeInto("#assign-search", userName),
		chromedp.SetValue(chromedp.CSS("#assign-type"), "user"), click("#assign"))
	a.waitFor("the assignment is listed", "[...document.querySelectorAll('tr[data-assignment-id]')].some(r => r.textContent.includes("+jsString(userName)+"))",
		"no row for "+userName)
	if shot {
		a.screenshot("11-assign")
	}
}
