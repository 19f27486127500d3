package web

import (
	"cmp"
	"encoding/base64"
	"html/template"
	"net/http"
	"strings"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
)

// mfaPage is the second step of a sign-in: a code from the authenticator app or a recovery code, or a passkey.
type mfaPage struct {
	signInPage
	// Code reports whether the code form is offered (the user has an authenticator app or recovery codes), TOTP
	// whether they have the app.
	Code, TOTP bool
	// Passkey, when set, offers the user's passkeys.
	Passkey *passkeyForm
	// PasskeyRequired reports whether the directory requires a passkey, so that a code alone does not finish.
	PasskeyRequired bool
}

// mfaUser returns the session and user whose next step is want; anyone else is sent where they belong.
func (s *Server) mfaUser(w http.ResponseWriter, r *http.Request, f flow, want ...idp.Step) (*gatehouse.Session, *gatehouse.User, bool) {
	dir := r.PathValue("dir")
	sess, u, step := s.signingIn(r, dir)
	if u == nil {
		http.Redirect(w, r, loginURL(dir, f.SignIn, f.Next, false), http.StatusSeeOther)
		return nil, nil, false
	}
	for _, st := range want {
		if st == step {
			return sess, u, true
		}
	}
	http.Redirect(w, r, stepURL(dir, step, f), http.StatusSeeOther)
	return nil, nil, false
}

func (s *Server) mfaForm(w http.ResponseWriter, r *http.Request) error {
	b, f, err := s.signInForm(w, r)
	if err != nil {
		return err
	}
	sess, u, ok := s.mfaUser(w, r, f, idp.StepMFA)
	if !ok {
		return nil
	}
	p, err := s.newMFAPage(r, b, f, sess, u)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "mfa_verify.html", p)
	return nil
}

func (s *Server) mfaVerify(w http.ResponseWriter, r *http.Request) error {
	b, f, err := s.signInForm(w, r)
	if err != nil {
		return err
	}
	sess, u, ok := s.mfaUser(w, r, f, idp.StepMFA)
	if !ok {
		return nil
	}
	code := r.PostForm.Get("code")
	if err := s.Service.VerifyMFA(r.Context(), u, code); err != nil {
		status, ok := formProblem(w, err)
		if !ok {
			return err
		}
		p, perr := s.newMFAPage(r, b, f, sess, u)
		if perr != nil {
			return perr
		}
		p.Error, p.Field = gatehouse.ErrorMessage(err), "code"
		s.render(w, r, status, "mfa_verify.html", p)
		return nil
	}
	return s.startSession(w, r, u, withMethod(sess, idp.CodeMethod(code)), f)
}

// mfaSetupPage shows a new authenticator secret as a QR code and as text, and asks for a first code.
type mfaSetupPage struct {
	signInPage
	Required bool
	// Replacing reports whether the user already has an authenticator, which the new one replaces.
	Replacing bool
	Secret    string
	QRCode    template.URL
	Token     string
	// PasskeyURL, when set, offers to add a passkey instead.
	PasskeyURL string
}

// groups splits s into space-separated groups of n characters, for reading a secret off the screen; authenticator
// apps ignore the spaces.
func groups(s string, n int) string {
	var b strings.Builder
	for i := 0; i < len(s); i += n {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s[i:min(i+n, len(s))])
	}
	return b.String()
}

func setupPage(b *idp.Branding, f flow, u *gatehouse.User, step idp.Step, e *idp.MFAEnrolment) mfaSetupPage {
	return mfaSetupPage{
		signInPage: signInPage{Brand: b, Flow: f, UserName: u.UserName},
		Required:   step == idp.StepEnrolMFA, Replacing: u.MFAEnabled, Secret: groups(e.Secret, 4), Token: e.Token,
		// A data: URL of a PNG made here is safe to put in an img src; img-src allows data:.
		QRCode: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(e.QRCode)),
	}
}

func (s *Server) mfaSetupForm(w http.ResponseWriter, r *http.Request) error {
	b, f, err := s.signInForm(w, r)
	if err != nil {
		return err
	}
	_, u, ok := s.mfaUser(w, r, f, idp.StepEnrolMFA, idp.StepDone)
	if !ok {
		return nil
	}
	_, _, step := s.signingIn(r, b.Directory.ID)
	e, err := s.Service.StartMFAEnrolment(r.Context(), u, "")
	if err != nil {
		return err
	}
	p := setupPage(b, f, u, step, e)
	if p.PasskeyURL, err = s.passkeyEnrolURL(r, b.Directory.ID, f); err != nil {
		return err
	}
	s.render(w, headerUser(r, u, step == idp.StepDone), http.StatusOK, "mfa_setup.html", p)
	return nil
}

// mfaCodesPage shows the recovery codes once, after enrolment.
type mfaCodesPage struct {
	signInPage
	Codes    []string
	Continue string
}

func (s *Server) mfaSetup(w http.ResponseWriter, r *http.Request) error {
	b, f, err := s.signInForm(w, r)
	if err != nil {
		return err
	}
	sess, u, ok := s.mfaUser(w, r, f, idp.StepEnrolMFA, idp.StepDone)
	if !ok {
		return nil
	}
	_, _, step := s.signingIn(r, b.Directory.ID)
	token := r.PostForm.Get("enrolment")
	var codes []string
	// Replacing an authenticator takes a code of the old one too, so that a session alone (a browser left open)
	// cannot move the account to someone else's phone.
	if u.MFAEnabled {
		if err = s.Service.VerifyMFA(r.Context(), u, r.PostForm.Get("currentCode")); err != nil {
			err = &gatehouse.Error{Code: gatehouse.ErrorCode(err), Field: "currentCode", Message: "The code of your current authenticator app is not right: " + gatehouse.ErrorMessage(err)}
		}
	}
	if err == nil {
		codes, err = s.Service.ConfirmMFAEnrolment(r.Context(), u, token, r.PostForm.Get("code"))
	}
	if err != nil {
		status, ok := formProblem(w, err)
		if !ok {
			return err
		}
		// The same secret again, so that an authenticator app that already has it keeps working.
		e, serr := s.Service.StartMFAEnrolment(r.Context(), u, token)
		if serr != nil {
			return serr
		}
		p := setupPage(b, f, u, step, e)
		p.Error, p.Field = gatehouse.ErrorMessage(err), cmp.Or(gatehouse.ErrorField(err), "code")
		s.render(w, headerUser(r, u, step == idp.StepDone), status, "mfa_setup.html", p)
		return nil
	}
	// Enrolling is a privilege change: a new session, made with the second factor just proven.
	_ = s.Service.SignOut(r.Context(), s.sessionToken(r))
	tok, fresh, err := s.Service.StartSession(r.Context(), u, withMethod(sess, gatehouse.MethodTOTP)...)
	if err != nil {
		return err
	}
	s.setSessionCookie(w, tok)
	next, err := s.Service.SignInStep(r.Context(), fresh, u)
	if err != nil {
		return err
	}
	p := mfaCodesPage{signInPage: signInPage{Brand: b, Flow: f, UserName: u.UserName}, Codes: codes, Continue: stepURL(b.Directory.ID, next, f)}
	s.render(w, headerUser(r, u, next == idp.StepDone), http.StatusOK, "mfa_codes.html", p)
	return nil
}

// securityPage is a user's own security settings: password, two-step verification and API tokens.
type securityPage struct {
	signInPage
	MFAEnabled    bool
	RequireMFA    bool
	RecoveryCodes int
	Tokens        []*gatehouse.APIToken
	// NewToken is the secret of a token just created, shown once.
	NewToken string
	// Passkeys are the user's passkeys and whether they can add more.
	Passkeys *securityPasskeys
}

// securityUser returns the signed-in user of the security pages, or sends the browser to sign in.
func (s *Server) securityUser(w http.ResponseWriter, r *http.Request, dir string) *gatehouse.User {
	_, u := s.signedIn(r, dir)
	if u == nil {
		http.Redirect(w, r, loginURL(dir, "", "/d/"+dir+"/security", false), http.StatusSeeOther)
	}
	return u
}

// renderSecurity shows the security page of u with a message.
func (s *Server) renderSecurity(w http.ResponseWriter, r *http.Request, status int, b *idp.Branding, u *gatehouse.User, p securityPage) error {
	dir := b.Directory.ID
	tokens, err := s.Service.FindAPITokens(r.Context(), u, false)
	if err != nil {
		return err
	}
	p.signInPage.Brand, p.signInPage.Flow, p.signInPage.UserName = b, flow{Next: "/d/" + dir + "/security"}, u.UserName
	p.MFAEnabled, p.RequireMFA, p.RecoveryCodes, p.Tokens = u.MFAEnabled, b.Directory.RequireMFA, len(u.RecoveryCodes), tokens
	if p.Passkeys, err = s.ownPasskeys(r, u); err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, withUser(r, u), status, "security.html", p)
	return nil
}

func (s *Server) security(w http.ResponseWriter, r *http.Request) error {
	b, err := s.branding(r)
	if err != nil {
		return err
	}
	u := s.securityUser(w, r, b.Directory.ID)
	if u == nil {
		return nil
	}
	var p securityPage
	switch r.URL.Query().Get("done") {
	case "mfa-off":
		p.Notice = "Two-step verification is off."
	case "token-revoked":
		p.Notice = "The API token is revoked."
	case "passkey-removed":
		p.Notice = "The passkey is removed."
	}
	return s.renderSecurity(w, r, http.StatusOK, b, u, p)
}

// createOwnToken makes an API token for the command line; it is how an account with a second factor gets one.
func (s *Server) createOwnToken(w http.ResponseWriter, r *http.Request) error {
	b, err := s.branding(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	u := s.securityUser(w, r, b.Directory.ID)
	if u == nil {
		return nil
	}
	secret, _, err := s.Service.CreateAPIToken(r.Context(), u, r.PostForm.Get("name"))
	if err != nil {
		status, ok := formProblem(w, err)
		if !ok {
			return err
		}
		return s.renderSecurity(w, r, status, b, u, securityPage{signInPage: signInPage{Error: gatehouse.ErrorMessage(err), Field: "name"}})
	}
	return s.renderSecurity(w, r, http.StatusOK, b, u, securityPage{NewToken: secret})
}

func (s *Server) revokeOwnToken(w http.ResponseWriter, r *http.Request) error {
	b, err := s.branding(r)
	if err != nil {
		return err
	}
	u := s.securityUser(w, r, b.Directory.ID)
	if u == nil {
		return nil
	}
	if err := s.Service.RevokeAPIToken(r.Context(), u, r.PathValue("id")); err != nil {
		return err
	}
	http.Redirect(w, r, "/d/"+b.Directory.ID+"/security?done=token-revoked", http.StatusSeeOther)
	return nil
}

func (s *Server) disableMFA(w http.ResponseWriter, r *http.Request) error {
	b, err := s.branding(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	u := s.securityUser(w, r, b.Directory.ID)
	if u == nil {
		return nil
	}
	if err := s.Service.DisableMFA(r.Context(), u, r.PostForm.Get("code")); err != nil {
		status, ok := formProblem(w, err)
		if !ok {
			return err
		}
		return s.renderSecurity(w, r, status, b, u, securityPage{signInPage: signInPage{Error: gatehouse.ErrorMessage(err), Field: "code"}})
	}
	http.Redirect(w, r, "/d/"+b.Directory.ID+"/security?done=mfa-off", http.StatusSeeOther)
	return nil
}
