package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/gatehouse-idp/gatehouse"
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
		MaxAge: int(s.Service.SessionMax.Seconds()),
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

// signedIn returns the session and user of the request's cookie when they belong to directory dir.
func (s *Server) signedIn(r *http.Request, dir string) (*gatehouse.Session, *gatehouse.User) {
	sess, u, err := s.Service.SessionUser(r.Context(), s.sessionToken(r))
	if err != nil || sess.DirectoryID != dir {
		return nil, nil
	}
	return sess, u
}

func withUser(r *http.Request, u *gatehouse.User) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), userKey, u))
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

// loginURL returns the sign-in page's URL that continues with a pending sign-in or a local path.
func loginURL(dir, signin, next string, force bool) string {
	q := url.Values{}
	if signin != "" {
		q.Set("signin", signin)
	}
	if next != "" {
		q.Set("next", next)
	}
	if force {
		q.Set("force", "1")
	}
	u := "/d/" + url.PathEscape(dir) + "/login"
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

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

type loginPage struct {
	Directory *gatehouse.Directory
	UserName  string
	SignIn    string
	Next      string
	Force     bool
	Error     string
}

func (s *Server) directory(r *http.Request) (*gatehouse.Directory, error) {
	return s.Service.Store.FindDirectory(r.Context(), r.PathValue("dir"))
}

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) error {
	d, err := s.directory(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	p := loginPage{Directory: d, SignIn: q.Get("signin"), Next: localPath(q.Get("next")), Force: q.Get("force") == "1"}
	if _, u := s.signedIn(r, d.ID); u != nil && !p.Force {
		if u.MustChangePassword {
			http.Redirect(w, r, passwordURL(d.ID, p.SignIn, p.Next), http.StatusSeeOther)
			return nil
		}
		http.Redirect(w, r, afterSignIn(d.ID, p.SignIn, p.Next), http.StatusSeeOther)
		return nil
	} else if u != nil {
		p.UserName = u.UserName
	}
	s.render(w, r, http.StatusOK, "login.html", p)
	return nil
}

const maxFormBytes = 64 << 10

func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	d, err := s.directory(r)
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return gatehouse.Errorf(gatehouse.EINVALID, "The form could not be read.")
	}
	p := loginPage{Directory: d, UserName: r.PostForm.Get("userName"), SignIn: r.PostForm.Get("signin"), Next: localPath(r.PostForm.Get("next"))}
	u, err := s.Service.Authenticate(r.Context(), d.ID, p.UserName, r.PostForm.Get("password"))
	if err != nil {
		code := gatehouse.ErrorCode(err)
		if code != gatehouse.EUNAUTHORIZED && code != gatehouse.ERATELIMIT && code != gatehouse.EINVALID {
			return err
		}
		p.Error = gatehouse.ErrorMessage(err)
		status := statusOf[code]
		if code == gatehouse.ERATELIMIT {
			w.Header().Set("Retry-After", "60")
		}
		s.render(w, r, status, "login.html", p)
		return nil
	}
	// A new session at every sign-in (SECURITY-CASES 27): the old one, if any, is revoked.
	_ = s.Service.SignOut(r.Context(), s.sessionToken(r))
	token, _, err := s.Service.CreateSession(r.Context(), u, false)
	if err != nil {
		return err
	}
	s.setSessionCookie(w, token)
	if u.MustChangePassword {
		http.Redirect(w, r, passwordURL(d.ID, p.SignIn, p.Next), http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, afterSignIn(d.ID, p.SignIn, p.Next), http.StatusSeeOther)
	return nil
}

func passwordURL(dir, signin, next string) string {
	q := url.Values{}
	if signin != "" {
		q.Set("signin", signin)
	}
	if next != "" {
		q.Set("next", next)
	}
	u := "/d/" + url.PathEscape(dir) + "/password"
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

type passwordPage struct {
	Directory *gatehouse.Directory
	UserName  string
	Required  bool
	SignIn    string
	Next      string
	Error     string
	Field     string
}

func (s *Server) passwordForm(w http.ResponseWriter, r *http.Request) error {
	d, err := s.directory(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	_, u := s.signedIn(r, d.ID)
	if u == nil {
		http.Redirect(w, r, loginURL(d.ID, q.Get("signin"), "/d/"+d.ID+"/password", false), http.StatusSeeOther)
		return nil
	}
	s.render(w, r.WithContext(r.Context()), http.StatusOK, "password.html", passwordPage{
		Directory: d, UserName: u.UserName, Required: u.MustChangePassword, SignIn: q.Get("signin"), Next: localPath(q.Get("next")),
	})
	return nil
}

func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) error {
	d, err := s.directory(r)
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return gatehouse.Errorf(gatehouse.EINVALID, "The form could not be read.")
	}
	_, u := s.signedIn(r, d.ID)
	if u == nil {
		http.Redirect(w, r, loginURL(d.ID, r.PostForm.Get("signin"), "", false), http.StatusSeeOther)
		return nil
	}
	p := passwordPage{Directory: d, UserName: u.UserName, Required: u.MustChangePassword, SignIn: r.PostForm.Get("signin"), Next: localPath(r.PostForm.Get("next"))}
	next, confirm := r.PostForm.Get("newPassword"), r.PostForm.Get("confirmPassword")
	if next != confirm {
		err = gatehouse.FieldErrorf("confirmPassword", "The two new passwords do not match.")
	} else {
		err = s.Service.ChangePassword(r.Context(), u, r.PostForm.Get("currentPassword"), next)
	}
	if err != nil {
		code := gatehouse.ErrorCode(err)
		if code != gatehouse.EINVALID && code != gatehouse.ERATELIMIT {
			return err
		}
		p.Error, p.Field = gatehouse.ErrorMessage(err), gatehouse.ErrorField(err)
		s.render(w, r, statusOf[code], "password.html", p)
		return nil
	}
	// Changing the password ended every session; the privilege change gets a new one (SECURITY-CASES 27).
	token, _, err := s.Service.CreateSession(r.Context(), u, false)
	if err != nil {
		return err
	}
	s.setSessionCookie(w, token)
	http.Redirect(w, r, afterSignIn(d.ID, p.SignIn, p.Next), http.StatusSeeOther)
	return nil
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	if err := s.Service.SignOut(r.Context(), s.sessionToken(r)); err != nil {
		return err
	}
	s.clearSessionCookie(w)
	http.Redirect(w, r, "/d/"+url.PathEscape(r.PathValue("dir"))+"/login", http.StatusSeeOther)
	return nil
}

type myAppsPage struct {
	Directory *gatehouse.Directory
	Name      string
	Tiles     any
}

func (s *Server) myApps(w http.ResponseWriter, r *http.Request) error {
	d, err := s.directory(r)
	if err != nil {
		return err
	}
	_, u := s.signedIn(r, d.ID)
	if u == nil {
		http.Redirect(w, r, loginURL(d.ID, "", r.URL.Path, false), http.StatusSeeOther)
		return nil
	}
	if u.MustChangePassword {
		http.Redirect(w, r, passwordURL(d.ID, "", r.URL.Path), http.StatusSeeOther)
		return nil
	}
	tiles, err := s.Service.MyApps(r.Context(), u)
	if err != nil {
		return err
	}
	s.render(w, withUser(r, u), http.StatusOK, "myapps.html", myAppsPage{Directory: d, Name: u.Name(), Tiles: tiles})
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

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	if _, err := s.Service.Store.FindDirectory(r.Context(), gatehouse.DefaultDirectoryID); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}
