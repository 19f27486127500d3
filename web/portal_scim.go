package web

import (
	"net/http"
	"strings"

	"github.com/gatehouse-idp/gatehouse"
)

// scimSettings is the provisioning section of the directory's settings page: the SCIM endpoint's base URL and its
// tokens, which global admins create and revoke there.
type scimSettings struct {
	BaseURL string
	Tokens  []*gatehouse.SCIMToken
	// Name is the name field of the new-token form, kept after an error.
	Name string
}

// scimSection returns the provisioning section for the settings page; tokens are listed only to those who may
// manage them.
func (s *Server) scimSection(r *http.Request, v *portalView) (*scimSettings, error) {
	p := &scimSettings{BaseURL: s.Service.SCIMBaseURL(v.Dir.ID)}
	if ts, err := s.Service.FindSCIMTokens(r.Context(), v.Me, v.Dir.ID); err == nil {
		p.Tokens = ts
	} else if gatehouse.ErrorCode(err) != gatehouse.EFORBIDDEN {
		return nil, err
	}
	return p, nil
}

// scimTokenShown is the page that shows a new SCIM token's secret, once.
type scimTokenShown struct {
	Token   *gatehouse.SCIMToken
	Secret  string
	BaseURL string
}

// portalCreateSCIMToken creates a SCIM token and shows its secret once; a bad name goes back to the settings page
// with the message beside the field.
func (s *Server) portalCreateSCIMToken(w http.ResponseWriter, r *http.Request, v *portalView) error {
	name := strings.TrimSpace(r.PostForm.Get("name"))
	secret, t, err := s.Service.CreateSCIMToken(r.Context(), v.Me, v.Dir.ID, name)
	if err != nil {
		if !v.formError(err, "name") {
			return err
		}
		v.Errors["scimTokenName"] = v.Errors["name"]
		delete(v.Errors, "name")
		s.showSettings(w, r, v, directorySettings{Name: v.Dir.Name, Domain: v.Dir.Domain, RequireMFA: v.Dir.RequireMFA, scimName: name})
		return nil
	}
	v.Nav = "settings"
	w.Header().Set("Cache-Control", "no-store")
	s.show(w, r, v, "scim_token.html", scimTokenShown{Token: t, Secret: secret, BaseURL: s.Service.SCIMBaseURL(v.Dir.ID)})
	return nil
}

// portalRevokeSCIMToken revokes a SCIM token.
func (s *Server) portalRevokeSCIMToken(w http.ResponseWriter, r *http.Request, v *portalView) error {
	if err := s.Service.RevokeSCIMToken(r.Context(), v.Me, v.Dir.ID, r.PathValue("id")); err != nil {
		return err
	}
	return redirect(w, r, v.Base+"/settings?revoked=1#provisioning")
}
