package main

import "testing"

// oidcApp is the API's answer for an OpenID Connect app a1.
const oidcApp = `{"id":"a1","name":"Grafana","galleryId":"grafana","enabled":true,"protocol":"oidc","oidc":{"clientId":"grafana",` +
	`"redirectUris":["https://g.contoso.com/login/generic_oauth"],"grantTypes":["authorization_code","refresh_token"],` +
	`"requirePkce":true,"signingAlgorithm":"RS256","accessTokenFormat":"opaque","accessTokenLifetime":3600,` +
	`"idTokenLifetime":3600,"refreshTokenLifetime":2592000,"claims":[{"name":"email","source":"user.mail"}]},` + ts + `}`

func TestOIDC(t *testing.T) {
	getApp := call{method: "GET", path: "/api/v1/directories/default/apps/a1", answer: oidcApp}
	runCases(t, []cliCase{
		{
			name: "oidc show", args: []string{"app", "oidc", "show", "a1"},
			calls: []call{getApp, {method: "GET", path: "/api/v1/directories/default/apps/a1/oidc",
				answer: `{"clientId":"grafana","redirectUris":["https://g.contoso.com/cb"],"grantTypes":["authorization_code"],` +
					`"signingAlgorithm":"ES256","accessTokenFormat":"jwt","accessTokenLifetime":900,"idTokenLifetime":3600,"refreshTokenLifetime":604800}`}},
			stdout: "" +
				"Client ID:                  grafana\n" +
				"Client type:                confidential (client secret)\n" +
				"Redirect URIs:              https://g.contoso.com/cb\n" +
				"Post-logout redirect URIs:  -\n" +
				"Grant types:                authorization_code\n" +
				"Initiate login URI:         -\n" +
				"Back-channel logout URI:    -\n" +
				"Require PKCE:               no\n" +
				"Signing algorithm:          ES256\n" +
				"Access tokens:              jwt, 15m0s\n" +
				"ID tokens:                  1h0m0s\n" +
				"Refresh tokens:             168h0m0s\n" +
				"Claims:                     0\n",
		},
		{
			name: "oidc set", args: []string{"app", "oidc", "set", "a1", "--add-redirect-uri", "https://g2.contoso.com/cb", "--public",
				"--grant", "authorization_code", "--access-token-lifetime", "15m", "--refresh-token-lifetime", "7d", "--json"},
			calls: []call{getApp, {method: "PATCH", path: "/api/v1/directories/default/apps/a1/oidc",
				body: `{"publicClient":true,"redirectUris":["https://g.contoso.com/login/generic_oauth","https://g2.contoso.com/cb"],` +
					`"grantTypes":["authorization_code"],"accessTokenLifetime":900,"refreshTokenLifetime":604800}`,
				answer: `{"clientId":"grafana","publicClient":true}`}},
			stdout: "{\n  \"clientId\": \"grafana\",\n  \"publicClient\": true,\n  \"redirectUris\": null,\n  \"postLogoutRedirectUris\": null,\n" +
				"  \"grantTypes\": null,\n  \"initiateLoginUri\": \"\",\n  \"backchannelLogoutUri\": \"\",\n  \"requirePkce\": false,\n" +
				"  \"signingAlgorithm\": \"\",\n  \"accessTokenFormat\": \"\",\n  \"accessTokenLifetime\": 0,\n  \"idTokenLifetime\": 0,\n" +
				"  \"refreshTokenLifetime\": 0,\n  \"claims\": null\n}\n",
		},
		{
			name: "oidc set nothing", args: []string{"app", "oidc", "set", "a1"}, code: 2,
			stderr: "gatehouse app oidc set: nothing to change: give at least one flag (see --help)\nUsage: gatehouse app oidc set APP [flags]\nRun 'gatehouse app oidc set --help' for the flags.\n",
		},
		{
			name: "oidc set a bad lifetime", args: []string{"app", "oidc", "set", "a1", "--access-token-lifetime", "soon"}, code: 2,
			stderr: "gatehouse app oidc set: invalid value \"soon\" for flag -access-token-lifetime: \"soon\" is not a duration such as 90m, 24h or 30d\nUsage: gatehouse app oidc set APP [flags]\nRun 'gatehouse app oidc set --help' for the flags.\n",
		},
		{
			name: "secret create with rotation", args: []string{"app", "secret", "create", "a1", "--rotate", "24h", "--expires", "365d"},
			calls: []call{getApp, {method: "POST", path: "/api/v1/directories/default/apps/a1/oidc/secrets", status: 201,
				body:   `{"expiresIn":31536000,"overlap":86400}`,
				answer: `{"secret":"ghc_s3cret","clientSecret":{"id":"s2","appId":"a1","hint":"ghc_s3cr"}}`}},
			stdout: "Client secret of Grafana (shown once; store it in the app now):\n\n  ghc_s3cret\n\nThe app's other secrets stop working in 24h0m0s.\n",
		},
		{
			name: "secret list", args: []string{"app", "secret", "list", "a1"},
			calls: []call{getApp, {method: "GET", path: "/api/v1/directories/default/apps/a1/oidc/secrets",
				answer: list(1, `{"id":"s1","hint":"ghc_abcd","createdAt":"2026-11-25T10:00:00Z","expiresAt":"2026-11-26T10:00:00Z","valid":true}`)}},
			stdout: "" +
				"ID  HINT       CREATED               EXPIRES               WORKS\n" +
				"s1  ghc_abcd…  2026-11-25 10:00:00Z  2026-11-26 10:00:00Z  yes\n",
		},
		{
			name: "secret delete", args: []string{"app", "secret", "delete", "a1", "s1"},
			calls:  []call{getApp, {method: "DELETE", path: "/api/v1/directories/default/apps/a1/oidc/secrets/s1", status: 204}},
			stdout: "Deleted client secret s1 of Grafana; it no longer works.\n",
		},
		{
			name: "setup", args: []string{"app", "setup", "a1"},
			calls: []call{getApp, {method: "GET", path: "/api/v1/directories/default/apps/a1/setup",
				answer: `{"userAccessUrl":"https://idp/d/default/apps/a1/signin","oidc":{"issuer":"https://idp/d/default",` +
					`"discoveryUrl":"https://idp/d/default/.well-known/openid-configuration","clientId":"grafana",` +
					`"authorizationEndpoint":"https://idp/d/default/oidc/authorize","tokenEndpoint":"https://idp/d/default/oidc/token",` +
					`"userinfoEndpoint":"https://idp/d/default/oidc/userinfo","jwksUri":"https://idp/d/default/oidc/keys",` +
					`"endSessionEndpoint":"https://idp/d/default/oidc/logout","introspectionEndpoint":"https://idp/d/default/oidc/introspect",` +
					`"revocationEndpoint":"https://idp/d/default/oidc/revoke"}}`}},
			stdout: "" +
				"Set up Grafana: enter these values in the app's OpenID Connect settings; apps that discover the\n" +
				"endpoints need only the issuer.\n\n" +
				"Issuer:                  https://idp/d/default\n" +
				"Discovery URL:           https://idp/d/default/.well-known/openid-configuration\n" +
				"Client ID:               grafana\n" +
				"Authorization endpoint:  https://idp/d/default/oidc/authorize\n" +
				"Token endpoint:          https://idp/d/default/oidc/token\n" +
				"Userinfo endpoint:       https://idp/d/default/oidc/userinfo\n" +
				"JWKS URI:                https://idp/d/default/oidc/keys\n" +
				"End-session endpoint:    https://idp/d/default/oidc/logout\n" +
				"Introspection endpoint:  https://idp/d/default/oidc/introspect\n" +
				"Revocation endpoint:     https://idp/d/default/oidc/revoke\n\n" +
				"Create the client secret with 'gatehouse app secret create a1'.\n",
		},
		{
			name: "a group claim of an OpenID Connect app", args: []string{"app", "claim", "set", "a1", "groups", "--groups", "assigned"},
			calls: []call{getApp,
				{method: "PATCH", path: "/api/v1/directories/default/apps/a1/oidc",
					body:   `{"setClaims":[{"name":"groups","groups":"assigned"}]}`,
					answer: `{"clientId":"grafana","claims":[{"name":"email","source":"user.mail"},{"name":"groups","groups":"assigned"}]}`}},
			stdout: "Saved claim groups of Grafana.\n\nNAME    VALUE              NAME FORMAT\nemail   user.mail          -\ngroups  groups (assigned)  -\n",
		},
		{
			name: "key list", args: []string{"oidc", "key", "list"},
			calls: []call{{method: "GET", path: "/api/v1/directories/default/oidc/keys",
				answer: list(2, `{"id":"k2","algorithm":"RS256","state":"next","published":true,"createdAt":"2026-11-25T11:00:00Z"}`,
					`{"id":"k1","algorithm":"RS256","active":true,"state":"active","published":true,"createdAt":"2026-11-25T10:00:00Z"}`)}},
			stdout: "" +
				"KEY ID  ALGORITHM  STATE   IN JWKS  CREATED\n" +
				"k2      RS256      next    yes      2026-11-25 11:00:00Z\n" +
				"k1      RS256      active  yes      2026-11-25 10:00:00Z\n",
		},
		{
			name: "key new", args: []string{"oidc", "key", "new", "--algorithm", "ES256"},
			calls: []call{{method: "POST", path: "/api/v1/directories/default/oidc/keys", body: `{"algorithm":"ES256"}`, status: 201,
				answer: `{"id":"k3","algorithm":"ES256","state":"next"}`}},
			stdout: "Created the next ES256 key k3: it is in the JWKS now and signs once you run\n  gatehouse oidc key activate k3\n",
		},
		{
			name: "key activate", args: []string{"oidc", "key", "activate", "k3"},
			calls: []call{{method: "POST", path: "/api/v1/directories/default/oidc/keys/k3/activate", body: `{}`,
				answer: `{"id":"k3","algorithm":"ES256","active":true,"state":"active"}`}},
			stdout: "Key k3 now signs the directory's ES256 tokens; the key it replaced stays in the JWKS for 7 days.\n",
		},
	})
}
