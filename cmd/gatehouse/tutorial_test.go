package main

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestTutorialAgainstServer runs the founding tutorial with the CLI against the real server (runServe on a
// loopback port with a fresh SQLite data directory): no fakes anywhere.
func TestTutorialAgainstServer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server; skipped in -short")
	}
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	server := "http://" + addr

	ctx, cancel := context.WithCancel(context.Background())
	serveErr := make(chan error, 1)
	var serveLog bytes.Buffer
	go func() {
		serveErr <- runServe(ctx, []string{"--addr", addr, "--data", filepath.Join(dir, "data"), "--database-url", "",
			"--admin-user", "admin@contoso.com", "--admin-password", "Correct-Horse-Battery-9",
			"--log-level", "error", "--rate-limit", "0"}, io.Discard, &serveLog)
	}()
	defer func() {
		cancel()
		if err := <-serveErr; err != nil {
			t.Errorf("serve: %v\n%s", err, serveLog.String())
		}
	}()
	ready := false
	for range 400 {
		if resp, err := http.Get(server + "/healthz"); err == nil {
			resp.Body.Close()
			ready = resp.StatusCode == http.StatusOK
			break
		}
		select {
		case err := <-serveErr:
			t.Fatalf("serve stopped: %v\n%s", err, serveLog.String())
		case <-time.After(25 * time.Millisecond):
		}
	}
	if !ready {
		t.Fatalf("the server did not come up\n%s", serveLog.String())
	}

	token := ""
	// gh runs the CLI and returns its exit code and output; want is the exit code it must have.
	gh := func(want int, stdin string, args ...string) (string, string) {
		t.Helper()
		var stdout, stderr bytes.Buffer
		env := map[string]string{"GATEHOUSE_SERVER": server, "GATEHOUSE_TOKEN": token}
		code := run(ctx, args, system{stdin: strings.NewReader(stdin), stdout: &stdout, stderr: &stderr,
			getenv: func(k string) string { return env[k] }, hc: http.DefaultClient, isTerminal: func(any) bool { return false }})
		if code != want {
			t.Fatalf("gatehouse %s: exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, want, stdout.String(), stderr.String())
		}
		return stdout.String(), stderr.String()
	}
	mustContain := func(out string, parts ...string) {
		t.Helper()
		for _, p := range parts {
			if !strings.Contains(out, p) {
				t.Errorf("output lacks %q:\n%s", p, out)
			}
		}
	}

	out, _ := gh(0, "Correct-Horse-Battery-9\n", "login", "--user", "admin@contoso.com", "--password-stdin", "--export")
	token = strings.TrimPrefix(strings.TrimSpace(out), "export GATEHOUSE_TOKEN=")
	if !strings.HasPrefix(out, "export GATEHOUSE_TOKEN=") || token == "" {
		t.Fatalf("login printed %q", out)
	}
	out, _ = gh(0, "", "whoami")
	mustContain(out, "admin@contoso.com", "global-admin")

	// 1. The test user, with a temporary password shown once.
	out, _ = gh(0, "", "user", "create", "b.simon@contoso.com", "--first-name", "B", "--last-name", "Simon",
		"--display-name", "B.Simon", "--mail", "b.simon@contoso.com")
	mustContain(out, "Temporary password:", "must change it at first sign-in")
	temporary := ""
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(line, "Temporary password:"); ok {
			temporary = strings.TrimSpace(v)
		}
	}
	_, errOut := gh(1, "", "user", "create", "b.simon@contoso.com")
	mustContain(errOut, "Code:            conflict", "Correlation ID:")

	// 2. Mixpanel from the gallery.
	out, _ = gh(0, "", "gallery", "list", "--query", "mix")
	mustContain(out, "mixpanel")
	out, _ = gh(0, "", "app", "add", "--gallery", "mixpanel", "--param", "org_id=123456", "--json")
	var app struct{ ID, Name string }
	if err := json.Unmarshal([]byte(out), &app); err != nil || app.ID == "" || app.Name != "Mixpanel" {
		t.Fatalf("app add --json printed %q (%v)", out, err)
	}

	// 3. Single sign-on settings, by the app's name.
	out, _ = gh(0, "", "app", "saml", "set", "Mixpanel", "--relay-state", "https://mixpanel.com/report",
		"--add-reply-url", "https://eu.mixpanel.com/sso/saml2")
	mustContain(out, "https://mixpanel.com/report", "https://sso.mixpanel.com/sso/saml2 (default)", "https://eu.mixpanel.com/sso/saml2")
	_, errOut = gh(1, "", "app", "saml", "set", "Mixpanel", "--reply-url", "javascript:alert(1)")
	mustContain(errOut, "Code:            invalid", "Field:           replyUrls", "Correlation ID:")
	// Protocol options: a logout binding and SHA-1 requests on, then off again; signed requests need the SP's
	// certificate first; a garbage certificate is refused.
	out, _ = gh(0, "", "--json", "app", "saml", "set", "Mixpanel", "--logout-binding", "post", "--allow-sha1-requests")
	mustContain(out, `"allowSha1Requests": true`, `"logoutBinding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"`)
	out, _ = gh(0, "", "--json", "app", "saml", "set", "Mixpanel", "--allow-sha1-requests=false")
	mustContain(out, `"allowSha1Requests": false`)
	_, errOut = gh(1, "", "app", "saml", "set", "Mixpanel", "--require-signed-requests")
	mustContain(errOut, "requireSignedRequests", "signing certificate")
	garbage := filepath.Join(t.TempDir(), "sp.pem")
	if err := os.WriteFile(garbage, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, errOut = gh(1, "", "app", "saml", "set", "Mixpanel", "--encryption-certificate", garbage)
	mustContain(errOut, "sp.pem: This is not a readable X.509 certificate")
	gh(0, "", "app", "claim", "set", "Mixpanel", "department", "--value", "Sales")
	out, _ = gh(0, "", "app", "claim", "list", "Mixpanel")
	mustContain(out, "email", "department")
	gh(0, "", "app", "claim", "remove", "Mixpanel", "department")

	// 4. The set-up values and the certificate, whose thumbprint matches.
	out, _ = gh(0, "", "app", "setup", "Mixpanel")
	mustContain(out, "Login URL:", "/d/default/saml2", "App federation metadata URL:", "?appid="+app.ID)
	cerFile := filepath.Join(dir, "Mixpanel.cer")
	gh(0, "", "app", "cert", "download", "Mixpanel", "--format", "raw", "--out", cerFile)
	der, err := os.ReadFile(cerFile)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := x509.ParseCertificate(der); err != nil {
		t.Fatalf("the raw download is not a DER certificate: %v", err)
	}
	sum := sha1.Sum(der)
	mustContain(out, strings.ToUpper(hex.EncodeToString(sum[:])))
	out, _ = gh(0, "", "app", "cert", "download", "Mixpanel", "--format", "base64")
	mustContain(out, "-----BEGIN CERTIFICATE-----")
	out, _ = gh(0, "", "app", "cert", "download", "Mixpanel", "--format", "metadata")
	mustContain(out, "EntityDescriptor")

	// Certificate rollover: a next certificate is published, then signs; the old one is retired, not gone.
	out, _ = gh(0, "", "--json", "app", "cert", "new", "Mixpanel")
	var next struct{ ID, Thumbprint string }
	if err := json.Unmarshal([]byte(out), &next); err != nil || next.ID == "" {
		t.Fatalf("app cert new --json printed %q (%v)", out, err)
	}
	out, _ = gh(0, "", "app", "cert", "list", "Mixpanel")
	mustContain(out, next.ID+"  next")
	out, _ = gh(0, "", "app", "cert", "activate", "Mixpanel", next.ID)
	mustContain(out, "now signs Mixpanel's sign-ins")
	out, _ = gh(0, "", "app", "cert", "list", "Mixpanel")
	mustContain(out, next.ID+"  active", "retired")

	// 5. Assignment, directly and through a group.
	gh(0, "", "group", "create", "Sales")
	gh(0, "", "group", "add-member", "Sales", "b.simon@contoso.com")
	gh(0, "", "app", "assign", "Mixpanel", "--user", "b.simon@contoso.com", "--group", "Sales")
	out, _ = gh(0, "", "app", "assignments", "Mixpanel")
	mustContain(out, "user   b.simon@contoso.com", "group  Sales")
	out, _ = gh(0, "", "user", "apps", "b.simon@contoso.com")
	mustContain(out, "Mixpanel")
	out, _ = gh(0, "", "app", "preview", "Mixpanel", "--user", "b.simon@contoso.com")
	mustContain(out, "NameID", "b.simon@contoso.com", "Claim email")
	out, _ = gh(0, "", "app", "preview", "Mixpanel", "--user", "b.simon@contoso.com", "--xml")
	mustContain(out, "<saml", "SignatureValue")
	out, _ = gh(0, "", "user", "reset-mfa", "b.simon@contoso.com")
	mustContain(out, "Two-step verification of b.simon@contoso.com is reset")
	gh(0, "", "app", "unassign", "Mixpanel", "--group", "Sales")

	// A temporary password gives no token.
	saved := token
	token = ""
	_, errOut = gh(1, temporary+"\n", "login", "--user", "b.simon@contoso.com", "--password-stdin")
	mustContain(errOut, "Code:            password_change_required")
	// B.Simon chooses a password without a browser: a weak one is refused at the field, then a token works.
	_, errOut = gh(1, temporary+"\nshort\n", "password", "change", "--user", "b.simon@contoso.com", "--password-stdin")
	mustContain(errOut, "newPassword")
	_, errOut = gh(0, temporary+"\nreports at dawn, twice 42\n", "password", "change", "--user", "b.simon@contoso.com", "--password-stdin")
	mustContain(errOut, "Your password is changed")
	out, _ = gh(0, "reports at dawn, twice 42\n", "login", "--user", "b.simon@contoso.com", "--password-stdin")
	mustContain(out, "gh_")
	token = saved

	// The logs, another directory, and clean-up.
	out, _ = gh(0, "", "signins", "list", "--json")
	var signIns struct{ Total int }
	if err := json.Unmarshal([]byte(out), &signIns); err != nil || signIns.Total < 2 {
		t.Errorf("signins list --json printed %q (%v)", out, err)
	}
	out, _ = gh(0, "", "audit", "list")
	mustContain(out, "app.create")
	gh(0, "", "directory", "create", "fabrikam", "--name", "Fabrikam")
	out, _ = gh(0, "", "--directory", "fabrikam", "user", "list")
	mustContain(out, "No users.")
	gh(0, "", "directory", "delete", "fabrikam")
	gh(0, "", "app", "delete", "Mixpanel")
	gh(0, "", "user", "delete", "b.simon@contoso.com")
	_, errOut = gh(1, "", "user", "show", "b.simon@contoso.com")
	mustContain(errOut, `no user is named "b.simon@contoso.com"`)
}
