package gallery_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/gallery"
)

// TestOIDCTemplates checks each embedded OpenID Connect template with its examples: complete, valid settings for a
// client ID, defaults where the file leaves a field out, and notes.
func TestOIDCTemplates(t *testing.T) {
	n := 0
	for _, tpl := range gallery.MustLoad().Templates() {
		if tpl.Protocol != gatehouse.ProtocolOIDC {
			continue
		}
		n++
		t.Run(tpl.ID, func(t *testing.T) {
			params := map[string]string{}
			for _, p := range tpl.Parameters {
				params[p.Name] = p.Example
			}
			s, missing, err := tpl.OIDCSettings(params, "client-1")
			if err != nil {
				t.Fatal(err)
			}
			if len(missing) != 0 {
				t.Errorf("missing %v with every example given", missing)
			}
			if s.ClientID != "client-1" || s.SigningAlgorithm != gatehouse.RS256 || s.AccessTokenLifetime == 0 || len(s.GrantTypes) == 0 || len(s.Claims) == 0 {
				t.Errorf("settings lack the defaults: %+v", s)
			}
			if tpl.ID != "custom-oidc" && (len(s.RedirectURIs) == 0 || s.InitiateLoginURI == "") {
				t.Error("no redirect URI or initiate login URI with the examples")
			}
			if strings.Contains(strings.Join(s.RedirectURIs, " ")+s.InitiateLoginURI, "{") {
				t.Errorf("a placeholder is left: %v %s", s.RedirectURIs, s.InitiateLoginURI)
			}
			if tpl.Notes == "" {
				t.Error("no setup notes")
			}
			if _, _, err := tpl.Settings(params); gatehouse.ErrorCode(err) != gatehouse.EINVALID {
				t.Errorf("Settings of an OpenID Connect template = %v, want EINVALID", err)
			}
		})
	}
	if n < 4 {
		t.Errorf("%d OpenID Connect templates; want at least Grafana, oauth2-proxy, Proxmox VE and a custom one", n)
	}
	mixpanel, _ := gallery.MustLoad().Find("mixpanel")
	if _, _, err := mixpanel.OIDCSettings(nil, "x"); gatehouse.ErrorCode(err) != gatehouse.EINVALID {
		t.Errorf("OIDCSettings of a SAML template = %v, want EINVALID", err)
	}
}

// TestOIDCTemplateMissingParameter leaves a placeholder unfilled: the URI is dropped and named in missing.
func TestOIDCTemplateMissingParameter(t *testing.T) {
	tpl, err := gallery.MustLoad().Find("grafana")
	if err != nil {
		t.Fatal(err)
	}
	s, missing, err := tpl.OIDCSettings(nil, "c")
	if err != nil {
		t.Fatal(err)
	}
	if len(s.RedirectURIs) != 0 || s.InitiateLoginURI != "" || strings.Join(missing, ",") != "redirectUris,postLogoutRedirectUris,initiateLoginUri" {
		t.Errorf("without the URL: redirect URIs %v, initiate login URI %q, missing %v", s.RedirectURIs, s.InitiateLoginURI, missing)
	}
	if _, _, err := tpl.OIDCSettings(map[string]string{"grafana_url": "https://g.example.com/<x>"}, "c"); gatehouse.ErrorField(err) != "parameters.grafana_url" {
		t.Errorf("a value with markup: %v", err)
	}
}

// TestOIDCTemplateChecks refuses broken OpenID Connect template files at load, naming the file and the field.
func TestOIDCTemplateChecks(t *testing.T) {
	base := `"id": "x", "name": "X", "description": "D", "publisher": "P", "categories": ["C"], "notes": "N"`
	tests := []struct {
		name, body, field string
	}{
		{"unknown protocol", `"protocol": "wsfed", "oidc": {}`, "protocol"},
		{"settings without protocol", `"oidc": {}`, "protocol"},
		{"a client ID", `"protocol": "oidc", "oidc": {"clientId": "shared"}`, "oidc.clientId"},
		{"IdP-initiated", `"protocol": "oidc", "idpInitiated": true, "oidc": {}`, "idpInitiated"},
		{"undeclared placeholder", `"protocol": "oidc", "oidc": {"redirectUris": ["https://{host}/cb"]}`, "oidc.redirectUris"},
		{"unused parameter", `"protocol": "oidc", "parameters": [{"name": "host", "label": "Host", "example": "a.example.com"}], "oidc": {}`, "parameters"},
		{"invalid with the example", `"protocol": "oidc", "parameters": [{"name": "host", "label": "Host", "example": "a.example.com"}], "oidc": {"redirectUris": ["ftp://{host}/cb"]}`, "oidc.redirectUris"},
		{"placeholder in a claim", `"protocol": "oidc", "oidc": {"claims": [{"name": "{x}", "value": "a"}]}`, "oidc.claims[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := gallery.LoadFS(fstest.MapFS{"x.json": {Data: []byte("{" + base + ", " + tt.body + "}")}})
			if err == nil || !strings.Contains(err.Error(), "apps/x.json: "+tt.field+":") {
				t.Errorf("load: %v; want an error naming %s", err, tt.field)
			}
		})
	}
	ok := `{` + base + `, "protocol": "oidc", "oidc": {"redirectUris": ["https://a.example.com/cb"], "publicClient": true, "requirePkce": true}}`
	g, err := gallery.LoadFS(fstest.MapFS{"x.json": {Data: []byte(ok)}})
	if err != nil {
		t.Fatal(err)
	}
	tpl, _ := g.Find("x")
	if tpl.OIDC == nil || !tpl.OIDC.PublicClient || tpl.OIDC.IDTokenLifetime != gatehouse.DefaultIDTokenLifetime {
		t.Errorf("loaded template %+v", tpl.OIDC)
	}
}
