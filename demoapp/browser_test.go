package demoapp

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/gatehouse-idp/gatehouse/internal/browsertest"
	ghsaml "github.com/gatehouse-idp/gatehouse/saml"
)

// TestBrowserTutorial drives the app's pages in headless Chromium by their element ids, as the two-process browser
// test does: the owner signs in, uploads the IdP certificate, sets both URLs and invites a member, who then signs
// in with SSO from the IdP's auto-submitted form; a response signed with another certificate shows both
// thumbprints, and removing the member asks first. Every page on the way passes axe-core's accessibility checks
// and does not scroll sideways on a phone.
func TestBrowserTutorial(t *testing.T) {
	ctx := browsertest.New(t, 5*time.Minute)
	const gatehouse = "https://gatehouse.example.test:8443"
	e := newEnv(t, func(c *Config) { c.GatehouseURL = gatehouse })
	// The first action starts the browser, which lives as long as the context it ran on: run it on ctx itself.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start the browser: %v", err)
	}
	do := func(step string, a ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		if err := chromedp.Do(sctx, a...); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	click := func(step, sel, want string) {
		t.Helper()
		do(step, browsertest.Loads(chromedp.Click(chromedp.CSS(sel))), chromedp.WaitVisible(chromedp.CSS(want)))
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return strings.TrimSpace(s)
	}
	check := func(page string) {
		t.Helper()
		browsertest.CheckPage(ctx, t, page)
	}
	// The IdP is played by a loopback server whose sign-on page answers the AuthnRequest with a signed Response in
	// a form the person submits, as Gatehouse's auto-submitting page does. It signs with signer.
	_, other := idps(t)
	var signer atomic.Pointer[testIdP]
	signer.Store(e.idp)
	idpSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		msg, err := ghsaml.DecodeRedirect(r.URL.RawQuery, ghsaml.DefaultLimits)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		o := member("ada@example.com", "Ada", "Lovelace")
		o.InResponseTo, o.Signer = msg.Request.ID, signer.Load()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html lang="en"><title>IdP</title><main><form method="post" action="%s"><input type="hidden" name="SAMLResponse" value="%s">`+
			`<input type="hidden" name="RelayState" value="%s"><button id="post">Continue</button></form></main></html>`,
			html.EscapeString(msg.Request.ACSURL), e.response(o), html.EscapeString(msg.RelayState))
	}))
	defer idpSrv.Close()
	idpLoginURL := idpSrv.URL + "/saml2"

	certFile := filepath.Join(t.TempDir(), "Gatehouse Demo App.cer")
	if err := os.WriteFile(certFile, []byte(e.idp.pem()), 0o600); err != nil {
		t.Fatal(err)
	}

	do("open the sign-in page", chromedp.Navigate(e.url+"/signin"), chromedp.WaitVisible(chromedp.CSS("#email")))
	check("sign-in")
	do("owner signs in", chromedp.SendKeys(chromedp.CSS("#email"), ownerEmail), chromedp.SendKeys(chromedp.CSS("#password"), ownerPassword))
	click("owner signs in", "#signin-submit", "#current-user")
	if got := text("#current-user"); got != ownerEmail {
		t.Errorf("#current-user %q", got)
	}
	check("dashboard")

	click("open Settings", "#nav-settings", "#change-settings")
	check("settings")
	click("Change settings", "#change-settings", "#save-sso")
	check("access security")
	// The examples are the Gatehouse this app is meant for, not a fixed address.
	for sel, want := range map[string]string{"#auth-url": gatehouse + "/d/default/saml2", "#issuer-url": gatehouse + "/d/default",
		"#metadata-url": gatehouse + "/d/default/federationmetadata/2007-06/federationmetadata.xml?appid=…"} {
		got, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(sel), "placeholder"))
		if err != nil || got.Value != want {
			t.Errorf("%s placeholder %q (%v), want %q", sel, got.Value, err, want)
		}
	}
	entityID, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS("#sp-entity-id")))
	if err != nil || entityID != e.app.EntityID() {
		t.Errorf("#sp-entity-id %q (%v), want %s", entityID, err, e.app.EntityID())
	}
	do("upload a private key by mistake", chromedp.SetUploadFiles(chromedp.CSS("#cert-file"), []string{writeTemp(t, "key.pem", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")}))
	click("save", "#save-sso", "#settings-error")
	if got := text("#settings-error"); !strings.Contains(got, "private key") {
		t.Errorf("#settings-error %q", got)
	}
	check("access security with an error")
	do("upload the certificate and set the URLs",
		chromedp.SetUploadFiles(chromedp.CSS("#cert-file"), []string{certFile}),
		chromedp.SetValue(chromedp.CSS("#auth-url"), idpLoginURL), chromedp.SetValue(chromedp.CSS("#issuer-url"), testIssuer))
	click("save", "#save-sso", "#settings-saved")
	if got := text("#cert-thumbprint"); got != thumbprint(e.idp.cert) {
		t.Errorf("#cert-thumbprint %q, want %s", got, thumbprint(e.idp.cert))
	}

	click("open Team", "#nav-team", "#invite-email")
	do("type the member's e-mail", chromedp.SendKeys(chromedp.CSS("#invite-email"), "ada@example.com"))
	click("invite a member", "#invite-submit", "#team-invited")
	if got := text(`tr[data-email="ada@example.com"] .member-status`); got != "pending" {
		t.Errorf("status after the invitation %q, want pending", got)
	}
	check("team")
	click("sign out", "#signout-button", "#sso-button")
	check("signed out")

	// The member starts at the app, signs in at the IdP and is posted back.
	click("sign in with SSO", "#sso-button", "#post")
	click("post the response", "#post", "#current-user, #error-ref")
	if got := text("#current-user"); got != "ada@example.com" {
		t.Errorf("#current-user after SSO %q, want ada@example.com", got)
	}
	u, err := e.app.findUserByEmail(t.Context(), "ada@example.com")
	if err != nil || u.Status != StatusActive || u.Name() != "Ada Lovelace" {
		t.Errorf("member after SSO: %+v, %v", u, err)
	}

	// A response signed with another certificate: the error page shows both thumbprints, marked where they differ.
	click("sign out", "#signout-button", "#sso-button")
	signer.Store(other)
	click("sign in with SSO", "#sso-button", "#post")
	click("post the response", "#post", "#error-page")
	if got, want := text("#error-received"), thumbprint(other.cert); got != want {
		t.Errorf("#error-received %q, want %s", got, want)
	}
	if got, want := text("#error-expected"), thumbprint(e.idp.cert); got != want {
		t.Errorf("#error-expected %q, want %s", got, want)
	}
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#error-page mark.differs").length`)); err != nil || n != 2 {
		t.Errorf("%d differences marked (%v), want one in each thumbprint", n, err)
	}
	if mono, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`getComputedStyle(document.querySelector("#error-received")).fontFamily.includes("monospace")`)); err != nil || !mono {
		t.Errorf("the thumbprints are not in a monospace font (%v)", err)
	}
	check("error page")
	browsertest.Screenshot(ctx, t, "demo-wrong-certificate")
	do("a page that does not exist", chromedp.Navigate(e.url+"/nosuchpage"), chromedp.WaitVisible(chromedp.CSS("#error-page")))
	check("not found")

	// Removing a member asks first; Cancel keeps them, Remove removes them.
	signer.Store(e.idp)
	do("back to sign-in", chromedp.Navigate(e.url+"/signin"), chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), ownerEmail), chromedp.SendKeys(chromedp.CSS("#password"), ownerPassword))
	click("owner signs in", "#signin-submit", "#current-user")
	do("open Team", chromedp.Navigate(e.url+"/team"), chromedp.WaitVisible(chromedp.CSS("#members")))
	remove := `tr[data-email="ada@example.com"] .remove-member`
	click("Remove", remove, "#confirm-remove-member")
	check("remove a member")
	click("Cancel", "#cancel-remove", "#members")
	if _, err := e.app.findUserByEmail(t.Context(), "ada@example.com"); err != nil {
		t.Fatalf("Cancel removed the member: %v", err)
	}
	click("Remove", remove, "#confirm-remove-member")
	click("confirm", "#confirm-remove-member", "#team-removed")
	if _, err := e.app.findUserByEmail(t.Context(), "ada@example.com"); err == nil {
		t.Error("the member is still in the team after Remove member")
	}
}

func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
