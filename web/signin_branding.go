package web

import (
	"errors"
	"io"
	"net/http"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
)

// putDirectoryLogo replaces the directory's sign-in logo with the request body, a PNG or JPEG image.
func (s *Server) putDirectoryLogo(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, idp.MaxLogoBytes+1)
	data, err := io.ReadAll(r.Body)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) || len(data) > idp.MaxLogoBytes {
		return &gatehouse.Error{Code: gatehouse.ETOOLARGE, Field: "logo", Message: "The logo is larger than 256 KiB."}
	} else if err != nil {
		return gatehouse.Errorf(gatehouse.EINVALID, "The logo could not be read.")
	}
	d, err := s.Service.SetDirectoryLogo(r.Context(), userFrom(r), r.PathValue("dir"), data)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

// deleteDirectoryLogo removes the directory's sign-in logo.
func (s *Server) deleteDirectoryLogo(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.Service.DeleteDirectoryLogo(r.Context(), userFrom(r), r.PathValue("dir")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
