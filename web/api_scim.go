package web

import (
	"net/http"
)

// getSCIM answers the directory's SCIM endpoint: its base URL.
func (s *Server) getSCIM(w http.ResponseWriter, r *http.Request) error {
	d, err := s.Service.FindDirectory(r.Context(), userFrom(r), r.PathValue("dir"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"baseUrl": s.Service.SCIMBaseURL(d.ID)})
	return nil
}

func (s *Server) listSCIMTokens(w http.ResponseWriter, r *http.Request) error {
	ts, err := s.Service.FindSCIMTokens(r.Context(), userFrom(r), r.PathValue("dir"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(ts, len(ts)))
	return nil
}

// scimTokenRequest is the body of POST /api/v1/directories/{dir}/scim-tokens.
type scimTokenRequest struct {
	Name string `json:"name"`
}

// createSCIMToken creates a SCIM token; the answer carries the secret, shown this once, and the base URL to give
// the provisioning client.
func (s *Server) createSCIMToken(w http.ResponseWriter, r *http.Request) error {
	var in scimTokenRequest
	if err := decode(w, r, &in); err != nil {
		return err
	}
	secret, t, err := s.Service.CreateSCIMToken(r.Context(), userFrom(r), r.PathValue("dir"), in.Name)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, map[string]any{"token": secret, "scimToken": t, "baseUrl": s.Service.SCIMBaseURL(t.DirectoryID)})
	return nil
}

func (s *Server) revokeSCIMToken(w http.ResponseWriter, r *http.Request) error {
	if err := s.Service.RevokeSCIMToken(r.Context(), userFrom(r), r.PathValue("dir"), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
