package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/internal/testserver"
	"github.com/gatehouse-idp/gatehouse/saml"
)

// TestLogoutPage runs single logout over HTTP: an SP's LogoutRequest at the SSO endpoint (told apart by its root
// element) gets the front-channel page, whose frames and CSP name exactly the other app's logout URL, and whose
// continue link carries the LogoutResponse to the registered logout URL; the sign-out of IdP-initiated logout
// clears the cookie.
func TestLogoutPage(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	ctx := context.Background()
	svc := srv.Service
	root, err := srv.Store.FindUserByName(ctx, "default", testserver.AdminUser)
	if err != nil {
		t.Fatal(err)
	}
	off := false
	newApp := func(name string) *gatehouse.App {
		a, _, err := svc.AddApp(ctx, root, "default", idp.AppInput{GalleryID: "custom", Name: name})
		if err != nil {
			t.Fatal(err)
		}
		s := a.SAML
		s.EntityID = "https://" + name + ".example.test/sp"
		s.ReplyURLs = []string{"https://" + name + ".example.test/acs"}
		s.LogoutURL = "https://" + name + ".example.test/slo"
		if a, err = svc.UpdateApp(ctx, root, "default", a.ID, idp.AppPatch{AssignmentRequired: &off, SAML: &s}); err != nil {
			t.Fatal(err)
		}
		return a
	}
	a, b, c := newApp("a"), newApp("b"), newApp("c")
	cs := c.SAML
	cs.LogoutBinding = gatehouse.BindingHTTPPost
	if _, err := svc.UpdateApp(ctx, root, "default", c.ID, idp.AppPatch{SAML: &cs}); err != nil {
		t.Fatal(err)
	}
	token, _, err := svc.CreateSession(ctx, root, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, app := range []*gatehouse.App{a, b, c} {
		if _, err := svc.OpenApp(ctx, "default", app.ID, token); err != nil {
			t.Fatal(err)
		}
	}
	logout := fmt.Sprintf(`<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_lo1" Version="2.0" IssueInstant="%s"><saml:Issuer>%s</saml:Issuer><saml:NameID>%s</saml:NameID></samlp:LogoutRequest>`,
		time.Now().UTC().Format(time.RFC3339), a.SAML.EntityID, root.UserName)
	u, err := saml.RedirectURL(srv.URL+"/d/default/saml2", "SAMLRequest", []byte(logout), "", nil, "")
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.AddCookie(&http.Cookie{Name: "gatehouse_session", Value: token})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	page := string(body)
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "; frame-src https://b.example.test/slo https://c.example.test/slo;") || strings.Contains(csp, "a.example.test") ||
		!strings.HasSuffix(csp, "; form-action 'self' https://c.example.test/slo") {
		t.Errorf("CSP %q, want frame-src exactly b's and c's logout URLs and form-action c's", csp)
	}
	if !strings.Contains(page, `srcdoc="&lt;!DOCTYPE html&gt;`) || !strings.Contains(page, `name=&#34;SAMLRequest&#34;`) {
		t.Errorf("no auto-posting frame for c in:\n%s", page)
	}
	if !strings.Contains(page, `<iframe class="slo"`) || !strings.Contains(page, `src="https://b.example.test/slo?SAMLRequest=`) {
		t.Errorf("no frame for b in:\n%s", page)
	}
	if !strings.Contains(page, `id="slo-continue" href="https://a.example.test/slo?SAMLResponse=`) {
		t.Errorf("no LogoutResponse link to a in:\n%s", page)
	}
	if _, _, err := svc.SessionUser(ctx, token); err == nil {
		t.Error("the session is still there")
	}

	// IdP-initiated: the sign-out clears the cookie; a cross-origin POST is refused.
	token, _, err = svc.CreateSession(ctx, root, false)
	if err != nil {
		t.Fatal(err)
	}
	req, _ = http.NewRequest(http.MethodPost, srv.URL+"/d/default/slo", nil)
	req.AddCookie(&http.Cookie{Name: "gatehouse_session", Value: token})
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `href="/d/default/login"`) {
		t.Errorf("IdP-initiated logout: %d\n%s", resp.StatusCode, body)
	}
	if c := resp.Header.Get("Set-Cookie"); !strings.Contains(c, "gatehouse_session=;") {
		t.Errorf("cookie not cleared: %q", c)
	}
	if _, _, err := svc.SessionUser(ctx, token); err == nil {
		t.Error("the session is still there")
	}
}

// TestSignOutLogsOutOfApps checks that the sign-out button (POST /d/{dir}/logout, in the header of My Apps) is
// IdP-initiated single logout: a session that signed in to an app with a logout URL gets the page that sends the
// app its LogoutRequest and then goes on to the sign-in page; a session without such apps is simply redirected.
func TestSignOutLogsOutOfApps(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	ctx := context.Background()
	svc := srv.Service
	root, err := srv.Store.FindUserByName(ctx, "default", testserver.AdminUser)
	if err != nil {
		t.Fatal(err)
	}
	off := false
	a, _, err := svc.AddApp(ctx, root, "default", idp.AppInput{GalleryID: "custom", Name: "Wiki"})
	if err != nil {
		t.Fatal(err)
	}
	s := a.SAML
	s.EntityID, s.ReplyURLs, s.LogoutURL = "https://wiki.example.test/sp", []string{"https://wiki.example.test/acs"}, "https://wiki.example.test/slo"
	if _, err := svc.UpdateApp(ctx, root, "default", a.ID, idp.AppPatch{AssignmentRequired: &off, SAML: &s}); err != nil {
		t.Fatal(err)
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	signOut := func(token string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/d/default/logout", strings.NewReader(""))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(&http.Cookie{Name: "gatehouse_session", Value: token})
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(body)
	}

	token, _, err := svc.CreateSession(ctx, root, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.OpenApp(ctx, "default", a.ID, token); err != nil {
		t.Fatal(err)
	}
	resp, page := signOut(token)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, `src="https://wiki.example.test/slo?SAMLRequest=`) ||
		!strings.Contains(page, `/d/default/login?signedout=1`) {
		t.Errorf("sign-out after signing in to Wiki: %d\n%s", resp.StatusCode, page)
	}
	if _, _, err := svc.SessionUser(ctx, token); err == nil {
		t.Error("the session is still there")
	}

	token, _, err = svc.CreateSession(ctx, root, false)
	if err != nil {
		t.Fatal(err)
	}
	resp, _ = signOut(token)
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/d/default/login?signedout=1" {
		t.Errorf("sign-out without apps: %d to %q, want 303 to the sign-in page", resp.StatusCode, loc)
	}
}
