package web

import (
	"net/http"
	"net/url"

	"github.com/gatehouse-idp/gatehouse/idp"
)

// The OpenID Connect endpoints of a directory. The authorization and end-session endpoints talk to the browser, so
// they are service calls like the SAML endpoints: the handler hands the service the request's parameters and the
// session cookie and writes its answer (a redirect to the app, a sign-in step, the logout page) or its *idp.Failure
// as the error page. The others — token, userinfo, introspection, revocation, keys and discovery — are called by
// the apps' servers and answered in JSON by the service's OpenID Connect handler (idp.Service.OIDCHandler).

// oidcAuthorize serves the authorization endpoint, by GET (the query) and POST (the form, read up to
// idp.MaxOIDCForm).
func (s *Server) oidcAuthorize(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, idp.MaxOIDCForm)
	formErr := r.ParseForm()
	a, err := s.Service.OIDCAuthorize(r.Context(), r.PathValue("dir"), r.Form, formErr, s.sessionToken(r))
	if err != nil {
		return err
	}
	return s.writeAnswer(w, r, a)
}

// oidcEndSession serves RP-initiated logout, by GET and POST.
func (s *Server) oidcEndSession(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, idp.MaxOIDCForm)
	formErr := r.ParseForm()
	a, err := s.Service.OIDCEndSession(r.Context(), r.PathValue("dir"), r.Form, formErr, s.sessionToken(r))
	if err != nil {
		return err
	}
	return s.writeAnswer(w, r, a)
}

// oidcEndpoints serves the endpoints that apps' servers call, with no-store caching (RFC 6749 §5.1).
func (s *Server) oidcEndpoints() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		s.Service.OIDCHandler().ServeHTTP(w, r)
	})
}

// logoutConfirmPage is what the page that asks whether to sign out shows.
type logoutConfirmPage struct {
	AppName     string
	Action      string
	DirectoryID string
	Params      url.Values
}

// writeRedirect sends the browser to an app: to its redirect URI with an authorization response, or to its
// initiate login URI. A POST is answered with 303, so that the browser goes on with GET.
func writeRedirect(w http.ResponseWriter, r *http.Request, target string) {
	w.Header().Set("Cache-Control", "no-store")
	status := http.StatusFound
	if r.Method == http.MethodPost {
		status = http.StatusSeeOther
	}
	http.Redirect(w, r, target, status)
}
