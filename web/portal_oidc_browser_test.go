package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/internal/browsertest"
)

// TestPortalBrowserOIDCApp adds Grafana from the gallery in Chromium and configures it on its Single sign-on page,
// which for an OpenID Connect app is its OpenID Connect settings page: a redirect URI that differs by a fragment is
// refused beside the field, a client secret is created and shown once with a copy button, and the setup values are
// there to copy (the page is saved as a screenshot); a claim is added, refused when its name is taken, and removed.
func TestPortalBrowserOIDCApp(t *testing.T) {
	b := newPortalBrowser(t)
	b.open("/admin/d/default/apps/gallery", "#gallery-search")
	b.do("type Grafana", chromedp.SendKeys(chromedp.CSS("#gallery-search"), "grafana"))
	b.clickTo("pick Grafana", `a.gallery-tile[data-gallery-id="grafana"]`, "#param-grafana_url")
	b.do("fill in its URL", portalType("#param-grafana_url", "https://grafana.contoso.com"))
	b.clickTo("add Grafana", "#add-app", "#clientId")
	if !b.eval(`document.querySelector("#redirectUris").value === "https://grafana.contoso.com/login/generic_oauth"`) {
		t.Error("#redirectUris is not the template's redirect URI")
	}
	b.do("a redirect URI with a fragment", portalType("#redirectUris", "https://grafana.contoso.com/login/generic_oauth#x"))
	b.clickTo("save", "#save-oidc", "#error-redirectUris")
	if msg := b.text("#error-redirectUris"); !strings.Contains(msg, "fragment") {
		t.Errorf("#error-redirectUris = %q", msg)
	}
	b.do("fix it", portalType("#redirectUris", "https://grafana.contoso.com/login/generic_oauth"))
	b.clickTo("save", "#save-oidc", "#notice")
	b.clickTo("create a client secret", "#create-secret", "#client-secret")
	if secret := b.text("#client-secret"); !strings.HasPrefix(secret, idp.ClientSecretPrefix) {
		t.Errorf("#client-secret = %q", secret)
	}
	if got, want := b.text("#setup-issuer"), b.srv.URL+"/d/default"; got != want {
		t.Errorf("#setup-issuer = %q, want %q", got, want)
	}
	browsertest.Screenshot(b.ctx, t, "portal-oidc")

	// A claim is added on its own, and a second claim of the same name is refused beside the claims.
	addClaim := func(what, waitFor string) {
		b.do("name a constant claim", portalType("#new-claim-name", "department"))
		b.do("make it a constant", chromedp.SetValue(chromedp.CSS("#new-claim-source"), "constant"))
		b.do("give its value", portalType("#new-claim-value", "Finance"))
		b.clickTo(what, "#add-claim", waitFor)
	}
	addClaim("add the claim", `tr[data-claim-name="department"]`)
	addClaim("add it again", "#error-claims")
	if msg := b.text("#error-claims"); !strings.Contains(msg, "department") {
		t.Errorf("#error-claims = %q", msg)
	}
	b.clickTo("remove it", `button[aria-label="Remove claim department"]`, "#notice")
	if b.eval(`document.querySelector('tr[data-claim-name="department"]') !== null`) {
		t.Error("the removed claim is still listed")
	}
}
