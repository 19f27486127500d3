package web_test

import (
	"bytes"
	"compress/flate"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/internal/browsertest"
	"github.com/gatehouse-idp/gatehouse/internal/testserver"
	"github.com/gatehouse-idp/gatehouse/web"
	"github.com/pquerna/otp/totp"
)

// signinClock is the test server's clock, moved by the test so that TOTP codes change when it says so.
type signinClock struct {
	mu sync.Mutex // guards t
	t  time.Time
}

func (c *signinClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *signinClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// signinWorld is a test server with a settable clock and no lockout pauses, its admin, and a browser.
type signinWorld struct {
	t     *testing.T
	srv   *testserver.Server
	clock *signinClock
	admin *gatehouse.User
	ctx   context.Context
}

func newSigninWorld(t *testing.T) *signinWorld {
	t.Helper()
	ctx := browsertest.New(t, 5*time.Minute)
	clock := &signinClock{t: time.Now().UTC().Truncate(time.Second)}
	srv := testserver.Start(t, testserver.Options{Configure: func(c *idp.Config, _ *web.Server) {
		c.Now = clock.Now
		l := idp.DefaultLockout
		l.Delay = 0
		c.Lockout = l
	}})
	admin, err := srv.Store.FindUserByName(context.Background(), "default", testserver.AdminUser)
	if err != nil {
		t.Fatal(err)
	}
	return &signinWorld{t: t, srv: srv, clock: clock, admin: admin, ctx: ctx}
}

// newUser creates a user and returns them with their temporary password.
func (w *signinWorld) newUser(name string) (*gatehouse.User, string) {
	w.t.Helper()
	u, temp, err := w.srv.Service.CreateUser(context.Background(), w.admin, "default", idp.UserInput{UserName: name, FirstName: "B", LastName: "Simon"})
	if err != nil {
		w.t.Fatal(err)
	}
	return u, temp
}

// newUserWithPassword creates a user whose password is pw (not temporary).
func (w *signinWorld) newUserWithPassword(name, pw string) *gatehouse.User {
	w.t.Helper()
	u, temp := w.newUser(name)
	if err := w.srv.Service.ChangePassword(context.Background(), u, temp, pw); err != nil {
		w.t.Fatal(err)
	}
	return u
}

func (w *signinWorld) do(actions ...chromedp.Action[chromedp.Void]) {
	w.t.Helper()
	if err := chromedp.Do(w.ctx, actions...); err != nil {
		w.t.Fatal(err)
	}
}

func (w *signinWorld) text(sel string) string {
	w.t.Helper()
	s, err := chromedp.Run(w.ctx, chromedp.TextContent(chromedp.CSS(sel)))
	if err != nil {
		w.t.Fatalf("text of %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

func (w *signinWorld) location() string {
	w.t.Helper()
	s, err := chromedp.Run(w.ctx, chromedp.Location())
	if err != nil {
		w.t.Fatal(err)
	}
	return s
}

// count returns the number of elements that match a CSS selector.
func (w *signinWorld) count(sel string) int {
	w.t.Helper()
	n, err := chromedp.Run(w.ctx, chromedp.Evaluate[int](fmt.Sprintf("document.querySelectorAll(%q).length", sel)))
	if err != nil {
		w.t.Fatal(err)
	}
	return n
}

// visibleTiles returns the app IDs of the My Apps tiles that are not hidden.
func (w *signinWorld) visibleTiles() []string {
	w.t.Helper()
	ids, err := chromedp.Run(w.ctx, chromedp.Evaluate[[]string](
		`Array.from(document.querySelectorAll("#tiles a.tile")).filter(a => !a.parentNode.hidden).map(a => a.dataset.appId)`))
	if err != nil {
		w.t.Fatal(err)
	}
	return ids
}

// signinType replaces the value of an input with v, typing it.
func signinType(sel, v string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.Clear(chromedp.CSS(sel)), chromedp.SendKeys(chromedp.CSS(sel), v))
}

// signinClick clicks an element that loads a new page and waits until the new page has loaded.
func signinClick(sel string) chromedp.Action[chromedp.Void] {
	return browsertest.Loads(chromedp.Click(chromedp.CSS(sel)))
}

// submitSignIn fills the sign-in form and submits it.
func (w *signinWorld) submitSignIn(user, pw string) {
	w.t.Helper()
	w.do(signinType("#userName", user), signinType("#password", pw), signinClick("#sign-in"))
}

// TestBrowserTemporaryPassword signs in with a temporary password, is made to change it, sees the policy's
// message for a weak one, and lands in My Apps signed in.
func TestBrowserTemporaryPassword(t *testing.T) {
	w := newSigninWorld(t)
	_, temp := w.newUser("b.simon@contoso.com")
	w.do(chromedp.Navigate(w.srv.URL+"/d/default/myapps"), chromedp.WaitVisible(chromedp.CSS("#userName")))
	if got := w.text("#directory-name"); got != "Default Directory" {
		t.Errorf("sign-in page names directory %q", got)
	}
	browsertest.Screenshot(w.ctx, t, "signin")
	w.submitSignIn("b.simon@contoso.com", temp)
	w.do(chromedp.WaitVisible(chromedp.CSS("#password-required")))
	if loc := w.location(); !strings.Contains(loc, "/d/default/password") {
		t.Fatalf("after a temporary password: at %s, want the password page", loc)
	}
	steps := []struct {
		name, next, confirm, want string
	}{
		{"too short", "Short1!", "Short1!", "at least"},
		{"common", "Password1234!", "Password1234!", "common"},
		{"mismatch", "Correct-Horse-42", "Correct-Horse-43", "do not match"},
	}
	for _, st := range steps {
		w.do(signinType("#currentPassword", temp), signinType("#newPassword", st.next), signinType("#confirmPassword", st.confirm),
			signinClick("#change-password"), chromedp.WaitVisible(chromedp.CSS("#password-error")))
		if got := w.text("#password-error"); !strings.Contains(strings.ToLower(got), st.want) {
			t.Errorf("%s: message %q, want one that says %q", st.name, got, st.want)
		}
		if st.name == "common" {
			browsertest.Screenshot(w.ctx, t, "password-policy")
		}
	}
	w.do(signinType("#currentPassword", temp), signinType("#newPassword", "Correct-Horse-42"), signinType("#confirmPassword", "Correct-Horse-42"),
		signinClick("#change-password"), chromedp.WaitVisible(chromedp.CSS("#current-user")))
	if loc := w.location(); !strings.HasSuffix(loc, "/d/default/myapps") {
		t.Errorf("after the change: at %s, want My Apps", loc)
	}
	if got := w.text("#current-user"); got != "b.simon@contoso.com" {
		t.Errorf("signed in as %q", got)
	}
	if w.count("#no-apps") != 1 {
		t.Error("My Apps of a user without apps does not say so")
	}
}

// TestBrowserMFA enrols an authenticator reading the secret from the page, signs in with a code, is refused a
// replayed code, and uses a recovery code once.
func TestBrowserMFA(t *testing.T) {
	w := newSigninWorld(t)
	const name, pw = "mfa.user@contoso.com", "Correct-Horse-42"
	w.newUserWithPassword(name, pw)
	w.do(chromedp.Navigate(w.srv.URL + "/d/default/security"))
	w.submitSignIn(name, pw)
	w.do(chromedp.WaitVisible(chromedp.CSS("#mfa-status")))
	if got := w.text("#mfa-status"); got != "Off" {
		t.Fatalf("status %q before enrolment", got)
	}
	w.do(signinClick("#setup-mfa"), chromedp.WaitVisible(chromedp.CSS("#mfa-qr")))
	browsertest.Screenshot(w.ctx, t, "mfa-setup")
	secret := strings.ReplaceAll(w.text("#mfa-secret"), " ", "")
	code := func() string {
		c, err := totp.GenerateCode(secret, w.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	if qr, err := chromedp.Run(w.ctx, chromedp.Evaluate[bool](`document.getElementById("mfa-qr").naturalWidth === 240`)); err != nil || !qr {
		t.Errorf("the QR code image did not load (%v)", err)
	}
	w.do(signinType("#code", "000000"), signinClick("#confirm-mfa"), chromedp.WaitVisible(chromedp.CSS("#mfa-error")))
	if again := strings.ReplaceAll(w.text("#mfa-secret"), " ", ""); again != secret {
		t.Errorf("after a wrong first code the page shows another secret")
	}
	enrolCode := code()
	w.do(signinType("#code", enrolCode), signinClick("#confirm-mfa"), chromedp.WaitVisible(chromedp.CSS("#recovery-codes")))
	browsertest.Screenshot(w.ctx, t, "mfa-recovery-codes")
	recovery, err := chromedp.Run(w.ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("#recovery-codes code")).map(c => c.textContent)`))
	if err != nil || len(recovery) != 10 {
		t.Fatalf("recovery codes %q (%v), want 10", recovery, err)
	}
	w.do(signinClick("#continue"), chromedp.WaitVisible(chromedp.CSS("#mfa-status")))
	if got := w.text("#mfa-status"); got != "On" {
		t.Errorf("status %q after enrolment", got)
	}

	signInWithCode := func(c string) {
		t.Helper()
		w.do(signinClick("#sign-out"), chromedp.WaitVisible(chromedp.CSS("#login-notice")))
		w.submitSignIn(name, pw)
		w.do(chromedp.WaitVisible(chromedp.CSS("#code")), signinType("#code", c), signinClick("#verify-code"))
	}
	// The code that confirmed the enrolment is still within its time window, and refused.
	signInWithCode(enrolCode)
	w.do(chromedp.WaitVisible(chromedp.CSS("#mfa-error")))
	if got := w.text("#mfa-error"); !strings.Contains(got, "already been used") {
		t.Errorf("replayed code: message %q", got)
	}
	browsertest.Screenshot(w.ctx, t, "mfa-replay")
	w.clock.Add(30 * time.Second)
	w.do(signinType("#code", code()), signinClick("#verify-code"), chromedp.WaitVisible(chromedp.CSS("#current-user")))
	if loc := w.location(); !strings.HasSuffix(loc, "/d/default/myapps") {
		t.Errorf("after the code: at %s, want My Apps", loc)
	}
	// A recovery code works once.
	signInWithCode(recovery[2])
	w.do(chromedp.WaitVisible(chromedp.CSS("#current-user")))
	signInWithCode(recovery[2])
	w.do(chromedp.WaitVisible(chromedp.CSS("#mfa-error")))
	if got := w.text("#mfa-error"); !strings.Contains(got, "not right") {
		t.Errorf("used recovery code: message %q", got)
	}
}

// TestBrowserRequiredMFA makes a new user with a temporary password in a directory that requires MFA change the
// password and then enrol before reaching My Apps.
func TestBrowserRequiredMFA(t *testing.T) {
	w := newSigninWorld(t)
	on := true
	if _, err := w.srv.Service.UpdateDirectory(context.Background(), w.admin, "default", idp.DirectoryPatch{RequireMFA: &on}); err != nil {
		t.Fatal(err)
	}
	_, temp := w.newUser("new.hire@contoso.com")
	w.do(chromedp.Navigate(w.srv.URL + "/d/default/myapps"))
	w.submitSignIn("new.hire@contoso.com", temp)
	w.do(signinType("#currentPassword", temp), signinType("#newPassword", "Correct-Horse-42"), signinType("#confirmPassword", "Correct-Horse-42"),
		signinClick("#change-password"), chromedp.WaitVisible(chromedp.CSS("#mfa-required")))
	// Until the enrolment is done, My Apps is out of reach.
	w.do(chromedp.Navigate(w.srv.URL+"/d/default/myapps"), chromedp.WaitVisible(chromedp.CSS("#mfa-required")))
	c, err := totp.GenerateCode(strings.ReplaceAll(w.text("#mfa-secret"), " ", ""), w.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	w.do(signinType("#code", c), signinClick("#confirm-mfa"), chromedp.WaitVisible(chromedp.CSS("#recovery-codes")),
		signinClick("#continue"), chromedp.WaitVisible(chromedp.CSS("#current-user")))
	if loc := w.location(); !strings.HasSuffix(loc, "/d/default/myapps") {
		t.Errorf("after enrolment: at %s, want My Apps", loc)
	}
}

// TestBrowserLockout fails five times for a known and for an unknown user and sees the same messages, then the
// lock, which holds even for the right password.
func TestBrowserLockout(t *testing.T) {
	w := newSigninWorld(t)
	w.newUserWithPassword("known@contoso.com", "Correct-Horse-42")
	messages := func(user, last string) []string {
		var got []string
		w.do(chromedp.Navigate(w.srv.URL + "/d/default/login"))
		for i := range 6 {
			pw := "wrong-guess"
			if i == 5 {
				pw = last
			}
			w.submitSignIn(user, pw)
			w.do(chromedp.WaitVisible(chromedp.CSS("#login-error")))
			got = append(got, w.text("#login-error"))
		}
		return got
	}
	known := messages("known@contoso.com", "Correct-Horse-42")
	browsertest.Screenshot(w.ctx, t, "lockout")
	unknown := messages("nobody@contoso.com", "Correct-Horse-42")
	if strings.Join(known, "|") != strings.Join(unknown, "|") {
		t.Errorf("known and unknown users get different messages:\n%q\n%q", known, unknown)
	}
	if !strings.Contains(known[0], "incorrect") || !strings.Contains(known[5], "Too many") {
		t.Errorf("messages %q: want 'incorrect', then 'Too many' for the right password", known)
	}
}

// signinSP is an app's assertion consumer service: it records the SAMLResponses posted to it.
type signinSP struct {
	*httptest.Server
	mu        sync.Mutex // guards responses
	responses []string
}

func newSigninSP(t *testing.T) *signinSP {
	sp := &signinSP{}
	sp.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err == nil && r.PostForm.Get("SAMLResponse") != "" {
			xml, _ := base64.StdEncoding.DecodeString(r.PostForm.Get("SAMLResponse"))
			sp.mu.Lock()
			sp.responses = append(sp.responses, string(xml))
			sp.mu.Unlock()
		}
		fmt.Fprint(w, `<!doctype html><title>App</title><h1 id="app-home">Signed in to the app</h1>`)
	}))
	t.Cleanup(sp.Close)
	return sp
}

func (sp *signinSP) last() string {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	if len(sp.responses) == 0 {
		return ""
	}
	return sp.responses[len(sp.responses)-1]
}

// newApp adds a custom app answering at sp, assigned to the users given.
func (w *signinWorld) newApp(name, entityID string, sp *signinSP, visible bool, users ...*gatehouse.User) *gatehouse.App {
	w.t.Helper()
	ctx := context.Background()
	a, _, err := w.srv.Service.AddApp(ctx, w.admin, "default", idp.AppInput{GalleryID: "custom", Name: name})
	if err != nil {
		w.t.Fatal(err)
	}
	settings := a.SAML
	settings.EntityID, settings.ReplyURLs = entityID, []string{sp.URL + "/acs"}
	a, err = w.srv.Service.UpdateApp(ctx, w.admin, "default", a.ID, idp.AppPatch{SAML: &settings, Visible: &visible})
	if err != nil {
		w.t.Fatal(err)
	}
	for _, u := range users {
		if _, err := w.srv.Service.Assign(ctx, w.admin, "default", a.ID, "user", u.ID); err != nil {
			w.t.Fatal(err)
		}
	}
	return a
}

// TestBrowserMyApps shows only the user's visible apps, filters them as the user types and by the GET fallback,
// and opens the app from its tile; the user access URL works from a bookmark, signing in first.
func TestBrowserMyApps(t *testing.T) {
	w := newSigninWorld(t)
	const name, pw = "apps.user@contoso.com", "Correct-Horse-42"
	u := w.newUserWithPassword(name, pw)
	sp := newSigninSP(t)
	mixpanel := w.newApp("Mixpanel", "https://mixpanel.example/", sp, true, u)
	salesforce := w.newApp("Salesforce <Sales>", "https://salesforce.example/", sp, true, u)
	w.newApp("Zoom", "https://zoom.example/", sp, true)             // not assigned
	w.newApp("Hidden HR", "https://hr.example/", sp, false, u)      // assigned, not visible
	bookmark := w.srv.Service.UserAccessURL("default", mixpanel.ID) // IdP-initiated, as a bookmark

	w.do(chromedp.Navigate(bookmark))
	w.submitSignIn(name, pw)
	w.do(chromedp.WaitVisible(chromedp.CSS("#app-home")))
	if !strings.Contains(sp.last(), name) {
		t.Errorf("the bookmark did not sign the user in to the app; last response:\n%s", sp.last())
	}

	w.do(chromedp.Navigate(w.srv.URL+"/d/default/myapps"), chromedp.WaitVisible(chromedp.CSS("#tiles")))
	if got, want := strings.Join(w.visibleTiles(), ","), mixpanel.ID+","+salesforce.ID; got != want {
		t.Errorf("tiles %s, want %s (Mixpanel, Salesforce)", got, want)
	}
	if got := w.text(fmt.Sprintf(`a.tile[data-app-id=%q] .name`, salesforce.ID)); got != "Salesforce <Sales>" {
		t.Errorf("tile name %q, want the markup shown as text", got)
	}
	browsertest.Screenshot(w.ctx, t, "myapps")
	w.do(chromedp.SendKeys(chromedp.CSS("#app-search"), "mix"))
	if got := w.visibleTiles(); len(got) != 1 || got[0] != mixpanel.ID {
		t.Errorf("after typing mix: tiles %v", got)
	}
	w.do(signinType("#app-search", "nothing-matches"), chromedp.WaitVisible(chromedp.CSS("#no-match")))
	w.do(chromedp.Navigate(w.srv.URL+"/d/default/myapps?q=sales"), chromedp.WaitVisible(chromedp.CSS("#tiles")))
	if got := w.count("#tiles a.tile"); got != 1 {
		t.Errorf("GET q=sales: %d tiles, want 1", got)
	}
	w.do(chromedp.Navigate(w.srv.URL+"/d/default/myapps"), chromedp.WaitVisible(chromedp.CSS("#tiles")),
		signinClick(fmt.Sprintf(`a.tile[data-app-id=%q]`, salesforce.ID)), chromedp.WaitVisible(chromedp.CSS("#app-home")))
	if !strings.Contains(sp.last(), "https://salesforce.example/") {
		t.Errorf("the Salesforce tile did not sign in to Salesforce; last response:\n%s", sp.last())
	}
}

// signinAuthnRequest returns the HTTP-Redirect query of an AuthnRequest.
func signinAuthnRequest(srvURL, issuer, acs string, force bool, now time.Time) string {
	xml := fmt.Sprintf(`<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_%d" Version="2.0" IssueInstant="%s" Destination="%s/d/default/saml2" AssertionConsumerServiceURL="%s" ForceAuthn="%v"><saml:Issuer>%s</saml:Issuer></samlp:AuthnRequest>`,
		now.UnixNano(), now.UTC().Format(time.RFC3339), srvURL, acs, force, issuer)
	var b bytes.Buffer
	fw, _ := flate.NewWriter(&b, flate.DefaultCompression)
	_, _ = io.WriteString(fw, xml)
	_ = fw.Close()
	return "SAMLRequest=" + url.QueryEscape(base64.StdEncoding.EncodeToString(b.Bytes()))
}

// TestBrowserSAMLErrorPage shows an unreadable request's code and correlation ID, finds the same correlation ID
// in the sign-in log, and shows an admin how to fix an unknown Issuer, naming both values.
func TestBrowserSAMLErrorPage(t *testing.T) {
	w := newSigninWorld(t)
	sp := newSigninSP(t)
	w.newApp("Mixpanel", "https://mixpanel.example/", sp, true)
	w.do(chromedp.Navigate(w.srv.URL+"/d/default/saml2?SAMLRequest=not-base64!"), chromedp.WaitVisible(chromedp.CSS("#error-code")))
	if got := w.text("#error-code"); got != "GH1001" {
		t.Errorf("code %q, want GH1001", got)
	}
	cid := w.text("#correlation-id")
	if w.count("#error-hint") != 0 {
		t.Error("a person who is not signed in as an admin sees the how-to-fix hint")
	}
	events, _, err := w.srv.Store.FindSignInEvents(context.Background(), "default", gatehouse.SignInFilter{Result: gatehouse.ResultFailure})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range events {
		found = found || e.CorrelationID == cid && e.Code == "GH1001"
	}
	if cid == "" || !found {
		t.Errorf("no sign-in log entry GH1001 with correlation ID %q: %+v", cid, events)
	}

	w.do(chromedp.Navigate(w.srv.URL + "/d/default/login"))
	w.submitSignIn(testserver.AdminUser, testserver.AdminPassword)
	w.do(chromedp.WaitVisible(chromedp.CSS("#current-user")))
	q := signinAuthnRequest(w.srv.URL, "https://mixpanel.example/wrong", sp.URL+"/acs", false, w.clock.Now())
	w.do(chromedp.Navigate(w.srv.URL+"/d/default/saml2?"+q), chromedp.WaitVisible(chromedp.CSS("#error-hint")))
	browsertest.Screenshot(w.ctx, t, "saml-error-admin")
	hint := w.text("#error-hint")
	for _, want := range []string{`Issuer "https://mixpanel.example/wrong"`, "Mixpanel", `Identifier (Entity ID) "https://mixpanel.example/"`} {
		if !strings.Contains(hint, want) {
			t.Errorf("hint %q does not say %s", hint, want)
		}
	}
	if got := w.text("#error-code"); got != "GH2001" {
		t.Errorf("code %q, want GH2001", got)
	}
}

// TestBrowserSwitchUser: a signed-in user asked for the password again by an app switches to another user, who
// signs in and reaches the app with the same pending request; sign-out ends the session on the server.
func TestBrowserSwitchUser(t *testing.T) {
	w := newSigninWorld(t)
	alice := w.newUserWithPassword("alice@contoso.com", "Correct-Horse-42")
	bob := w.newUserWithPassword("bob@contoso.com", "Battery-Staple-77")
	sp := newSigninSP(t)
	w.newApp("Wiki", "https://wiki.example/", sp, true, alice, bob)

	w.do(chromedp.Navigate(w.srv.URL + "/d/default/login"))
	w.submitSignIn("alice@contoso.com", "Correct-Horse-42")
	w.do(chromedp.WaitVisible(chromedp.CSS("#current-user")))
	q := signinAuthnRequest(w.srv.URL, "https://wiki.example/", sp.URL+"/acs", true, w.clock.Now())
	w.do(chromedp.Navigate(w.srv.URL+"/d/default/saml2?"+q), chromedp.WaitVisible(chromedp.CSS("#switch-user")))
	if got := w.text("#signing-in-as"); got != "alice@contoso.com" {
		t.Errorf("signing in as %q", got)
	}
	browsertest.Screenshot(w.ctx, t, "switch-user")
	w.do(signinClick("#switch-user"), chromedp.WaitVisible(chromedp.CSS("#userName")))
	if loc := w.location(); !strings.Contains(loc, "signin=") {
		t.Errorf("after switching: at %s, want the sign-in page with the pending request", loc)
	}
	if w.count("#current-user") != 0 {
		t.Error("still signed in after switching user")
	}
	w.submitSignIn("bob@contoso.com", "Battery-Staple-77")
	w.do(chromedp.WaitVisible(chromedp.CSS("#app-home")))
	if got := sp.last(); !strings.Contains(got, "bob@contoso.com") || strings.Contains(got, "alice@contoso.com") {
		t.Errorf("the app got a response that is not Bob's:\n%s", got)
	}

	w.do(chromedp.Navigate(w.srv.URL+"/d/default/myapps"), chromedp.WaitVisible(chromedp.CSS("#sign-out")),
		signinClick("#sign-out"), chromedp.WaitVisible(chromedp.CSS("#login-notice")))
	sessions, _, err := w.srv.Store.FindSignInEvents(context.Background(), "default", gatehouse.SignInFilter{UserID: bob.ID})
	if err != nil || len(sessions) == 0 {
		t.Errorf("no sign-in log entries for Bob (%v)", err)
	}
	w.do(chromedp.Navigate(w.srv.URL+"/d/default/myapps"), chromedp.WaitVisible(chromedp.CSS("#userName")))
}
