package web

import (
	"errors"
	"io"
	"net/http"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
)

// This file holds the REST API routes that came with the admin portal, so that the API can do what the portal
// does: the assertion preview and app logos.

// apiPreview answers GET .../apps/{id}/preview?user={userId}: the Response the user would receive at the app now,
// as idp.Preview, built by the same code as a real sign-in and sent nowhere.
func (s *Server) apiPreview(w http.ResponseWriter, r *http.Request) error {
	user := r.URL.Query().Get("user")
	if user == "" {
		return gatehouse.FieldErrorf("user", "Name the user to preview with ?user=<user ID>.")
	}
	p, err := s.Service.PreviewAssertion(r.Context(), userFrom(r), r.PathValue("dir"), r.PathValue("id"), user)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, p)
	return nil
}

// apiPutAppLogo answers PUT .../apps/{id}/logo: the body is a PNG or JPEG image that becomes the app's logo.
func (s *Server) apiPutAppLogo(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, idp.MaxAppLogoBytes+1)
	data, err := io.ReadAll(r.Body)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) || len(data) > idp.MaxAppLogoBytes {
		return &gatehouse.Error{Code: gatehouse.ETOOLARGE, Field: "logo", Message: "The logo is larger than 256 KiB."}
	} else if err != nil {
		return gatehouse.Errorf(gatehouse.EINVALID, "The logo could not be read.")
	}
	if len(data) == 0 {
		return gatehouse.FieldErrorf("logo", "The body is empty; send a PNG or JPEG image, or DELETE the logo.")
	}
	a, err := s.Service.SetAppLogo(r.Context(), userFrom(r), r.PathValue("dir"), r.PathValue("id"), data)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

// apiDeleteAppLogo answers DELETE .../apps/{id}/logo: My Apps shows the app's initials again.
func (s *Server) apiDeleteAppLogo(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.Service.SetAppLogo(r.Context(), userFrom(r), r.PathValue("dir"), r.PathValue("id"), nil); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
