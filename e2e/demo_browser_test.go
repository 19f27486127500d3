package e2e

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gatehouse-idp/gatehouse/internal/browsertest"
)

// demoOwner is the demo app's organization owner at work in a browser tab.
type demoOwner struct {
	*tab
	demo *demoApp
}

// signIn signs the owner in to the demo app with the owner's password.
func (o *demoOwner) signIn() {
	o.t.Helper()
	o.open(o.demo.URL + "/signin")
	o.do("the owner signs in to the demo app", typeInto("#email", demoOwnerEmail, "#password", demoOwnerPassword),
		click("#signin-submit"))
	o.waitAt("the owner's dashboard", o.demo.URL, "#current-user")
	if got := o.text("#current-user"); got != demoOwnerEmail {
		o.t.Fatalf("signed in to the demo app as %q, want the owner", got)
	}
}

// spValues returns the demo app's own SAML values from its settings page.
func (o *demoOwner) spValues() (entityID, acsURL, signOnURL string) {
	o.t.Helper()
	o.do("open Settings", click("#nav-settings"), chromedp.WaitVisible(chromedp.CSS("#sp-entity-id")))
	o.do("show the app's SAML values", chromedp.ScrollIntoView(chromedp.CSS("#sp-entity-id")))
	o.screenshot("04-demo-sp-values")
	return o.value("#sp-entity-id"), o.value("#sp-acs-url"), o.value("#sp-sign-on-url")
}

// accessSecurity uploads the IdP certificate file and sets the authentication URL and Issuer URL under Settings →
// Access security → Change settings.
func (o *demoOwner) accessSecurity(certFile, authURL, issuerURL, shot string) {
	o.t.Helper()
	o.open(o.demo.URL + "/settings")
	o.do("Settings → Access security → Change settings", click("#change-settings"),
		chromedp.WaitVisible(chromedp.CSS("#save-sso")))
	o.do("upload the certificate, set both URLs", chromedp.SetUploadFiles(chromedp.CSS("#cert-file"), []string{certFile}),
		typeInto("#auth-url", authURL, "#issuer-url", issuerURL))
	if shot != "" {
		o.screenshot(shot)
	}
	o.do("save", click("#save-sso"), chromedp.WaitVisible(chromedp.CSS("#settings-saved, #settings-error")))
	if o.has("#settings-error") {
		o.t.Fatalf("the demo app refused the access security settings: %s", o.text("#settings-error"))
	}
	if got := o.text("#current-auth-url"); got != authURL {
		o.t.Errorf("demo app's authentication URL %q, want %q", got, authURL)
	}
}

// useMetadataURL gives the demo app the IdP's federation metadata URL instead of the certificate and both URLs.
func (o *demoOwner) useMetadataURL(metadataURL string) {
	o.t.Helper()
	o.open(o.demo.URL + "/settings")
	o.do("Settings → Access security → Change settings", click("#change-settings"),
		chromedp.WaitVisible(chromedp.CSS("#save-sso")))
	o.do("paste the App Federation Metadata URL", typeInto("#metadata-url", metadataURL),
		click("#save-sso"), chromedp.WaitVisible(chromedp.CSS("#settings-saved, #settings-error")))
	if o.has("#settings-error") {
		o.t.Fatalf("the demo app refused the metadata URL: %s", o.text("#settings-error"))
	}
}

// invite invites a member by e-mail under Team.
func (o *demoOwner) invite(email string, shot string) {
	o.t.Helper()
	o.open(o.demo.URL + "/team")
	o.do("invite "+email, typeInto("#invite-email", email), click("#invite-submit"),
		chromedp.WaitVisible(chromedp.CSS("#team-invited, #team-error")))
	if got := o.memberStatus(email); got != "pending" {
		o.t.Fatalf("%s after the invitation: status %q, want pending", email, got)
	}
	if shot != "" {
		o.screenshot(shot)
	}
}

// memberStatus returns the status the Team page shows for email.
func (o *demoOwner) memberStatus(email string) string {
	o.t.Helper()
	o.open(o.demo.URL + "/team")
	return o.text(`tr[data-email="` + email + `"] .member-status`)
}

// person opens an isolated browser context (its own cookies) for someone other than the admin.
func person(t *testing.T, admin *tab) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(admin.ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	return newTab(t, ctx)
}

// gatehouseSignIn fills in Gatehouse's sign-in page, on which the browser must be.
func gatehouseSignIn(b *tab, gh string, userName, password string) {
	b.t.Helper()
	b.waitAt("Gatehouse's sign-in page", gh, "#userName")
	b.do("sign in to Gatehouse as "+userName, typeInto("#userName", userName, "#password", password),
		click("#sign-in"))
}

// changePassword replaces a temporary password on Gatehouse's password page.
func changePassword(b *tab, gh string, temporary, newPassword, shot string) {
	b.t.Helper()
	b.waitAt("Gatehouse asks for a new password", gh, "#newPassword")
	b.do("choose a new password", typeInto("#currentPassword", temporary, "#newPassword", newPassword, "#confirmPassword", newPassword))
	if shot != "" {
		b.screenshot(shot)
	}
	b.do("change the password", click("#change-password"))
}

// defaultDemoAddr is the demo app's default address, which the gallery template proposes.
const defaultDemoAddr = "127.0.0.1:8090"

// demoSignOut signs out of the demo app, which ends on its sign-in page.
func demoSignOut(b *tab, demo *demoApp) {
	b.t.Helper()
	b.do("sign out of the demo app", click("#signout-button"))
	b.waitFor("signed out of the demo app", "location.search.includes('signed_out=1')", "not on the signed-out page")
	b.waitAt("the demo app's sign-in page", demo.URL, "#sso-button")
}

// TestDemoTutorialInBrowser performs the founding tutorial in Chromium with the real gatehouse and gatehouse-demo
// binaries: the admin adds the demo app from the gallery and configures single sign-on, the demo app's owner
// uploads the certificate and invites the user, and the user signs in to the demo app from My Apps, from the demo
// app's sign-in page, IdP-initiated from My Apps once the Sign-on URL is empty, and with Gatehouse signing the
// response, both or the assertion. Then the refusals: a user not assigned (Gatehouse, also in its sign-in log), a
// user not invited (the demo app) and a response signed with another app's certificate (the demo app), which the
// App Federation Metadata URL then sets right.
//
// With GATEHOUSE_SCREENSHOTS=docs/images it also makes the screenshots of docs/tutorial.md.
func TestDemoTutorialInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two servers and a browser; skipped in -short")
	}
	ctx := browsertest.New(t, 15*time.Minute)
	// Screenshots for the documentation show the default addresses the tutorial uses.
	ghAddr, demoAddr := freeAddr(t), freeAddr(t)
	if os.Getenv("GATEHOUSE_SCREENSHOTS") != "" {
		ghAddr, demoAddr = "127.0.0.1:8080", defaultDemoAddr
		mustBeFree(t, ghAddr)
		mustBeFree(t, demoAddr)
	}
	gh := startGatehouse(t, ghAddr)
	demo := startDemoApp(t, demoAddr)

	// The admin and the demo app's owner share one browser (each app has its own cookie).
	adminTab := newTab(t, ctx)
	admin := newGatehouseAdmin(t, adminTab, gh)
	owner := &demoOwner{tab: adminTab, demo: demo}

	// Add the demo app from the gallery, giving the address it runs at.
	appID := admin.addApp("gatehouse-demo", "demo", map[string]string{"demo_url": demo.URL}, "02-gallery", "03-add-demo-app")

	// Basic SAML configuration: the values the demo app shows on its settings page.
	owner.signIn()
	entityID, acsURL, signOnURL := owner.spValues()
	if entityID != demo.URL+"/saml/metadata" || acsURL != demo.URL+"/saml/acs" || signOnURL != demo.URL+"/saml/login" {
		t.Fatalf("demo app's SAML values: %q %q %q", entityID, acsURL, signOnURL)
	}
	admin.configureBasic(appID, entityID, acsURL, signOnURL)

	// The certificate and the set-up values go to the demo app.
	loginURL, identifier := admin.setup(appID)
	if loginURL != gh+"/d/default/saml2" || identifier != gh+"/d/default" {
		t.Fatalf("set-up values: Login URL %q, Identifier %q", loginURL, identifier)
	}
	certFile := admin.downloadCertificate(appID)
	owner.accessSecurity(certFile, loginURL, identifier, "07-demo-access-security")

	// B.Simon: created with a temporary password, invited in the demo app, assigned to it.
	const simon = "b.simon@gatehouse.local"
	tempPassword := admin.createUser(simon, "B", "Simon", true)
	if tempPassword == "" {
		t.Fatal("no temporary password")
	}
	owner.invite(simon, "10-demo-invite")
	admin.assign(appID, simon, true)

	// B.Simon signs in to My Apps, changes the temporary password and clicks the tile.
	const simonPassword = "Blue-Ocean-Lantern-42"
	user := person(t, adminTab)
	user.open(gh + "/d/default/myapps")
	gatehouseSignIn(user, gh, simon, tempPassword)
	changePassword(user, gh, tempPassword, simonPassword, "12-change-password")
	tile := `#tiles a.tile[data-app-id="` + appID + `"]`
	user.waitAt("My Apps shows the demo app", gh, tile)
	user.screenshot("13-my-apps")
	user.do("click the tile", click(tile))
	user.waitAt("signed in at the demo app", demo.URL, "#current-user, #error-page")
	if got := user.text("#current-user"); got != simon {
		t.Fatalf("after the tile the demo app shows %q, want %s", got, simon)
	}
	user.screenshot("14-signed-in-at-demo-app")
	if got := owner.memberStatus(simon); got != "active" {
		t.Errorf("%s after the first sign-in: status %q, want active", simon, got)
	}

	// use makes the helpers report to the subtest t.
	use := func(t *testing.T) { adminTab.t, user.t = t, t }

	t.Run("SP-initiated from the demo app's sign-in page", func(t *testing.T) {
		use(t)
		demoSignOut(user, demo)
		user.open(gh + "/d/default/myapps")
		user.do("sign out of Gatehouse", click("#sign-out"))
		user.waitFor("signed out of Gatehouse", "location.pathname.endsWith('/login')", "not on the sign-in page")

		user.open(demo.URL + "/signin")
		user.waitAt("the demo app's sign-in page", demo.URL, "#sso-button")
		user.screenshot("15-demo-sign-in-sso")
		user.do("Sign in with SSO", click("#sso-button"))
		gatehouseSignIn(user, gh, simon, simonPassword)
		user.waitAt("back at the demo app", demo.URL, "#current-user, #error-page")
		if got := user.text("#current-user"); got != simon {
			t.Fatalf("after SP-initiated sign-on the demo app shows %q, want %s", got, simon)
		}
	})

	t.Run("IdP-initiated from My Apps once the Sign-on URL is empty", func(t *testing.T) {
		use(t)
		admin.configureBasic(appID, entityID, acsURL, "")
		demoSignOut(user, demo)
		user.open(gh + "/d/default/myapps")
		user.waitAt("My Apps shows the demo app", gh, tile)
		if href := user.attr(tile, "href"); strings.HasPrefix(href, demo.URL) {
			t.Fatalf("without a Sign-on URL the tile still leads to the app (%s), want Gatehouse's user access URL", href)
		}
		user.do("click the tile", click(tile))
		user.waitAt("signed in at the demo app", demo.URL, "#current-user, #error-page")
		if got := user.text("#current-user"); got != simon {
			t.Fatalf("after IdP-initiated sign-on the demo app shows %q, want %s", got, simon)
		}
		admin.configureBasic(appID, entityID, acsURL, signOnURL)
	})

	t.Run("the demo app accepts every signing option", func(t *testing.T) {
		use(t)
		for _, option := range []string{"response", "both", "assertion"} {
			admin.signWith(appID, option)
			demoSignOut(user, demo)
			user.do("Sign in with SSO", click("#sso-button"))
			user.waitAt("back at the demo app", demo.URL, "#current-user, #error-page")
			if !user.has("#current-user") || user.text("#current-user") != simon {
				t.Fatalf("signing the %s: the demo app answers %s", option, user.text("main"))
			}
		}
	})

	t.Run("a user not assigned is refused by Gatehouse", func(t *testing.T) {
		const smith = "e.smith@gatehouse.local"
		use(t)
		temp := admin.createUser(smith, "E", "Smith", false)
		owner.invite(smith, "")
		p := person(t, adminTab)
		p.open(demo.URL + "/signin")
		p.do("Sign in with SSO", click("#sso-button"))
		gatehouseSignIn(p, gh, smith, temp)
		changePassword(p, gh, temp, "Green-Valley-Orchard-31", "")
		p.waitAt("Gatehouse's denial page", gh, "#error-code")
		if got := p.text("#error-code"); got != "GH5001" {
			t.Errorf("#error-code %q, want GH5001 (%s)", got, p.text("#error-message"))
		}
		if !p.has("#correlation-id") {
			t.Error("the denial page shows no correlation ID")
		}
		if p.has(`form[action^="` + demo.URL + `"]`) {
			t.Error("the denial page posts something to the demo app")
		}
		p.screenshot("16-not-assigned")
	})

	t.Run("an assigned user not invited is refused by the demo app", func(t *testing.T) {
		const jones = "r.jones@gatehouse.local"
		use(t)
		temp := admin.createUser(jones, "R", "Jones", false)
		admin.assign(appID, jones, false)
		p := person(t, adminTab)
		p.open(gh + "/d/default/myapps")
		gatehouseSignIn(p, gh, jones, temp)
		changePassword(p, gh, temp, "Amber-Meadow-Falcon-58", "")
		p.waitAt("My Apps shows the demo app", gh, tile)
		p.do("click the tile", click(tile))
		p.waitAt("the demo app's answer", demo.URL, "#error-page, #current-user")
		if !p.has("#sso-email") || p.text("#sso-email") != jones || !strings.Contains(p.text("#error-title"), "not a member") {
			t.Fatalf("want the not-a-member page naming %s, got: %s", jones, p.text("body"))
		}
		if p.text("#owner-email") != demoOwnerEmail {
			t.Errorf("the not-a-member page names owner %q, want %s", p.text("#owner-email"), demoOwnerEmail)
		}
		p.screenshot("17-not-a-member")
	})

	t.Run("the sign-in log shows the sign-ins and Gatehouse's refusal", func(t *testing.T) {
		use(t)
		admin.portal("the sign-in log", "/admin/d/default/sign-ins")
		admin.waitAt("the sign-in log", gh, "tr[data-signin-id]")
		// row(user, app, code) is a JavaScript test for a row of that user and app whose code cell holds code.
		row := func(user, app, code string) string {
			return `[...document.querySelectorAll('tr[data-signin-id]')].some(r => r.textContent.includes(` + jsString(user) +
				`) && r.textContent.includes(` + jsString(app) + `) && r.querySelector('.code').textContent.trim() === ` +
				jsString(code) + `)`
		}
		for what, cond := range map[string]string{
			"B.Simon's successful sign-in to the app": row("b.simon@gatehouse.local", "Gatehouse Demo App", ""),
			"E.Smith's refusal with GH5001":           row("e.smith@gatehouse.local", "Gatehouse Demo App", "GH5001"),
		} {
			admin.waitFor("the sign-in log lists "+what, cond, "no row for "+what)
		}
		// The refusal's detail, as the admin finds it from the code and correlation ID on the user's page.
		ctx, cancel := context.WithTimeout(admin.ctx, stepTimeout)
		href, err := chromedp.Run(ctx, chromedp.Evaluate[string](`[...document.querySelectorAll('tr[data-signin-id]')]`+
			`.find(r => r.querySelector('.code').textContent.includes('GH5001')).querySelector('a.signin-link').href`))
		cancel()
		if err != nil {
			t.Fatalf("the GH5001 row's link: %v", err)
		}
		admin.open(href)
		admin.waitAt("the sign-in's detail", gh, "#signin-code")
		if got := admin.text("#signin-code"); got != "GH5001" {
			t.Errorf("#signin-code %q, want GH5001", got)
		}
		if admin.text("#signin-correlation-id") == "" {
			t.Error("the sign-in's detail shows no correlation ID")
		}
		admin.screenshot("18-sign-in-detail")
	})

	t.Run("a response signed with another certificate is refused by the demo app", func(t *testing.T) {
		use(t)
		otherID := admin.addApp("mixpanel", "mixpa", map[string]string{"org_id": "4242"}, "", "")
		otherCert := admin.downloadCertificate(otherID)
		owner.accessSecurity(otherCert, loginURL, identifier, "")

		demoSignOut(user, demo)
		user.do("Sign in with SSO", click("#sso-button"))
		user.waitAt("the demo app's answer", demo.URL, "#error-page, #current-user")
		if p := user.attr("#error-page", "data-check"); p != "signature certificate" {
			t.Errorf("failed check %q, want signature certificate", p)
		}
		if msg := user.text("#error-message"); !strings.Contains(msg, "not the one uploaded in Settings → Access security") {
			t.Errorf("error message %q does not name the certificate check", msg)
		}
		user.screenshot("19-wrong-certificate")
	})

	t.Run("the App Federation Metadata URL sets the demo app right again", func(t *testing.T) {
		use(t)
		admin.portal("the set-up values", "/admin/d/default/apps/"+appID+"/sso")
		metadataURL := admin.text("#setup-metadataUrl")
		owner.useMetadataURL(metadataURL)
		if got := owner.text("#current-metadata-url"); got != metadataURL {
			t.Errorf("the demo app shows metadata URL %q, want %q", got, metadataURL)
		}
		user.open(demo.URL + "/signin")
		user.do("Sign in with SSO", click("#sso-button"))
		user.waitAt("back at the demo app", demo.URL, "#current-user, #error-page")
		if got := user.text("#current-user"); got != simon {
			t.Fatalf("after the metadata URL the demo app shows %q, want %s", got, simon)
		}
	})
}
