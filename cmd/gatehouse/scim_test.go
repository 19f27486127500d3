package main

import "testing"

func TestSCIM(t *testing.T) {
	runCases(t, []cliCase{
		{
			name: "url", args: []string{"scim", "url"},
			calls:  []call{{method: "GET", path: "/api/v1/directories/default/scim", answer: `{"baseUrl":"https://idp.contoso.com/d/default/scim/v2"}`}},
			stdout: "Tenant URL:  https://idp.contoso.com/d/default/scim/v2\n",
		},
		{
			name: "token create", args: []string{"scim", "token", "create", "Entra ID"},
			calls: []call{{method: "POST", path: "/api/v1/directories/default/scim-tokens", body: `{"name":"Entra ID"}`, status: 201,
				answer: `{"token":"ghs_secret","scimToken":{"id":"s1","name":"Entra ID","prefix":"ghs_sec"},"baseUrl":"https://idp.contoso.com/d/default/scim/v2"}`}},
			stdout: "" +
				"Created SCIM token Entra ID. Copy the secret token now: it is not shown again.\n" +
				"Tenant URL:    https://idp.contoso.com/d/default/scim/v2\n" +
				"Secret token:  ghs_secret\n" +
				"ID:            s1\n",
		},
		{
			name: "token list", args: []string{"scim", "token", "list", "--directory", "fabrikam"},
			calls: []call{{method: "GET", path: "/api/v1/directories/fabrikam/scim-tokens",
				answer: list(1, `{"id":"s1","name":"Okta","prefix":"ghs_abc","createdBy":"admin@fabrikam.com","createdAt":"2026-11-25T10:00:00Z"}`)}},
			stdout: "" +
				"ID  NAME  PREFIX   CREATED BY          CREATED               LAST USED\n" +
				"s1  Okta  ghs_abc  admin@fabrikam.com  2026-11-25 10:00:00Z  -\n",
		},
		{
			name: "a provisioned user", args: []string{"user", "show", "u9"},
			calls: []call{{method: "GET", path: "/api/v1/directories/default/users/u9", answer: `{"id":"u9","userName":"p.lee@contoso.com",` +
				`"displayName":"Pat Lee","role":"user","source":"scim","externalId":"00u1",` + ts + `}`}},
			stdout: "" +
				"ID:                u9\n" +
				"User name:         p.lee@contoso.com\n" +
				"Display name:      Pat Lee\n" +
				"First name:        -\n" +
				"Last name:         -\n" +
				"Mail:              -\n" +
				"Role:              user\n" +
				"Status:            no password yet (reset it to give a temporary one)\n" +
				"Password changed:  -\n" +
				"Created:           2026-11-25 10:00:00Z\n" +
				"Updated:           2026-11-25 11:00:00Z\n" +
				"Source:            scim\n" +
				"External ID:       00u1\n",
		},
		{
			name: "token revoke", args: []string{"scim", "token", "revoke", "s1"},
			calls:  []call{{method: "DELETE", path: "/api/v1/directories/default/scim-tokens/s1", status: 204}},
			stdout: "Revoked SCIM token s1.\n",
		},
	})
}
