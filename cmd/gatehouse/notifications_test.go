package main

import "testing"

// TestNotifications runs the `notifications` commands of apps and directories against the fake API.
func TestNotifications(t *testing.T) {
	getMixpanel := call{method: "GET", path: "/api/v1/directories/default/apps/a1", answer: appMixpanel}
	runCases(t, []cliCase{
		{
			name: "AppShowOwn", args: []string{"app", "notifications", "show", "a1"},
			calls:  []call{getMixpanel, {method: "GET", path: "/api/v1/directories/default/apps/a1/notifications", answer: `{"emails":["ops@contoso.com"],"recipients":["ops@contoso.com"]}`}},
			stdout: "Certificate expiry notices for Mixpanel go to: ops@contoso.com\n",
		},
		{
			name: "AppShowInherited", args: []string{"app", "notifications", "show", "a1"},
			calls:  []call{getMixpanel, {method: "GET", path: "/api/v1/directories/default/apps/a1/notifications", answer: `{"emails":[],"recipients":["it@contoso.com"]}`}},
			stdout: "Mixpanel has no notification addresses of its own; the directory's default list gets the notices: it@contoso.com\n",
		},
		{
			name: "AppSet", args: []string{"app", "notifications", "set", "a1", "ops@contoso.com,sec@contoso.com", "bi@contoso.com"},
			calls: []call{getMixpanel, {method: "PUT", path: "/api/v1/directories/default/apps/a1/notifications",
				body:   `{"emails":["ops@contoso.com","sec@contoso.com","bi@contoso.com"]}`,
				answer: `{"emails":["ops@contoso.com","sec@contoso.com","bi@contoso.com"],"recipients":["ops@contoso.com","sec@contoso.com","bi@contoso.com"]}`}},
			stdout: "Certificate expiry notices for Mixpanel go to: ops@contoso.com, sec@contoso.com, bi@contoso.com\n",
		},
		{
			name: "AppSetNone", args: []string{"app", "notifications", "set", "a1", "--none"},
			calls: []call{getMixpanel, {method: "PUT", path: "/api/v1/directories/default/apps/a1/notifications",
				body: `{"emails":[]}`, answer: `{"emails":[],"recipients":[]}`}},
			stdout: "No one gets the certificate expiry notices for Mixpanel.\n",
		},
		{
			name: "AppSetNothing", args: []string{"app", "notifications", "set", "a1"}, code: 2,
			calls: []call{getMixpanel},
			stderr: "gatehouse app notifications set: give the addresses to notify (up to 5), or --none to remove them\n" +
				"Usage: gatehouse app notifications set APP [ADDRESS...] [flags]\nRun 'gatehouse app notifications set --help' for the flags.\n",
		},
		{
			name: "AppSetInvalid", args: []string{"app", "notifications", "set", "a1", "not-an-address"}, code: 1,
			calls: []call{getMixpanel, {method: "PUT", path: "/api/v1/directories/default/apps/a1/notifications", status: 400,
				answer: `{"code":"invalid","field":"emails","message":"\"not-an-address\" is not an e-mail address such as ops@contoso.com.","correlationId":"c1"}`}},
			stderr: "Error: \"not-an-address\" is not an e-mail address such as ops@contoso.com.\n  Code:            invalid\n  Field:           emails\n  Correlation ID:  c1\n",
		},
		{
			name: "DirectorySet", args: []string{"directory", "notifications", "set", "--directory", "contoso", "it@contoso.com"},
			calls: []call{{method: "PUT", path: "/api/v1/directories/contoso/notifications", body: `{"emails":["it@contoso.com"]}`,
				answer: `{"emails":["it@contoso.com"],"recipients":["it@contoso.com"]}`}},
			stdout: "Certificate expiry notices for directory contoso (its own certificate and apps without addresses) go to: it@contoso.com\n",
		},
		{
			name: "DirectoryShowJSON", args: []string{"directory", "notifications", "show", "--json"},
			calls:  []call{{method: "GET", path: "/api/v1/directories/default/notifications", answer: `{"emails":[],"recipients":[]}`}},
			stdout: "{\n  \"emails\": [],\n  \"recipients\": []\n}\n",
		},
	})
}
