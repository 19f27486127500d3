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
			name: "token revoke", args: []string{"scim", "token", "revoke", "s1"},
			calls:  []call{{method: "DELETE", path: "/api/v1/directories/default/scim-tokens/s1", status: 204}},
			stdout: "Revoked SCIM token s1.\n",
		},
	})
}
