package gatehouse

import (
	"strings"
	"testing"
)

func TestOIDCSettingsValidate(t *testing.T) {
	with := func(f func(*OIDCSettings)) OIDCSettings {
		s := DefaultOIDCSettings()
		s.ClientID = "grafana"
		s.RedirectURIs = []string{"https://grafana.example.com/login/generic_oauth"}
		f(&s)
		return s
	}
	tests := []struct {
		name  string
		s     OIDCSettings
		field string // "" means valid
	}{
		{"defaults", with(func(*OIDCSettings) {}), ""},
		{"no redirect URIs yet", with(func(s *OIDCSettings) { s.RedirectURIs = nil }), ""},
		{"no client ID", with(func(s *OIDCSettings) { s.ClientID = "" }), "clientId"},
		{"client ID with a colon", with(func(s *OIDCSettings) { s.ClientID = "a:b" }), "clientId"},
		{"client ID with a space", with(func(s *OIDCSettings) { s.ClientID = "a b" }), "clientId"},
		{"client ID too long", with(func(s *OIDCSettings) { s.ClientID = strings.Repeat("a", MaxClientIDLength+1) }), "clientId"},
		{"client ID of URL-safe characters", with(func(s *OIDCSettings) { s.ClientID = "Grafana-prod_1.x~" }), ""},
		{"loopback http redirect", with(func(s *OIDCSettings) { s.RedirectURIs = []string{"http://127.0.0.1:4180/oauth2/callback"} }), ""},
		{"redirect with a fragment", with(func(s *OIDCSettings) { s.RedirectURIs = []string{"https://a.example.com/cb#x"} }), "redirectUris"},
		{"redirect with an empty fragment", with(func(s *OIDCSettings) { s.RedirectURIs = []string{"https://a.example.com/cb#"} }), "redirectUris"},
		{"javascript redirect", with(func(s *OIDCSettings) { s.RedirectURIs = []string{"javascript:alert(1)"} }), "redirectUris"},
		{"custom scheme redirect", with(func(s *OIDCSettings) { s.RedirectURIs = []string{"com.example.app:/cb"} }), "redirectUris"},
		{"redirect with userinfo", with(func(s *OIDCSettings) { s.RedirectURIs = []string{"https://u:p@a.example.com/cb"} }), "redirectUris"},
		{"duplicate redirect", with(func(s *OIDCSettings) { s.RedirectURIs = []string{"https://a.example.com/", "https://a.example.com/"} }), "redirectUris"},
		{"redirects differing by a slash", with(func(s *OIDCSettings) { s.RedirectURIs = []string{"https://a.example.com", "https://a.example.com/"} }), ""},
		{"too many redirects", with(func(s *OIDCSettings) {
			s.RedirectURIs = nil
			for i := range MaxRedirectURIs + 1 {
				s.RedirectURIs = append(s.RedirectURIs, "https://a.example.com/"+strings.Repeat("x", i))
			}
		}), "redirectUris"},
		{"post-logout redirect", with(func(s *OIDCSettings) { s.PostLogoutRedirectURIs = []string{"https://a.example.com/bye"} }), ""},
		{"bad post-logout redirect", with(func(s *OIDCSettings) { s.PostLogoutRedirectURIs = []string{"/bye"} }), "postLogoutRedirectUris"},
		{"initiate login URI", with(func(s *OIDCSettings) { s.InitiateLoginURI = "https://a.example.com/login" }), ""},
		{"relative initiate login URI", with(func(s *OIDCSettings) { s.InitiateLoginURI = "/login" }), "initiateLoginUri"},
		{"back-channel logout URI with a fragment", with(func(s *OIDCSettings) { s.BackchannelLogoutURI = "https://a.example.com/bc#f" }), "backchannelLogoutUri"},
		{"no grant types", with(func(s *OIDCSettings) { s.GrantTypes = nil }), "grantTypes"},
		{"unknown grant type", with(func(s *OIDCSettings) { s.GrantTypes = []string{"implicit"} }), "grantTypes"},
		{"repeated grant type", with(func(s *OIDCSettings) { s.GrantTypes = []string{GrantAuthorizationCode, GrantAuthorizationCode} }), "grantTypes"},
		{"refresh without code", with(func(s *OIDCSettings) { s.GrantTypes = []string{GrantRefreshToken} }), "grantTypes"},
		{"client credentials only", with(func(s *OIDCSettings) { s.GrantTypes = []string{GrantClientCredentials} }), ""},
		{"public client with client credentials", with(func(s *OIDCSettings) {
			s.PublicClient, s.RequirePKCE, s.GrantTypes = true, true, []string{GrantAuthorizationCode, GrantClientCredentials}
		}), "grantTypes"},
		{"public client without PKCE", with(func(s *OIDCSettings) { s.PublicClient = true }), "requirePkce"},
		{"public client with PKCE", with(func(s *OIDCSettings) { s.PublicClient, s.RequirePKCE = true, true }), ""},
		{"ES256", with(func(s *OIDCSettings) { s.SigningAlgorithm = ES256 }), ""},
		{"alg none", with(func(s *OIDCSettings) { s.SigningAlgorithm = "none" }), "signingAlgorithm"},
		{"HS256", with(func(s *OIDCSettings) { s.SigningAlgorithm = "HS256" }), "signingAlgorithm"},
		{"JWT access tokens", with(func(s *OIDCSettings) { s.AccessTokenFormat = AccessTokenJWT }), ""},
		{"unknown access token format", with(func(s *OIDCSettings) { s.AccessTokenFormat = "macaroon" }), "accessTokenFormat"},
		{"access token lifetime too short", with(func(s *OIDCSettings) { s.AccessTokenLifetime = 59 }), "accessTokenLifetime"},
		{"ID token lifetime too long", with(func(s *OIDCSettings) { s.IDTokenLifetime = MaxTokenLifetime + 1 }), "idTokenLifetime"},
		{"refresh lifetime of a year", with(func(s *OIDCSettings) { s.RefreshTokenLifetime = MaxRefreshTokenLifetime }), ""},
		{"refresh lifetime zero", with(func(s *OIDCSettings) { s.RefreshTokenLifetime = 0 }), "refreshTokenLifetime"},
		{"group claim", with(func(s *OIDCSettings) { s.Claims = append(s.Claims, Claim{Name: "groups", Groups: ClaimGroupsAll}) }), ""},
		{"reserved claim", with(func(s *OIDCSettings) { s.Claims = append(s.Claims, Claim{Name: "sub", Source: AttrMail}) }), "claims"},
		{"claim with a NameFormat", with(func(s *OIDCSettings) {
			s.Claims = append(s.Claims, Claim{Name: "x", Value: "a", NameFormat: NameFormatBasic})
		}), "claims"},
		{"duplicate claims", with(func(s *OIDCSettings) { s.Claims = append(s.Claims, s.Claims[0]) }), "claims"},
		{"invalid claim", with(func(s *OIDCSettings) { s.Claims = append(s.Claims, Claim{Name: "x"}) }), "claims"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.s.Validate()
			if got := ErrorField(err); tc.field == "" && err != nil || got != tc.field {
				t.Errorf("Validate() = %v (field %q), want field %q", err, got, tc.field)
			}
		})
	}
}

func TestAppValidateProtocol(t *testing.T) {
	oidc := DefaultOIDCSettings()
	oidc.ClientID = "x"
	tests := []struct {
		name  string
		app   App
		field string
	}{
		{"SAML app", App{Name: "A", SAML: DefaultSAMLSettings()}, ""},
		{"SAML app by name", App{Name: "A", Protocol: ProtocolSAML, SAML: DefaultSAMLSettings()}, ""},
		{"OpenID Connect app", App{Name: "A", Protocol: ProtocolOIDC, OIDC: &oidc}, ""},
		{"OpenID Connect app without settings", App{Name: "A", Protocol: ProtocolOIDC}, "oidc"},
		{"SAML app with OpenID Connect settings", App{Name: "A", SAML: DefaultSAMLSettings(), OIDC: &oidc}, "protocol"},
		{"unknown protocol", App{Name: "A", Protocol: "wsfed", SAML: DefaultSAMLSettings()}, "protocol"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.app.Validate()
			if got := ErrorField(err); tc.field == "" && err != nil || got != tc.field {
				t.Errorf("Validate() = %v (field %q), want field %q", err, got, tc.field)
			}
		})
	}
}
