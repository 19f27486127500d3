package gallery

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/gatehouse-idp/gatehouse"
)

// withOIDCDefaults returns a template's OpenID Connect settings with gatehouse.DefaultOIDCSettings' values where the
// file leaves a field out.
func withOIDCDefaults(o *gatehouse.OIDCSettings) *gatehouse.OIDCSettings {
	d := gatehouse.DefaultOIDCSettings()
	if o == nil {
		return &d
	}
	out := *o
	if out.GrantTypes == nil {
		out.GrantTypes = d.GrantTypes
	}
	if out.Claims == nil {
		out.Claims = d.Claims
	}
	out.SigningAlgorithm = cmp.Or(out.SigningAlgorithm, d.SigningAlgorithm)
	out.AccessTokenFormat = cmp.Or(out.AccessTokenFormat, d.AccessTokenFormat)
	out.AccessTokenLifetime = cmp.Or(out.AccessTokenLifetime, d.AccessTokenLifetime)
	out.IDTokenLifetime = cmp.Or(out.IDTokenLifetime, d.IDTokenLifetime)
	out.RefreshTokenLifetime = cmp.Or(out.RefreshTokenLifetime, d.RefreshTokenLifetime)
	return &out
}

// cloneOIDC returns a deep copy of o.
func cloneOIDC(o gatehouse.OIDCSettings) gatehouse.OIDCSettings {
	o.RedirectURIs = slices.Clone(o.RedirectURIs)
	o.PostLogoutRedirectURIs = slices.Clone(o.PostLogoutRedirectURIs)
	o.GrantTypes = slices.Clone(o.GrantTypes)
	o.Claims = slices.Clone(o.Claims)
	return o
}

// oidcPlaceholderFields lists the OpenID Connect settings that may hold placeholders, redirect URIs once per URI.
func (t *Template) oidcPlaceholderFields() []field {
	o := t.OIDC
	var fs []field
	for _, u := range o.RedirectURIs {
		fs = append(fs, field{"redirectUris", u})
	}
	for _, u := range o.PostLogoutRedirectURIs {
		fs = append(fs, field{"postLogoutRedirectUris", u})
	}
	return append(fs, field{"initiateLoginUri", o.InitiateLoginURI}, field{"backchannelLogoutUri", o.BackchannelLogoutURI})
}

// checkOIDC validates the OpenID Connect part of a template: its protocol, its placeholders (each declared and each
// parameter used) and its settings with the parameters' examples and defaults.
func (t *Template) checkOIDC(declared map[string]bool) error {
	switch {
	case t.Protocol != gatehouse.ProtocolOIDC:
		return errField("protocol", "%q is not a protocol; an OpenID Connect template has \"oidc\", a SAML one none", t.Protocol)
	case t.OIDC == nil:
		return errField("oidc", "an OpenID Connect template needs its settings")
	case t.OIDC.ClientID != "":
		return errField("oidc.clientId", "every app gets its own client ID; a template has none")
	case t.IdPInitiated:
		return errField("idpInitiated", "OpenID Connect has no IdP-initiated sign-on; set the initiate login URI instead")
	}
	used := map[string]bool{}
	for _, f := range t.oidcPlaceholderFields() {
		names, err := placeholders(f.value)
		if err != nil {
			return errField("oidc."+f.field, "%v", err)
		}
		for _, n := range names {
			if !declared[n] {
				return errField("oidc."+f.field, "placeholder {%s} is not a declared parameter", n)
			}
			used[n] = true
		}
	}
	for i, c := range t.OIDC.Claims {
		if strings.ContainsAny(c.Name+c.Value, "{}") {
			return errField(fmt.Sprintf("oidc.claims[%d]", i), "placeholders are allowed only in the URLs")
		}
	}
	for _, p := range t.Parameters {
		if !used[p.Name] {
			return errField("parameters", "parameter %q is not used by any setting", p.Name)
		}
	}
	for _, try := range []struct {
		label  string
		values func(Parameter) string
	}{
		{"examples", func(p Parameter) string { return cmp.Or(p.Example, p.Default) }},
		{"defaults", func(p Parameter) string { return p.Default }},
	} {
		values := map[string]string{}
		for _, p := range t.Parameters {
			values[p.Name] = try.values(p)
		}
		if _, _, err := t.OIDCSettings(values, "client"); err != nil {
			if f := gatehouse.ErrorField(err); f != "" {
				return errField("oidc."+f, "with the parameters' %s: %s", try.label, gatehouse.ErrorMessage(err))
			}
			return fmt.Errorf("with the parameters' %s: %w", try.label, err)
		}
	}
	return nil
}

// OIDCSettings returns an OpenID Connect template's settings for an app with clientID, its placeholders filled from
// params as Settings fills a SAML template's: a setting that cannot be filled is left empty (an unfilled URI of a
// list is dropped) and its JSON name listed in missing. EINVALID for a SAML template, an unknown parameter or a
// bad value.
func (t *Template) OIDCSettings(params map[string]string, clientID string) (settings gatehouse.OIDCSettings, missing []string, err error) {
	if t.Protocol != gatehouse.ProtocolOIDC || t.OIDC == nil {
		return settings, nil, gatehouse.Errorf(gatehouse.EINVALID, "%s is a SAML app, not an OpenID Connect app.", t.Name)
	}
	values, err := t.values(params)
	if err != nil {
		return settings, nil, err
	}
	settings = cloneOIDC(*t.OIDC)
	settings.ClientID = clientID
	fill := func(jsonName, s string) string {
		out, ok := substitute(s, values)
		if !ok && !slices.Contains(missing, jsonName) {
			missing = append(missing, jsonName)
		}
		return out
	}
	fillAll := func(jsonName string, list []string) []string {
		out := make([]string, 0, len(list))
		for _, u := range list {
			if u = fill(jsonName, u); u != "" {
				out = append(out, u)
			}
		}
		return out
	}
	settings.RedirectURIs = fillAll("redirectUris", settings.RedirectURIs)
	settings.PostLogoutRedirectURIs = fillAll("postLogoutRedirectUris", settings.PostLogoutRedirectURIs)
	settings.InitiateLoginURI = fill("initiateLoginUri", settings.InitiateLoginURI)
	settings.BackchannelLogoutURI = fill("backchannelLogoutUri", settings.BackchannelLogoutURI)
	if settings.PublicClient {
		settings.RequirePKCE = true
	}
	if err := settings.Validate(); err != nil {
		return gatehouse.OIDCSettings{}, nil, err
	}
	return settings, missing, nil
}
