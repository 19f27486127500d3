package demoapp

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

func (a *App) teamPage(w http.ResponseWriter, r *http.Request) error {
	u, err := a.requireOwner(r)
	if err != nil {
		return err
	}
	return a.renderTeam(w, r, http.StatusOK, u, "", "")
}

func (a *App) renderTeam(w http.ResponseWriter, r *http.Request, status int, u *User, email, msg string) error {
	users, err := a.listUsers(r.Context())
	if err != nil {
		return err
	}
	s, err := a.loadSettings(r.Context())
	if err != nil {
		return err
	}
	teams, err := a.listTeams(r.Context())
	if err != nil {
		return err
	}
	a.render(w, r, status, "team", map[string]any{
		"Title": "Team", "User": u, "Members": users, "Teams": teams, "Email": email, "Error": msg, "SSO": s.Configured(),
		"Invited": r.URL.Query().Get("invited"), "Removed": r.URL.Query().Get("removed"), "Nav": "team",
	})
	return nil
}

func (a *App) invite(w http.ResponseWriter, r *http.Request) error {
	u, err := a.requireOwner(r)
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		return &Error{Code: ETOOLARGE, Message: "The form is too large.", Err: err}
	}
	raw := r.PostForm.Get("email")
	email, err := normalizeEmail(raw)
	if err != nil {
		return a.renderTeam(w, r, http.StatusBadRequest, u, raw, "Enter one e-mail address, like ada@example.com.")
	}
	m := &User{Email: email, Role: RoleMember, Status: StatusPending, InvitedAt: a.now()}
	if pw := r.PostForm.Get("password"); pw != "" {
		if len(pw) < 8 || len(pw) > maxPasswordLen {
			return a.renderTeam(w, r, http.StatusBadRequest, u, raw, "A password must be 8 to 1024 bytes long.")
		}
		if m.PasswordHash, err = a.hashPassword(pw); err != nil {
			return err
		}
	}
	if err := a.createUser(r.Context(), m); err != nil {
		if errors.Is(err, errEmailTaken) {
			return a.renderTeam(w, r, http.StatusConflict, u, raw, fmt.Sprintf("%s is already in the team.", email))
		}
		return err
	}
	a.log.Info("member invited", "by", u.Email, "email", email)
	http.Redirect(w, r, "/team?invited="+queryEscape(email), http.StatusSeeOther)
	return nil
}

// member returns the team member the URL names, refusing the owner, who cannot be removed.
func (a *App) member(r *http.Request) (*User, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return nil, errorf(ENOTFOUND, "There is no such member.")
	}
	m, err := a.findUser(r.Context(), id)
	if errors.Is(err, errNoRows) {
		return nil, errorf(ENOTFOUND, "There is no such member.")
	}
	if err != nil {
		return nil, err
	}
	if m.IsOwner() {
		return nil, errorf(EFORBIDDEN, "The owner cannot be removed.")
	}
	return m, nil
}

// confirmRemoveMember asks the owner to confirm before a member is removed.
func (a *App) confirmRemoveMember(w http.ResponseWriter, r *http.Request) error {
	u, err := a.requireOwner(r)
	if err != nil {
		return err
	}
	m, err := a.member(r)
	if err != nil {
		return err
	}
	a.render(w, r, http.StatusOK, "remove", map[string]any{"Title": "Remove " + m.Email, "User": u, "Member": m, "Nav": "team"})
	return nil
}

func (a *App) removeMember(w http.ResponseWriter, r *http.Request) error {
	u, err := a.requireOwner(r)
	if err != nil {
		return err
	}
	m, err := a.member(r)
	if err != nil {
		return err
	}
	id := m.ID
	// Sessions go with the member (ON DELETE CASCADE).
	if _, err := a.db.ExecContext(r.Context(), `DELETE FROM users WHERE id = ? AND role = 'member'`, id); err != nil {
		return fmt.Errorf("demoapp: remove member: %w", err)
	}
	a.log.Info("member removed", "by", u.Email, "email", m.Email)
	http.Redirect(w, r, "/team?removed="+queryEscape(strings.ToLower(m.Email)), http.StatusSeeOther)
	return nil
}
