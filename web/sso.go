package web

import (
	"net/http"
	"net/url"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/saml"
)

// maxSAMLForm bounds an HTTP-POST binding body (SECURITY-CASES 8).
const maxSAMLForm = 256 << 10

// ssoRedirect serves the HTTP-Redirect binding of the SSO endpoint.
func (s *Server) ssoRedirect(w http.ResponseWriter, r *http.Request) error {
	if q := r.URL.Query(); q.Get("SAMLRequest") == "" && q.Get("SAMLResponse") == "" {
		return &saml.Error{Code: saml.CodeMalformedRequest, Field: "SAMLRequest", Status: saml.StatusRequester,
			Message: "This is Gatehouse's single sign-on endpoint. It expects a SAML AuthnRequest from an app (a SAMLRequest parameter); open the app and sign in from there, or use My Apps."}
	}
	msg, err := saml.DecodeRedirectAny(r.URL.RawQuery, s.Service.Limits())
	if err != nil {
		return err
	}
	return s.dispatch(w, r, msg)
}

// dispatch serves a message of the SSO endpoint by its kind: an AuthnRequest starts a sign-on, a LogoutRequest
// single logout, and a LogoutResponse answers an IdP-initiated LogoutRequest.
func (s *Server) dispatch(w http.ResponseWriter, r *http.Request, msg *saml.Message) error {
	switch {
	case msg.Logout != nil:
		return s.spLogout(w, r, msg)
	case msg.LogoutResponse != nil:
		return s.logoutResponse(w, r, msg)
	}
	return s.startSSO(w, r, msg)
}

// ssoPost serves the HTTP-POST binding of the SSO endpoint.
func (s *Server) ssoPost(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxSAMLForm)
	if err := r.ParseForm(); err != nil {
		if _, ok := err.(*http.MaxBytesError); ok {
			return err
		}
		return &saml.Error{Code: saml.CodeMalformedRequest, Status: saml.StatusRequester, Message: "The form could not be read.", Err: err}
	}
	if r.PostForm.Get("SAMLRequest") == "" && r.PostForm.Get("SAMLResponse") == "" {
		return &saml.Error{Code: saml.CodeMalformedRequest, Field: "SAMLRequest", Status: saml.StatusRequester,
			Message: "The POST carried no SAMLRequest."}
	}
	msg, err := saml.DecodePostAny(r.PostForm.Get("SAMLRequest"), r.PostForm.Get("SAMLResponse"), r.PostForm.Get("RelayState"), s.Service.Limits())
	if err != nil {
		return err
	}
	return s.dispatch(w, r, msg)
}

// startSSO validates the request, then answers at once for a signed-in user, or sends the user to sign in first.
func (s *Server) startSSO(w http.ResponseWriter, r *http.Request, msg *saml.Message) error {
	dir := r.PathValue("dir")
	sess, u := s.signedIn(r, dir)
	if u != nil && !u.MustChangePassword && msg.Request != nil && !msg.Request.ForceAuthn {
		// Answered at once, without a pending sign-in to store and take back.
		post, err := s.Service.SignOn(r.Context(), dir, msg, sess, u)
		if err != nil {
			return err
		}
		return s.writePost(w, r, post)
	}
	p, post, err := s.Service.StartSSO(r.Context(), dir, msg)
	if err != nil {
		return err
	}
	if post != nil {
		return s.writePost(w, r, post)
	}
	// Nobody is signed in, the password is temporary, or the app asks for a fresh sign-in.
	if p.IsPassive {
		post, err := s.Service.PassiveFailure(r.Context(), dir, p.Request.ID)
		if err != nil {
			return err
		}
		return s.writePost(w, r, post)
	}
	http.Redirect(w, r, loginURL(dir, p.Request.ID, "", p.Request.ForceAuthn), http.StatusSeeOther)
	return nil
}

// ssoContinue completes a pending sign-in after the user signed in.
func (s *Server) ssoContinue(w http.ResponseWriter, r *http.Request) error {
	dir := r.PathValue("dir")
	id := r.URL.Query().Get("signin")
	pr, err := s.Service.PendingSignIn(r.Context(), dir, id)
	if err != nil {
		return err
	}
	sess, u := s.signedIn(r, dir)
	switch {
	case u == nil:
		http.Redirect(w, r, loginURL(dir, id, "", pr.ForceAuthn), http.StatusSeeOther)
		return nil
	case u.MustChangePassword:
		http.Redirect(w, r, passwordURL(dir, id, ""), http.StatusSeeOther)
		return nil
	case pr.ForceAuthn && sess.AuthnInstant.Before(pr.CreatedAt):
		http.Redirect(w, r, loginURL(dir, id, "", true), http.StatusSeeOther)
		return nil
	}
	post, err := s.Service.CompleteSSO(r.Context(), dir, id, sess, u)
	if err != nil {
		return err
	}
	return s.writePost(w, r, post)
}

// idpInitiated serves an app's user access URL: IdP-initiated sign-on, after signing in when needed.
func (s *Server) idpInitiated(w http.ResponseWriter, r *http.Request) error {
	dir := r.PathValue("dir")
	if _, err := s.branding(r); err != nil {
		return err
	}
	sess, u := s.signedIn(r, dir)
	if u == nil {
		http.Redirect(w, r, loginURL(dir, "", r.URL.Path, false), http.StatusSeeOther)
		return nil
	}
	if u.MustChangePassword {
		http.Redirect(w, r, passwordURL(dir, "", r.URL.Path), http.StatusSeeOther)
		return nil
	}
	post, err := s.Service.IdPInitiated(r.Context(), dir, r.PathValue("app"), sess, u)
	if err != nil {
		return err
	}
	return s.writePost(w, r, post)
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
