package web

import (
	"net/http"
	"net/url"
	"slices"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
)

// maxPasskeyForm bounds a form that carries a passkey's answer: the browser's JSON of a credential is a few KiB.
const maxPasskeyForm = 64 << 10

// passkeyForm is what a page needs to run a passkey ceremony in the browser (static/passkey.js): the options for
// navigator.credentials and the sealed state the answer goes back with.
type passkeyForm struct {
	Options string
	State   string
}

func passkeyFormOf(ch *idp.PasskeyChallenge) *passkeyForm {
	if ch == nil {
		return nil
	}
	return &passkeyForm{Options: string(ch.Options), State: ch.State}
}

// withMethod returns the methods of a session with m added once, in the order they were used.
func withMethod(sess *gatehouse.Session, m gatehouse.AuthMethod) []gatehouse.AuthMethod {
	out := slices.Clone(sess.AuthMethods())
	if !slices.Contains(out, m) {
		out = append(out, m)
	}
	return out
}

// loginPasskey finishes a sign-in with a passkey alone (the sign-in page's "Sign in with a passkey" button or the
// user-name field's autofill).
func (s *Server) loginPasskey(w http.ResponseWriter, r *http.Request) error {
	b, err := s.branding(r)
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxPasskeyForm)
	if err := r.ParseForm(); err != nil {
		return gatehouse.Errorf(gatehouse.EINVALID, "The form could not be read.")
	}
	f := flowOf(r.PostForm)
	u, err := s.Service.SignInWithPasskey(r.Context(), b.Directory.ID, r.PostForm.Get("state"), []byte(r.PostForm.Get("credential")))
	if err != nil {
		status, ok := formProblem(w, err)
		if !ok {
			return err
		}
		p := loginPage{signInPage: signInPage{Brand: b, Flow: f, Error: gatehouse.ErrorMessage(err)}, PasskeyRefused: true}
		if err := s.addLoginPasskey(r, &p); err != nil {
			return err
		}
		s.render(w, r, status, "login.html", p)
		return nil
	}
	return s.startSession(w, r, u, []gatehouse.AuthMethod{gatehouse.MethodPasskey}, f)
}

// addLoginPasskey offers a passkey sign-in on the sign-in page when the directory allows it.
func (s *Server) addLoginPasskey(r *http.Request, p *loginPage) error {
	if p.Force {
		return nil // the app asked for the password again
	}
	ch, err := s.Service.BeginPasskeySignIn(r.Context(), p.Brand.Directory.ID)
	if err != nil {
		return err
	}
	p.Passkey = passkeyFormOf(ch)
	return nil
}

// mfaPasskey finishes the second step of a sign-in with a passkey.
func (s *Server) mfaPasskey(w http.ResponseWriter, r *http.Request) error {
	b, err := s.branding(r)
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxPasskeyForm)
	if err := r.ParseForm(); err != nil {
		return gatehouse.Errorf(gatehouse.EINVALID, "The form could not be read.")
	}
	f := flowOf(r.PostForm)
	sess, u, ok := s.mfaUser(w, r, f, idp.StepMFA)
	if !ok {
		return nil
	}
	if err := s.Service.VerifyPasskey(r.Context(), sess, u, r.PostForm.Get("state"), []byte(r.PostForm.Get("credential"))); err != nil {
		status, ok := formProblem(w, err)
		if !ok {
			return err
		}
		p, err := s.newMFAPage(r, b, f, sess, u)
		if err != nil {
			return err
		}
		p.Error, p.Field = gatehouse.ErrorMessage(err), "passkey"
		s.render(w, r, status, "mfa_verify.html", p)
		return nil
	}
	return s.startSession(w, r, u, withMethod(sess, gatehouse.MethodPasskey), f)
}

// newMFAPage returns the second step's page for a session: the code form when the user has an authenticator app
// or recovery codes, and a passkey when they have one.
func (s *Server) newMFAPage(r *http.Request, b *idp.Branding, f flow, sess *gatehouse.Session, u *gatehouse.User) (mfaPage, error) {
	p := mfaPage{signInPage: signInPage{Brand: b, Flow: f, UserName: u.UserName}, Code: u.MFAEnabled || len(u.RecoveryCodes) > 0,
		TOTP: u.MFAEnabled}
	ch, err := s.Service.BeginPasskeySecondFactor(r.Context(), sess, u)
	if err != nil {
		return p, err
	}
	p.Passkey = passkeyFormOf(ch)
	pol, _, err := s.Service.SignInPasskeyPolicy(r.Context(), b.Directory.ID)
	if err != nil {
		return p, err
	}
	p.PasskeyRequired = pol.RequirePhishingResistant && !sess.PhishingResistant()
	return p, nil
}

// passkeySetupPage adds a passkey: from the Security page, or as a step of signing in when the directory requires
// a second factor or a passkey.
type passkeySetupPage struct {
	signInPage
	// Required reports whether the sign-in cannot go on without it (StepEnrolPasskey); Enrolling whether the page is
	// a step of signing in at all.
	Required, Enrolling bool
	Passkey             *passkeyForm
	// Unavailable says why passkeys cannot be added.
	Unavailable string
	Name        string
	// AppURL is the page that sets up an authenticator app instead, with the same flow.
	AppURL string
}

// passkeySetupUser returns the session and user who may add a passkey: one with a complete sign-in, or one whose
// next step is to enrol a second factor or a passkey.
func (s *Server) passkeySetupUser(w http.ResponseWriter, r *http.Request, f flow) (*gatehouse.Session, *gatehouse.User, idp.Step, bool) {
	sess, u, ok := s.mfaUser(w, r, f, idp.StepDone, idp.StepEnrolMFA, idp.StepEnrolPasskey)
	if !ok {
		return nil, nil, 0, false
	}
	_, _, step := s.signingIn(r, r.PathValue("dir"))
	return sess, u, step, true
}

func (s *Server) newPasskeySetupPage(r *http.Request, b *idp.Branding, f flow, u *gatehouse.User, step idp.Step) (passkeySetupPage, error) {
	p := passkeySetupPage{signInPage: signInPage{Brand: b, Flow: f, UserName: u.UserName},
		Required: step == idp.StepEnrolPasskey, Enrolling: step != idp.StepDone, Name: "Passkey",
		AppURL: f.url(b.Directory.ID, "mfa/setup")}
	ch, err := s.Service.BeginPasskeyRegistration(r.Context(), u)
	if gatehouse.ErrorCode(err) == gatehouse.EFORBIDDEN {
		p.Unavailable = gatehouse.ErrorMessage(err)
		return p, nil
	}
	p.Passkey = passkeyFormOf(ch)
	return p, err
}

func (s *Server) passkeySetupForm(w http.ResponseWriter, r *http.Request) error {
	b, f, err := s.signInForm(w, r)
	if err != nil {
		return err
	}
	_, u, step, ok := s.passkeySetupUser(w, r, f)
	if !ok {
		return nil
	}
	p, err := s.newPasskeySetupPage(r, b, f, u, step)
	if err != nil {
		return err
	}
	s.render(w, headerUser(r, u, step == idp.StepDone), http.StatusOK, "passkey_setup.html", p)
	return nil
}

// passkeyAddedPage confirms a new passkey and shows recovery codes when it brought the first ones.
type passkeyAddedPage struct {
	signInPage
	Passkey  *gatehouse.Passkey
	Codes    []string
	Continue string
}

func (s *Server) passkeySetup(w http.ResponseWriter, r *http.Request) error {
	b, err := s.branding(r)
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxPasskeyForm)
	if err := r.ParseForm(); err != nil {
		return gatehouse.Errorf(gatehouse.EINVALID, "The form could not be read.")
	}
	f := flowOf(r.PostForm)
	sess, u, step, ok := s.passkeySetupUser(w, r, f)
	if !ok {
		return nil
	}
	name := r.PostForm.Get("name")
	k, codes, err := s.Service.FinishPasskeyRegistration(r.Context(), u, name, r.PostForm.Get("state"), []byte(r.PostForm.Get("credential")))
	if err != nil {
		status, ok := formProblem(w, err)
		if !ok {
			return err
		}
		p, perr := s.newPasskeySetupPage(r, b, f, u, step)
		if perr != nil {
			return perr
		}
		p.Name, p.Error, p.Field = name, gatehouse.ErrorMessage(err), gatehouse.ErrorField(err)
		s.render(w, headerUser(r, u, step == idp.StepDone), status, "passkey_setup.html", p)
		return nil
	}
	// Adding a passkey is a privilege change: a new session, made with the passkey just proven too.
	_ = s.Service.SignOut(r.Context(), s.sessionToken(r))
	tok, next, err := s.Service.StartSession(r.Context(), u, withMethod(sess, gatehouse.MethodPasskey)...)
	if err != nil {
		return err
	}
	s.setSessionCookie(w, tok)
	nextStep, err := s.Service.SignInStep(r.Context(), next, u)
	if err != nil {
		return err
	}
	cont := stepURL(b.Directory.ID, nextStep, f)
	if len(codes) == 0 {
		http.Redirect(w, r, cont, http.StatusSeeOther)
		return nil
	}
	p := passkeyAddedPage{signInPage: signInPage{Brand: b, Flow: f, UserName: u.UserName}, Passkey: k, Codes: codes, Continue: cont}
	s.render(w, headerUser(r, u, nextStep == idp.StepDone), http.StatusOK, "passkey_added.html", p)
	return nil
}

// removeOwnPasskey removes one of the signed-in user's passkeys from their Security page.
func (s *Server) removeOwnPasskey(w http.ResponseWriter, r *http.Request) error {
	b, err := s.branding(r)
	if err != nil {
		return err
	}
	u := s.securityUser(w, r, b.Directory.ID)
	if u == nil {
		return nil
	}
	if err := s.Service.RemoveOwnPasskey(r.Context(), u, r.PathValue("id")); err != nil {
		status, ok := formProblem(w, err)
		if !ok {
			return err
		}
		return s.renderSecurity(w, r, status, b, u, securityPage{signInPage: signInPage{Error: gatehouse.ErrorMessage(err)}})
	}
	http.Redirect(w, r, "/d/"+url.PathEscape(b.Directory.ID)+"/security?done=passkey-removed", http.StatusSeeOther)
	return nil
}

// securityPasskeys is the passkeys part of the Security page.
type securityPasskeys struct {
	List []*gatehouse.Passkey
	// Unavailable says why passkeys cannot be added, or is empty.
	Unavailable string
}

// ownPasskeys returns the Security page's passkeys part for u.
func (s *Server) ownPasskeys(r *http.Request, u *gatehouse.User) (*securityPasskeys, error) {
	list, err := s.Service.FindOwnPasskeys(r.Context(), u)
	if err != nil {
		return nil, err
	}
	out := &securityPasskeys{List: list}
	if why := s.Service.PasskeysUnavailable(); why != "" {
		out.Unavailable = "Passkeys are not available on this server: " + why + "."
	} else if _, usable, err := s.Service.SignInPasskeyPolicy(r.Context(), u.DirectoryID); err != nil {
		return nil, err
	} else if !usable {
		out.Unavailable = "Your directory has turned passkeys off."
	}
	return out, nil
}

// API: an admin lists and removes a user's passkeys, and reads and changes the directory's passkey policy.

func (s *Server) listUserPasskeys(w http.ResponseWriter, r *http.Request) error {
	list, err := s.Service.FindUserPasskeys(r.Context(), userFrom(r), r.PathValue("dir"), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(list, len(list)))
	return nil
}

func (s *Server) deleteUserPasskey(w http.ResponseWriter, r *http.Request) error {
	if err := s.Service.DeleteUserPasskey(r.Context(), userFrom(r), r.PathValue("dir"), r.PathValue("id"), r.PathValue("passkeyId")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) getPasskeyPolicy(w http.ResponseWriter, r *http.Request) error {
	p, err := s.Service.FindPasskeyPolicy(r.Context(), userFrom(r), r.PathValue("dir"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, policyJSON(p))
	return nil
}

func (s *Server) patchPasskeyPolicy(w http.ResponseWriter, r *http.Request) error {
	var patch idp.PasskeyPolicyPatch
	if err := decode(w, r, &patch); err != nil {
		return err
	}
	p, err := s.Service.UpdatePasskeyPolicy(r.Context(), userFrom(r), r.PathValue("dir"), patch)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, policyJSON(p))
	return nil
}

// policyJSON returns the policy with its defaults filled in, as the API shows it.
func policyJSON(p *gatehouse.PasskeyPolicy) *gatehouse.PasskeyPolicy {
	out := *p
	out.Passkeys = p.Use()
	if out.RecoveryCodes == "" {
		out.RecoveryCodes = gatehouse.RecoveryCodesAllowed
	}
	if out.AAGUIDs == nil {
		out.AAGUIDs = []string{}
	}
	return &out
}

// passkeyEnrolURL returns the page that adds a passkey with flow f, when passkeys can be used in the directory, for
// the authenticator app's set-up page to offer instead.
func (s *Server) passkeyEnrolURL(r *http.Request, dir string, f flow) (string, error) {
	_, usable, err := s.Service.SignInPasskeyPolicy(r.Context(), dir)
	if err != nil || !usable {
		return "", err
	}
	return f.url(dir, "passkeys/new"), nil
}
