package main

import "testing"

func TestProvisioningCommands(t *testing.T) {
	getApp := call{method: "GET", path: "/api/v1/directories/default/apps/a1", answer: appMixpanel}
	view := `{"settings":{"directoryId":"default","appId":"a1","mode":"automatic","tenantUrl":"https://mixpanel.com/api/app/scim/v2",` +
		`"tokenSetAt":"2026-11-25T10:00:00Z","scope":"assigned","matchAttribute":"userName",` +
		`"userMappings":[{"target":"userName","kind":"direct","source":"userName","apply":"always"},{"target":"title","kind":"expression","expression":"Join(\" \", [department], \"staff\")","apply":"create","default":"Staff"}],` +
		`"groupMappings":[{"target":"displayName","kind":"direct","source":"displayName","apply":"always"}],` +
		`"groups":true,"leaveAction":"disable","deleteAction":"delete","updateMethod":"auto"},"tokenSet":true,"configured":true,` +
		`"status":{"quarantine":{"since":"2026-11-25T11:00:00Z","reason":"The app refused the credentials: HTTP 401.","probes":1,"nextProbeAt":"2026-11-25T11:02:00Z"},` +
		`"lastSuccessAt":"2026-11-25T10:30:00Z"},"queued":2,"users":5,"activeUsers":4,"groups":1}`
	event := `{"id":"e1","appId":"a1","appName":"Mixpanel","time":"2026-11-25T12:00:00Z","trigger":"incremental","objectType":"user",` +
		`"sourceId":"u1","sourceName":"b.simon@contoso.com","targetId":"42","action":"update","result":"failure",` +
		`"reason":"PATCH /Users/42 answered HTTP 400 Bad Request","changes":[{"attribute":"displayName","before":"B","after":"B.Simon"}],` +
		`"httpStatus":400,"errorBody":"{\"detail\":\"bad\"}","target":"mixpanel.com (203.0.113.7:443)","durationMs":12}`
	runCases(t, []cliCase{
		{
			name: "show", args: []string{"app", "provisioning", "show", "a1"},
			calls: []call{getApp, {method: "GET", path: "/api/v1/directories/default/apps/a1/provisioning", answer: view}},
			stdout: "" +
				"App:                           Mixpanel\n" +
				"Provisioning:                  on\n" +
				"Tenant URL:                    https://mixpanel.com/api/app/scim/v2\n" +
				"Secret token:                  set 2026-11-25 10:00:00Z (never shown)\n" +
				"Scope:                         assigned\n" +
				"Matching attribute:            userName\n" +
				"Groups:                        yes\n" +
				"When a user leaves the scope:  disable\n" +
				"When a user is deleted:        delete\n" +
				"Changes sent with:             auto\n" +
				"Quarantine:                    since 2026-11-25 11:00:00Z: The app refused the credentials: HTTP 401.\n" +
				"Next try:                      2026-11-25 11:02:00Z\n" +
				"Last successful cycle:         2026-11-25 10:30:00Z\n" +
				"Changes waiting:               2\n" +
				"Accounts:                      5 users (4 active), 1 groups\n" +
				"\nUser mappings:\n" +
				"TARGET    FROM                              APPLY   DEFAULT\n" +
				"userName  userName                          always  -\n" +
				"title     Join(\" \", [department], \"staff\")  create  Staff\n" +
				"\nGroup mappings:\n" +
				"TARGET       FROM         APPLY   DEFAULT\n" +
				"displayName  displayName  always  -\n",
		},
		{
			name: "set: on, with the token asked for", args: []string{"app", "provisioning", "set", "a1", "--mode", "automatic",
				"--tenant-url", "https://mixpanel.com/api/app/scim/v2", "--ask-token", "--groups=false"},
			stdin: "s3cret-token\n",
			calls: []call{getApp, {method: "PATCH", path: "/api/v1/directories/default/apps/a1/provisioning",
				body: `{"mode":"automatic","tenantUrl":"https://mixpanel.com/api/app/scim/v2","token":"s3cret-token","groups":false}`, answer: view}},
			stdout: "Provisioning of Mixpanel is on; the initial cycle starts now.\n",
			stderr: "Secret token of Mixpanel: \n",
		},
		{
			name: "set: an empty token", args: []string{"app", "provisioning", "set", "a1", "--ask-token"}, stdin: "\n", code: 2,
			calls:  []call{getApp},
			stderr: "Secret token of Mixpanel: \ngatehouse app provisioning set: the token is empty, or longer than 4096 bytes\nUsage: gatehouse app provisioning set APP [flags]\nRun 'gatehouse app provisioning set --help' for the flags.\n",
		},
		{
			name: "test that fails names the status and body", args: []string{"app", "provisioning", "test", "a1"}, code: 1,
			calls: []call{getApp, {method: "POST", path: "/api/v1/directories/default/apps/a1/provisioning/test", body: `{}`,
				answer: `{"ok":false,"steps":[{"name":"connection","result":"failure","detail":"GET /Users answered HTTP 401 Unauthorized: {\"detail\":\"bad token\"}"}],` +
					`"message":"The app refused the credentials: GET /Users answered HTTP 401 Unauthorized: {\"detail\":\"bad token\"}","httpStatus":401}`}},
			stdout: "connection    failure  GET /Users answered HTTP 401 Unauthorized: {\"detail\":\"bad token\"}\n",
			stderr: "gatehouse: The app refused the credentials: GET /Users answered HTTP 401 Unauthorized: {\"detail\":\"bad token\"}\ngatehouse app provisioning test: the connection test failed\n",
		},
		{
			name: "on demand", args: []string{"app", "provisioning", "on-demand", "a1", "--user", "u1"},
			calls: []call{getApp, {method: "GET", path: "/api/v1/directories/default/users/u1", answer: userBSimon},
				{method: "POST", path: "/api/v1/directories/default/apps/a1/provisioning/on-demand", body: `{"objectId":"u1","objectType":"user"}`,
					answer: `{"requestId":"r1","events":[{"objectType":"user","sourceName":"b.simon@contoso.com","action":"create","result":"success",` +
						`"steps":[{"name":"match","result":"success","detail":"No account has userName eq \"b.simon@contoso.com\"."},{"name":"action","result":"success","detail":"Created the account 42."}],` +
						`"changes":[{"attribute":"userName","after":"b.simon@contoso.com"}]}]}`}},
			stdout: "" +
				"user b.simon@contoso.com: create — success\n" +
				"  match       success  No account has userName eq \"b.simon@contoso.com\".\n" +
				"  action      success  Created the account 42.\n" +
				"  userName: - → b.simon@contoso.com\n",
		},
		{
			name: "on demand of nobody", args: []string{"app", "provisioning", "on-demand", "a1"}, code: 2, calls: []call{getApp},
			stderr: "gatehouse app provisioning on-demand: give --user or --group\nUsage: gatehouse app provisioning on-demand APP [flags]\nRun 'gatehouse app provisioning on-demand --help' for the flags.\n",
		},
		{
			name: "retry", args: []string{"app", "provisioning", "retry", "a1"},
			calls:  []call{getApp, {method: "POST", path: "/api/v1/directories/default/apps/a1/provisioning/retry", status: 204}},
			stdout: "Provisioning of Mixpanel is tried again now.\n",
		},
		{
			name: "app log", args: []string{"app", "provisioning", "log", "a1", "--result", "failure", "--since", "2026-11-25T00:00:00Z"},
			calls: []call{getApp, {method: "GET", path: "/api/v1/directories/default/apps/a1/provisioning/log?result=failure&since=2026-11-25T00%3A00%3A00Z",
				answer: list(1, event)}},
			stdout: "" +
				"TIME                  APP       OBJECT                    ACTION  RESULT   CHANGES                   HTTP  REASON                                         ID\n" +
				"2026-11-25 12:00:00Z  Mixpanel  user b.simon@contoso.com  update  failure  displayName: B → B.Simon  400   PATCH /Users/42 answered HTTP 400 Bad Request  e1\n",
		},
		{
			name: "a bad time", args: []string{"provisioning", "log", "--since", "yesterday"}, code: 2,
			stderr: "gatehouse provisioning log: --since \"yesterday\": give a time such as 2026-03-01T09:00:00Z, or how long ago, such as 24h\nUsage: gatehouse provisioning log [flags]\nRun 'gatehouse provisioning log --help' for the flags.\n",
		},
		{
			name: "show an entry", args: []string{"provisioning", "show", "e1"},
			calls: []call{{method: "GET", path: "/api/v1/directories/default/provisioning-log/e1", answer: event}},
			stdout: "" +
				"ID:                   e1\n" +
				"Time:                 2026-11-25 12:00:00Z\n" +
				"App:                  Mixpanel\n" +
				"Object:               user b.simon@contoso.com\n" +
				"Source ID:            u1\n" +
				"Account at the app:   42\n" +
				"Action:               update\n" +
				"Result:               failure\n" +
				"Reason:               PATCH /Users/42 answered HTTP 400 Bad Request\n" +
				"Trigger:              incremental\n" +
				"Requests went to:     mixpanel.com (203.0.113.7:443)\n" +
				"Took:                 12 ms\n" +
				"HTTP status:          400\n" +
				"The app's answer:     {\"detail\":\"bad\"}\n" +
				"Changed displayName:  B → B.Simon\n",
		},
	})
}
