package web_test

import (
	"encoding/pem"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/gatehouse-idp/gatehouse/internal/browsertest"
)

// TestPortalBrowserTutorial is the founding tutorial in the portal, start to end, in one browser: the admin creates
// the user with the wizard, adds Mixpanel from the gallery, configures its basic SAML settings, downloads the
// certificate and assigns the user; then the new user signs in with the temporary password, changes it, and My
// Apps shows the Mixpanel tile.
func TestPortalBrowserTutorial(t *testing.T) {
	b := newPortalBrowser(t)

	// 1. The user, with a temporary password shown once.
	b.clickTo("open Users", "#nav-users", "#new-user")
	b.clickTo("open New user", "#new-user", "#create-user")
	b.do("fill in the wizard", portalType("#userName", "b.simon@contoso.com"), portalType("#firstName", "B"),
		portalType("#lastName", "Simon"), portalType("#displayName", "B.Simon"), chromedp.SetValue(chromedp.CSS("#role"), "user"))
	b.clickTo("create the user", "#create-user", "#temporary-password")
	temporary := b.text("#temporary-password")

	// 2. Mixpanel from the gallery.
	b.clickTo("open Enterprise apps", "#nav-apps", "#add-from-gallery")
	b.clickTo("open the gallery", "#add-from-gallery", "#gallery-search")
	b.do("search", chromedp.SendKeys(chromedp.CSS("#gallery-search"), "Mixpanel"))
	b.clickTo("pick Mixpanel", `a.gallery-tile[data-gallery-id="mixpanel"]`, "#param-org_id")
	b.do("the organization ID", portalType("#param-org_id", "1234567"))
	b.clickTo("add Mixpanel", "#add-app", "#entityId")

	// 3. Basic SAML configuration: the template's values are in place; set the relay state and save.
	if got := b.text("#setup-loginUrl"); got != b.srv.URL+"/d/default/saml2" {
		t.Errorf("Login URL %q", got)
	}
	b.do("relay state", portalType("#relayState", "https://mixpanel.com/report"))
	b.clickTo("save", "#save-basic", "#saved")

	// 4. The certificate (Base64), as Mixpanel wants it.
	if blk, _ := pem.Decode(b.download("download the certificate", "#download-base64")); blk == nil || blk.Type != "CERTIFICATE" {
		t.Error("the Base64 download is not a PEM certificate")
	}

	// 5. Assign B.Simon.
	loc, err := url.Parse(b.location())
	if err != nil || !strings.HasSuffix(loc.Path, "/sso") {
		t.Fatalf("the app's page is at %s", b.location())
	}
	b.open(strings.TrimSuffix(loc.Path, "/sso")+"/users", "#assign-search")
	b.do("assign B.Simon", chromedp.SetValue(chromedp.CSS("#assign-type"), "user"), portalType("#assign-search", "b.simon@contoso.com"))
	b.clickTo("assign", "#assign", "tr[data-assignment-id] button.unassign")

	// 6. B.Simon signs in, changes the temporary password and sees the tile.
	b.clickTo("sign out", "#sign-out", "#userName")
	b.open("/d/default/myapps", "#userName")
	b.do("sign in as B.Simon", portalType("#userName", "b.simon@contoso.com"), portalType("#password", temporary))
	b.clickTo("sign in", "#sign-in", "#newPassword")
	b.do("choose a password", portalType("#currentPassword", temporary), portalType("#newPassword", "Mixpanel-reports-42"),
		portalType("#confirmPassword", "Mixpanel-reports-42"))
	b.clickTo("change it", "#change-password", "#tiles")
	if got := b.text("#current-user"); got != "b.simon@contoso.com" {
		t.Errorf("signed in as %q", got)
	}
	if got := b.text("#tiles a.tile"); !strings.Contains(got, "Mixpanel") {
		t.Errorf("My Apps shows %q, want the Mixpanel tile", got)
	}
	browsertest.Screenshot(b.ctx, t, "myapps-mixpanel")
}
