package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gatehouse-idp/gatehouse/internal/browsertest"
)

// TestDemoProvisioningInBrowser turns on automatic provisioning of the demo app from the portal in Chromium with
// the real binaries: the demo app's owner claims the domain and generates a SCIM token, the admin pastes the
// tenant URL and token on the app's Provisioning page, turns it on and tests the connection, assigns B.Simon, and
// B.Simon signs in to the demo app from My Apps without ever being invited.
func TestDemoProvisioningInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two servers and a browser; skipped in -short")
	}
	ctx := browsertest.New(t, 10*time.Minute)
	gh := startGatehouse(t, freeAddr(t), "GATEHOUSE_PROVISIONING_ALLOW_ADDRESSES=127.0.0.1/32")
	demo := startDemoApp(t, freeAddr(t))
	adminTab := newTab(t, ctx)
	admin := newGatehouseAdmin(t, adminTab, gh)
	owner := &demoOwner{tab: adminTab, demo: demo}

	// Single sign-on, as in the tutorial.
	appID := admin.addApp("gatehouse-demo", "demo", map[string]string{"demo_url": demo.URL}, "", "")
	owner.signIn()
	entityID, acsURL, signOnURL := owner.spValues()
	admin.configureBasic(appID, entityID, acsURL, signOnURL)
	loginURL, identifier := admin.setup(appID)
	owner.accessSecurity(admin.downloadCertificate(appID), loginURL, identifier, "")

	// The demo app: Settings → SCIM, claim the domain, generate a token (shown once).
	const simon = "b.simon@gatehouse.local"
	owner.open(demo.URL + "/settings/scim")
	owner.do("claim the domain", typeInto("#domain", "gatehouse.local"), click("#claim-domain"),
		chromedp.WaitVisible(chromedp.CSS("#scim-saved, #scim-error")))
	if got := owner.text("#claimed-domain"); got != "gatehouse.local" {
		t.Fatalf("claimed domain %q", got)
	}
	owner.do("generate a SCIM token", click("#generate-scim-token"), chromedp.WaitVisible(chromedp.CSS("#scim-token")))
	baseURL, token := owner.value("#scim-base-url"), owner.value("#scim-token")
	if baseURL != demo.URL+"/scim/v2" || token == "" {
		t.Fatalf("SCIM base URL %q, token %q", baseURL, token)
	}

	// Gatehouse: the app's Provisioning page.
	admin.portal("the app's Provisioning page", "/admin/d/default/apps/"+appID+"/provisioning")
	admin.do("turn provisioning on with the tenant URL and the token",
		chromedp.SetValue(chromedp.CSS("#prov-mode"), "automatic"), typeInto("#tenant-url", baseURL, "#secret-token", token),
		click("#save-provisioning"), chromedp.WaitVisible(chromedp.CSS("#notice, .problem")))
	if got := admin.text("#mode-badge"); got != "On" {
		t.Fatalf("after saving, provisioning is %q: %s", got, admin.text("main"))
	}
	// The page's script shows the result in place, without loading a page.
	admin.do("Test connection", chromedp.Click(chromedp.CSS("#test-connection")), chromedp.WaitVisible(chromedp.CSS("#test-ok, #test-failed")))
	if !admin.has("#test-ok") {
		t.Fatalf("Test connection: %s", admin.text("#test-result"))
	}

	// B.Simon is created and assigned, never invited in the demo app.
	tempPassword := admin.createUser(simon, "B", "Simon", false)
	admin.assign(appID, simon, false)
	member := `tr[data-email="` + simon + `"]`
	deadline := time.Now().Add(time.Minute) // only stops a hang
	for {
		owner.open(demo.URL + "/team")
		if owner.has(member) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s was not provisioned to the demo app: %s", simon, owner.text("main"))
		}
		time.Sleep(200 * time.Millisecond) // polling the condition: the Team page is read again
	}
	if got := owner.attr(member, "data-source"); got != "scim" {
		t.Errorf("%s joined the demo app by %q, want scim", simon, got)
	}

	// B.Simon signs in to My Apps and clicks the tile.
	user := person(t, adminTab)
	user.open(gh + "/d/default/myapps")
	gatehouseSignIn(user, gh, simon, tempPassword)
	changePassword(user, gh, tempPassword, "Blue-Ocean-Lantern-42", "")
	tile := `#tiles a.tile[data-app-id="` + appID + `"]`
	user.waitAt("My Apps shows the demo app", gh, tile)
	user.do("click the tile", click(tile))
	user.waitAt("signed in at the demo app", demo.URL, "#current-user, #error-page")
	if got := user.text("#current-user"); got != simon {
		t.Fatalf("after the tile the demo app shows %q, want %s", got, simon)
	}

	// The log says what was done.
	admin.portal("the provisioning log", "/admin/d/default/provisioning?app="+appID)
	if log := admin.text("main"); !strings.Contains(log, simon) || !strings.Contains(log, "create") {
		t.Errorf("the provisioning log does not show the creation of %s:\n%s", simon, log)
	}
}
