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

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
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
const stepTimeout = 30 * time.Second

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

// waitFor waits until the JavaScript expression cond is true on a completely loaded page; what describes cond in
// the failure message. The page checks cond itself at every frame (chromedp.Poll); a navigation on the way (a
// redirect, an auto-submitted form) ends that page's check, and the next page's starts.
func (b *tab) waitFor(step, cond, what string) {
	b.t.Helper()
	expr := "document.readyState === 'complete' && (" + cond + ")"
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	for ctx.Err() == nil {
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(stepTimeout))); err == nil {
			return
		}
	}
	b.t.Fatalf("%s: %s within %v; the browser is at %s", step, what, stepTimeout, b.location())
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
	// downloaded receives the file name (its GUID) of each download the browser finishes.
	downloaded chan string
}

// newGatehouseAdmin opens the admin portal in b, which sends the admin to the sign-in page first, and signs in.
func newGatehouseAdmin(t *testing.T, b *tab, gh string) *gatehouseAdmin {
	t.Helper()
	a := &gatehouseAdmin{tab: b, gh: gh, downloads: t.TempDir(), downloaded: make(chan string, 16)}
	a.open(gh + "/admin/")
	a.waitAt("the portal asks the admin to sign in", gh, "#userName")
	a.do("the admin signs in", typeInto("#userName", demoAdminUser, "#password", adminPassword))
	a.screenshot("01-admin-sign-in")
	a.do("the admin signs in", chromedp.Click(chromedp.CSS("#sign-in")))
	a.waitFor("the admin is signed in", "location.pathname.startsWith('/admin/')", "not in the portal")
	// Downloads are saved under their GUID, which the browser's progress events name.
	if err := chromedp.ListenBrowser(b.ctx, func(ev any) {
		if ev, ok := ev.(*cdpbrowser.EventDownloadProgress); ok && ev.State == cdpbrowser.DownloadProgressStateCompleted {
			select {
			case a.downloaded <- ev.GUID:
			default:
			}
		}
	}); err != nil {
		t.Fatalf("listen for downloads: %v", err)
	}
	events := true
	if _, err := chromedp.CallBrowser(b.ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: a.downloads, EventsEnabled: &events}); err != nil {
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
	a.do("open the gallery", chromedp.Click(chromedp.CSS("#add-from-gallery")), chromedp.WaitVisible(chromedp.CSS("#gallery-search")),
		chromedp.SendKeys(chromedp.CSS("#gallery-search"), search), chromedp.WaitVisible(chromedp.CSS(tile)))
	if shotGallery != "" {
		a.screenshot(shotGallery)
	}
	a.do("pick the tile", chromedp.Click(chromedp.CSS(tile)), chromedp.WaitVisible(chromedp.CSS("#add-app")))
	for name, v := range params {
		a.do("fill in "+name, typeInto("#param-"+name, v))
	}
	if shotAdd != "" {
		a.screenshot(shotAdd)
	}
	a.do("add the app", chromedp.Click(chromedp.CSS("#add-app")))
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

// configureBasic opens the Basic SAML configuration's form on the app's single sign-on page (its card's Edit),
// types the app's values and saves them.
func (a *gatehouseAdmin) configureBasic(appID, entityID, replyURL, signOnURL string) {
	a.t.Helper()
	a.portal("basic SAML configuration", "/admin/d/default/apps/"+appID+"/sso")
	a.do("edit the basic SAML configuration", chromedp.Click(chromedp.CSS("#edit-basic")), chromedp.WaitVisible(chromedp.CSS("#entityId")))
	a.do("type the basic SAML values", typeInto("#entityId", entityID, "#replyUrls", replyURL, "#signOnUrl", signOnURL))
	if signOnURL != "" {
		a.screenshot("05-basic-saml")
	}
	a.do("save them", chromedp.Click(chromedp.CSS("#save-basic")), chromedp.WaitVisible(chromedp.CSS("#basic #notice")))
}

// signWith sets what Gatehouse signs for the app (assertion, response or both) in its signing certificate card.
func (a *gatehouseAdmin) signWith(appID, option string) {
	a.t.Helper()
	a.portal("the signing settings", "/admin/d/default/apps/"+appID+"/sso?edit=signing")
	a.do("sign the "+option, chromedp.SetValue(chromedp.CSS("#signingOption"), option),
		chromedp.Click(chromedp.CSS("#save-signing")), chromedp.WaitVisible(chromedp.CSS("#certificate #notice")))
	a.portal("the signing settings", "/admin/d/default/apps/"+appID+"/sso?edit=signing")
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
	a.do("click Certificate (Base64)", chromedp.Click(chromedp.CSS("#download-base64")))
	path := a.waitDownload()
	data, err := os.ReadFile(path)
	if err != nil {
		a.t.Fatal(err)
	}
	if block, _ := pem.Decode(data); block == nil || block.Type != "CERTIFICATE" || bytes.Contains(data, []byte("PRIVATE")) {
		a.t.Fatalf("the downloaded %s is not a PEM certificate:\n%s", filepath.Base(path), data)
	}
	return path
}

// waitDownload waits until the browser says a download finished and returns the file's path.
func (a *gatehouseAdmin) waitDownload() string {
	a.t.Helper()
	select {
	case guid := <-a.downloaded:
		return filepath.Join(a.downloads, guid)
	case <-time.After(stepTimeout):
		a.t.Fatalf("no download finished in %s within %v", a.downloads, stepTimeout)
		return ""
	}
}

// createUser creates a user with Users → New user and returns the temporary password the portal shows.
func (a *gatehouseAdmin) createUser(userName, first, last string, shot bool) (tempPassword string) {
	a.t.Helper()
	a.portal("the user list", "/admin/d/default/users")
	a.do("open New user", chromedp.Click(chromedp.CSS("#new-user")), chromedp.WaitVisible(chromedp.CSS("#create-user")))
	a.do("fill in the user", typeInto("#userName", userName, "#firstName", first, "#lastName", last,
		"#displayName", first+"."+last, "#mail", userName))
	if shot {
		a.screenshot("08-new-user")
	}
	a.do("create the user", chromedp.Click(chromedp.CSS("#create-user")), chromedp.WaitVisible(chromedp.CSS("#temporary-password")))
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
		chromedp.SetValue(chromedp.CSS("#assign-type"), "user"), chromedp.Click(chromedp.CSS("#assign")))
	a.waitFor("the assignment is listed", "[...document.querySelectorAll('tr[data-assignment-id]')].some(r => r.textContent.includes("+jsString(userName)+"))",
		"no row for "+userName)
	if shot {
		a.screenshot("11-assign")
	}
}
