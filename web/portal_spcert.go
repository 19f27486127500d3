package web

import (
	"bytes"
	"io"
	"net/http"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/certs"
)

// maxSPCertificateForm bounds the SP certificate form: a certificate file, a pasted one, and room for the form.
const maxSPCertificateForm = 2*certs.MaxUpload + 16<<10

// portalAddSPCertificate registers a certificate of the app's SP, uploaded as a file or pasted, in PEM, DER or
// Base64: one that verifies the app's signed requests, or the one assertions are encrypted for.
func (s *Server) portalAddSPCertificate(w http.ResponseWriter, r *http.Request, v *portalView) error {
	a, err := s.findApp(r, v)
	if err != nil {
		return err
	}
	err = parseUploadForm(w, r, maxSPCertificateForm, "certificate", "The certificate file is larger than 64 KiB; a certificate is a few KiB.")
	if err == nil {
		var data []byte
		if data, err = spCertificateUpload(r); err == nil {
			_, err = s.Service.AddSPCertificate(r.Context(), v.Me, v.Dir.ID, a.ID, r.FormValue("use"), data)
		}
	}
	if err == nil {
		msg := "Added the app's signing certificate: it verifies the requests the app signs."
		if r.FormValue("use") == "encryption" {
			msg = "Added the app's encryption certificate: assertions can be encrypted for it."
		}
		return s.savedSSO(w, r, v, a, "sp-certificate", msg)
	}
	if !v.formError(err, "certificate", "use") {
		return err
	}
	return s.showSSOEditing(w, r, v, a, "sp-certificate")
}

// spCertificateUpload returns the uploaded certificate file, or else the pasted text.
func spCertificateUpload(r *http.Request) ([]byte, error) {
	if fhs := fileHeaders(r, "certificate"); len(fhs) > 0 && fhs[0].Size > 0 {
		f, err := fhs[0].Open()
		if err != nil {
			return nil, gatehouse.FieldErrorf("certificate", "The uploaded file could not be read.")
		}
		defer f.Close()
		data, err := io.ReadAll(io.LimitReader(f, certs.MaxUpload+1))
		if err != nil {
			return nil, gatehouse.FieldErrorf("certificate", "The uploaded file could not be read.")
		}
		return data, nil
	}
	data := []byte(r.FormValue("certificateText"))
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, gatehouse.FieldErrorf("certificate", "Choose the app's certificate file, or paste the certificate.")
	}
	return data, nil
}

// portalRemoveSPCertificate removes one of the certificates of the app's SP.
func (s *Server) portalRemoveSPCertificate(w http.ResponseWriter, r *http.Request, v *portalView) error {
	a, err := s.findApp(r, v)
	if err != nil {
		return err
	}
	_, err = s.Service.RemoveSPCertificate(r.Context(), v.Me, v.Dir.ID, a.ID, r.FormValue("use"), r.FormValue("thumbprint"))
	if err == nil {
		return s.savedSSO(w, r, v, a, "sp-certificate", "Removed the certificate "+r.FormValue("thumbprint")+".")
	}
	if !v.formError(err, "certificate") {
		return err
	}
	return s.showSSO(w, r, v, a)
}

// showSSO shows the app's Single sign-on page with v's messages.
func (s *Server) showSSO(w http.ResponseWriter, r *http.Request, v *portalView, a *gatehouse.App) error {
	return s.showSSOEditing(w, r, v, a, "")
}

// showSSOEditing shows the app's Single sign-on page with v's messages and the form edit open.
func (s *Server) showSSOEditing(w http.ResponseWriter, r *http.Request, v *portalView, a *gatehouse.App, edit string) error {
	p, err := s.ssoPage(r, v, a)
	if err != nil {
		return err
	}
	if edit != "" {
		p.Edit = edit
	}
	v.Nav = "apps"
	s.show(w, r, v, "app_sso.html", p)
	return nil
}
