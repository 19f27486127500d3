package web

import (
	"net/http"
	"net/url"
	"slices"
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
	s.notify(w, r, notice{Section: "scim-token", Message: "Created the SCIM token " + t.Name + ".", Password: secret, PasswordUser: t.ID})
	return redirect(w, r, v.Base+"/settings/scim-tokens/"+url.PathEscape(t.ID))
}

// portalShownSCIMToken shows the secret of the SCIM token just created, once: it comes in the notice of the
// change (notice.go), so reloading the page neither creates another token nor shows the secret again.
func (s *Server) portalShownSCIMToken(w http.ResponseWriter, r *http.Request, v *portalView) error {
	ts, err := s.Service.FindSCIMTokens(r.Context(), v.Me, v.Dir.ID)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(ts, func(t *gatehouse.SCIMToken) bool { return t.ID == r.PathValue("id") })
	if i < 0 {
		return gatehouse.Errorf(gatehouse.ENOTFOUND, "The directory has no SCIM token %q.", r.PathValue("id"))
	}
	p := scimTokenShown{Token: ts[i], BaseURL: s.Service.SCIMBaseURL(v.Dir.ID)}
	if n := s.takeNotice(w, r); n != nil && n.Section == "scim-token" && n.PasswordUser == ts[i].ID {
		p.Secret = n.Password
	}
	v.Nav = "settings"
	s.show(w, r, v, "scim_token.html", p)
	return nil
}

// portalRevokeSCIMToken revokes a SCIM token.
func (s *Server) portalRevokeSCIMToken(w http.ResponseWriter, r *http.Request, v *portalView) error {
	if err := s.Service.RevokeSCIMToken(r.Context(), v.Me, v.Dir.ID, r.PathValue("id")); err != nil {
		return err
	}
	s.notify(w, r, notice{Section: "provisioning", Message: "Revoked the SCIM token: the client that used it can no longer provision this directory."})
	return redirect(w, r, v.Base+"/settings#provisioning")
}
