package web

import (
	"net/http"
	"strings"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
)

// directorySettings is the directory's settings form: name, domain, the MFA policy and the sign-in page's logo.
type directorySettings struct {
	Name, Domain string
	RequireMFA   bool
	// CanManage reports whether the admin may change the directory (global admins).
	CanManage  bool
	MaxLogoKiB int
	// Notifications is the directory's default list of addresses e-mailed before a signing certificate expires;
	// NotifyForm is its form's text (what was typed, after an error).
	Notifications *idp.NotificationSettings
	NotifyForm    string
	// SCIM is the provisioning section (portal_scim.go); scimName keeps its form's name field after an error.
	SCIM     *scimSettings
	scimName string
	// OIDC is the section of the directory's OpenID Connect signing keys (portal_oidc.go).
	OIDC *oidcKeysSection
}

func (s *Server) showSettings(w http.ResponseWriter, r *http.Request, v *portalView, p directorySettings) error {
	p.CanManage = idp.ManageDirectory(v.Me.Role) || v.InstanceAdmin
	p.MaxLogoKiB = idp.MaxLogoBytes >> 10
	n, err := s.Service.NotificationSettings(r.Context(), v.Me, v.Dir.ID, "")
	if err != nil {
		return err
	}
	p.Notifications = n
	if p.NotifyForm == "" && v.Errors["emails"] == "" {
		p.NotifyForm = notifyForm(n)
	}
	if sc, err := s.scimSection(r, v); err == nil {
		sc.Name, p.SCIM = p.scimName, sc
	}
	if ok, err := s.oidcKeysSection(r, v); err == nil {
		p.OIDC = ok
	}
	v.Nav = "settings"
	s.show(w, r, v, "settings.html", p)
	return nil
}

func (s *Server) portalSettings(w http.ResponseWriter, r *http.Request, v *portalView) error {
	return s.showSettings(w, r, v, directorySettings{Name: v.Dir.Name, Domain: v.Dir.Domain, RequireMFA: v.Dir.RequireMFA})
}

func (s *Server) portalSaveSettings(w http.ResponseWriter, r *http.Request, v *portalView) error {
	if err := parseUploadForm(w, r, maxLogoForm, "logo", "The logo is larger than 256 KiB; choose a smaller PNG or JPEG image."); err != nil {
		v.formError(err, "logo")
		return s.showSettings(w, r, v, directorySettings{Name: v.Dir.Name, Domain: v.Dir.Domain, RequireMFA: v.Dir.RequireMFA})
	}
	f := r.Form
	p := directorySettings{Name: strings.TrimSpace(f.Get("name")), Domain: strings.TrimSpace(f.Get("domain")), RequireMFA: f.Get("requireMfa") == "on"}
	_, err := s.Service.UpdateDirectory(r.Context(), v.Me, v.Dir.ID, idp.DirectoryPatch{Name: &p.Name, Domain: &p.Domain, RequireMFA: &p.RequireMFA})
	if err == nil && f.Get("removeLogo") == "on" {
		_, err = s.Service.DeleteDirectoryLogo(r.Context(), v.Me, v.Dir.ID)
	} else if err == nil && r.MultipartForm != nil {
		if fhs := r.MultipartForm.File["logo"]; len(fhs) > 0 && fhs[0].Size > 0 {
			var data []byte
			if data, err = readUpload(fhs[0].Open); err == nil {
				_, err = s.Service.SetDirectoryLogo(r.Context(), v.Me, v.Dir.ID, data)
			}
		}
	}
	if err != nil {
		if !v.formError(err, "name", "domain", "logo") {
			return err
		}
		if d, ferr := s.Service.FindDirectory(r.Context(), v.Me, v.Dir.ID); ferr == nil {
			v.Dir = d
		}
		return s.showSettings(w, r, v, p)
	}
	return s.done(w, r, v.Base+"/settings", "Saved the directory's settings.")
}

// errNoDirectoryLogo is the answer for a directory without a logo.
var errNoDirectoryLogo = gatehouse.Errorf(gatehouse.ENOTFOUND, "The directory has no logo.")

// portalDirectoryLogo serves the directory's logo to its admins.
func (s *Server) portalDirectoryLogo(w http.ResponseWriter, r *http.Request, v *portalView) error {
	if len(v.Dir.Logo) == 0 || (v.Dir.LogoType != "image/png" && v.Dir.LogoType != "image/jpeg") {
		return errNoDirectoryLogo
	}
	w.Header().Set("Content-Type", v.Dir.LogoType)
	w.Header().Set("Cache-Control", "private, max-age=60")
	_, err := w.Write(v.Dir.Logo)
	return err
}
