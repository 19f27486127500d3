package web

import (
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
)

// The admin portal lives under /admin. Its handlers are thin: every read and change goes through the idp.Service
// methods the REST API uses, with the signed-in admin as the acting user, so the portal and the API never
// disagree about what is allowed. Pages are server-rendered; web/static/portal.js only adds copy buttons, the
// gallery filter and the directory switcher's auto-submit.

// portalView is the Data of every portal page.
type portalView struct {
	// Dir is the directory being administered; Dirs are those the admin may switch to.
	Dir  *gatehouse.Directory
	Dirs []*gatehouse.Directory
	// Base is the portal URL of Dir, "/admin/d/{dir}".
	Base string
	// Nav names the active navigation entry.
	Nav string
	Me  *gatehouse.User
	// CanUsers and CanApps report whether the admin's role may change users and groups, and apps.
	CanUsers, CanApps bool
	// InstanceAdmin reports whether the admin administers every directory.
	InstanceAdmin bool
	// Errors holds the messages of a form's fields, by field name; Problem is a message for the whole form.
	Errors  map[string]string
	Problem string
	Page    any
	// status is the HTTP status of a page that shows a form error.
	status int
}

// portalHandler is a portal page handler; v is prepared for the request's directory and admin.
type portalHandler func(w http.ResponseWriter, r *http.Request, v *portalView) error

// maxPortalForm bounds a portal form body (logo uploads have their own, larger bound).
const maxPortalForm = 256 << 10

// admin requires a signed-in admin for a portal page. Without a session the browser goes to the sign-in page of
// the directory in the URL (the default directory on /admin/) and comes back; a temporary password must be
// changed first; a user without an admin role, or an admin of another directory, gets a 403 page
// (SECURITY-CASES 34).
func (s *Server) admin(h portalHandler) http.Handler {
	return s.page(func(w http.ResponseWriter, r *http.Request) error {
		dir := r.PathValue("dir")
		loginDir := dir
		if loginDir == "" {
			loginDir = gatehouse.DefaultDirectoryID
		}
		_, u, err := s.Service.SessionUser(r.Context(), s.sessionToken(r))
		if gatehouse.ErrorCode(err) == gatehouse.EUNAUTHORIZED {
			next := r.URL.RequestURI()
			if r.Method != http.MethodGet {
				next = r.URL.Path
			}
			http.Redirect(w, r, loginURL(loginDir, "", localPath(next), false), http.StatusSeeOther)
			return nil
		} else if err != nil {
			return err
		}
		if u.MustChangePassword {
			http.Redirect(w, r, passwordURL(u.DirectoryID, "", localPath(r.URL.RequestURI())), http.StatusSeeOther)
			return nil
		}
		r = withUser(r, u)
		if !u.Role.IsAdmin() {
			return gatehouse.Errorf(gatehouse.EFORBIDDEN, "The admin portal is for administrators; your role, %s, lets you use My Apps.", roleName(u.Role))
		}
		if dir == "" {
			// The layout's sign-out form posts to the directory in the URL; on /admin/ that is the admin's own.
			r.SetPathValue("dir", u.DirectoryID)
			dir = u.DirectoryID
		}
		d, err := s.Service.FindDirectory(r.Context(), u, dir)
		if err != nil {
			return err
		}
		dirs, err := s.Service.FindDirectories(r.Context(), u)
		if err != nil {
			return err
		}
		if r.Method == http.MethodPost && !strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
			r.Body = http.MaxBytesReader(w, r.Body, maxPortalForm)
			if err := r.ParseForm(); err != nil {
				var mbe *http.MaxBytesError
				if errors.As(err, &mbe) {
					return err
				}
				return gatehouse.Errorf(gatehouse.EINVALID, "The form could not be read.")
			}
		}
		v := &portalView{
			Dir: d, Dirs: dirs, Base: "/admin/d/" + url.PathEscape(d.ID), Me: u,
			CanUsers: idp.ManageUsers(u.Role) || idp.IsInstanceAdmin(u), CanApps: idp.ManageApps(u.Role) || idp.IsInstanceAdmin(u),
			InstanceAdmin: idp.IsInstanceAdmin(u),
			Errors:        map[string]string{},
		}
		return h(w, r, v)
	})
}

// show renders a portal page with status 200, or with the status of the form error in v.
func (s *Server) show(w http.ResponseWriter, r *http.Request, v *portalView, name string, page any) {
	v.Page = page
	status := http.StatusOK
	if v.status != 0 {
		status = v.status
	}
	s.render(w, r, status, "portal/"+name, v)
}

// formError puts a validation or conflict error into v's field messages (or v.Problem when it names no field
// known to the form) and reports whether it did; any other error is for the error page.
func (v *portalView) formError(err error, fields ...string) bool {
	switch gatehouse.ErrorCode(err) {
	case gatehouse.EINVALID, gatehouse.ECONFLICT, gatehouse.ETOOLARGE:
	default:
		return false
	}
	msg, field := gatehouse.ErrorMessage(err), gatehouse.ErrorField(err)
	v.status = statusOf(gatehouse.ErrorCode(err))
	for _, f := range fields {
		if f == field {
			v.Errors[field] = msg
			return true
		}
	}
	v.Problem = msg
	return true
}

// redirect sends the browser to a portal page after a change (POST/redirect/GET).
func redirect(w http.ResponseWriter, r *http.Request, to string) error {
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// offsetParam returns the "offset" query parameter, 0 when absent or bad.
func offsetParam(r *http.Request) int {
	n, err := strconv.Atoi(r.URL.Query().Get("offset"))
	if err != nil || n < 0 || n > 1_000_000 {
		return 0
	}
	return n
}

// pager describes the paging links of a list.
type pager struct {
	Offset, Limit, Total int
	// Prev and Next are the query strings of the previous and next page, "" when there is none.
	Prev, Next string
}

func newPager(q url.Values, offset, limit, total int) pager {
	p := pager{Offset: offset, Limit: limit, Total: total}
	link := func(off int) string {
		c := url.Values{}
		for k, vs := range q {
			if k != "offset" {
				c[k] = vs
			}
		}
		if off > 0 {
			c.Set("offset", strconv.Itoa(off))
		}
		return "?" + c.Encode()
	}
	if offset > 0 {
		p.Prev = link(max(0, offset-limit))
	}
	if offset+limit < total {
		p.Next = link(offset + limit)
	}
	return p
}

// First and Last are the 1-based positions of the page's first and last rows.
func (p pager) First() int {
	if p.Total == 0 {
		return 0
	}
	return p.Offset + 1
}

// Last returns the 1-based position of the page's last row.
func (p pager) Last() int { return min(p.Offset+p.Limit, p.Total) }

// readUpload reads an uploaded file, stopping one byte past the largest logo so that the service reports the size.
func readUpload(open func() (multipart.File, error)) ([]byte, error) {
	f, err := open()
	if err != nil {
		return nil, gatehouse.FieldErrorf("logo", "The uploaded file could not be read.")
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, idp.MaxAppLogoBytes+1))
	if err != nil {
		return nil, gatehouse.FieldErrorf("logo", "The uploaded file could not be read.")
	}
	return data, nil
}

// portalHome is where the portal starts, /admin/: the overview of the admin's directory when it is the only one
// they administer, and the list of directories otherwise.
func (s *Server) portalHome(w http.ResponseWriter, r *http.Request, v *portalView) error {
	if len(v.Dirs) == 1 {
		return redirect(w, r, "/admin/d/"+url.PathEscape(v.Dirs[0].ID)+"/")
	}
	return s.portalDirectories(w, r, v)
}

// portalDirectories is the list of directories at /admin/directories, with the form that creates one.
func (s *Server) portalDirectories(w http.ResponseWriter, r *http.Request, v *portalView) error {
	v.Nav = "directories"
	s.show(w, r, v, "directories.html", struct{ NewID, NewName, NewDomain string }{})
	return nil
}

// portalCreateDirectory creates a directory (instance admins only).
func (s *Server) portalCreateDirectory(w http.ResponseWriter, r *http.Request, v *portalView) error {
	d := &gatehouse.Directory{ID: r.PostForm.Get("id"), Name: strings.TrimSpace(r.PostForm.Get("name")), Domain: strings.TrimSpace(r.PostForm.Get("domain"))}
	if err := s.Service.CreateDirectory(r.Context(), v.Me, d); err != nil {
		if !v.formError(err, "id", "name", "domain") {
			return err
		}
		v.Nav = "directories"
		s.show(w, r, v, "directories.html", struct{ NewID, NewName, NewDomain string }{d.ID, d.Name, d.Domain})
		return nil
	}
	return s.done(w, r, "/admin/d/"+url.PathEscape(d.ID)+"/", "Created the directory "+d.Name+". Add its users and apps here.")
}

// portalSwitch follows the directory switcher's form.
func (s *Server) portalSwitch(w http.ResponseWriter, r *http.Request, v *portalView) error {
	id := r.URL.Query().Get("dir")
	if !gatehouse.ValidID(id) {
		return redirect(w, r, "/admin/directories")
	}
	return redirect(w, r, "/admin/d/"+url.PathEscape(id)+"/")
}

// portalOverview shows a directory's counts and expiring certificates.
func (s *Server) portalOverview(w http.ResponseWriter, r *http.Request, v *portalView) error {
	o, err := s.Service.Overview(r.Context(), v.Me, v.Dir.ID)
	if err != nil {
		return err
	}
	failures, _, err := s.Service.FindSignInEvents(r.Context(), v.Me, v.Dir.ID, gatehouse.SignInFilter{Result: gatehouse.ResultFailure, Limit: 5})
	if err != nil {
		return err
	}
	v.Nav = "overview"
	entityID, sso, md := s.Service.Endpoints(v.Dir.ID)
	s.show(w, r, v, "overview.html", struct {
		*idp.Overview
		Failures                                 []*gatehouse.SignInEvent
		EntityID, SSOURL, MetadataURL, MyAppsURL string
	}{o, failures, entityID, sso, md, s.Service.PublicURL() + "/d/" + url.PathEscape(v.Dir.ID) + "/myapps"})
	return nil
}
