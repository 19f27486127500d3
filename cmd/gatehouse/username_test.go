package main

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse-idp/gatehouse/internal/testserver"
)

// TestCLIUserNameRule creates and renames users with the CLI against a real server: a name that looks like
// someone else's is refused with the reason, an internationalised domain in proper form is accepted, and the
// server's first admin must follow the rule too.
func TestCLIUserNameRule(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	ctx := context.Background()
	token, _, err := srv.Service.Login(ctx, "default", testserver.AdminUser, testserver.AdminPassword, "test")
	if err != nil {
		t.Fatal(err)
	}
	gh := func(args ...string) (int, string) {
		t.Helper()
		var stdout, stderr bytes.Buffer
		env := map[string]string{"GATEHOUSE_SERVER": srv.URL, "GATEHOUSE_TOKEN": token}
		code := run(ctx, args, system{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr,
			getenv: func(k string) string { return env[k] }, hc: http.DefaultClient, isTerminal: func(any) bool { return false }})
		return code, stdout.String() + stderr.String()
	}
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"create with a Cyrillic letter", []string{"user", "create", "admin@gatehouse.locаl"}, exitError, "mixes Latin and Cyrillic letters"},
		{"create with a zero-width space", []string{"user", "create", "ad\u200bmin@gatehouse.local"}, exitError, "U+200B, an invisible character"},
		{"create with an IDN domain", []string{"user", "create", "anna@bücher.example"}, exitOK, "anna@bücher.example"},
		{"rename to a combining mark", []string{"user", "update", "anna@bücher.example", "--user-name", "anna\u0301@bücher.example"}, exitError, "combining mark (U+0301)"},
		{"rename to a bidi control", []string{"user", "update", "anna@bücher.example", "--user-name", "anna\u202e@bücher.example"}, exitError, "U+202E, a text-direction control"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out := gh(tt.args...)
			if code != tt.code || !strings.Contains(out, tt.want) {
				t.Errorf("exit %d, output:\n%s\nwant exit %d and %q", code, out, tt.code, tt.want)
			}
		})
	}
	// The first admin, created by serve, follows the rule as well.
	var stdout, stderr bytes.Buffer
	err = runServe(ctx, []string{"--addr", "127.0.0.1:0", "--data", t.TempDir(), "--database-url", "",
		"--admin-user", "admin@gatehouse.locаl", "--admin-password", "Correct-Horse-Battery-9", "--log-level", "error"}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "mixes Latin and Cyrillic letters") {
		t.Errorf("serve with a look-alike admin name: %v, want it refused with the reason", err)
	}
}
