package web

import (
	"cmp"
	"errors"
	"net/http"
	"net/url"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/saml"
)

// The SAML endpoints are one service call each: the handler hands the service the binding's raw parameters and
// the session cookie, and writes the answer it gets back (a form to post, a redirect to sign in, the logout page)
// or returns its *idp.Failure for the error page. Decoding, validation, every policy check and the sign-in log are
// the service's (package idp).

// ssoRedirect serves the HTTP-Redirect binding of the SAML endpoint.
func (s *Server) ssoRedirect(w http.ResponseWriter, r *http.Request) error {
	a, err := s.Service.SAMLRedirect(r.Context(), r.PathValue("dir"), r.URL.RawQuery, s.sessionToken(r))
	if err != nil {
		return err
	}
	return s.writeAnswer(w, r, a)
}

// ssoPost serves the HTTP-POST binding of the SAML endpoint; the form is read up to idp.MaxSAMLForm.
func (s *Server) ssoPost(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, idp.MaxSAMLForm)
	formErr := r.ParseForm()
	a, err := s.Service.SAMLPost(r.Context(), r.PathValue("dir"), r.PostForm, formErr, s.sessionToken(r))
	if err != nil {
		return err
	}
	return s.writeAnswer(w, r, a)
}

// ssoContinue continues a pending sign-in after the sign-in pages.
func (s *Server) ssoContinue(w http.ResponseWriter, r *http.Request) error {
	a, err := s.Service.ContinueSignOn(r.Context(), r.PathValue("dir"), r.URL.Query().Get("signin"), s.sessionToken(r))
	if err != nil {
		return err
	}
	return s.writeAnswer(w, r, a)
}

// idpInitiated serves an app's user access URL (and My Apps' tile of an app without a Sign-on URL):
// IdP-initiated sign-on, after signing in when needed.
func (s *Server) idpInitiated(w http.ResponseWriter, r *http.Request) error {
	a, err := s.Service.OpenApp(r.Context(), r.PathValue("dir"), r.PathValue("app"), s.sessionToken(r))
	if err != nil {
		return err
	}
	return s.writeAnswer(w, r, a)
}

// writeAnswer writes a sign-on endpoint's answer.
func (s *Server) writeAnswer(w http.ResponseWriter, r *http.Request, a *idp.Answer) error {
	dir := r.PathValue("dir")
	if a.ClearSession {
		s.clearSessionCookie(w)
	}
	switch {
	case a.Post != nil:
		return s.writePost(w, r, a.Post)
	case a.SignIn != nil:
		http.Redirect(w, r, promptURL(dir, a.SignIn), http.StatusSeeOther)
		return nil
	case a.Logout != nil && len(a.Logout.Requests) == 0 && a.Logout.Response == nil:
		// No app to sign out in the browser: straight on.
		writeRedirect(w, r, cmp.Or(a.Logout.Done, "/d/"+url.PathEscape(dir)+"/login?signedout=1"))
		return nil
	case a.Logout != nil:
		return s.writeLogout(w, r, a.Logout, cmp.Or(a.Logout.Done, "/d/"+url.PathEscape(dir)+"/login"))
	case a.Notice != nil:
		return writeNotice(w, a.Notice)
	case a.Redirect != "":
		writeRedirect(w, r, a.Redirect)
		return nil
	case a.Confirm != nil:
		s.render(w, r, http.StatusOK, "logout_confirm.html", logoutConfirmPage{AppName: a.Confirm.AppName,
			Action: r.URL.Path, DirectoryID: dir, Params: a.Confirm.Params})
		return nil
	}
	return gatehouse.Internal(errors.New("web: an empty answer"))
}

// promptURL returns the page of the sign-in step a sign-on asks for, carrying the pending sign-in or the path to
// come back to.
func promptURL(dir string, p *idp.SignInPrompt) string {
	if p.Step == idp.StepPassword {
		return loginURL(dir, p.PendingID, p.Next, p.Force)
	}
	return stepURL(dir, p.Step, flow{SignIn: p.PendingID, Next: p.Next})
}

// writePost sends the auto-submitting form that carries a SAML Response to the app's registered reply URL.
func (s *Server) writePost(w http.ResponseWriter, r *http.Request, p *idp.Post) error {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	// The form posts to the app's origin, so this page's CSP names it in form-action.
	action := "'self'"
	if u, err := url.Parse(p.ACSURL); err == nil {
		action = u.Scheme + "://" + u.Host
	}
	h.Set("Content-Security-Policy", csp(nonce(r), action))
	return saml.WritePostForm(w, p.ACSURL, p.Response, p.RelayState, nonce(r))
}

// metadata serves the directory's IdP metadata (signed with the directory's certificate with ?signed=1), or an
// app's federation metadata with ?appid= (signed when the app's signMetadata is set).
func (s *Server) metadata(w http.ResponseWriter, r *http.Request) error {
	dir := r.PathValue("dir")
	var md []byte
	var err error
	if appID := r.URL.Query().Get("appid"); appID != "" {
		md, err = s.Service.AppMetadata(r.Context(), dir, appID)
	} else if r.URL.Query().Get("signed") == "1" {
		md, err = s.Service.SignedDirectoryMetadata(r.Context(), dir)
	} else {
		md, err = s.Service.DirectoryMetadata(r.Context(), dir)
	}
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/samlmetadata+xml")
	_, err = w.Write(md)
	return err
}

// errForbiddenOrigin is the answer to a cross-origin form post (SECURITY-CASES 29).
func errForbiddenOrigin() error {
	return gatehouse.Errorf(gatehouse.EFORBIDDEN, "This request came from another site and was refused. Reload the page and try again.")
}
