package gallery

import (
	"slices"
	"strings"

	"github.com/gatehouse-idp/gatehouse"
)

// SCIM is what a template says of the app's SCIM 2.0 service, from the vendor's documentation: whether Gatehouse
// can provision users (and groups) to it automatically, and the settings that work with it.
type SCIM struct {
	// Supported reports whether the vendor documents a SCIM 2.0 service that takes users from an identity provider.
	Supported bool `json:"supported"`
	// TenantURL is the service's base URL; it may hold {parameter} placeholders.
	TenantURL string `json:"tenantUrl,omitempty"`
	// Auth says how Gatehouse authenticates: "bearer", a token the app's admin creates in the app.
	Auth string `json:"auth,omitempty"`
	// Groups reports whether the app takes groups (with members) over SCIM.
	Groups bool `json:"groups"`
	// MatchAttribute, the mappings, LeaveAction and UpdateMethod are the template's provisioning settings; those
	// left out take the defaults of gatehouse.DefaultProvisioning.
	MatchAttribute string                       `json:"matchAttribute,omitempty"`
	UserMappings   []gatehouse.AttributeMapping `json:"userMappings,omitempty"`
	GroupMappings  []gatehouse.AttributeMapping `json:"groupMappings,omitempty"`
	LeaveAction    string                       `json:"leaveAction,omitempty"`
	UpdateMethod   string                       `json:"updateMethod,omitempty"`
	// Notes say where the app's admin finds the tenant URL and the token, and what the app requires.
	Notes string `json:"notes,omitempty"`
	// Unverified lists the facts above that could not be checked against the vendor's published documentation.
	Unverified []string `json:"unverified,omitempty"`
	// Docs is the vendor's documentation of its SCIM service.
	Docs string `json:"docs,omitempty"`
}

// check validates the SCIM facts of a template with the parameters declared.
func (s *SCIM) check(declared map[string]bool, used map[string]bool) error {
	if !s.Supported {
		if s.TenantURL != "" || len(s.UserMappings) > 0 || len(s.GroupMappings) > 0 {
			return errField("scim", "a template without SCIM support has no tenant URL or mappings")
		}
		return nil
	}
	names, err := placeholders(s.TenantURL)
	if err != nil {
		return errField("scim.tenantUrl", "%v", err)
	}
	for _, n := range names {
		if !declared[n] {
			return errField("scim.tenantUrl", "placeholder {%s} is not a declared parameter", n)
		}
		used[n] = true
	}
	if s.Auth != "bearer" {
		return errField("scim.auth", "%q is not bearer, the only authentication Gatehouse provisions with", s.Auth)
	}
	if len(s.Notes) > 4096 || strings.TrimSpace(s.Notes) == "" {
		return errField("scim.notes", "want 1 to 4096 characters saying where the app's admin finds the token")
	}
	if s.Docs != "" && !strings.HasPrefix(s.Docs, "https://") {
		return errField("scim.docs", "want an https URL")
	}
	p := s.Provisioning("d", "a", nil)
	p.TenantURL = "https://example.com/scim/v2" // placeholders are filled when the app is set up
	p.SealedToken = []byte{1}
	if err := p.Validate(); err != nil {
		return errField("scim."+gatehouse.ErrorField(err), "%s", gatehouse.ErrorMessage(err))
	}
	return nil
}

// Provisioning returns the provisioning settings of an app made from the template: off, with the template's
// facts over the defaults. The tenant URL is filled in when values (or the parameters' defaults) complete it.
func (s *SCIM) Provisioning(dirID, appID string, values map[string]string) *gatehouse.Provisioning {
	p := gatehouse.DefaultProvisioning(dirID, appID)
	if s == nil || !s.Supported {
		return p
	}
	p.Groups = s.Groups
	if s.MatchAttribute != "" {
		p.MatchAttribute = s.MatchAttribute
	}
	if len(s.UserMappings) > 0 {
		p.UserMappings = slices.Clone(s.UserMappings)
	}
	if len(s.GroupMappings) > 0 {
		p.GroupMappings = slices.Clone(s.GroupMappings)
	}
	if s.LeaveAction != "" {
		p.LeaveAction = s.LeaveAction
	}
	if s.UpdateMethod != "" {
		p.UpdateMethod = s.UpdateMethod
	}
	if u, ok := substitute(s.TenantURL, values); ok {
		p.TenantURL = u
	}
	return p
}

// ProvisioningDefaults returns the provisioning settings of an app made from the template (see SCIM.Provisioning),
// with the parameters' defaults filling the tenant URL.
func (t *Template) ProvisioningDefaults(dirID, appID string) *gatehouse.Provisioning {
	values := map[string]string{}
	for _, p := range t.Parameters {
		values[p.Name] = p.Default
	}
	return t.SCIM.Provisioning(dirID, appID, values)
}

// SCIMSummary says in a line what the template says of SCIM, for lists.
func (t *Template) SCIMSummary() string {
	switch {
	case t.SCIM == nil:
		return "not documented"
	case !t.SCIM.Supported:
		return "no SCIM"
	case t.SCIM.Groups:
		return "users and groups"
	}
	return "users"
}
