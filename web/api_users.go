package web

import (
	"cmp"
	"encoding/base64"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
)

// userList is the answer of the API's user list: one page, and a cursor for the next.
type userList struct {
	Items []*gatehouse.User `json:"items"`
	// Total is how many users match, counted no further than gatehouse.UserCountLimit; TotalCapped reports
	// whether more match than that.
	Total       int  `json:"total"`
	TotalCapped bool `json:"totalCapped"`
	// Next is the cursor of the next page, empty when this page is not full.
	Next string `json:"next,omitempty"`
}

// Page sizes of the API's user list.
const (
	apiUsersDefaultLimit = 100
	apiUsersMaxLimit     = 1000
)

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := gatehouse.UserFilter{Query: q.Get("q"), Role: gatehouse.Role(q.Get("role"))}
	if q.Has("offset") {
		return gatehouse.FieldErrorf("offset", "The user list pages by cursor: pass the next value of the page before as cursor.")
	}
	var err error
	if f.After, err = userCursor(q.Get("cursor")); err != nil {
		return err
	}
	if f.Limit, err = intParam(r, "limit"); err != nil {
		return err
	}
	f.Limit = min(cmp.Or(f.Limit, apiUsersDefaultLimit), apiUsersMaxLimit)
	us, total, err := s.Service.FindUsers(r.Context(), userFrom(r), r.PathValue("dir"), f)
	if err != nil {
		return err
	}
	l := userList{Items: us, Total: min(total, gatehouse.UserCountLimit), TotalCapped: total > gatehouse.UserCountLimit}
	if l.Items == nil {
		l.Items = []*gatehouse.User{}
	}
	if len(us) == f.Limit {
		l.Next = base64.RawURLEncoding.EncodeToString([]byte(us[len(us)-1].UserName))
	}
	writeJSON(w, http.StatusOK, l)
	return nil
}

// userCursor returns the user name a cursor of the user list stands for: the last user of the page before.
func userCursor(c string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || !utf8.Valid(b) {
		return "", gatehouse.FieldErrorf("cursor", "cursor is not one the user list returned as next.")
	}
	return string(b), nil
}

// userWithPassword is the answer that shows a temporary password, once.
type userWithPassword struct {
	User              *gatehouse.User `json:"user"`
	TemporaryPassword string          `json:"temporaryPassword"`
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request) error {
	var in idp.UserInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	in.Source = gatehouse.SourceAPI
	if strings.HasPrefix(r.UserAgent(), "gatehouse-cli/") {
		in.Source = gatehouse.SourceCLI
	}
	u, pw, err := s.Service.CreateUser(r.Context(), userFrom(r), r.PathValue("dir"), in)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, userWithPassword{User: u, TemporaryPassword: pw})
	return nil
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request) error {
	u, err := s.Service.FindUser(r.Context(), userFrom(r), r.PathValue("dir"), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, u)
	return nil
}

func (s *Server) patchUser(w http.ResponseWriter, r *http.Request) error {
	var p idp.UserPatch
	if err := decode(w, r, &p); err != nil {
		return err
	}
	u, err := s.Service.UpdateUser(r.Context(), userFrom(r), r.PathValue("dir"), r.PathValue("id"), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, u)
	return nil
}

func (s *Server) deleteUser(w http.ResponseWriter, r *http.Request) error {
	if err := s.Service.DeleteUser(r.Context(), userFrom(r), r.PathValue("dir"), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) resetPassword(w http.ResponseWriter, r *http.Request) error {
	u, pw, err := s.Service.ResetPassword(r.Context(), userFrom(r), r.PathValue("dir"), r.PathValue("id"))
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, userWithPassword{User: u, TemporaryPassword: pw})
	return nil
}

func (s *Server) listUserApps(w http.ResponseWriter, r *http.Request) error {
	as, err := s.Service.FindUserApps(r.Context(), userFrom(r), r.PathValue("dir"), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(as, len(as)))
	return nil
}

func (s *Server) listUserGroups(w http.ResponseWriter, r *http.Request) error {
	gs, err := s.Service.FindUserGroups(r.Context(), userFrom(r), r.PathValue("dir"), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(gs, len(gs)))
	return nil
}

func (s *Server) listGroups(w http.ResponseWriter, r *http.Request) error {
	gs, err := s.Service.FindGroups(r.Context(), userFrom(r), r.PathValue("dir"), r.URL.Query().Get("q"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(gs, len(gs)))
	return nil
}

func (s *Server) createGroup(w http.ResponseWriter, r *http.Request) error {
	var in idp.GroupInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	g, err := s.Service.CreateGroup(r.Context(), userFrom(r), r.PathValue("dir"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, g)
	return nil
}

func (s *Server) getGroup(w http.ResponseWriter, r *http.Request) error {
	g, err := s.Service.FindGroup(r.Context(), userFrom(r), r.PathValue("dir"), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, g)
	return nil
}

func (s *Server) patchGroup(w http.ResponseWriter, r *http.Request) error {
	var p idp.GroupPatch
	if err := decode(w, r, &p); err != nil {
		return err
	}
	g, err := s.Service.UpdateGroup(r.Context(), userFrom(r), r.PathValue("dir"), r.PathValue("id"), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, g)
	return nil
}

func (s *Server) deleteGroup(w http.ResponseWriter, r *http.Request) error {
	if err := s.Service.DeleteGroup(r.Context(), userFrom(r), r.PathValue("dir"), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listMembers(w http.ResponseWriter, r *http.Request) error {
	us, err := s.Service.FindGroupMembers(r.Context(), userFrom(r), r.PathValue("dir"), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(us, len(us)))
	return nil
}

func (s *Server) addMember(w http.ResponseWriter, r *http.Request) error {
	if err := s.Service.AddGroupMember(r.Context(), userFrom(r), r.PathValue("dir"), r.PathValue("id"), r.PathValue("userId")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) removeMember(w http.ResponseWriter, r *http.Request) error {
	if err := s.Service.RemoveGroupMember(r.Context(), userFrom(r), r.PathValue("dir"), r.PathValue("id"), r.PathValue("userId")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// resetMFA turns off a user's two-step verification, for example after a lost phone.
func (s *Server) resetMFA(w http.ResponseWriter, r *http.Request) error {
	u, err := s.Service.ResetMFA(r.Context(), userFrom(r), r.PathValue("dir"), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, u)
	return nil
}
