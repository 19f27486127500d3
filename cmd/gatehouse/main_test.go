package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// call is one request the fake API expects, in order, and its canned answer.
type call struct {
	// method and path (with the query string, if any) the CLI must send.
	method, path string
	// body is the JSON body the CLI must send; "" means no check.
	body string
	// status and answer are the response; a zero status means 200.
	status int
	answer string
	header map[string]string
	// noAuth means the request must carry no Authorization header.
	noAuth bool
}

// fakeAPI serves the calls in order and fails the test on any other request.
type fakeAPI struct {
	t     *testing.T
	mu    sync.Mutex
	calls []call
	next  int
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	got := r.Method + " " + r.URL.RequestURI()
	if f.next >= len(f.calls) {
		f.t.Errorf("unexpected request %s", got)
		http.Error(w, `{"code":"internal","message":"unexpected request"}`, 500)
		return
	}
	c := f.calls[f.next]
	f.next++
	if want := c.method + " " + c.path; got != want {
		f.t.Errorf("request %d: got %s, want %s", f.next, got, want)
	}
	wantAuth := "Bearer tok"
	if c.noAuth || r.Method == "POST" && r.URL.Path == "/api/v1/tokens" {
		wantAuth = ""
	}
	if auth := r.Header.Get("Authorization"); auth != wantAuth {
		f.t.Errorf("request %s: Authorization %q, want %q", got, auth, wantAuth)
	}
	body, _ := io.ReadAll(r.Body)
	if c.body != "" {
		var gotBody, wantBody any
		if err := json.Unmarshal(body, &gotBody); err != nil {
			f.t.Errorf("request %s: body %q is not JSON: %v", got, body, err)
		}
		if err := json.Unmarshal([]byte(c.body), &wantBody); err != nil {
			f.t.Fatalf("bad test body %q: %v", c.body, err)
		}
		if diff := cmp.Diff(wantBody, gotBody); diff != "" {
			f.t.Errorf("request %s: body mismatch (-want +got):\n%s", got, diff)
		}
	}
	for k, v := range c.header {
		w.Header().Set(k, v)
	}
	w.Header().Set("X-Correlation-ID", "corr-42")
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	status := c.status
	if status == 0 {
		status = 200
	}
	w.WriteHeader(status)
	io.WriteString(w, c.answer)
}

// cliCase is one run of the command line against the fake API.
type cliCase struct {
	name   string
	args   []string
	env    map[string]string
	stdin  string
	calls  []call
	code   int
	stdout string
	stderr string
	// terminal makes standard input and output look like a terminal.
	terminal bool
}

// runCase runs tt and compares the exit code and both outputs; the fake server's URL reads as SERVER in them.
func runCase(t *testing.T, tt cliCase) {
	t.Helper()
	api := &fakeAPI{t: t, calls: tt.calls}
	srv := httptest.NewServer(api)
	defer srv.Close()
	env := map[string]string{"GATEHOUSE_SERVER": srv.URL, "GATEHOUSE_TOKEN": "tok"}
	for k, v := range tt.env {
		env[k] = v
	}
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), tt.args, system{
		stdin: strings.NewReader(tt.stdin), stdout: &stdout, stderr: &stderr, getenv: func(k string) string { return env[k] },
		hc: srv.Client(), isTerminal: func(any) bool { return tt.terminal },
	})
	replace := func(s string) string { return strings.ReplaceAll(s, srv.URL, "SERVER") }
	if code != tt.code {
		t.Errorf("exit code %d, want %d\nstderr:\n%s", code, tt.code, stderr.String())
	}
	if diff := cmp.Diff(tt.stdout, replace(stdout.String())); diff != "" {
		t.Errorf("stdout mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(tt.stderr, replace(stderr.String())); diff != "" {
		t.Errorf("stderr mismatch (-want +got):\n%s", diff)
	}
	if api.next != len(api.calls) {
		t.Errorf("%d of %d expected requests were made", api.next, len(api.calls))
	}
}

func runCases(t *testing.T, cases []cliCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) { runCase(t, tt) })
	}
}

// Objects the fake API answers with.
const (
	ts           = `"createdAt":"2026-11-25T10:00:00Z","updatedAt":"2026-11-25T11:00:00Z"`
	userBSimon   = `{"id":"u1","directoryId":"default","userName":"b.simon@contoso.com","firstName":"B","lastName":"Simon","displayName":"B.Simon","mail":"b.simon@contoso.com","role":"user","mustChangePassword":true,` + ts + `}`
	userAdmin    = `{"id":"u2","directoryId":"default","userName":"admin@contoso.com","displayName":"Admin","role":"global-admin",` + ts + `}`
	groupSales   = `{"id":"g1","directoryId":"default","name":"Sales","description":"Sales team",` + ts + `}`
	samlMixpanel = `{"entityId":"https://mixpanel.com/security/sso/v2/authorize/","replyUrls":["https://sso.mixpanel.com/sso/saml2"],` +
		`"signOnUrl":"https://mixpanel.com/security/sso/v2/authorize/?org_id=123","relayState":"","logoutUrl":"",` +
		`"nameIdFormat":"urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress","nameIdSource":"user.userprincipalname",` +
		`"claims":[{"name":"email","source":"user.mail"},{"name":"firstName","source":"user.givenname"}],` +
		`"signingOption":"assertion","signingAlgorithm":"sha256"}`
	appMixpanel = `{"id":"a1","directoryId":"default","name":"Mixpanel","galleryId":"mixpanel","enabled":true,"assignmentRequired":true,"visible":true,"notes":"","saml":` + samlMixpanel + `,` + ts + `}`
)

// list wraps items in the API's list envelope.
func list(total int, items ...string) string {
	return `{"items":[` + strings.Join(items, ",") + `],"total":` + itoa(total) + `}`
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestHelpAndUsage(t *testing.T) {
	runCases(t, []cliCase{
		{
			name: "no arguments", args: nil, code: 2,
			stderr: mainHelpText(),
		},
		{
			name: "--help", args: []string{"--help"}, code: 0,
			stdout: mainHelpText(),
		},
		{
			name: "help", args: []string{"help"}, code: 0,
			stdout: mainHelpText(),
		},
		{
			name: "unknown noun", args: []string{"frobnicate"}, code: 2,
			stderr: "gatehouse: unknown command \"frobnicate\".\nRun 'gatehouse --help' for the list of commands.\n",
		},
		{
			name: "noun help", args: []string{"group", "--help"}, code: 0,
			stdout: `Usage: gatehouse group <command> [flags]

Commands:
  create         Creates a group.
  list           Lists and searches the groups of the directory.
  show           Shows a group, named by name or ID.
  update         Renames a group or changes its description.
  delete         Deletes a group with its memberships and assignments.
  members        Lists a group's members.
  add-member     Adds users, named by user name or ID, to a group.
  remove-member  Removes users, named by user name or ID, from a group.

Run 'gatehouse group <command> --help' for a command's flags.
`,
		},
		{
			name: "noun without verb", args: []string{"gallery"}, code: 2,
			stderr: `Usage: gatehouse gallery <command> [flags]

Commands:
  list  Lists and searches the app gallery.
  show  Shows a gallery template: its parameters and default SAML or OpenID Connect settings.

Run 'gatehouse gallery <command> --help' for a command's flags.
`,
		},
		{
			name: "unknown verb", args: []string{"gallery", "install"}, code: 2,
			stderr: `gatehouse gallery: unknown command "install".

Usage: gatehouse gallery <command> [flags]

Commands:
  list  Lists and searches the app gallery.
  show  Shows a gallery template: its parameters and default SAML or OpenID Connect settings.

Run 'gatehouse gallery <command> --help' for a command's flags.
`,
		},
		{
			name: "subnoun help", args: []string{"app", "cert", "-h"}, code: 0,
			stdout: `Usage: gatehouse app cert <command> [flags]

Commands:
  list      Lists an app's signing certificates.
  download  Downloads an app's signing certificate or federation metadata.
  new       Creates the app's next signing certificate, published in metadata before it signs.
  activate  Makes a certificate sign the app's sign-ins; the replaced one stays published for a grace period.

Run 'gatehouse app cert <command> --help' for a command's flags.
`,
		},
		{
			name: "command help", args: []string{"group", "create", "--help"}, code: 0,
			stdout: `Usage: gatehouse group create NAME [flags]

Creates a group.

Flags:
  --description DESCRIPTION  a DESCRIPTION of what the group is for

Common flags: --server URL, --token TOKEN, --directory ID, --json (see gatehouse --help).
`,
		},
		{
			name: "help for a command", args: []string{"help", "app", "cert", "download"}, code: 0,
			stdout: `Usage: gatehouse app cert download APP [flags]

Downloads an app's signing certificate or federation metadata.

Flags:
  --cert ID        the certificate ID (see gatehouse app cert list) (default "active")
  --format FORMAT  the FORMAT: base64 (PEM .cer), raw (DER .cer), pem, or metadata (federation metadata XML) (default "base64")
  --out FILE       write to this FILE (or into this directory under the server's file name) instead of standard output

Examples:
  gatehouse app cert download Mixpanel --format base64 --out Mixpanel.cer
  gatehouse app cert download Mixpanel --format metadata > Mixpanel.xml

Common flags: --server URL, --token TOKEN, --directory ID, --json (see gatehouse --help).
`,
		},
		{
			name: "missing argument", args: []string{"user", "create"}, code: 2,
			stderr: "gatehouse user create: missing USERNAME\nUsage: gatehouse user create USERNAME [flags]\nRun 'gatehouse user create --help' for the flags.\n",
		},
		{
			name: "extra argument", args: []string{"user", "show", "a@b.c", "d@e.f"}, code: 2,
			stderr: "gatehouse user show: unexpected argument \"d@e.f\"\nUsage: gatehouse user show USER [flags]\nRun 'gatehouse user show --help' for the flags.\n",
		},
		{
			name: "unknown flag", args: []string{"user", "list", "--colour"}, code: 2,
			stderr: "gatehouse user list: flag provided but not defined: -colour\nUsage: gatehouse user list [flags]\nRun 'gatehouse user list --help' for the flags.\n",
		},
		{
			name: "unknown common flag before the noun", args: []string{"--colour", "user", "list"}, code: 2,
			stderr: "gatehouse: flag provided but not defined: -colour\nRun 'gatehouse --help' for usage.\n",
		},
		{
			name: "bad integer", args: []string{"user", "list", "--limit", "many"}, code: 2,
			stderr: "gatehouse user list: invalid value \"many\" for flag -limit: parse error\nUsage: gatehouse user list [flags]\nRun 'gatehouse user list --help' for the flags.\n",
		},
		{
			name: "app add without gallery", args: []string{"app", "add"}, code: 2,
			stderr: "gatehouse app add: --gallery is required (see gatehouse gallery list)\nUsage: gatehouse app add [flags]\nRun 'gatehouse app add --help' for the flags.\n",
		},
		{
			name: "bad param", args: []string{"app", "add", "--gallery", "mixpanel", "--param", "org_id"}, code: 2,
			stderr: "gatehouse app add: --param \"org_id\" is not NAME=VALUE\nUsage: gatehouse app add [flags]\nRun 'gatehouse app add --help' for the flags.\n",
		},
		{
			name: "claim with source and value", args: []string{"app", "claim", "set", "a1", "email", "--source", "mail", "--value", "x"}, code: 2,
			stderr: "gatehouse app claim set: give one of --source, --value and --groups\nUsage: gatehouse app claim set APP NAME [flags]\nRun 'gatehouse app claim set --help' for the flags.\n",
		},
		{
			name: "unknown certificate format", args: []string{"app", "cert", "download", "a1", "--format", "pfx"}, code: 2,
			stderr: "gatehouse app cert download: --format \"pfx\" is unknown: choose base64, raw, pem or metadata\nUsage: gatehouse app cert download APP [flags]\nRun 'gatehouse app cert download --help' for the flags.\n",
		},
		{
			name: "update without changes", args: []string{"app", "update", "a1"}, code: 2,
			stderr: "gatehouse app update: nothing to change: give --name, --enabled, --assignment-required, --visible or --notes\nUsage: gatehouse app update APP [flags]\nRun 'gatehouse app update --help' for the flags.\n",
		},
		{
			name: "assign nobody", args: []string{"app", "assign", "a1"}, code: 2,
			stderr: "gatehouse app assign: give --user or --group\nUsage: gatehouse app assign APP [flags]\nRun 'gatehouse app assign --help' for the flags.\n",
		},
		{
			name: "unknown result", args: []string{"signins", "list", "--result", "maybe"}, code: 2,
			stderr: "gatehouse signins list: --result \"maybe\" is unknown: choose success or failure\nUsage: gatehouse signins list [flags]\nRun 'gatehouse signins list --help' for the flags.\n",
		},
		{
			name: "version", args: []string{"version"}, code: 0,
			stdout: "gatehouse " + version() + "\n",
		},
	})
}

// mainHelpText is gatehouse --help.
func mainHelpText() string {
	var b bytes.Buffer
	(&cli{}).mainHelp(&b)
	return b.String()
}

// TestEveryCommandHasHelp checks that every command answers --help with its usage line and exit code 0.
func TestEveryCommandHasHelp(t *testing.T) {
	for _, cmd := range commands() {
		t.Run(cmd.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := append(strings.Fields(cmd.name), "--help")
			code := run(context.Background(), args, system{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr,
				getenv: func(string) string { return "" }, hc: http.DefaultClient, isTerminal: isTerminal})
			if code != 0 || stderr.Len() > 0 {
				t.Fatalf("exit code %d, stderr %q", code, stderr.String())
			}
			if !strings.HasPrefix(stdout.String(), "Usage: gatehouse "+cmd.name) || !strings.Contains(stdout.String(), cmd.summary) {
				t.Errorf("help does not start with the usage line and summary:\n%s", stdout.String())
			}
			for _, e := range examples(cmd.name) {
				if !strings.Contains(e, "gatehouse "+cmd.name+" ") {
					t.Errorf("example %q does not run gatehouse %s", e, cmd.name)
				}
			}
			if !strings.HasSuffix(strings.TrimSpace(cmd.summary), ".") {
				t.Errorf("summary %q is not a sentence", cmd.summary)
			}
		})
		// Every noun is listed by gatehouse --help.
		noun := strings.Fields(cmd.name)[0]
		if !strings.Contains(mainHelpText(), "  "+noun+" ") {
			t.Errorf("gatehouse --help does not list %s", noun)
		}
	}
}

func TestLogin(t *testing.T) {
	tokenAnswer := `{"token":"gh_s3cret","apiToken":{"id":"t1","prefix":"gh_s3c","directoryId":"default","userId":"u2","name":"cli","createdAt":"2026-11-25T10:00:00Z"}}`
	runCases(t, []cliCase{
		{
			name: "password from stdin", args: []string{"login", "--user", "admin@contoso.com", "--password-stdin"},
			env: map[string]string{"GATEHOUSE_TOKEN": ""}, stdin: "pa ss\n",
			calls:  []call{{method: "POST", path: "/api/v1/tokens", body: `{"directory":"default","userName":"admin@contoso.com","password":"pa ss","name":"cli"}`, status: 201, answer: tokenAnswer}},
			stdout: "gh_s3cret\n",
			stderr: "Keep this token secret; it is not shown again. Set GATEHOUSE_TOKEN to it, or pass --token.\n",
		},
		{
			name: "export in another directory", args: []string{"login", "--user", "admin@fabrikam.com", "--export", "--directory", "fabrikam", "--name", "laptop"},
			env: map[string]string{"GATEHOUSE_TOKEN": ""}, stdin: "pw\r\n", terminal: true,
			calls:  []call{{method: "POST", path: "/api/v1/tokens", body: `{"directory":"fabrikam","userName":"admin@fabrikam.com","password":"pw","name":"laptop"}`, status: 201, answer: tokenAnswer}},
			stdout: "export GATEHOUSE_TOKEN=gh_s3cret\nexport GATEHOUSE_DIRECTORY=fabrikam\n",
			stderr: "Password for admin@fabrikam.com: \n",
		},
		{
			name: "with a verification code", args: []string{"login", "--user", "admin@contoso.com", "--password-stdin", "--code", "123456"},
			env: map[string]string{"GATEHOUSE_TOKEN": ""}, stdin: "pw\n",
			calls:  []call{{method: "POST", path: "/api/v1/tokens", body: `{"directory":"default","userName":"admin@contoso.com","password":"pw","code":"123456","name":"cli"}`, status: 201, answer: tokenAnswer}},
			stdout: "gh_s3cret\n",
			stderr: "Keep this token secret; it is not shown again. Set GATEHOUSE_TOKEN to it, or pass --token.\n",
		},
		{
			name: "prompt on a terminal", args: []string{"login", "--user", "admin@contoso.com"}, terminal: true,
			env: map[string]string{"GATEHOUSE_TOKEN": ""}, stdin: "pw\n",
			calls:  []call{{method: "POST", path: "/api/v1/tokens", body: `{"directory":"default","userName":"admin@contoso.com","password":"pw","name":"cli"}`, status: 201, answer: tokenAnswer}},
			stdout: "gh_s3cret\n",
			stderr: "Password for admin@contoso.com: \n" +
				"Keep this token secret; it is not shown again. Set GATEHOUSE_TOKEN to it, or pass --token.\n",
		},
		{
			name: "json", args: []string{"--json", "login", "--user", "admin@contoso.com", "--password-stdin"},
			env: map[string]string{"GATEHOUSE_TOKEN": ""}, stdin: "pw",
			calls: []call{{method: "POST", path: "/api/v1/tokens", status: 201, answer: tokenAnswer}},
			stdout: `{
  "token": "gh_s3cret",
  "apiToken": {
    "id": "t1",
    "prefix": "gh_s3c",
    "directoryId": "default",
    "userId": "u2",
    "name": "cli",
    "createdAt": "2026-11-25T10:00:00Z"
  }
}
`,
		},
		{
			name: "temporary password", args: []string{"login", "--user", "b.simon@contoso.com", "--password-stdin"},
			env: map[string]string{"GATEHOUSE_TOKEN": ""}, stdin: "Tmp-1\n",
			calls: []call{{method: "POST", path: "/api/v1/tokens", status: 403,
				answer: `{"code":"password_change_required","message":"Your password is temporary: sign in at SERVER/d/default/login to change it.","correlationId":"c-7"}`}},
			code: 1,
			stderr: "Error: Your password is temporary: sign in at SERVER/d/default/login to change it.\n" +
				"  Code:            password_change_required\n" +
				"  Correlation ID:  c-7\n",
		},
		{
			name: "wrong password", args: []string{"login", "--user", "admin@contoso.com", "--password-stdin"},
			env: map[string]string{"GATEHOUSE_TOKEN": ""}, stdin: "nope\n",
			calls: []call{{method: "POST", path: "/api/v1/tokens", status: 401,
				answer: `{"code":"unauthorized","message":"The user name or password is incorrect.","correlationId":"c-8"}`}},
			code: 1,
			stderr: "Error: The user name or password is incorrect.\n" +
				"  Code:            unauthorized\n" +
				"  Correlation ID:  c-8\n",
		},
		{
			name: "no user", args: []string{"login"}, code: 2,
			stderr: "gatehouse login: --user is required\nUsage: gatehouse login [flags]\nRun 'gatehouse login --help' for the flags.\n",
		},
		{
			// Without a terminal and without --password-stdin it says how to give the password, before reading
			// anything or calling the server.
			name: "no terminal", args: []string{"login", "--user", "admin@contoso.com", "--export"}, stdin: "pw\n", code: 2,
			stderr: "gatehouse login: standard input is not a terminal, so the password cannot be asked for: pass it on " +
				"standard input with --password-stdin, as in\n" +
				"  printf '%s\\n' \"$PASSWORD\" | gatehouse login --user 'admin@contoso.com' --password-stdin\n" +
				"Usage: gatehouse login [flags]\nRun 'gatehouse login --help' for the flags.\n",
		},
		{
			name: "empty password", args: []string{"login", "--user", "a@b.c", "--password-stdin"}, stdin: "\n", code: 2,
			stderr: "gatehouse login: the password is empty\nUsage: gatehouse login [flags]\nRun 'gatehouse login --help' for the flags.\n",
		},
		{
			name: "whoami", args: []string{"whoami"},
			calls: []call{{method: "GET", path: "/api/v1/me", answer: `{"user":` + userAdmin + `,"directory":{"id":"default","name":"Default Directory"}}`}},
			stdout: "" +
				"User name:       admin@contoso.com\n" +
				"Display name:    Admin\n" +
				"User ID:         u2\n" +
				"Role:            global-admin\n" +
				"Directory:       default\n" +
				"Directory name:  Default Directory\n" +
				"Server:          SERVER\n",
		},
		{
			name: "token list", args: []string{"token", "list", "--all"},
			calls: []call{{method: "GET", path: "/api/v1/tokens?all=1", answer: list(2,
				`{"id":"t1","prefix":"gh_s3c","userId":"u2","name":"cli","createdAt":"2026-11-25T10:00:00Z","lastUsedAt":"2026-11-25T12:00:00Z"}`,
				`{"id":"t2","prefix":"gh_abc","userId":"u3","name":"ci","createdAt":"2026-11-24T10:00:00Z","expiresAt":"2027-01-01T00:00:00Z"}`)}},
			stdout: "" +
				"ID  NAME  PREFIX  USER ID  CREATED               EXPIRES               LAST USED\n" +
				"t1  cli   gh_s3c  u2       2026-11-25 10:00:00Z  -                     2026-11-25 12:00:00Z\n" +
				"t2  ci    gh_abc  u3       2026-11-24 10:00:00Z  2027-01-01 00:00:00Z  -\n",
		},
		{
			name: "token revoke", args: []string{"token", "revoke", "t1", "t2"},
			calls: []call{
				{method: "DELETE", path: "/api/v1/tokens/t1", status: 204},
				{method: "DELETE", path: "/api/v1/tokens/t2", status: 204},
			},
			stdout: "Revoked token t1.\nRevoked token t2.\n",
		},
	})
}

func TestDirectory(t *testing.T) {
	contoso := `{"id":"contoso","name":"Contoso","domain":"contoso.com","requireMfa":false,` + ts + `}`
	contosoFields := "" +
		"ID:           contoso\n" +
		"Name:         Contoso\n" +
		"Domain:       contoso.com\n" +
		"Require MFA:  no\n" +
		"Created:      2026-11-25 10:00:00Z\n" +
		"Updated:      2026-11-25 11:00:00Z\n"
	runCases(t, []cliCase{
		{
			name: "list", args: []string{"directory", "list"},
			calls: []call{{method: "GET", path: "/api/v1/directories", answer: list(2,
				`{"id":"default","name":"Default Directory","requireMfa":true,`+ts+`}`, contoso)}},
			stdout: "" +
				"ID       NAME               DOMAIN       MFA  CREATED\n" +
				"default  Default Directory  -            yes  2026-11-25 10:00:00Z\n" +
				"contoso  Contoso            contoso.com  no   2026-11-25 10:00:00Z\n",
		},
		{
			name: "create", args: []string{"directory", "create", "contoso", "--name", "Contoso", "--domain", "contoso.com", "--require-mfa"},
			calls:  []call{{method: "POST", path: "/api/v1/directories", body: `{"id":"contoso","name":"Contoso","domain":"contoso.com","requireMfa":true}`, status: 201, answer: contoso}},
			stdout: "Created directory contoso.\n" + contosoFields,
		},
		{
			name: "create names the directory after its ID", args: []string{"directory", "create", "contoso"},
			calls:  []call{{method: "POST", path: "/api/v1/directories", body: `{"id":"contoso","name":"contoso"}`, status: 201, answer: contoso}},
			stdout: "Created directory contoso.\n" + contosoFields,
		},
		{
			name: "show the selected directory", args: []string{"directory", "show"}, env: map[string]string{"GATEHOUSE_DIRECTORY": "contoso"},
			calls:  []call{{method: "GET", path: "/api/v1/directories/contoso", answer: contoso}},
			stdout: contosoFields,
		},
		{
			name: "show as JSON", args: []string{"directory", "show", "contoso", "--json"},
			calls:  []call{{method: "GET", path: "/api/v1/directories/contoso", answer: contoso}},
			stdout: "{\n  \"id\": \"contoso\",\n  \"name\": \"Contoso\",\n  \"domain\": \"contoso.com\",\n  \"requireMfa\": false,\n  \"createdAt\": \"2026-11-25T10:00:00Z\",\n  \"updatedAt\": \"2026-11-25T11:00:00Z\"\n}\n",
		},
		{
			name: "update", args: []string{"directory", "update", "contoso", "--require-mfa", "--domain", ""},
			calls:  []call{{method: "PATCH", path: "/api/v1/directories/contoso", body: `{"requireMfa":true,"domain":""}`, answer: contoso}},
			stdout: contosoFields,
		},
		{
			name: "update turns MFA off", args: []string{"directory", "update", "--require-mfa=false"},
			calls:  []call{{method: "PATCH", path: "/api/v1/directories/default", body: `{"requireMfa":false}`, answer: contoso}},
			stdout: contosoFields,
		},
		{
			name: "delete", args: []string{"directory", "delete", "contoso"},
			calls:  []call{{method: "DELETE", path: "/api/v1/directories/contoso", status: 204}},
			stdout: "Deleted directory contoso and everything in it.\n",
		},
		{
			name: "delete needs the ID", args: []string{"directory", "delete"}, code: 2,
			stderr: "gatehouse directory delete: missing ID\nUsage: gatehouse directory delete ID [flags]\nRun 'gatehouse directory delete --help' for the flags.\n",
		},
	})
}

func TestUser(t *testing.T) {
	bsimonFields := "" +
		"ID:                u1\n" +
		"User name:         b.simon@contoso.com\n" +
		"Display name:      B.Simon\n" +
		"First name:        B\n" +
		"Last name:         Simon\n" +
		"Mail:              b.simon@contoso.com\n" +
		"Role:              user\n" +
		"Status:            password change required\n" +
		"Password changed:  -\n" +
		"Created:           2026-11-25 10:00:00Z\n" +
		"Updated:           2026-11-25 11:00:00Z\n"
	findBSimon := call{method: "GET", path: "/api/v1/directories/default/users?limit=1000&q=b.simon%40contoso.com", answer: list(1, userBSimon)}
	runCases(t, []cliCase{
		{
			name: "create", args: []string{"user", "create", "b.simon@contoso.com", "--first-name", "B", "--last-name", "Simon", "--mail", "b.simon@contoso.com"},
			calls: []call{{method: "POST", path: "/api/v1/directories/default/users", status: 201,
				body:   `{"userName":"b.simon@contoso.com","firstName":"B","lastName":"Simon","displayName":"B Simon","mail":"b.simon@contoso.com","role":"user"}`,
				answer: `{"user":` + userBSimon + `,"temporaryPassword":"Kq7-tmp-Pw"}`}},
			stdout: "" +
				"Created user b.simon@contoso.com.\n" +
				"User name:           b.simon@contoso.com\n" +
				"ID:                  u1\n" +
				"Temporary password:  Kq7-tmp-Pw\n" +
				"This password is shown only once. The user must change it at first sign-in.\n",
		},
		{
			name: "create an admin with flags after the name", args: []string{"user", "create", "--role", "app-admin", "admin2@contoso.com", "--display-name", "App Admin"},
			calls: []call{{method: "POST", path: "/api/v1/directories/default/users", status: 201,
				body:   `{"userName":"admin2@contoso.com","displayName":"App Admin","role":"app-admin"}`,
				answer: `{"user":` + userAdmin + `,"temporaryPassword":"x"}`}},
			stdout: "" +
				"Created user admin@contoso.com.\n" +
				"User name:           admin@contoso.com\n" +
				"ID:                  u2\n" +
				"Temporary password:  x\n" +
				"This password is shown only once. The user must change it at first sign-in.\n",
		},
		{
			name: "create as JSON", args: []string{"user", "create", "x@contoso.com", "--json"},
			calls: []call{{method: "POST", path: "/api/v1/directories/default/users", status: 201,
				body:   `{"userName":"x@contoso.com","displayName":"x@contoso.com","role":"user"}`,
				answer: `{"user":{"id":"u9","userName":"x@contoso.com"},"temporaryPassword":"pw"}`}},
			stdout: `{
  "user": {
    "id": "u9",
    "directoryId": "",
    "userName": "x@contoso.com",
    "firstName": "",
    "lastName": "",
    "displayName": "",
    "mail": "",
    "role": "",
    "disabled": false,
    "mustChangePassword": false,
    "passwordChangedAt": "0001-01-01T00:00:00Z",
    "mfaEnabled": false,
    "createdAt": "0001-01-01T00:00:00Z",
    "updatedAt": "0001-01-01T00:00:00Z"
  },
  "temporaryPassword": "pw"
}
`,
		},
		{
			name: "create fails on a field", args: []string{"user", "create", "not-an-email"},
			calls: []call{{method: "POST", path: "/api/v1/directories/default/users", status: 400,
				answer: `{"code":"invalid","message":"The user name must look like an e-mail address, such as b.simon@contoso.com; got \"not-an-email\".","field":"userName","correlationId":"c-1"}`}},
			code: 1,
			stderr: "" +
				"Error: The user name must look like an e-mail address, such as b.simon@contoso.com; got \"not-an-email\".\n" +
				"  Code:            invalid\n" +
				"  Field:           userName\n" +
				"  Correlation ID:  c-1\n",
		},
		{
			name: "create fails on a field, as JSON", args: []string{"--json", "user", "create", "not-an-email"},
			calls: []call{{method: "POST", path: "/api/v1/directories/default/users", status: 400,
				answer: `{"code":"invalid","message":"Bad user name.","field":"userName","correlationId":"c-1"}`}},
			code:   1,
			stderr: `{"status":400,"code":"invalid","message":"Bad user name.","field":"userName","correlationId":"c-1"}` + "\n",
		},
		{
			name: "list", args: []string{"user", "list", "--query", "contoso", "--role", "user", "--limit", "2"},
			calls: []call{{method: "GET", path: "/api/v1/directories/default/users?limit=2&q=contoso&role=user",
				answer: `{"items":[` + userAdmin + `,` + userBSimon + `],"total":5,"next":"Yi5zaW1vbkBjb250b3NvLmNvbQ"}`}},
			stdout: "" +
				"ID  USER NAME            DISPLAY NAME  ROLE          STATUS\n" +
				"u2  admin@contoso.com    Admin         global-admin  active\n" +
				"u1  b.simon@contoso.com  B.Simon       user          password change required\n" +
				"(2 of 5 users; the next page: --cursor Yi5zaW1vbkBjb250b3NvLmNvbQ)\n",
		},
		{
			name: "list the next page of many", args: []string{"user", "list", "--cursor", "Yi5zaW1vbkBjb250b3NvLmNvbQ", "--limit", "1"},
			calls: []call{{method: "GET", path: "/api/v1/directories/default/users?cursor=Yi5zaW1vbkBjb250b3NvLmNvbQ&limit=1",
				answer: `{"items":[` + userAdmin + `],"total":1000,"totalCapped":true,"next":"YWRtaW5AY29udG9zby5jb20"}`}},
			stdout: "" +
				"ID  USER NAME          DISPLAY NAME  ROLE          STATUS\n" +
				"u2  admin@contoso.com  Admin         global-admin  active\n" +
				"(1 of more than 1000 users; the next page: --cursor YWRtaW5AY29udG9zby5jb20)\n",
		},
		{
			name: "list nothing", args: []string{"user", "list"},
			calls:  []call{{method: "GET", path: "/api/v1/directories/default/users", answer: list(0)}},
			stdout: "No users.\n",
		},
		{
			name: "list nothing as JSON", args: []string{"user", "list", "--json"},
			calls:  []call{{method: "GET", path: "/api/v1/directories/default/users", answer: `{"items":null,"total":0}`}},
			stdout: "{\n  \"items\": [],\n  \"total\": 0,\n  \"totalCapped\": false\n}\n",
		},
		{
			name: "show by user name", args: []string{"user", "show", "b.simon@contoso.com"},
			calls: []call{findBSimon}, stdout: bsimonFields,
		},
		{
			name: "show by user name in another case", args: []string{"user", "show", "B.Simon@Contoso.com"},
			calls:  []call{{method: "GET", path: "/api/v1/directories/default/users?limit=1000&q=B.Simon%40Contoso.com", answer: list(1, userBSimon)}},
			stdout: bsimonFields,
		},
		{
			name: "show by ID", args: []string{"user", "show", "u1"},
			calls:  []call{{method: "GET", path: "/api/v1/directories/default/users/u1", answer: userBSimon}},
			stdout: bsimonFields,
		},
		{
			name: "show someone unknown", args: []string{"user", "show", "nobody@contoso.com"},
			calls:  []call{{method: "GET", path: "/api/v1/directories/default/users?limit=1000&q=nobody%40contoso.com", answer: list(0)}},
			code:   1,
			stderr: "gatehouse user show: no user is named \"nobody@contoso.com\" or has that ID in directory \"default\"\n",
		},
		{
			name: "show an unknown ID", args: []string{"user", "show", "u404"},
			calls: []call{
				{method: "GET", path: "/api/v1/directories/default/users/u404", status: 404, answer: `{"code":"not_found","message":"No such user.","correlationId":"c"}`},
				{method: "GET", path: "/api/v1/directories/default/users?limit=1000&q=u404", answer: list(0)},
			},
			code:   1,
			stderr: "gatehouse user show: no user is named \"u404\" or has that ID in directory \"default\"\n",
		},
		{
			name: "show in another directory", args: []string{"--directory", "contoso", "user", "show", "u1"},
			calls:  []call{{method: "GET", path: "/api/v1/directories/contoso/users/u1", answer: userBSimon}},
			stdout: bsimonFields,
		},
		{
			name: "update", args: []string{"user", "update", "b.simon@contoso.com", "--mail", "", "--role", "user-admin"},
			calls:  []call{findBSimon, {method: "PATCH", path: "/api/v1/directories/default/users/u1", body: `{"mail":"","role":"user-admin"}`, answer: userBSimon}},
			stdout: bsimonFields,
		},
		{
			name: "disable", args: []string{"user", "disable", "b.simon@contoso.com"},
			calls:  []call{findBSimon, {method: "PATCH", path: "/api/v1/directories/default/users/u1", body: `{"disabled":true}`, answer: userBSimon}},
			stdout: "Disabled b.simon@contoso.com: they can no longer sign in.\n",
		},
		{
			name: "enable", args: []string{"user", "enable", "u1"},
			calls: []call{
				{method: "GET", path: "/api/v1/directories/default/users/u1", answer: userBSimon},
				{method: "PATCH", path: "/api/v1/directories/default/users/u1", body: `{"disabled":false}`, answer: userBSimon},
			},
			stdout: "Enabled b.simon@contoso.com: they can sign in again.\n",
		},
		{
			name: "delete", args: []string{"user", "delete", "b.simon@contoso.com"},
			calls:  []call{findBSimon, {method: "DELETE", path: "/api/v1/directories/default/users/u1", status: 204}},
			stdout: "Deleted user b.simon@contoso.com.\n",
		},
		{
			name: "reset password", args: []string{"user", "reset-password", "b.simon@contoso.com"},
			calls: []call{findBSimon, {method: "POST", path: "/api/v1/directories/default/users/u1/reset-password",
				answer: `{"user":` + userBSimon + `,"temporaryPassword":"New-Tmp-9"}`}},
			stdout: "" +
				"User name:           b.simon@contoso.com\n" +
				"ID:                  u1\n" +
				"Temporary password:  New-Tmp-9\n" +
				"This password is shown only once. The user must change it at first sign-in.\n",
		},
		{
			name: "apps", args: []string{"user", "apps", "b.simon@contoso.com"},
			calls: []call{findBSimon, {method: "GET", path: "/api/v1/directories/default/users/u1/apps", answer: list(1, appMixpanel)}},
			stdout: "" +
				"ID  NAME      GALLERY   ENABLED  ASSIGNMENT REQUIRED  VISIBLE  IDENTIFIER\n" +
				"a1  Mixpanel  mixpanel  yes      yes                  yes      https://mixpanel.com/security/sso/v2/authorize/\n",
		},
		{
			name: "groups", args: []string{"user", "groups", "b.simon@contoso.com"},
			calls: []call{findBSimon, {method: "GET", path: "/api/v1/directories/default/users/u1/groups", answer: list(1, groupSales)}},
			stdout: "" +
				"ID  NAME   DESCRIPTION\n" +
				"g1  Sales  Sales team\n",
		},
		{
			name: "markup and escapes in names are printed harmlessly", args: []string{"user", "list"},
			calls: []call{{method: "GET", path: "/api/v1/directories/default/users", answer: list(1,
				`{"id":"u5","userName":"evil@contoso.com","displayName":"\u001b[31mred\u001b[0m\tTab","role":"user"}`)}},
			stdout: "" +
				"ID  USER NAME         DISPLAY NAME             ROLE  STATUS\n" +
				"u5  evil@contoso.com  \\x1b[31mred\\x1b[0m\\tTab  user  active\n",
		},
	})
}

func TestGroup(t *testing.T) {
	findSales := call{method: "GET", path: "/api/v1/directories/default/groups?q=Sales", answer: list(2, groupSales,
		`{"id":"g2","name":"Sales EMEA"}`)}
	findBSimon := call{method: "GET", path: "/api/v1/directories/default/users?limit=1000&q=b.simon%40contoso.com", answer: list(1, userBSimon)}
	runCases(t, []cliCase{
		{
			name: "create", args: []string{"group", "create", "Sales", "--description", "Sales team"},
			calls: []call{{method: "POST", path: "/api/v1/directories/default/groups", body: `{"name":"Sales","description":"Sales team"}`, status: 201, answer: groupSales}},
			stdout: "" +
				"Created group Sales.\n" +
				"ID:           g1\n" +
				"Name:         Sales\n" +
				"Description:  Sales team\n" +
				"Created:      2026-11-25 10:00:00Z\n" +
				"Updated:      2026-11-25 11:00:00Z\n",
		},
		{
			name: "create a duplicate", args: []string{"group", "create", "Sales"},
			calls: []call{{method: "POST", path: "/api/v1/directories/default/groups", status: 409,
				answer: `{"code":"conflict","message":"A group named \"Sales\" already exists.","field":"name","correlationId":"c-3"}`}},
			code: 1,
			stderr: "" +
				"Error: A group named \"Sales\" already exists.\n" +
				"  Code:            conflict\n" +
				"  Field:           name\n" +
				"  Correlation ID:  c-3\n",
		},
		{
			name: "add members by name and ID", args: []string{"group", "add-member", "Sales", "b.simon@contoso.com", "u2"},
			calls: []call{
				findSales,
				findBSimon,
				{method: "PUT", path: "/api/v1/directories/default/groups/g1/members/u1", status: 204},
				{method: "GET", path: "/api/v1/directories/default/users/u2", answer: userAdmin},
				{method: "PUT", path: "/api/v1/directories/default/groups/g1/members/u2", status: 204},
			},
			stdout: "Added b.simon@contoso.com to Sales.\nAdded admin@contoso.com to Sales.\n",
		},
		{
			name: "remove a member", args: []string{"group", "remove-member", "g1", "b.simon@contoso.com"},
			calls: []call{
				{method: "GET", path: "/api/v1/directories/default/groups/g1", answer: groupSales},
				findBSimon,
				{method: "DELETE", path: "/api/v1/directories/default/groups/g1/members/u1", status: 204},
			},
			stdout: "Removed b.simon@contoso.com from Sales.\n",
		},
		{
			name: "members", args: []string{"group", "members", "Sales"},
			calls: []call{findSales, {method: "GET", path: "/api/v1/directories/default/groups/g1/members", answer: list(1, userBSimon)}},
			stdout: "" +
				"ID  USER NAME            DISPLAY NAME  ROLE  STATUS\n" +
				"u1  b.simon@contoso.com  B.Simon       user  password change required\n",
		},
		{
			name: "ambiguous name", args: []string{"group", "show", "Ops"},
			calls:  []call{{method: "GET", path: "/api/v1/directories/default/groups?q=Ops", answer: list(2, `{"id":"g7","name":"ops"}`, `{"id":"g8","name":"OPS"}`)}},
			code:   1,
			stderr: "gatehouse group show: 2 groups are named \"Ops\" (IDs g7, g8); name the group by its ID\n",
		},
		{
			name: "update", args: []string{"group", "update", "Sales", "--name", "Sales DACH"},
			calls: []call{findSales, {method: "PATCH", path: "/api/v1/directories/default/groups/g1", body: `{"name":"Sales DACH"}`, answer: groupSales}},
			stdout: "" +
				"ID:           g1\n" +
				"Name:         Sales\n" +
				"Description:  Sales team\n" +
				"Created:      2026-11-25 10:00:00Z\n" +
				"Updated:      2026-11-25 11:00:00Z\n",
		},
		{
			name: "delete", args: []string{"group", "delete", "Sales"},
			calls:  []call{findSales, {method: "DELETE", path: "/api/v1/directories/default/groups/g1", status: 204}},
			stdout: "Deleted group Sales.\n",
		},
	})
}

func TestGallery(t *testing.T) {
	mixpanel := `{"id":"mixpanel","name":"Mixpanel","description":"Product analytics.","publisher":"Mixpanel","categories":["analytics"],` +
		`"parameters":[{"name":"org_id","label":"Organization ID","example":"123456","default":""}],"saml":` + samlMixpanel + `,"idpInitiated":false,"notes":"SP-initiated only."}`
	runCases(t, []cliCase{
		{
			name: "list", args: []string{"gallery", "list", "--query", "mix"},
			calls: []call{{method: "GET", path: "/api/v1/gallery?q=mix", answer: list(1, mixpanel)}},
			stdout: "" +
				"ID        NAME      PUBLISHER  CATEGORIES\n" +
				"mixpanel  Mixpanel  Mixpanel   analytics\n",
		},
		{
			name: "show", args: []string{"gallery", "show", "mixpanel"},
			calls: []call{{method: "GET", path: "/api/v1/gallery/mixpanel", answer: mixpanel}},
			stdout: "" +
				"ID:                     mixpanel\n" +
				"Name:                   Mixpanel\n" +
				"Publisher:              Mixpanel\n" +
				"Categories:             analytics\n" +
				"Description:            Product analytics.\n" +
				"IdP-initiated sign-on:  no\n" +
				"Notes:                  SP-initiated only.\n" +
				"\n" +
				"Parameters (give them to gatehouse app add with --param NAME=VALUE):\n" +
				"  NAME    LABEL            EXAMPLE  DEFAULT\n" +
				"  org_id  Organization ID  123456   -\n" +
				"\n" +
				"SAML settings of a new app:\n" +
				samlMixpanelText("  "),
		},
	})
}

// samlMixpanelText is how samlMixpanel prints.
func samlMixpanelText(indent string) string {
	lines := []string{
		"Identifier (entity ID):  https://mixpanel.com/security/sso/v2/authorize/",
		"Reply URLs (ACS):        https://sso.mixpanel.com/sso/saml2",
		"Sign-on URL:             https://mixpanel.com/security/sso/v2/authorize/?org_id=123",
		"Relay state:             -",
		"Logout URL:              -",
		"NameID format:           urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
		"NameID source:           user.userprincipalname",
		"Signing option:          assertion",
		"Signing algorithm:       sha256",
		"Claims:                  2",
		"  NAME       VALUE           NAME FORMAT",
		"  email      user.mail       -",
		"  firstName  user.givenname  -",
	}
	return indent + strings.Join(lines, "\n"+indent) + "\n"
}

func TestApp(t *testing.T) {
	getMixpanel := call{method: "GET", path: "/api/v1/directories/default/apps/a1", answer: appMixpanel}
	findMixpanel := []call{
		{method: "GET", path: "/api/v1/directories/default/apps?q=Mixpanel", answer: list(2, appMixpanel, `{"id":"a2","name":"Mixpanel staging"}`)},
	}
	appText := "" +
		"ID:                   a1\n" +
		"Name:                 Mixpanel\n" +
		"Gallery template:     mixpanel\n" +
		"Enabled for sign-in:  yes\n" +
		"Assignment required:  yes\n" +
		"Visible in My Apps:   yes\n" +
		"Notes:                -\n" +
		"Created:              2026-11-25 10:00:00Z\n" +
		"Updated:              2026-11-25 11:00:00Z\n" +
		"\n" +
		"SAML settings:\n" +
		samlMixpanelText("  ")
	runCases(t, []cliCase{
		{
			name: "add", args: []string{"app", "add", "--gallery", "mixpanel", "--param", "org_id=123", "--param", "region=eu=1"},
			calls: []call{{method: "POST", path: "/api/v1/directories/default/apps", status: 201,
				body: `{"galleryId":"mixpanel","parameters":{"org_id":"123","region":"eu=1"}}`, answer: appMixpanel}},
			stdout: "Added app Mixpanel from the mixpanel template.\n\n" + appText +
				"\nNext: check its SAML settings with 'gatehouse app saml set a1 ...', assign users with\n" +
				"'gatehouse app assign a1 --user NAME', and enter the values of 'gatehouse app setup a1' in the app.\n",
		},
		{
			name: "metadata import says what changed and suggests encryption", args: []string{"app", "metadata", "import", "a1", "--file", "-"},
			stdin: `<md:EntityDescriptor/>`,
			calls: []call{getMixpanel, {method: "POST", path: "/api/v1/directories/default/apps/a1/saml/metadata", body: `{"metadata":"<md:EntityDescriptor/>"}`,
				answer: appMixpanel[:len(appMixpanel)-1] + `,"changes":[` +
					`{"field":"requireSignedRequests","message":"Signed requests are no longer required: the SP's metadata does not say AuthnRequestsSigned=\"true\"."}],` +
					`"suggestions":[{"field":"encryptAssertions","message":"The SP publishes an encryption certificate, and assertions are not encrypted: turn on encryptAssertions to encrypt them for it."}]}`}},
			stdout: "Configured Mixpanel from its SP metadata.\n" +
				"What the metadata changed:\n" +
				"  - Signed requests are no longer required: the SP's metadata does not say AuthnRequestsSigned=\"true\".\n" +
				"The SP publishes an encryption certificate, but assertions are not encrypted. To encrypt them:\n" +
				"  gatehouse app saml set a1 --encrypt-assertions\n" +
				"\n" + appText,
		},
		{
			name: "metadata import that changes nothing", args: []string{"app", "metadata", "import", "a1", "--url", "https://sp.example.test/md"},
			calls: []call{getMixpanel, {method: "POST", path: "/api/v1/directories/default/apps/a1/saml/metadata", body: `{"url":"https://sp.example.test/md"}`,
				answer: appMixpanel[:len(appMixpanel)-1] + `,"changes":[]}`}},
			stdout: "Configured Mixpanel from its SP metadata.\n" +
				"The metadata changed nothing: the settings were already what it describes.\n" +
				"\n" + appText,
		},
		{
			name: "add without a parameter", args: []string{"app", "add", "--gallery", "mixpanel"},
			calls: []call{{method: "POST", path: "/api/v1/directories/default/apps", status: 201,
				body: `{"galleryId":"mixpanel"}`, answer: appMixpanel[:len(appMixpanel)-1] + `,"missingSettings":["signOnUrl"]}`}},
			stdout: "Added app Mixpanel from the mixpanel template.\n\n" + appText +
				"\nStill to fill in (the template's parameters for them were not given): signOnUrl\n" +
				"\nNext: check its SAML settings with 'gatehouse app saml set a1 ...', assign users with\n" +
				"'gatehouse app assign a1 --user NAME', and enter the values of 'gatehouse app setup a1' in the app.\n",
		},
		{
			name: "add with a name, as JSON", args: []string{"app", "add", "--gallery", "custom", "--name", "Demo", "--json"},
			calls: []call{{method: "POST", path: "/api/v1/directories/default/apps", status: 201,
				body: `{"galleryId":"custom","name":"Demo"}`, answer: `{"id":"a3","name":"Demo","galleryId":"custom"}`}},
			stdout: `{
  "id": "a3",
  "directoryId": "",
  "name": "Demo",
  "galleryId": "custom",
  "enabled": false,
  "assignmentRequired": false,
  "visible": false,
  "notes": "",
  "saml": {
    "entityId": "",
    "replyUrls": null,
    "signOnUrl": "",
    "relayState": "",
    "logoutUrl": "",
    "nameIdFormat": "",
    "nameIdSource": "",
    "claims": null,
    "signingOption": "",
    "signingAlgorithm": "",
    "requireSignedRequests": false,
    "allowSha1Requests": false,
    "encryptAssertions": false
  },
  "createdAt": "0001-01-01T00:00:00Z",
  "updatedAt": "0001-01-01T00:00:00Z"
}
`,
		},
		{
			name: "add from an unknown template", args: []string{"app", "add", "--gallery", "nope"},
			calls: []call{{method: "POST", path: "/api/v1/directories/default/apps", status: 404,
				answer: `{"code":"not_found","message":"The gallery has no template \"nope\".","field":"galleryId","correlationId":"c-5"}`}},
			code: 1,
			stderr: "" +
				"Error: The gallery has no template \"nope\".\n" +
				"  Code:            not_found\n" +
				"  Field:           galleryId\n" +
				"  Correlation ID:  c-5\n",
		},
		{
			name: "list", args: []string{"app", "list"},
			calls: []call{{method: "GET", path: "/api/v1/directories/default/apps", answer: list(1, appMixpanel)}},
			stdout: "" +
				"ID  NAME      GALLERY   ENABLED  ASSIGNMENT REQUIRED  VISIBLE  IDENTIFIER\n" +
				"a1  Mixpanel  mixpanel  yes      yes                  yes      https://mixpanel.com/security/sso/v2/authorize/\n",
		},
		{
			name: "show by name", args: []string{"app", "show", "Mixpanel"},
			calls: findMixpanel, stdout: appText,
		},
		{
			name: "show an ambiguous name", args: []string{"app", "show", "Twin"},
			calls: []call{
				{method: "GET", path: "/api/v1/directories/default/apps?q=Twin", answer: list(2, `{"id":"a5","name":"Twin"}`, `{"id":"a6","name":"Twin"}`)},
			},
			code:   1,
			stderr: "gatehouse app show: 2 apps are named \"Twin\" (IDs a5, a6); name the app by its ID\n",
		},
		{
			name: "show when forbidden", args: []string{"app", "show", "a1"},
			calls: []call{{method: "GET", path: "/api/v1/directories/default/apps/a1", status: 403,
				answer: `{"code":"forbidden","message":"Only app admins may see apps.","correlationId":"c-6"}`}},
			code: 1,
			stderr: "" +
				"Error: Only app admins may see apps.\n" +
				"  Code:            forbidden\n" +
				"  Correlation ID:  c-6\n",
		},
		{
			name: "update", args: []string{"app", "update", "a1", "--assignment-required=false", "--visible=false", "--notes", "Pilot"},
			calls: []call{getMixpanel, {method: "PATCH", path: "/api/v1/directories/default/apps/a1",
				body: `{"assignmentRequired":false,"visible":false,"notes":"Pilot"}`, answer: appMixpanel}},
			stdout: appText,
		},
		{
			name: "delete", args: []string{"app", "delete", "a1"},
			calls:  []call{getMixpanel, {method: "DELETE", path: "/api/v1/directories/default/apps/a1", status: 204}},
			stdout: "Deleted app Mixpanel (a1).\n",
		},
		{
			name: "saml show", args: []string{"app", "saml", "show", "a1"},
			calls:  []call{getMixpanel, {method: "GET", path: "/api/v1/directories/default/apps/a1/saml", answer: samlMixpanel}},
			stdout: samlMixpanelText(""),
		},
		{
			name: "saml set everything", args: []string{"app", "saml", "set", "a1",
				"--identifier", "urn:demo", "--reply-url", "https://a.example/acs", "--reply-url", "https://b.example/acs",
				"--sign-on-url", "https://a.example/", "--relay-state", "/home", "--logout-url", "https://a.example/logout",
				"--nameid-format", "persistent", "--nameid-source", "objectid", "--signing-option", "both", "--signing-algorithm", "sha1"},
			calls: []call{getMixpanel, {method: "PATCH", path: "/api/v1/directories/default/apps/a1/saml", body: `{
				"entityId":"urn:demo","replyUrls":["https://a.example/acs","https://b.example/acs"],"signOnUrl":"https://a.example/",
				"relayState":"/home","logoutUrl":"https://a.example/logout",
				"nameIdFormat":"urn:oasis:names:tc:SAML:2.0:nameid-format:persistent","nameIdSource":"user.objectid",
				"signingOption":"both","signingAlgorithm":"sha1"}`, answer: samlMixpanel}},
			stdout: "Saved the SAML settings of Mixpanel.\n\n" + samlMixpanelText(""),
		},
		{
			name: "saml set adds and removes reply URLs", args: []string{"app", "saml", "set", "Mixpanel",
				"--add-reply-url", "https://eu.mixpanel.com/sso/saml2", "--remove-reply-url", "https://sso.mixpanel.com/sso/saml2", "--json"},
			calls: append(findMixpanel[:1:1], call{method: "PATCH", path: "/api/v1/directories/default/apps/a1/saml",
				body:   `{"addReplyUrls":["https://eu.mixpanel.com/sso/saml2"],"removeReplyUrls":["https://sso.mixpanel.com/sso/saml2"]}`,
				answer: `{"replyUrls":["https://eu.mixpanel.com/sso/saml2"]}`}),
			stdout: `{
  "entityId": "",
  "replyUrls": [
    "https://eu.mixpanel.com/sso/saml2"
  ],
  "signOnUrl": "",
  "relayState": "",
  "logoutUrl": "",
  "nameIdFormat": "",
  "nameIdSource": "",
  "claims": null,
  "signingOption": "",
  "signingAlgorithm": "",
  "requireSignedRequests": false,
  "allowSha1Requests": false,
  "encryptAssertions": false
}
`,
		},
		{
			name: "saml set signing key type", args: []string{"app", "saml", "set", "a1", "--signing-key-type", "ecdsa-p256"},
			calls: []call{getMixpanel, {method: "PATCH", path: "/api/v1/directories/default/apps/a1/saml", body: `{"signingKeyType":"ecdsa-p256"}`,
				answer: strings.Replace(samlMixpanel, `"signingAlgorithm":"sha256"`, `"signingAlgorithm":"sha256","signingKeyType":"ecdsa-p256"`, 1)}},
			stdout: "Saved the SAML settings of Mixpanel.\n\n" + strings.Replace(samlMixpanelText(""), "Signing algorithm:       sha256\n",
				"Signing algorithm:       sha256\nSigning key type:        ecdsa-p256\n", 1),
		},
		{
			name: "saml set bad signing key type", args: []string{"app", "saml", "set", "a1", "--signing-key-type", "dsa"},
			calls: []call{getMixpanel, {method: "PATCH", path: "/api/v1/directories/default/apps/a1/saml", body: `{"signingKeyType":"dsa"}`,
				status: 400, answer: `{"code":"invalid","message":"Signing key type \"dsa\" is unknown; choose rsa-2048 or ecdsa-p256.","field":"signingKeyType","correlationId":"c-4"}`}},
			code: 1,
			stderr: "" +
				"Error: Signing key type \"dsa\" is unknown; choose rsa-2048 or ecdsa-p256.\n" +
				"  Code:            invalid\n" +
				"  Field:           signingKeyType\n" +
				"  Correlation ID:  c-4\n",
		},
		{
			name: "saml set removes the last reply URL", args: []string{"app", "saml", "set", "a1", "--remove-reply-url", "https://sso.mixpanel.com/sso/saml2"},
			calls: []call{getMixpanel, {method: "PATCH", path: "/api/v1/directories/default/apps/a1/saml",
				body: `{"removeReplyUrls":["https://sso.mixpanel.com/sso/saml2"]}`, answer: samlMixpanel}},
			stdout: "Saved the SAML settings of Mixpanel.\n\n" + samlMixpanelText(""),
		},
		{
			name: "saml set removes an unknown reply URL", args: []string{"app", "saml", "set", "a1", "--remove-reply-url", "https://nowhere/"},
			calls: []call{getMixpanel, {method: "PATCH", path: "/api/v1/directories/default/apps/a1/saml", body: `{"removeReplyUrls":["https://nowhere/"]}`,
				status: 400, answer: `{"code":"invalid","message":"\"https://nowhere/\" is not a reply URL of the app.","field":"removeReplyUrls","correlationId":"c-3"}`}},
			code: 1,
			stderr: "" +
				"Error: \"https://nowhere/\" is not a reply URL of the app.\n" +
				"  Code:            invalid\n" +
				"  Field:           removeReplyUrls\n" +
				"  Correlation ID:  c-3\n",
		},
		{
			name: "saml set rejected", args: []string{"app", "saml", "set", "a1", "--reply-url", "javascript:alert(1)"},
			calls: []call{getMixpanel, {method: "PATCH", path: "/api/v1/directories/default/apps/a1/saml", body: `{"replyUrls":["javascript:alert(1)"]}`,
				status: 400, answer: `{"code":"invalid","message":"Reply URL \"javascript:alert(1)\" must be an absolute http or https URL.","field":"replyUrls","correlationId":"c-2"}`}},
			code: 1,
			stderr: "" +
				"Error: Reply URL \"javascript:alert(1)\" must be an absolute http or https URL.\n" +
				"  Code:            invalid\n" +
				"  Field:           replyUrls\n" +
				"  Correlation ID:  c-2\n",
		},
		{
			name: "saml set without changes", args: []string{"app", "saml", "set", "a1"}, code: 2,
			stderr: "gatehouse app saml set: nothing to change: give at least one flag (see --help)\nUsage: gatehouse app saml set APP [flags]\nRun 'gatehouse app saml set --help' for the flags.\n",
		},
		{
			name: "claim list", args: []string{"app", "claim", "list", "a1"},
			calls: []call{getMixpanel, {method: "GET", path: "/api/v1/directories/default/apps/a1/saml", answer: samlMixpanel}},
			stdout: "" +
				"NameID: urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress from user.userprincipalname\n" +
				"\n" +
				"NAME       VALUE           NAME FORMAT\n" +
				"email      user.mail       -\n" +
				"firstName  user.givenname  -\n",
		},
		{
			name: "claim set adds", args: []string{"app", "claim", "set", "a1", "lastName", "--source", "surname", "--name-format", "basic"},
			calls: []call{getMixpanel,
				{method: "PATCH", path: "/api/v1/directories/default/apps/a1/saml",
					body:   `{"setClaims":[{"name":"lastName","source":"user.surname","nameFormat":"urn:oasis:names:tc:SAML:2.0:attrname-format:basic"}]}`,
					answer: `{"claims":[{"name":"email","source":"user.mail"},{"name":"lastName","source":"user.surname","nameFormat":"urn:oasis:names:tc:SAML:2.0:attrname-format:basic"}]}`}},
			stdout: "" +
				"Saved claim lastName of Mixpanel.\n" +
				"\n" +
				"NAME      VALUE         NAME FORMAT\n" +
				"email     user.mail     -\n" +
				"lastName  user.surname  urn:oasis:names:tc:SAML:2.0:attrname-format:basic\n",
		},
		{
			name: "claim set replaces with a constant", args: []string{"app", "claim", "set", "a1", "email", "--value", "team@contoso.com", "--json"},
			calls: []call{getMixpanel,
				{method: "PATCH", path: "/api/v1/directories/default/apps/a1/saml", body: `{"setClaims":[{"name":"email","value":"team@contoso.com"}]}`,
					answer: `{"claims":[{"name":"email","value":"team@contoso.com"}]}`}},
			stdout: "{\n  \"items\": [\n    {\n      \"name\": \"email\",\n      \"value\": \"team@contoso.com\"\n    }\n  ],\n  \"total\": 1\n}\n",
		},
		{
			name: "claim remove", args: []string{"app", "claim", "remove", "a1", "firstName"},
			calls: []call{getMixpanel,
				{method: "PATCH", path: "/api/v1/directories/default/apps/a1/saml", body: `{"removeClaims":["firstName"]}`, answer: samlMixpanel}},
			stdout: "Removed claim firstName from Mixpanel.\n",
		},
		{
			name: "claim remove unknown", args: []string{"app", "claim", "remove", "a1", "phone"},
			calls: []call{getMixpanel, {method: "PATCH", path: "/api/v1/directories/default/apps/a1/saml", body: `{"removeClaims":["phone"]}`,
				status: 400, answer: `{"code":"invalid","message":"The app has no claim named \"phone\".","field":"removeClaims","correlationId":"c-4"}`}},
			code: 1,
			stderr: "" +
				"Error: The app has no claim named \"phone\".\n" +
				"  Code:            invalid\n" +
				"  Field:           removeClaims\n" +
				"  Correlation ID:  c-4\n",
		},
		{
			name: "setup", args: []string{"app", "setup", "a1"},
			calls: []call{getMixpanel, {method: "GET", path: "/api/v1/directories/default/apps/a1/setup", answer: `{
				"loginUrl":"http://127.0.0.1:8080/d/default/saml2","identifier":"http://127.0.0.1:8080/d/default",
				"logoutUrl":"http://127.0.0.1:8080/d/default/saml2",
				"metadataUrl":"http://127.0.0.1:8080/d/default/federationmetadata/2007-06/federationmetadata.xml?appid=a1",
				"userAccessUrl":"http://127.0.0.1:8080/d/default/apps/a1/signin",
				"certificate":{"id":"c1","thumbprint":"0A1B2C","notAfter":"2029-11-25T10:00:00Z","active":true}}`}},
			stdout: "" +
				"Set up Mixpanel: enter these values in the app's single sign-on settings.\n" +
				"\n" +
				"Login URL:                    http://127.0.0.1:8080/d/default/saml2\n" +
				"Identifier:                   http://127.0.0.1:8080/d/default\n" +
				"Logout URL:                   http://127.0.0.1:8080/d/default/saml2\n" +
				"App federation metadata URL:  http://127.0.0.1:8080/d/default/federationmetadata/2007-06/federationmetadata.xml?appid=a1\n" +
				"User access URL:              http://127.0.0.1:8080/d/default/apps/a1/signin\n" +
				"Certificate thumbprint:       0A1B2C\n" +
				"Certificate expires:          2029-11-25 10:00:00Z\n" +
				"\n" +
				"Download the certificate with 'gatehouse app cert download a1 --format base64 --out FILE'.\n",
		},
		{
			name: "cert list", args: []string{"app", "cert", "list", "a1"},
			calls: []call{getMixpanel, {method: "GET", path: "/api/v1/directories/default/apps/a1/certificates", answer: list(2,
				`{"id":"c2","thumbprint":"FFEE","notBefore":"2026-11-25T10:00:00Z","notAfter":"2029-11-25T10:00:00Z","active":false,"keyType":"ecdsa-p256"}`,
				`{"id":"c1","thumbprint":"0A1B2C","notBefore":"2026-01-01T00:00:00Z","notAfter":"2029-01-01T00:00:00Z","active":true,"keyType":"rsa-2048"}`)}},
			stdout: "" +
				"ID  STATUS  KEY         THUMBPRINT  VALID FROM            EXPIRES\n" +
				"c2  next    ecdsa-p256  FFEE        2026-11-25 10:00:00Z  2029-11-25 10:00:00Z\n" +
				"c1  active  rsa-2048    0A1B2C      2026-01-01 00:00:00Z  2029-01-01 00:00:00Z\n",
		},
		{
			name: "cert download to stdout", args: []string{"app", "cert", "download", "a1"},
			calls: []call{getMixpanel, {method: "GET", path: "/api/v1/directories/default/apps/a1/certificates/active/download?format=base64",
				header: map[string]string{"Content-Type": "application/x-x509-ca-cert", "Content-Disposition": `attachment; filename="Mixpanel.cer"`},
				answer: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"}},
			stdout: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
		},
		{
			name: "raw cert download to a pipe", args: []string{"app", "cert", "download", "a1", "--format", "raw", "--cert", "c2"},
			calls: []call{getMixpanel, {method: "GET", path: "/api/v1/directories/default/apps/a1/certificates/c2/download?format=raw",
				header: map[string]string{"Content-Type": "application/x-x509-ca-cert"}, answer: "\x30\x82\x01\x0a"}},
			stdout: "\x30\x82\x01\x0a",
		},
		{
			name: "raw cert download to a terminal", args: []string{"app", "cert", "download", "a1", "--format", "raw"}, terminal: true,
			code:   2,
			stderr: "gatehouse app cert download: refusing to write a binary DER certificate to the terminal: give --out FILE or redirect the output\nUsage: gatehouse app cert download APP [flags]\nRun 'gatehouse app cert download --help' for the flags.\n",
		},
		{
			name: "base64 cert download to a terminal", args: []string{"app", "cert", "download", "a1", "--format", "base64"}, terminal: true,
			calls:  []call{getMixpanel, {method: "GET", path: "/api/v1/directories/default/apps/a1/certificates/active/download?format=base64", answer: "PEM\n"}},
			stdout: "PEM\n",
		},
		{
			name: "cert download of a missing certificate", args: []string{"app", "cert", "download", "a1", "--cert", "c9"},
			calls: []call{getMixpanel, {method: "GET", path: "/api/v1/directories/default/apps/a1/certificates/c9/download?format=base64",
				status: 404, answer: `{"code":"not_found","message":"No such certificate.","correlationId":"c-4"}`}},
			code:   1,
			stderr: "Error: No such certificate.\n  Code:            not_found\n  Correlation ID:  c-4\n",
		},
	})
}

func TestCertDownloadToFile(t *testing.T) {
	dir := t.TempDir()
	getMixpanel := call{method: "GET", path: "/api/v1/directories/default/apps/a1", answer: appMixpanel}
	metadata := `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata"/>`
	file := filepath.Join(dir, "idp.xml")
	runCase(t, cliCase{
		args: []string{"app", "cert", "download", "a1", "--format", "metadata", "--out", file},
		calls: []call{getMixpanel, {method: "GET", path: "/api/v1/directories/default/apps/a1/certificates/active/download?format=metadata",
			header: map[string]string{"Content-Disposition": `attachment; filename="Mixpanel.xml"`}, answer: metadata}},
		stderr: "Wrote " + file + " (" + itoa(len(metadata)) + " bytes).\n",
	})
	if b, err := os.ReadFile(file); err != nil || string(b) != metadata {
		t.Errorf("file holds %q, %v", b, err)
	}
	// Into a directory, under the server's file name without its path.
	runCase(t, cliCase{
		args: []string{"app", "cert", "download", "a1", "--format", "pem", "--out", dir},
		calls: []call{getMixpanel, {method: "GET", path: "/api/v1/directories/default/apps/a1/certificates/active/download?format=pem",
			header: map[string]string{"Content-Disposition": `attachment; filename="../../Mixpanel.pem"`}, answer: "PEM"}},
		stderr: "Wrote " + filepath.Join(dir, "Mixpanel.pem") + " (3 bytes).\n",
	})
	if b, err := os.ReadFile(filepath.Join(dir, "Mixpanel.pem")); err != nil || string(b) != "PEM" {
		t.Errorf("file holds %q, %v", b, err)
	}
}

func TestAssignments(t *testing.T) {
	getMixpanel := call{method: "GET", path: "/api/v1/directories/default/apps/a1", answer: appMixpanel}
	findBSimon := call{method: "GET", path: "/api/v1/directories/default/users?limit=1000&q=b.simon%40contoso.com", answer: list(1, userBSimon)}
	findSales := call{method: "GET", path: "/api/v1/directories/default/groups?q=Sales", answer: list(1, groupSales)}
	assignments := list(2,
		`{"id":"s1","appId":"a1","principalType":"user","principalId":"u1","createdAt":"2026-11-25T10:00:00Z"}`,
		`{"id":"s2","appId":"a1","principalType":"group","principalId":"g1","createdAt":"2026-11-25T10:05:00Z"}`)
	runCases(t, []cliCase{
		{
			name: "assign a user and a group", args: []string{"app", "assign", "a1", "--user", "b.simon@contoso.com", "--group", "Sales"},
			calls: []call{getMixpanel, findBSimon, findSales,
				{method: "POST", path: "/api/v1/directories/default/apps/a1/assignments", body: `{"principalType":"user","principalId":"u1"}`, status: 201, answer: `{"id":"s1"}`},
				{method: "POST", path: "/api/v1/directories/default/apps/a1/assignments", body: `{"principalType":"group","principalId":"g1"}`, status: 201, answer: `{"id":"s2"}`},
			},
			stdout: "Assigned user b.simon@contoso.com to Mixpanel.\nAssigned group Sales to Mixpanel.\n",
		},
		{
			name: "assign twice", args: []string{"app", "assign", "a1", "--user", "b.simon@contoso.com"},
			calls: []call{getMixpanel, findBSimon,
				{method: "POST", path: "/api/v1/directories/default/apps/a1/assignments", status: 409,
					answer: `{"code":"conflict","message":"b.simon@contoso.com is already assigned to Mixpanel.","correlationId":"c-9"}`},
			},
			code:   1,
			stderr: "Error: b.simon@contoso.com is already assigned to Mixpanel.\n  Code:            conflict\n  Correlation ID:  c-9\n",
		},
		{
			name: "assign an unknown user", args: []string{"app", "assign", "a1", "--user", "ghost@contoso.com"},
			calls: []call{getMixpanel, {method: "GET", path: "/api/v1/directories/default/users?limit=1000&q=ghost%40contoso.com",
				answer: list(1, `{"id":"u7","userName":"ghost@contoso.com.evil"}`)}},
			code:   1,
			stderr: "gatehouse app assign: no user is named \"ghost@contoso.com\" or has that ID in directory \"default\"\n",
		},
		{
			name: "unassign", args: []string{"app", "unassign", "a1", "--group", "Sales"},
			calls: []call{getMixpanel, findSales,
				{method: "GET", path: "/api/v1/directories/default/apps/a1/assignments", answer: assignments},
				{method: "DELETE", path: "/api/v1/directories/default/apps/a1/assignments/s2", status: 204},
			},
			stdout: "Unassigned group Sales from Mixpanel.\n",
		},
		{
			name: "unassign someone not assigned", args: []string{"app", "unassign", "a1", "--user", "u2"},
			calls: []call{getMixpanel, {method: "GET", path: "/api/v1/directories/default/users/u2", answer: userAdmin},
				{method: "GET", path: "/api/v1/directories/default/apps/a1/assignments", answer: assignments},
			},
			code:   1,
			stderr: "gatehouse app unassign: user \"admin@contoso.com\" is not assigned to Mixpanel\n",
		},
		{
			name: "list with names", args: []string{"app", "assignments", "a1"},
			calls: []call{getMixpanel,
				{method: "GET", path: "/api/v1/directories/default/apps/a1/assignments", answer: assignments},
				{method: "GET", path: "/api/v1/directories/default/users/u1", answer: userBSimon},
				{method: "GET", path: "/api/v1/directories/default/groups/g1", answer: groupSales},
			},
			stdout: "" +
				"ID  TYPE   NAME                 PRINCIPAL ID  ASSIGNED\n" +
				"s1  user   b.simon@contoso.com  u1            2026-11-25 10:00:00Z\n" +
				"s2  group  Sales                g1            2026-11-25 10:05:00Z\n",
		},
	})
}

func TestLogs(t *testing.T) {
	findBSimon := call{method: "GET", path: "/api/v1/directories/default/users?limit=1000&q=b.simon%40contoso.com", answer: list(1, userBSimon)}
	event := `{"id":"e1","time":"2026-11-25T12:00:00Z","userId":"u1","userName":"b.simon@contoso.com","appId":"a1","appName":"Mixpanel",` +
		`"result":"failure","code":"not_assigned","reason":"The user is not assigned to the app.","hint":"Assign b.simon@contoso.com to Mixpanel under Users and groups.",` +
		`"setting":"app.users","correlationId":"corr-1","clientAddr":"127.0.0.1"}`
	runCases(t, []cliCase{
		{
			name: "sign-ins of a user to an app", args: []string{"signins", "list", "--user", "b.simon@contoso.com", "--app", "a1", "--result", "failure", "--limit", "5"},
			calls: []call{findBSimon,
				{method: "GET", path: "/api/v1/directories/default/apps/a1", answer: appMixpanel},
				{method: "GET", path: "/api/v1/directories/default/sign-ins?app=a1&limit=5&result=failure&user=u1", answer: list(1, event)}},
			stdout: "" +
				"TIME                  USER                 APP       RESULT   CODE          REASON                                CORRELATION ID\n" +
				"2026-11-25 12:00:00Z  b.simon@contoso.com  Mixpanel  failure  not_assigned  The user is not assigned to the app.  corr-1\n",
		},
		{
			name: "sign-ins of a deleted app by ID", args: []string{"signins", "list", "--app", "gone", "--user", "u9"},
			calls: []call{
				{method: "GET", path: "/api/v1/directories/default/apps/gone", status: 404, answer: `{"code":"not_found","message":"No such app."}`},
				{method: "GET", path: "/api/v1/directories/default/apps?q=gone", answer: list(0)},
				{method: "GET", path: "/api/v1/directories/default/sign-ins?app=gone&user=u9", answer: list(0)}},
			stdout: "No sign-ins.\n",
		},
		{
			name: "show a sign-in", args: []string{"signins", "show", "e1"},
			calls: []call{{method: "GET", path: "/api/v1/directories/default/sign-ins/e1", answer: event}},
			stdout: "" +
				"ID:              e1\n" +
				"Time:            2026-11-25 12:00:00Z\n" +
				"User:            b.simon@contoso.com\n" +
				"User ID:         u1\n" +
				"App:             Mixpanel\n" +
				"App ID:          a1\n" +
				"Result:          failure\n" +
				"Code:            not_assigned\n" +
				"Reason:          The user is not assigned to the app.\n" +
				"How to fix:      Assign b.simon@contoso.com to Mixpanel under Users and groups.\n" +
				"Correlation ID:  corr-1\n" +
				"Client address:  127.0.0.1\n",
		},
		{
			name: "audit", args: []string{"audit", "list", "--actor", "u2", "--target-type", "app", "--target-id", "a1", "--offset", "10"},
			calls: []call{{method: "GET", path: "/api/v1/directories/default/audit?actor=u2&offset=10&targetId=a1&targetType=app", answer: list(11,
				`{"id":"v1","time":"2026-11-25T10:00:00Z","actorId":"u2","actorName":"admin@contoso.com","action":"app.create","targetType":"app","targetId":"a1","after":"{}","correlationId":"corr-2"}`)}},
			stdout: "" +
				"TIME                  ACTOR              ACTION      TARGET TYPE  TARGET ID  CORRELATION ID\n" +
				"2026-11-25 10:00:00Z  admin@contoso.com  app.create  app          a1         corr-2\n" +
				"(1 of 11 audit events; use --offset and --limit for more)\n",
		},
	})
}

func TestServerErrors(t *testing.T) {
	runCases(t, []cliCase{
		{
			name: "HTML from a proxy", args: []string{"app", "list"},
			calls: []call{{method: "GET", path: "/api/v1/directories/default/apps", status: 502,
				header: map[string]string{"Content-Type": "text/html"}, answer: "<html>Bad Gateway</html>"}},
			code:   1,
			stderr: "Error: Bad Gateway\n  Code:            HTTP 502\n  Correlation ID:  corr-42\n",
		},
		{
			name: "no token", args: []string{"app", "list"}, env: map[string]string{"GATEHOUSE_TOKEN": ""},
			calls: []call{{method: "GET", path: "/api/v1/directories/default/apps", noAuth: true, status: 401,
				answer: `{"code":"unauthorized","message":"Sign in with an API token.","correlationId":"c-0"}`}},
			code: 1,
			stderr: "" +
				"Error: Sign in with an API token.\n" +
				"  Code:            unauthorized\n" +
				"  Correlation ID:  c-0\n" +
				"No API token was given: run 'gatehouse login --user NAME --export' and set GATEHOUSE_TOKEN, or pass --token.\n",
		},
		{
			name: "token from the flag wins", args: []string{"app", "list", "--token", "tok"}, env: map[string]string{"GATEHOUSE_TOKEN": "other"},
			calls:  []call{{method: "GET", path: "/api/v1/directories/default/apps", answer: list(0)}},
			stdout: "No apps.\n",
		},
		{
			name: "answer that is not JSON", args: []string{"app", "list"},
			calls:  []call{{method: "GET", path: "/api/v1/directories/default/apps", answer: "not json"}},
			code:   1,
			stderr: "gatehouse app list: apiclient: GET SERVER/api/v1/directories/default/apps: decode response (HTTP 200, correlation ID \"corr-42\"): invalid character 'o' in literal null (expecting 'u')\n",
		},
	})
}

// TestNetworkError checks the message when no server listens at --server.
func TestNetworkError(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"--server", url, "user", "list"}, system{stdin: strings.NewReader(""),
		stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }, hc: http.DefaultClient, isTerminal: isTerminal})
	if code != 1 {
		t.Errorf("exit code %d, want 1", code)
	}
	want := "gatehouse user list: cannot reach the Gatehouse server at " + url + ": "
	if !strings.HasPrefix(stderr.String(), want) || !strings.Contains(stderr.String(), "Is it running?") {
		t.Errorf("stderr %q does not start with %q", stderr.String(), want)
	}
}
