package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/internal/browsertest"
	"github.com/gatehouse-idp/gatehouse/internal/testserver"
	"github.com/gatehouse-idp/gatehouse/saml"
)

// TestBrowserSingleLogout runs SP-initiated single logout in Chromium, where the logout page's Content-Security-
// Policy is enforced: app A's LogoutRequest ends the session, the page's frames carry LogoutRequests to app B
// (HTTP-Redirect binding) and app C (HTTP-POST binding, from a srcdoc form), and the page then takes the browser to
// A's logout URL with the LogoutResponse.
func TestBrowserSingleLogout(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	bctx := browsertest.New(t, 5*time.Minute)
	ctx := context.Background()
	svc := srv.Service

	var mu sync.Mutex
	got := map[string]string{} // app → what its logout endpoint received
	sp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		mu.Lock()
		switch r.URL.Path {
		case "/a/slo":
			got["a"] = r.Method + " " + fmt.Sprint(r.Form.Get("SAMLResponse") != "")
		case "/b/slo":
			got["b"] = r.Method + " " + fmt.Sprint(r.Form.Get("SAMLRequest") != "")
		case "/c/slo":
			got["c"] = r.Method + " " + fmt.Sprint(r.PostForm.Get("SAMLRequest") != "")
		}
		mu.Unlock()
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, `<!DOCTYPE html><title>SP</title><p id="done">%s signed out</p>`, r.URL.Path)
	}))
	defer sp.Close()

	root, err := srv.Store.FindUserByName(ctx, "default", testserver.AdminUser)
	if err != nil {
		t.Fatal(err)
	}
	off := false
	apps := map[string]*gatehouse.App{}
	for _, name := range []string{"a", "b", "c"} {
		a, _, err := svc.AddApp(ctx, root, "default", idp.AppInput{GalleryID: "custom", Name: name})
		if err != nil {
			t.Fatal(err)
		}
		s := a.SAML
		s.EntityID, s.ReplyURLs, s.LogoutURL = "https://"+name+".example.test/sp", []string{sp.URL + "/" + name + "/acs"}, sp.URL+"/"+name+"/slo"
		if name == "c" {
			s.LogoutBinding = gatehouse.BindingHTTPPost
		}
		if apps[name], err = svc.UpdateApp(ctx, root, "default", a.ID, idp.AppPatch{AssignmentRequired: &off, SAML: &s}); err != nil {
			t.Fatal(err)
		}
	}

	// Sign in in the browser, then to the three apps (the sign-in log is the session's record of its apps).
	err = chromedp.Do(bctx, chromedp.Navigate(srv.URL+"/d/default/login"),
		signinType("#userName", testserver.AdminUser), signinType("#password", testserver.AdminPassword), signinClick("#sign-in"))
	if err != nil {
		t.Fatal(err)
	}
	// The browser's session signs in to each app from its user access URL; the answer auto-posts to the app.
	for _, name := range []string{"a", "b", "c"} {
		if err := chromedp.Do(bctx, chromedp.Navigate(srv.URL+"/d/default/apps/"+apps[name].ID+"/signin"),
			chromedp.WaitVisible(chromedp.CSS("#done"))); err != nil {
			t.Fatalf("sign in to %s: %v", name, err)
		}
	}

	lr := fmt.Sprintf(`<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_blo1" Version="2.0" IssueInstant="%s"><saml:Issuer>%s</saml:Issuer><saml:NameID>%s</saml:NameID></samlp:LogoutRequest>`,
		time.Now().UTC().Format(time.RFC3339), apps["a"].SAML.EntityID, root.UserName)
	u, err := saml.RedirectURL(srv.URL+"/d/default/saml2", "SAMLRequest", []byte(lr), "", nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(bctx, chromedp.Navigate(u), chromedp.WaitVisible(chromedp.CSS("#done"))); err != nil {
		t.Fatal(err)
	}
	done, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("#done")))
	if err != nil {
		t.Fatal(err)
	}
	if done != "/a/slo signed out" {
		t.Errorf("the logout ended at %q, want A's logout URL", done)
	}
	// Gatehouse's session has ended: My Apps asks to sign in.
	if err := chromedp.Do(bctx, chromedp.Navigate(srv.URL+"/d/default/myapps"), chromedp.WaitVisible(chromedp.CSS("#userName"))); err != nil {
		t.Errorf("after logout My Apps: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	want := map[string]string{"a": "GET true", "b": "GET true", "c": "POST true"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("app %s's logout endpoint received %q, want %q", k, got[k], v)
		}
	}
}
