package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/internal/browsertest"
	"github.com/gatehouse-idp/gatehouse/internal/testserver"
	"github.com/gatehouse-idp/gatehouse/web"
)

// passkeyBrowser is a sign-in world at http://localhost:PORT (a relying-party ID must be a domain name) whose
// Chromium has a virtual authenticator: CTAP2.1 on the internal transport, with resident keys and user
// verification, answering at once as a platform authenticator with a fingerprint would.
type passkeyBrowser struct {
	*signinWorld
	auth webauthn.AuthenticatorID
}

func newPasskeyBrowser(t *testing.T) *passkeyBrowser {
	t.Helper()
	ctx := browsertest.New(t, 120*time.Second)
	clock := &signinClock{t: time.Now().UTC().Truncate(time.Second)}
	srv := testserver.Start(t, testserver.Options{Localhost: true, Configure: func(c *idp.Config, _ *web.Server) {
		c.Now = clock.Now
		l := idp.DefaultLockout
		l.Delay = 0
		c.Lockout = l
	}})
	admin, err := srv.Store.FindUserByName(context.Background(), "default", testserver.AdminUser)
	if err != nil {
		t.Fatal(err)
	}
	w := &passkeyBrowser{signinWorld: &signinWorld{t: t, srv: srv, clock: clock, admin: admin, ctx: ctx}}
	w.do(chromedp.Navigate(srv.URL + "/d/default/login"))
	if _, err := chromedp.Call(ctx, webauthn.Enable, webauthn.EnableParams{}); err != nil {
		t.Fatalf("enable WebAuthn: %v", err)
	}
	res, err := chromedp.Call(ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
		Options: &webauthn.VirtualAuthenticatorOptions{
			Protocol: webauthn.AuthenticatorProtocolCtap2, Ctap2version: webauthn.Ctap2versionCtap21,
			Transport: webauthn.AuthenticatorTransportInternal, HasResidentKey: true, HasUserVerification: true,
			IsUserVerified: true, AutomaticPresenceSimulation: true,
		}})
	if err != nil {
		t.Fatalf("add a virtual authenticator: %v", err)
	}
	w.auth = res.AuthenticatorID
	return w
}

// credentials returns the credentials the virtual authenticator holds.
func (w *passkeyBrowser) credentials() []*webauthn.Credential {
	w.t.Helper()
	res, err := chromedp.Call(w.ctx, webauthn.GetCredentials, webauthn.GetCredentialsParams{AuthenticatorID: w.auth})
	if err != nil {
		w.t.Fatal(err)
	}
	return res.Credentials
}

// override makes the authenticator's next answers carry a bad UV bit or a bogus signature, or neither.
func (w *passkeyBrowser) override(badUV, bogusSignature bool) {
	w.t.Helper()
	if _, err := chromedp.Call(w.ctx, webauthn.SetResponseOverrideBits, webauthn.SetResponseOverrideBitsParams{
		AuthenticatorID: w.auth, IsBadUV: &badUV, IsBogusSignature: &bogusSignature}); err != nil {
		w.t.Fatal(err)
	}
}

// enrol signs in u with pw and adds a passkey named name from the Security page; it returns the recovery codes
// page's text, if it was shown.
func (w *passkeyBrowser) enrol(u *gatehouse.User, pw, name string) {
	w.t.Helper()
	w.do(chromedp.Navigate(w.srv.URL+"/d/default/security"), chromedp.WaitVisible(chromedp.CSS("#userName")))
	w.submitSignIn(u.UserName, pw)
	w.do(chromedp.WaitVisible(chromedp.CSS("#no-passkeys")), signinClick("#add-passkey"),
		signinType("#passkey-name", name), signinClick("#create-passkey"), chromedp.WaitVisible(chromedp.CSS("#recovery-codes")))
	if got := w.count(".recovery-code"); got != idp.RecoveryCodeCount {
		w.t.Errorf("%d recovery codes shown with the first passkey, want %d", got, idp.RecoveryCodeCount)
	}
	browsertest.Screenshot(w.ctx, w.t, "passkey-recovery-codes")
	w.do(signinClick("#continue"), chromedp.WaitVisible(chromedp.CSS("#passkeys")))
}

// presence turns the authenticator's automatic answer to a test of user presence on or off. Off, a request waits:
// the sign-in page's autofill request stays pending instead of signing in with the only passkey at once.
func (w *passkeyBrowser) presence(on bool) {
	w.t.Helper()
	if _, err := chromedp.Call(w.ctx, webauthn.SetAutomaticPresenceSimulation, webauthn.SetAutomaticPresenceSimulationParams{
		AuthenticatorID: w.auth, Enabled: on}); err != nil {
		w.t.Fatal(err)
	}
}

// signOut signs out and waits for the sign-in page, with the authenticator's automatic presence off so that the
// page's autofill request waits; the caller turns it on again.
func (w *passkeyBrowser) signOut() {
	w.t.Helper()
	w.presence(false)
	w.do(signinClick("#sign-out"), chromedp.WaitVisible(chromedp.CSS("#userName")))
}

// lastSignIn returns the newest sign-in log entry of u whose reason contains about. The test's clock stands
// still, so entries of the same sign-in share their time and are told apart by what they say.
func (w *passkeyBrowser) lastSignIn(u *gatehouse.User, about string) *gatehouse.SignInEvent {
	w.t.Helper()
	es, _, err := w.srv.Service.FindSignInEvents(context.Background(), w.admin, "default", gatehouse.SignInFilter{UserID: u.ID, Limit: 20})
	if err != nil {
		w.t.Fatal(err)
	}
	for _, e := range es {
		if strings.Contains(e.Reason, about) {
			return e
		}
	}
	w.t.Fatalf("no sign-in log entry of %s says %q: %d entries", u.UserName, about, len(es))
	return nil
}

// TestBrowserPasskeyEnrolment adds a passkey from the Security page with Chromium's virtual authenticator: it is
// a resident (discoverable) credential for the relying-party ID localhost, the page lists it by name with no use
// yet, and a second passkey on the same authenticator is refused by the browser (the first is excluded).
func TestBrowserPasskeyEnrolment(t *testing.T) {
	w := newPasskeyBrowser(t)
	const pw = "Correct-Horse-42"
	u := w.newUserWithPassword("passkey.user@contoso.com", pw)
	w.enrol(u, pw, "Work laptop")
	if got := w.text("#passkeys .passkey-name"); got != "Work laptop" {
		t.Errorf("Security page lists %q, want Work laptop", got)
	}
	if got := w.text("#passkeys .passkey-last-used"); got != "never" {
		t.Errorf("last use %q, want never", got)
	}
	browsertest.Screenshot(w.ctx, t, "passkey-security")
	creds := w.credentials()
	if len(creds) != 1 || !creds[0].IsResidentCredential || creds[0].RpID != "localhost" || string(creds[0].UserHandle) != u.ID {
		t.Fatalf("authenticator holds %+v; want one resident credential for localhost with the user's ID as handle", creds)
	}
	keys, err := w.srv.Service.FindOwnPasskeys(context.Background(), u)
	if err != nil || len(keys) != 1 || string(keys[0].CredentialID) != string(creds[0].CredentialID) {
		t.Fatalf("stored passkeys %v, %v; want the authenticator's credential", keys, err)
	}
	// The same authenticator again: excluded, so the browser refuses before the server sees anything.
	w.do(signinClick("#add-passkey"), signinType("#passkey-name", "Again"), chromedp.Click(chromedp.CSS("#create-passkey")),
		chromedp.WaitVisible(chromedp.CSS("#passkey-problem")))
	if got := w.text("#passkey-problem"); !strings.Contains(got, "already holds") {
		t.Errorf("second passkey on the same authenticator: %q", got)
	}
}

// TestBrowserPasskeySecondFactor signs in with the password and then the passkey, which the second step offers
// instead of a code; the sign-in log names the passkey and the Security page shows its last use.
func TestBrowserPasskeySecondFactor(t *testing.T) {
	w := newPasskeyBrowser(t)
	const pw = "Correct-Horse-42"
	u := w.newUserWithPassword("second.factor@contoso.com", pw)
	w.enrol(u, pw, "Phone")
	w.signOut()
	w.submitSignIn(u.UserName, pw)
	w.do(chromedp.WaitVisible(chromedp.CSS("#passkey-verify")))
	w.presence(true)
	if w.count("#code") != 1 {
		t.Error("the second step does not offer a recovery code beside the passkey")
	}
	browsertest.Screenshot(w.ctx, t, "passkey-second-factor")
	w.do(signinClick("#passkey-verify"), chromedp.WaitVisible(chromedp.CSS("#current-user")))
	if loc := w.location(); !strings.HasSuffix(loc, "/d/default/myapps") {
		t.Errorf("after the passkey: at %s, want My Apps", loc)
	}
	if e := w.lastSignIn(u, "Passkey Phone"); e.Result != gatehouse.ResultSuccess {
		t.Errorf("sign-in log: %+v", e)
	}
	w.do(chromedp.Navigate(w.srv.URL+"/d/default/security"), chromedp.WaitVisible(chromedp.CSS("#passkeys")))
	if got := w.text("#passkeys .passkey-last-used"); got == "never" {
		t.Error("the Security page does not show the passkey's use")
	}
}

// TestBrowserPasskeyPasswordless signs in with "Sign in with a passkey" without typing a user name, and checks
// that the user-name field offers passkeys in the browser's autofill (conditional mediation).
func TestBrowserPasskeyPasswordless(t *testing.T) {
	w := newPasskeyBrowser(t)
	const pw = "Correct-Horse-42"
	u := w.newUserWithPassword("passwordless@contoso.com", pw)
	w.enrol(u, pw, "Laptop")
	w.signOut()
	if got, _ := chromedp.Run(w.ctx, chromedp.Evaluate[string](`document.getElementById("userName").autocomplete`)); got != "username webauthn" {
		t.Errorf("user-name field autocomplete %q, want \"username webauthn\"", got)
	}
	browsertest.Screenshot(w.ctx, t, "passkey-sign-in")
	// The button cancels the pending autofill request and asks for a passkey.
	w.presence(true)
	w.do(signinClick("#passkey-sign-in"), chromedp.WaitVisible(chromedp.CSS("#current-user")))
	if got := w.text("#current-user"); got != u.UserName {
		t.Errorf("signed in as %q, want %s", got, u.UserName)
	}
	if e := w.lastSignIn(u, "without a password"); e.Result != gatehouse.ResultSuccess {
		t.Errorf("sign-in log: %+v", e)
	}
}

// TestBrowserPasskeyAutofill opens the sign-in page with a passkey on the authenticator and nothing else: the
// page starts a conditional request (the user-name field's passkey autofill), which Chromium supports, and its
// virtual authenticator, answering presence at once, picks the only passkey from it, so the user is signed in
// without typing or clicking anything.
func TestBrowserPasskeyAutofill(t *testing.T) {
	w := newPasskeyBrowser(t)
	const pw = "Correct-Horse-42"
	u := w.newUserWithPassword("autofill@contoso.com", pw)
	w.enrol(u, pw, "Laptop")
	w.signOut()
	state, err := chromedp.Run(w.ctx, chromedp.Poll[string](`document.documentElement.dataset.passkeyAutofill`,
		chromedp.WithPollingInterval(20*time.Millisecond)))
	if err != nil {
		t.Fatal(err)
	}
	if state != "waiting" {
		t.Fatalf("autofill state %q: this Chromium does not offer conditional mediation", state)
	}
	// With presence answered at once, the page's conditional request resolves as soon as it starts.
	w.presence(true)
	w.do(chromedp.Navigate(w.srv.URL+"/d/default/login"), chromedp.WaitVisible(chromedp.CSS("#current-user")))
	if got := w.text("#current-user"); got != u.UserName {
		t.Errorf("signed in through autofill as %q, want %s", got, u.UserName)
	}
	if e := w.lastSignIn(u, "without a password"); e.Result != gatehouse.ResultSuccess {
		t.Errorf("sign-in log: %+v", e)
	}
}

// TestBrowserPasskeyRefusals covers SECURITY-CASES 52 in the browser: an answer with the UV bit cleared, one with
// a bogus signature, and an answer sent a second time to the same challenge are refused with a plain message
// and written to the sign-in log with code GH6005.
func TestBrowserPasskeyRefusals(t *testing.T) {
	w := newPasskeyBrowser(t)
	const pw = "Correct-Horse-42"
	u := w.newUserWithPassword("refused@contoso.com", pw)
	w.enrol(u, pw, "Laptop")
	w.signOut()
	for _, tc := range []struct {
		name                  string
		badUV, bogusSignature bool
	}{
		{"bad user verification", true, false},
		{"bogus signature", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w.override(tc.badUV, tc.bogusSignature)
			defer w.override(false, false)
			w.presence(true)
			defer w.presence(false)
			w.do(signinClick("#passkey-sign-in"), chromedp.WaitVisible(chromedp.CSS("#login-error")))
			if got := w.text("#login-error"); !strings.Contains(got, "could not be verified") {
				t.Errorf("message %q", got)
			}
			if e := w.lastSignIn(u, "refused"); e.Result != gatehouse.ResultFailure || e.Code != idp.CodeBadPasskey {
				t.Errorf("sign-in log: %+v; want a failure with %s", e, idp.CodeBadPasskey)
			}
			if w.count("form[data-passkey-autofill]") != 0 {
				t.Error("the page after a refused passkey starts the autofill request again")
			}
			if w.count("#current-user") != 0 {
				t.Error("signed in after a refused passkey")
			}
		})
	}
	t.Run("replayed challenge", func(t *testing.T) {
		// The page's form is kept as it is submitted, then sent again after the sign-in.
		w.do(chromedp.Evaluate[chromedp.Void](`(() => {
			const submit = HTMLFormElement.prototype.submit;
			HTMLFormElement.prototype.submit = function () {
				sessionStorage.setItem("sent", new URLSearchParams(new FormData(this)).toString());
				submit.call(this);
			};
		})()`))
		w.presence(true)
		w.do(signinClick("#passkey-sign-in"), chromedp.WaitVisible(chromedp.CSS("#current-user")))
		status, err := chromedp.Run(w.ctx, chromedp.Evaluate[string](`fetch("/d/default/login/passkey", {method: "POST",
			headers: {"Content-Type": "application/x-www-form-urlencoded"}, body: sessionStorage.getItem("sent"), redirect: "manual"})
			.then(async r => r.status + " " + (await r.text()))`, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(status, "401 ") || !strings.Contains(status, "expired or was already used") {
			t.Errorf("the same answer again: %.200s", status)
		}
		if e := w.lastSignIn(u, "already answered"); e.Result != gatehouse.ResultFailure || e.Code != idp.CodeBadPasskey {
			t.Errorf("sign-in log: %+v", e)
		}
	})
}
