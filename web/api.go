package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
)

// maxJSONBody bounds an API request body.
const maxJSONBody = 1 << 20

// list is the envelope of every API list.
type list[T any] struct {
	Items []T `json:"items"`
	Total int `json:"total"`
}

func listOf[T any](items []T, total int) list[T] {
	if items == nil {
		items = []T{}
	}
	return list[T]{Items: items, Total: total}
}

// authed requires a valid bearer token and puts its user in the request's context.
func (s *Server) authed(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		auth := r.Header.Get("Authorization")
		secret, ok := strings.CutPrefix(auth, "Bearer ")
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="gatehouse"`)
			return gatehouse.Errorf(gatehouse.EUNAUTHORIZED, "Send an API token as \"Authorization: Bearer <token>\"; create one with `gatehouse login`.")
		}
		u, _, err := s.Service.TokenUser(r.Context(), strings.TrimSpace(secret))
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="gatehouse", error="invalid_token"`)
			return err
		}
		return h(w, withUser(r, u))
	}
}

// decode reads a JSON body into v, rejecting unknown fields, trailing data and strings that are not UTF-8 text.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxJSONBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return gatehouse.Errorf(gatehouse.ETOOLARGE, "The request body is larger than %d bytes.", maxJSONBody)
		}
		return &gatehouse.Error{Code: gatehouse.EINVALID, Message: "The request body could not be read.", Err: err}
	}
	if err := checkJSONText(data); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return &gatehouse.Error{Code: gatehouse.EINVALID, Message: "The request body is not valid JSON for this call: " + jsonProblem(err), Err: err}
	}
	if _, err := dec.Token(); err != io.EOF {
		return gatehouse.Errorf(gatehouse.EINVALID, "The request body has data after the JSON object.")
	}
	return nil
}

// jsonProblem describes a decoding error without echoing the body.
func jsonProblem(err error) string {
	var ute *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &ute):
		return "field " + ute.Field + " must be " + ute.Type.String() + "."
	case errors.As(err, &se):
		return "syntax error at byte " + strconv.FormatInt(se.Offset, 10) + "."
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "unknown field " + strings.TrimPrefix(err.Error(), "json: unknown field ") + "."
	case errors.Is(err, io.EOF):
		return "the body is empty."
	}
	return "it could not be decoded."
}

func intParam(r *http.Request, name string) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > 1_000_000 {
		return 0, gatehouse.FieldErrorf(name, "%s must be a whole number from 0 to 1000000.", name)
	}
	return n, nil
}

func (s *Server) openAPIDoc(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/yaml")
	_, _ = w.Write(s.openAPI)
}

func (s *Server) apiNotFound(w http.ResponseWriter, r *http.Request) error {
	return gatehouse.Errorf(gatehouse.ENOTFOUND, "There is no API route %s %q; see /api/v1/openapi.yaml.", r.Method, r.URL.Path)
}

type tokenRequest struct {
	Directory string `json:"directory"`
	UserName  string `json:"userName"`
	Password  string `json:"password"`
	// Code is the verification or recovery code of an account with two-step verification.
	Code string `json:"code"`
	Name string `json:"name"`
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request) error {
	var in tokenRequest
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if in.Directory == "" {
		in.Directory = gatehouse.DefaultDirectoryID
	}
	secret, t, err := s.Service.LoginWithCode(r.Context(), in.Directory, in.UserName, in.Password, in.Code, in.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"token": secret, "apiToken": t})
	return nil
}

// passwordChange is the body of POST /api/v1/password.
type passwordChange struct {
	Directory       string `json:"directory"`
	UserName        string `json:"userName"`
	CurrentPassword string `json:"currentPassword"`
	NewPassword     string `json:"newPassword"`
}

// apiChangePassword lets a user replace their password, a temporary one included, without a browser. It needs no
// bearer token: the current password proves who the caller is, with the sign-in page's throttling and messages.
// Accounts with two-step verification are refused: they change their password after a full sign-in.
func (s *Server) apiChangePassword(w http.ResponseWriter, r *http.Request) error {
	var in passwordChange
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if in.Directory == "" {
		in.Directory = gatehouse.DefaultDirectoryID
	}
	u, err := s.Service.Authenticate(r.Context(), in.Directory, in.UserName, in.CurrentPassword)
	if err != nil {
		return err
	}
	// A password alone must not take over an account that signs in with a second factor.
	if u.MFAEnabled {
		return gatehouse.Errorf(gatehouse.EFORBIDDEN, "Your account signs in with a verification code, which this request cannot take. Sign in at %s/d/%s/login and change your password at %s/d/%s/password.",
			s.PublicURL, u.DirectoryID, s.PublicURL, u.DirectoryID)
	}
	// Nor one whose second factor is a passkey.
	if step, err := s.Service.SignInStep(r.Context(), &gatehouse.Session{DirectoryID: u.DirectoryID, UserID: u.ID,
		Methods: []gatehouse.AuthMethod{gatehouse.MethodPassword}}, u); err != nil {
		return err
	} else if step == idp.StepMFA {
		return gatehouse.Errorf(gatehouse.EFORBIDDEN, "Your account signs in with a passkey, which this request cannot take. Sign in at %s/d/%s/login and change your password at %s/d/%s/password.",
			s.PublicURL, u.DirectoryID, s.PublicURL, u.DirectoryID)
	}
	if err := s.Service.ChangePassword(r.Context(), u, in.CurrentPassword, in.NewPassword); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request) error {
	ts, err := s.Service.FindAPITokens(r.Context(), userFrom(r), r.URL.Query().Get("all") == "1")
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(ts, len(ts)))
	return nil
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) error {
	if err := s.Service.RevokeAPIToken(r.Context(), userFrom(r), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) me(w http.ResponseWriter, r *http.Request) error {
	u := userFrom(r)
	d, err := s.Service.OwnDirectory(r.Context(), u)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"user": u, "directory": d})
	return nil
}

func (s *Server) listGallery(w http.ResponseWriter, r *http.Request) error {
	ts := s.Service.GalleryTemplates(r.URL.Query().Get("q"))
	writeJSON(w, http.StatusOK, listOf(ts, len(ts)))
	return nil
}

func (s *Server) getGallery(w http.ResponseWriter, r *http.Request) error {
	t, err := s.Service.GalleryTemplate(r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

func (s *Server) listDirectories(w http.ResponseWriter, r *http.Request) error {
	ds, err := s.Service.FindDirectories(r.Context(), userFrom(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(ds, len(ds)))
	return nil
}

func (s *Server) createDirectory(w http.ResponseWriter, r *http.Request) error {
	var d gatehouse.Directory
	if err := decode(w, r, &d); err != nil {
		return err
	}
	if err := s.Service.CreateDirectory(r.Context(), userFrom(r), &d); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, d)
	return nil
}

func (s *Server) getDirectory(w http.ResponseWriter, r *http.Request) error {
	d, err := s.Service.FindDirectory(r.Context(), userFrom(r), r.PathValue("dir"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (s *Server) patchDirectory(w http.ResponseWriter, r *http.Request) error {
	var p idp.DirectoryPatch
	if err := decode(w, r, &p); err != nil {
		return err
	}
	d, err := s.Service.UpdateDirectory(r.Context(), userFrom(r), r.PathValue("dir"), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (s *Server) deleteDirectory(w http.ResponseWriter, r *http.Request) error {
	if err := s.Service.DeleteDirectory(r.Context(), userFrom(r), r.PathValue("dir")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
