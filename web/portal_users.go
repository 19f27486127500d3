package web

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
)

// usersPageSize is how many users a page of the user list shows.
const usersPageSize = 25

// userForm is the user wizard's and the user page's form.
type userForm struct {
	ID                                               string
	UserName, FirstName, LastName, DisplayName, Mail string
	Role                                             gatehouse.Role
	Roles                                            []gatehouse.Role
	Domain                                           string
	// GapFields are the ids of the fields whose emptiness leaves a claim out of the user's assertions.
	GapFields []string
}

func formUser(r *http.Request) userForm {
	f := r.PostForm
	return userForm{
		UserName: strings.TrimSpace(f.Get("userName")), FirstName: f.Get("firstName"), LastName: f.Get("lastName"),
		DisplayName: f.Get("displayName"), Mail: strings.TrimSpace(f.Get("mail")), Role: gatehouse.Role(f.Get("role")),
		Roles: gatehouse.Roles,
	}
}

var userFields = []string{"userName", "firstName", "lastName", "displayName", "mail", "role"}

func (s *Server) portalUsers(w http.ResponseWriter, r *http.Request, v *portalView) error {
	q := r.URL.Query()
	f := gatehouse.UserFilter{Query: q.Get("q"), Role: gatehouse.Role(q.Get("role")), After: q.Get("after"),
		Before: q.Get("before"), Limit: usersPageSize + 1}
	if !f.Role.Valid() {
		f.Role = ""
	}
	if f.After != "" {
		f.Before = ""
	}
	us, total, err := s.Service.FindUsers(r.Context(), v.Me, v.Dir.ID, f)
	if err != nil {
		return err
	}
	us, p := newUserPager(q, f, us, total)
	v.Nav = "users"
	s.show(w, r, v, "users.html", struct {
		Query string
		Role  gatehouse.Role
		Roles []gatehouse.Role
		Users []*gatehouse.User
		Pager userPager
	}{f.Query, f.Role, gatehouse.Roles, us, p})
	return nil
}

// userPager describes the paging links of the user list, which pages by user name rather than by position.
type userPager struct {
	// Count is how many users match, counted no further than gatehouse.UserCountLimit; More reports whether more
	// match than that.
	Count int
	More  bool
	// Prev and Next are the query strings of the previous and next page, "" when there is none; First is the
	// first page's, "" on the first page.
	Prev, Next, First string
}

// newUserPager returns the page to show of users, which FindUsers found with f (asking for one user more than a
// page holds, to tell whether there is a further page), and the links around it.
func newUserPager(q url.Values, f gatehouse.UserFilter, users []*gatehouse.User, total int) ([]*gatehouse.User, userPager) {
	p := userPager{Count: min(total, gatehouse.UserCountLimit), More: total > gatehouse.UserCountLimit}
	link := func(edge, name string) string {
		c := url.Values{}
		for k, vs := range q {
			if k != "after" && k != "before" {
				c[k] = vs
			}
		}
		if edge != "" {
			c.Set(edge, name)
		}
		return "?" + c.Encode()
	}
	if f.After != "" || f.Before != "" {
		p.First = link("", "")
	}
	more := len(users) > usersPageSize
	if f.Before != "" {
		// The page before f.Before: the extra user found is the one before this page.
		if more {
			users = users[1:]
		}
		if more && len(users) > 0 {
			p.Prev = link("before", users[0].UserName)
		}
		if len(users) > 0 {
			p.Next = link("after", users[len(users)-1].UserName)
		}
		return users, p
	}
	if more {
		users = users[:usersPageSize]
		p.Next = link("after", users[len(users)-1].UserName)
	}
	if f.After != "" && len(users) > 0 {
		p.Prev = link("before", users[0].UserName)
	}
	return users, p
}

func (s *Server) portalNewUser(w http.ResponseWriter, r *http.Request, v *portalView) error {
	v.Nav = "users"
	s.show(w, r, v, "user_new.html", userForm{Role: gatehouse.RoleUser, Roles: gatehouse.Roles, Domain: v.Dir.Domain})
	return nil
}

// passwordShown is the page that shows a temporary password once, after the user was created or the password
// reset: the password comes in the change's notice (notice.go), so reloading the page neither changes the
// password again nor shows it again.
type passwordShown struct {
	User     *gatehouse.User
	Password string
	Created  bool
}

// Sections of the notice that carries a temporary password to the page that shows it.
const (
	passwordCreated = "password-created"
	passwordReset   = "password-reset"
)

// showPassword sends the browser to the page that shows a user's new temporary password once.
func (s *Server) showPassword(w http.ResponseWriter, r *http.Request, v *portalView, u *gatehouse.User, pw, section string) error {
	msg := "Created " + u.UserName + "."
	if section == passwordReset {
		msg = "Reset the password of " + u.UserName + "."
	}
	s.notify(w, r, notice{Section: section, Message: msg, Password: pw, PasswordUser: u.ID})
	return redirect(w, r, v.Base+"/users/"+url.PathEscape(u.ID)+"/password")
}

// portalShownPassword is the page that shows the temporary password of the change that led to it, once.
func (s *Server) portalShownPassword(w http.ResponseWriter, r *http.Request, v *portalView) error {
	u, err := s.Service.FindUser(r.Context(), v.Me, v.Dir.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	p := passwordShown{User: u}
	if n := s.takeNotice(w, r); n != nil && n.PasswordUser == u.ID {
		p.Password, p.Created = n.Password, n.Section == passwordCreated
	}
	v.Nav = "users"
	s.show(w, r, v, "user_password.html", p)
	return nil
}

func (s *Server) portalCreateUser(w http.ResponseWriter, r *http.Request, v *portalView) error {
	in := formUser(r)
	u, pw, err := s.Service.CreateUser(r.Context(), v.Me, v.Dir.ID, idp.UserInput{
		UserName: in.UserName, FirstName: in.FirstName, LastName: in.LastName, DisplayName: in.DisplayName, Mail: in.Mail, Role: in.Role,
		Source: gatehouse.SourcePortal,
	})
	v.Nav = "users"
	if err != nil {
		if !v.formError(err, userFields...) {
			return err
		}
		in.Domain = v.Dir.Domain
		s.show(w, r, v, "user_new.html", in)
		return nil
	}
	return s.showPassword(w, r, v, u, pw, passwordCreated)
}

// userPage is the user's page: the edit form, the user's groups and apps.
type userPage struct {
	userForm
	User   *gatehouse.User
	Groups []*gatehouse.Group
	Apps   []*gatehouse.App
	Self   bool
	// Gaps are the claims the user's apps would leave out of their assertions, for want of a value.
	Gaps []idp.ClaimGap
	// Passkeys are the user's passkeys, for admins who manage users.
	Passkeys []*gatehouse.Passkey
}

func (s *Server) userPage(r *http.Request, v *portalView, u *gatehouse.User, form userForm) (*userPage, error) {
	groups, err := s.Service.FindUserGroups(r.Context(), v.Me, v.Dir.ID, u.ID)
	if err != nil {
		return nil, err
	}
	apps, err := s.Service.FindUserApps(r.Context(), v.Me, v.Dir.ID, u.ID)
	if err != nil {
		return nil, err
	}
	gaps, err := s.Service.UserClaimGaps(r.Context(), v.Me, v.Dir.ID, u.ID)
	if err != nil {
		return nil, err
	}
	form.ID, form.Roles = u.ID, gatehouse.Roles
	p := &userPage{userForm: form, User: u, Groups: groups, Apps: apps, Self: u.ID == v.Me.ID, Gaps: gaps}
	for _, g := range gaps {
		if f := attributeField[g.Source]; f != "" && !slices.Contains(p.GapFields, f) {
			p.GapFields = append(p.GapFields, f)
		}
	}
	if v.CanUsers {
		if p.Passkeys, err = s.Service.FindUserPasskeys(r.Context(), v.Me, v.Dir.ID, u.ID); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func (s *Server) portalUser(w http.ResponseWriter, r *http.Request, v *portalView) error {
	u, err := s.Service.FindUser(r.Context(), v.Me, v.Dir.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	p, err := s.userPage(r, v, u, userForm{UserName: u.UserName, FirstName: u.FirstName, LastName: u.LastName,
		DisplayName: u.DisplayName, Mail: u.Mail, Role: u.Role})
	if err != nil {
		return err
	}
	v.Nav = "users"
	s.show(w, r, v, "user.html", p)
	return nil
}

func (s *Server) portalSaveUser(w http.ResponseWriter, r *http.Request, v *portalView) error {
	id := r.PathValue("id")
	in := formUser(r)
	patch := idp.UserPatch{UserName: &in.UserName, FirstName: &in.FirstName, LastName: &in.LastName, DisplayName: &in.DisplayName, Mail: &in.Mail}
	if in.Role != "" {
		patch.Role = &in.Role
	}
	u, err := s.Service.UpdateUser(r.Context(), v.Me, v.Dir.ID, id, patch)
	if err == nil {
		return s.done(w, r, v.Base+"/users/"+url.PathEscape(id), "Saved the profile of "+u.UserName+".")
	}
	if !v.formError(err, userFields...) {
		return err
	}
	u, ferr := s.Service.FindUser(r.Context(), v.Me, v.Dir.ID, id)
	if ferr != nil {
		return ferr
	}
	p, ferr := s.userPage(r, v, u, in)
	if ferr != nil {
		return ferr
	}
	v.Nav = "users"
	s.show(w, r, v, "user.html", p)
	return nil
}

// portalSetDisabled disables or enables a user.
func (s *Server) portalSetDisabled(disabled bool) portalHandler {
	return func(w http.ResponseWriter, r *http.Request, v *portalView) error {
		id := r.PathValue("id")
		u, err := s.Service.UpdateUser(r.Context(), v.Me, v.Dir.ID, id, idp.UserPatch{Disabled: &disabled})
		if err != nil {
			return err
		}
		msg := "Enabled sign-in for " + u.UserName + "."
		if disabled {
			msg = "Disabled sign-in for " + u.UserName + " and ended their sessions."
		}
		return s.done(w, r, v.Base+"/users/"+url.PathEscape(id), msg)
	}
}

func (s *Server) portalResetPassword(w http.ResponseWriter, r *http.Request, v *portalView) error {
	u, pw, err := s.Service.ResetPassword(r.Context(), v.Me, v.Dir.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.showPassword(w, r, v, u, pw, passwordReset)
}

func (s *Server) portalConfirmDeleteUser(w http.ResponseWriter, r *http.Request, v *portalView) error {
	u, err := s.Service.FindUser(r.Context(), v.Me, v.Dir.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	apps, err := s.Service.FindUserApps(r.Context(), v.Me, v.Dir.ID, u.ID)
	if err != nil {
		return err
	}
	v.Nav = "users"
	s.show(w, r, v, "user_delete.html", struct {
		User *gatehouse.User
		Apps []*gatehouse.App
	}{u, apps})
	return nil
}

func (s *Server) portalDeleteUser(w http.ResponseWriter, r *http.Request, v *portalView) error {
	u, err := s.Service.FindUser(r.Context(), v.Me, v.Dir.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := s.Service.DeleteUser(r.Context(), v.Me, v.Dir.ID, u.ID); err != nil {
		return err
	}
	return s.done(w, r, v.Base+"/users", "Deleted the user "+u.UserName+".")
}

// Groups.

func (s *Server) portalGroups(w http.ResponseWriter, r *http.Request, v *portalView) error {
	return s.showGroups(w, r, v, "")
}

func (s *Server) showGroups(w http.ResponseWriter, r *http.Request, v *portalView, newName string) error {
	q := r.URL.Query().Get("q")
	gs, err := s.Service.FindGroups(r.Context(), v.Me, v.Dir.ID, q)
	if err != nil {
		return err
	}
	v.Nav = "groups"
	s.show(w, r, v, "groups.html", struct {
		Query, NewName string
		Groups         []*gatehouse.Group
	}{q, newName, gs})
	return nil
}

func (s *Server) portalCreateGroup(w http.ResponseWriter, r *http.Request, v *portalView) error {
	in := idp.GroupInput{Name: r.PostForm.Get("name"), Description: r.PostForm.Get("description")}
	g, err := s.Service.CreateGroup(r.Context(), v.Me, v.Dir.ID, in)
	if err != nil {
		if !v.formError(err, "name") {
			return err
		}
		return s.showGroups(w, r, v, in.Name)
	}
	return s.done(w, r, v.Base+"/groups/"+url.PathEscape(g.ID), "Created the group "+g.Name+". Add its members below.")
}

// groupPage is a group with its members and the users that can be added.
type groupPage struct {
	Group   *gatehouse.Group
	Members []*gatehouse.User
	// Candidates feed the member search's suggestions.
	Candidates []*gatehouse.User
	Search     string
}

func (s *Server) showGroup(w http.ResponseWriter, r *http.Request, v *portalView, search string) error {
	g, err := s.Service.FindGroup(r.Context(), v.Me, v.Dir.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	members, err := s.Service.FindGroupMembers(r.Context(), v.Me, v.Dir.ID, g.ID)
	if err != nil {
		return err
	}
	candidates, _, err := s.Service.FindUsers(r.Context(), v.Me, v.Dir.ID, gatehouse.UserFilter{Limit: 200})
	if err != nil {
		return err
	}
	v.Nav = "groups"
	s.show(w, r, v, "group.html", groupPage{Group: g, Members: members, Candidates: candidates, Search: search})
	return nil
}

func (s *Server) portalGroup(w http.ResponseWriter, r *http.Request, v *portalView) error {
	return s.showGroup(w, r, v, "")
}

func (s *Server) portalSaveGroup(w http.ResponseWriter, r *http.Request, v *portalView) error {
	id := r.PathValue("id")
	name, desc := r.PostForm.Get("name"), r.PostForm.Get("description")
	g, err := s.Service.UpdateGroup(r.Context(), v.Me, v.Dir.ID, id, idp.GroupPatch{Name: &name, Description: &desc})
	if err != nil {
		if !v.formError(err, "name", "description") {
			return err
		}
		return s.showGroup(w, r, v, "")
	}
	return s.done(w, r, v.Base+"/groups/"+url.PathEscape(id), "Saved the group "+g.Name+".")
}

func (s *Server) portalAddMember(w http.ResponseWriter, r *http.Request, v *portalView) error {
	id := r.PathValue("id")
	search := strings.TrimSpace(r.PostForm.Get("user"))
	u, err := s.findOneUser(r, v, search)
	if err == nil {
		err = s.Service.AddGroupMember(r.Context(), v.Me, v.Dir.ID, id, u.ID)
	}
	if err != nil {
		if !v.formError(err, "user") {
			return err
		}
		return s.showGroup(w, r, v, search)
	}
	return s.done(w, r, v.Base+"/groups/"+url.PathEscape(id), "Added "+u.UserName+" to the group.")
}

func (s *Server) portalRemoveMember(w http.ResponseWriter, r *http.Request, v *portalView) error {
	id := r.PathValue("id")
	u, err := s.Service.FindUser(r.Context(), v.Me, v.Dir.ID, r.PathValue("userId"))
	if err != nil {
		return err
	}
	if err := s.Service.RemoveGroupMember(r.Context(), v.Me, v.Dir.ID, id, u.ID); err != nil {
		return err
	}
	return s.done(w, r, v.Base+"/groups/"+url.PathEscape(id), "Removed "+u.UserName+" from the group.")
}

func (s *Server) portalDeleteGroup(w http.ResponseWriter, r *http.Request, v *portalView) error {
	g, err := s.Service.FindGroup(r.Context(), v.Me, v.Dir.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := s.Service.DeleteGroup(r.Context(), v.Me, v.Dir.ID, g.ID); err != nil {
		return err
	}
	return s.done(w, r, v.Base+"/groups", "Deleted the group "+g.Name+".")
}

// findOneUser resolves what an admin typed in a user search: a user name matches exactly (ignoring case),
// anything else must match exactly one user's name, display name or mail. The errors name the field "user".
func (s *Server) findOneUser(r *http.Request, v *portalView, search string) (*gatehouse.User, error) {
	if search == "" {
		return nil, gatehouse.FieldErrorf("user", "Type a user name or display name.")
	}
	us, total, err := s.Service.FindUsers(r.Context(), v.Me, v.Dir.ID, gatehouse.UserFilter{Query: search, Limit: 20})
	if err != nil {
		return nil, err
	}
	for _, u := range us {
		if strings.EqualFold(u.UserName, search) {
			return u, nil
		}
	}
	var exact []*gatehouse.User
	for _, u := range us {
		if strings.EqualFold(u.DisplayName, search) || strings.EqualFold(u.Mail, search) {
			exact = append(exact, u)
		}
	}
	switch {
	case len(exact) == 1:
		return exact[0], nil
	case total == 1:
		return us[0], nil
	case total == 0:
		return nil, gatehouse.FieldErrorf("user", "No user matches %q.", search)
	}
	if total > gatehouse.UserCountLimit {
		return nil, gatehouse.FieldErrorf("user", "More than %d users match %q; type the full user name.", gatehouse.UserCountLimit, search)
	}
	return nil, gatehouse.FieldErrorf("user", "%d users match %q; type the full user name.", total, search)
}

// findOneGroup resolves a group search as findOneUser does a user search.
func (s *Server) findOneGroup(r *http.Request, v *portalView, search string) (*gatehouse.Group, error) {
	if search == "" {
		return nil, gatehouse.FieldErrorf("user", "Type a group name.")
	}
	gs, err := s.Service.FindGroups(r.Context(), v.Me, v.Dir.ID, search)
	if err != nil {
		return nil, err
	}
	for _, g := range gs {
		if strings.EqualFold(g.Name, search) {
			return g, nil
		}
	}
	switch len(gs) {
	case 1:
		return gs[0], nil
	case 0:
		return nil, gatehouse.FieldErrorf("user", "No group matches %q.", search)
	}
	return nil, gatehouse.FieldErrorf("user", "%d groups match %q; type the full group name.", len(gs), search)
}
