package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
)

// cookieName returns the session cookie's name: __Host- prefixed on https (SECURITY-CASES 28).
func (s *Server) cookieName() string {
	if s.secure {
		return "__Host-gatehouse_session"
	}
	return "gatehouse_session"
}

func (s *Server) setSessionCookie(w http.ResponseWriter, token string) {
	http.SetCookie(w, &http.Cookie{
		Name: s.cookieName(), Value: token, Path: "/", HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode,
		MaxAge: int(s.Service.SessionMax().Seconds()),
	})
}

func (s *Server) clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(), Value: "", Path: "/", HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

func (s *Server) sessionToken(r *http.Request) string {
	c, err := r.Cookie(s.cookieName())
	if err != nil {
		return ""
	}
	return c.Value
}

// signedIn returns the session and user of the request's cookie when they belong to directory dir and the sign-in
// is complete (password changed, second factor given).
func (s *Server) signedIn(r *http.Request, dir string) (*gatehouse.Session, *gatehouse.User) {
	sess, u, err := s.Service.SessionUser(r.Context(), s.sessionToken(r))
	if err != nil || sess.DirectoryID != dir {
		return nil, nil
	}
	return sess, u
}

// signingIn returns the session and user of the request's cookie in directory dir, complete or not, and the step
// the user is at.
func (s *Server) signingIn(r *http.Request, dir string) (*gatehouse.Session, *gatehouse.User, idp.Step) {
	sess, u, step, err := s.Service.SessionState(r.Context(), s.sessionToken(r))
	if err != nil || sess.DirectoryID != dir {
		return nil, nil, 0
	}
	return sess, u, step
}

func withUser(r *http.Request, u *gatehouse.User) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), userKey, u))
}

// headerUser puts u in the page header ("Signed in as") when the sign-in is complete; pages of an unfinished
// sign-in offer "Not you?" instead, since the header's links would lead back to them.
func headerUser(r *http.Request, u *gatehouse.User, complete bool) *http.Request {
	if !complete {
		return r
	}
	return withUser(r, u)
}

func userFrom(r *http.Request) *gatehouse.User {
	u, _ := r.Context().Value(userKey).(*gatehouse.User)
	return u
}

// localPath returns p when it is a same-origin relative path, and "" otherwise (SECURITY-CASES 30).
func localPath(p string) string {
	if p == "" || len(p) > 2048 || !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") ||
		strings.ContainsAny(p, "\\\r\n\t") {
		return ""
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" {
		return ""
	}
	return p
}

// flow is where a sign-in goes once complete: a pending SAML sign-in, or a local path. It travels through every
// step (password, code, password change, enrolment) as the signin and next parameters.
type flow struct {
	SignIn string
	Next   string
}

// flowOf reads a flow from query or form values; a next that is not a local path is dropped.
func flowOf(v url.Values) flow {
	signin := v.Get("signin")
	if len(signin) > 128 || strings.IndexFunc(signin, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_')
	}) >= 0 {
		signin = ""
	}
	return flow{SignIn: signin, Next: localPath(v.Get("next"))}
}

// url returns the path of a page of directory dir with the flow as its query.
func (f flow) url(dir, page string, extra ...string) string {
	q := url.Values{}
	if f.SignIn != "" {
		q.Set("signin", f.SignIn)
	}
	if f.Next != "" {
		q.Set("next", f.Next)
	}
	for i := 0; i+1 < len(extra); i += 2 {
		q.Set(extra[i], extra[i+1])
	}
	u := "/d/" + url.PathEscape(dir) + "/" + page
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

// loginURL returns the sign-in page's URL that continues with a pending sign-in or a local path.
func loginURL(dir, signin, next string, force bool) string {
	if force {
		return flow{signin, next}.url(dir, "login", "force", "1")
	}
	return flow{signin, next}.url(dir, "login")
}

// passwordURL returns the password page's URL that continues with a pending sign-in or a local path.
func passwordURL(dir, signin, next string) string { return flow{signin, next}.url(dir, "password") }

// afterSignIn returns where to go once signed in: the pending SAML sign-in, a local path, or My Apps.
func afterSignIn(dir, signin, next string) string {
	if signin != "" {
		return "/d/" + url.PathEscape(dir) + "/sso/continue?signin=" + url.QueryEscape(signin)
	}
	if p := localPath(next); p != "" {
		return p
	}
	return "/d/" + url.PathEscape(dir) + "/myapps"
}

// stepURL returns the page of a sign-in step, or the flow's destination when the sign-in is complete.
func stepURL(dir string, step idp.Step, f flow) string {
	switch step {
	case idp.StepMFA:
		return f.url(dir, "mfa")
	case idp.StepChangePassword:
		return f.url(dir, "password")
	case idp.StepEnrolMFA:
		return f.url(dir, "mfa/setup")
	case idp.StepEnrolPasskey:
		return f.url(dir, "passkeys/new")
	}
	return afterSignIn(dir, f.SignIn, f.Next)
}

// startSession replaces the request's session, if any, with a new one for u made with methods (SECURITY-CASES 27:
// a new session ID at sign-in and at every privilege change) and sends the browser to the next step of the
// sign-in.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, u *gatehouse.User, methods []gatehouse.AuthMethod, f flow) error {
	_ = s.Service.SignOut(r.Context(), s.sessionToken(r))
	token, sess, err := s.Service.StartSession(r.Context(), u, methods...)
	if err != nil {
		return err
	}
	s.setSessionCookie(w, token)
	step, err := s.Service.SignInStep(r.Context(), sess, u)
	if err != nil {
		return err
	}
	http.Redirect(w, r, stepURL(u.DirectoryID, step, f), http.StatusSeeOther)
	return nil
}

// signInPage is what every page of the sign-in flow shows: the directory's branding, the flow to carry on, the
// user being signed in (for "Not you?") and a message.
type signInPage struct {
	Brand    *idp.Branding
	Flow     flow
	UserName string
	Error    string
	Field    string
	Notice   string
}

// Directory returns the directory of the page, for templates.
func (p signInPage) Directory() *gatehouse.Directory { return p.Brand.Directory }

func (s *Server) branding(r *http.Request) (*idp.Branding, error) {
	return s.Service.DirectoryBranding(r.Context(), r.PathValue("dir"))
}

// signInForm starts a sign-in page's handler: the directory's branding, and the sign-in flow the request carries,
// in its form for a POST (which it parses) or in its query otherwise.
func (s *Server) signInForm(w http.ResponseWriter, r *http.Request) (*idp.Branding, flow, error) {
	b, err := s.branding(r)
	if err != nil {
		return nil, flow{}, err
	}
	if r.Method != http.MethodPost {
		return b, flowOf(r.URL.Query()), nil
	}
	if err := parseForm(w, r); err != nil {
		return nil, flow{}, err
	}
	return b, flowOf(r.PostForm), nil
}

type loginPage struct {
	signInPage
	// Passkey, when set, offers "Sign in with a passkey" and the user-name field's passkey autofill.
	Passkey *passkeyForm
	// PasskeyRefused reports whether the page answers a refused passkey: it then does not start the autofill
	// request again at once (an authenticator that answers by itself would try again and again), and the button
	// stays.
	PasskeyRefused bool
	Force          bool
	// SignedInAs is the user of the current session when the page asks for the password again.
	SignedInAs string
}

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) error {
	b, err := s.branding(r)
	if err != nil {
		return err
	}
	dir := b.Directory.ID
	q := r.URL.Query()
	p := loginPage{signInPage: signInPage{Brand: b, Flow: flowOf(q)}, Force: q.Get("force") == "1"}
	if q.Get("signedout") == "1" {
		p.Notice = "You have signed out."
	}
	if _, u, step := s.signingIn(r, dir); u != nil {
		if step != idp.StepDone {
			http.Redirect(w, r, stepURL(dir, step, p.Flow), http.StatusSeeOther)
			return nil
		}
		if !p.Force {
			http.Redirect(w, r, afterSignIn(dir, p.Flow.SignIn, p.Flow.Next), http.StatusSeeOther)
			return nil
		}
		p.UserName, p.SignedInAs = u.UserName, u.UserName
		r = withUser(r, u)
	}
	if err := s.addLoginPasskey(r, &p); err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "login.html", p)
	return nil
}

const maxFormBytes = 64 << 10

// parseForm reads a bounded form body.
func parseForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return gatehouse.Errorf(gatehouse.EINVALID, "The form could not be read.")
	}
	return nil
}

// formProblem reports whether err is one a sign-in form shows beside its fields (wrong input, wrong credentials,
// too many attempts) rather than on an error page, and sets Retry-After for the last.
func formProblem(w http.ResponseWriter, err error) (int, bool) {
	code := gatehouse.ErrorCode(err)
	switch code {
	case gatehouse.EUNAUTHORIZED, gatehouse.EINVALID, gatehouse.ERATELIMIT, gatehouse.EFORBIDDEN:
	default:
		return 0, false
	}
	if code == gatehouse.ERATELIMIT {
		w.Header().Set("Retry-After", "60")
	}
	return statusOf(code), true
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	b, err := s.branding(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	p := loginPage{signInPage: signInPage{Brand: b, Flow: flowOf(r.PostForm), UserName: r.PostForm.Get("userName")}}
	u, err := s.Service.Authenticate(r.Context(), b.Directory.ID, p.UserName, r.PostForm.Get("password"))
	if err != nil {
		status, ok := formProblem(w, err)
		if !ok {
			return err
		}
		p.Error = gatehouse.ErrorMessage(err)
		if err := s.addLoginPasskey(r, &p); err != nil {
			return err
		}
		s.render(w, r, status, "login.html", p)
		return nil
	}
	return s.startSession(w, r, u, []gatehouse.AuthMethod{gatehouse.MethodPassword}, p.Flow)
}

type passwordPage struct {
	signInPage
	Required bool
}

// passwordUser returns the user who may change their password on this request: one with a complete session or
// one whose next step is the change; anyone else is sent where they belong.
func (s *Server) passwordUser(w http.ResponseWriter, r *http.Request, f flow) (*gatehouse.Session, *gatehouse.User, bool) {
	dir := r.PathValue("dir")
	sess, u, step := s.signingIn(r, dir)
	switch {
	case u == nil:
		next := f.Next
		if f.SignIn == "" && next == "" {
			next = "/d/" + dir + "/password"
		}
		http.Redirect(w, r, loginURL(dir, f.SignIn, next, false), http.StatusSeeOther)
		return nil, nil, false
	case step != idp.StepDone && step != idp.StepChangePassword:
		http.Redirect(w, r, stepURL(dir, step, f), http.StatusSeeOther)
		return nil, nil, false
	}
	return sess, u, true
}

func (s *Server) passwordForm(w http.ResponseWriter, r *http.Request) error {
	b, f, err := s.signInForm(w, r)
	if err != nil {
		return err
	}
	_, u, ok := s.passwordUser(w, r, f)
	if !ok {
		return nil
	}
	s.render(w, headerUser(r, u, !u.MustChangePassword), http.StatusOK, "password.html", passwordPage{
		signInPage: signInPage{Brand: b, Flow: f, UserName: u.UserName}, Required: u.MustChangePassword,
	})
	return nil
}

func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) error {
	b, f, err := s.signInForm(w, r)
	if err != nil {
		return err
	}
	sess, u, ok := s.passwordUser(w, r, f)
	if !ok {
		return nil
	}
	p := passwordPage{signInPage: signInPage{Brand: b, Flow: f, UserName: u.UserName}, Required: u.MustChangePassword}
	next, confirm := r.PostForm.Get("newPassword"), r.PostForm.Get("confirmPassword")
	if next != confirm {
		err = gatehouse.FieldErrorf("confirmPassword", "The two new passwords do not match.")
	} else {
		err = s.Service.ChangePassword(r.Context(), u, r.PostForm.Get("currentPassword"), next)
	}
	if err != nil {
		status, ok := formProblem(w, err)
		if !ok {
			return err
		}
		if gatehouse.ErrorCode(err) == gatehouse.EUNAUTHORIZED {
			err = gatehouse.FieldErrorf("currentPassword", "The current password is incorrect.")
		}
		p.Error, p.Field = gatehouse.ErrorMessage(err), gatehouse.ErrorField(err)
		s.render(w, headerUser(r, u, !u.MustChangePassword), status, "password.html", p)
		return nil
	}
	// Changing the password ended every session; a new one keeps the factors already given.
	return s.startSession(w, r, u, withMethod(sess, gatehouse.MethodPassword), f)
}

// logout revokes the session on the server. With switch=1 it goes back to the sign-in page with the pending SAML
// sign-in or destination of the page it came from, so another user can sign in and carry on.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	dir := r.PathValue("dir")
	done := flow{}.url(dir, "login", "signedout", "1")
	if r.PostForm.Get("switch") == "1" {
		f := flowOf(r.PostForm)
		done = loginURL(dir, f.SignIn, f.Next, false)
	}
	// Signing out of Gatehouse signs out of the session's apps too (IdP-initiated single logout), through a page
	// that sends each app with a logout URL its LogoutRequest and then goes on to done.
	if handled, err := s.frontChannelLogout(w, r, done); err != nil || handled {
		return err
	}
	http.Redirect(w, r, done, http.StatusSeeOther)
	return nil
}

func (s *Server) directoryHome(w http.ResponseWriter, r *http.Request) error {
	http.Redirect(w, r, "/d/"+url.PathEscape(r.PathValue("dir"))+"/myapps", http.StatusSeeOther)
	return nil
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) error {
	s.render(w, r, http.StatusOK, "home.html", nil)
	return nil
}
