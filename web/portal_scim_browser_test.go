package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/gatehouse-idp/gatehouse/internal/browsertest"
)

// TestPortalBrowserSCIM creates a SCIM token on the settings page in Chromium, as an admin connecting Entra ID
// does: the tenant URL and the secret are shown once and the secret works on the SCIM endpoint; back on the settings
// page the token is listed without its secret, and revoking it from there stops it.
func TestPortalBrowserSCIM(t *testing.T) {
	b := newPortalBrowser(t)
	b.open("/admin/d/default/settings", "#scim-token-name")
	if got := b.text("#scim-base-url"); got != b.srv.URL+"/d/default/scim/v2" {
		t.Errorf("tenant URL %q", got)
	}
	b.do("name the token", portalType("#scim-token-name", "Entra ID"))
	browsertest.Screenshot(b.ctx, t, "portal-scim-settings")
	b.clickTo("create the token", "#create-scim-token", "#scim-secret-token")
	secret := b.text("#scim-secret-token")
	if b.text("#scim-tenant-url") != b.srv.URL+"/d/default/scim/v2" || !strings.HasPrefix(secret, "ghs_") {
		t.Fatalf("the new token page shows %q and %q", b.text("#scim-tenant-url"), secret)
	}
	browsertest.Screenshot(b.ctx, t, "portal-scim-token")
	e := &scimEnv{t: t, srv: b.srv, token: secret, base: b.srv.URL + "/d/default/scim/v2", client: &http.Client{}}
	if r := e.do("GET", "/ServiceProviderConfig", nil); r.Status != http.StatusOK {
		t.Fatalf("the shown secret does not work: %d", r.Status)
	}
	b.clickTo("done", "#scim-token-done", "#scim-tokens")
	if strings.Contains(b.text("#provisioning"), secret) {
		t.Error("the settings page shows the secret again")
	}
	b.clickTo("revoke", "#scim-tokens button[id^=revoke-scim-token-]", "#no-scim-tokens")
	if r := e.do("GET", "/ServiceProviderConfig", nil); r.Status != http.StatusUnauthorized {
		t.Errorf("a revoked token still works: %d", r.Status)
	}
	b.do("nothing else", chromedp.WaitVisible(chromedp.CSS("#create-scim-token")))
}
