package demoapp

import (
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/gatehouse-idp/gatehouse/internal/browsertest"
	ghsaml "github.com/gatehouse-idp/gatehouse/saml"
)

// TestBrowserTutorial drives the app's pages in headless Chromium by their element ids, as the two-process browser
// test does: the owner signs in, uploads the IdP certificate, sets both URLs and invites a member, who then signs
// in with SSO from the IdP's auto-submitted form.
func TestBrowserTutorial(t *testing.T) {
	ctx := browsertest.New(t, 5*time.Minute)
	e := newEnv(t)
	do := func(step string, a ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, a...); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return strings.TrimSpace(s)
	}
	// The IdP is played by a loopback server whose sign-on page answers the AuthnRequest with a signed Response in
	// a form the person submits, as Gatehouse's auto-submitting page does.
	idpSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		msg, err := ghsaml.DecodeRedirect(r.URL.RawQuery, ghsaml.DefaultLimits)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		o := member("ada@example.com", "Ada", "Lovelace")
		o.InResponseTo = msg.Request.ID
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<form method="post" action="%s"><input type="hidden" name="SAMLResponse" value="%s">`+
			`<input type="hidden" name="RelayState" value="%s"><button id="post">Continue</button></form>`,
			html.EscapeString(msg.Request.ACSURL), e.response(o), html.EscapeString(msg.RelayState))
	}))
	defer idpSrv.Close()
	idpLoginURL := idpSrv.URL + "/saml2"

	certFile := filepath.Join(t.TempDir(), "Gatehouse Demo App.cer")
	if err := os.WriteFile(certFile, []byte(e.idp.pem()), 0o600); err != nil {
		t.Fatal(err)
	}

	do("owner signs in", chromedp.Navigate(e.url+"/signin"),
		chromedp.SendKeys(chromedp.CSS("#email"), ownerEmail), chromedp.SendKeys(chromedp.CSS("#password"), ownerPassword),
		browsertest.Loads(chromedp.Click(chromedp.CSS("#signin-submit"))), chromedp.WaitVisible(chromedp.CSS("#current-user")))
	if got := text("#current-user"); got != ownerEmail {
		t.Errorf("#current-user %q", got)
	}

	do("open Settings → Access security → Change settings", browsertest.Loads(chromedp.Click(chromedp.CSS("#nav-settings"))),
		chromedp.WaitVisible(chromedp.CSS("#change-settings")), browsertest.Loads(chromedp.Click(chromedp.CSS("#change-settings"))),
		chromedp.WaitVisible(chromedp.CSS("#save-sso")))
	entityID, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS("#sp-entity-id")))
	if err != nil || entityID != e.app.EntityID() {
		t.Errorf("#sp-entity-id %q (%v), want %s", entityID, err, e.app.EntityID())
	}
	do("upload a private key by mistake", chromedp.SetUploadFiles(chromedp.CSS("#cert-file"), []string{writeTemp(t, "key.pem", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")}),
		browsertest.Loads(chromedp.Click(chromedp.CSS("#save-sso"))), chromedp.WaitVisible(chromedp.CSS("#settings-error")))
	if got := text("#settings-error"); !strings.Contains(got, "private key") {
		t.Errorf("#settings-error %q", got)
	}
	do("upload the certificate and set the URLs",
		chromedp.SetUploadFiles(chromedp.CSS("#cert-file"), []string{certFile}),
		chromedp.SetValue(chromedp.CSS("#auth-url"), idpLoginURL), chromedp.SetValue(chromedp.CSS("#issuer-url"), testIssuer),
		browsertest.Loads(chromedp.Click(chromedp.CSS("#save-sso"))), chromedp.WaitVisible(chromedp.CSS("#settings-saved")))
	if got := text("#cert-thumbprint"); got != thumbprint(e.idp.cert) {
		t.Errorf("#cert-thumbprint %q, want %s", got, thumbprint(e.idp.cert))
	}

	do("invite a member", browsertest.Loads(chromedp.Click(chromedp.CSS("#nav-team"))), chromedp.WaitVisible(chromedp.CSS("#invite-email")),
		chromedp.SendKeys(chromedp.CSS("#invite-email"), "ada@example.com"), browsertest.Loads(chromedp.Click(chromedp.CSS("#invite-submit"))),
		chromedp.WaitVisible(chromedp.CSS("#team-invited")))
	if got := text(`tr[data-email="ada@example.com"] .member-status`); got != "pending" {
		t.Errorf("status after the invitation %q, want pending", got)
	}
	do("sign out", browsertest.Loads(chromedp.Click(chromedp.CSS("#signout-button"))), chromedp.WaitVisible(chromedp.CSS("#sso-button")))

	// The member starts at the app, signs in at the IdP and is posted back.
	do("sign in with SSO", browsertest.Loads(chromedp.Click(chromedp.CSS("#sso-button"))), chromedp.WaitVisible(chromedp.CSS("#post")),
		browsertest.Loads(chromedp.Click(chromedp.CSS("#post"))), chromedp.WaitVisible(chromedp.CSS("#current-user, #error-ref")))
	if got := text("#current-user"); got != "ada@example.com" {
		t.Errorf("#current-user after SSO %q, want ada@example.com", got)
	}
	if shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
		os.WriteFile(filepath.Join(t.TempDir(), "dashboard.png"), shot, 0o600)
	}
	u, err := e.app.findUserByEmail(t.Context(), "ada@example.com")
	if err != nil || u.Status != StatusActive || u.Name() != "Ada Lovelace" {
		t.Errorf("member after SSO: %+v, %v", u, err)
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
