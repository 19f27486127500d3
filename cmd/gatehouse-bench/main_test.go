package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
)

// TestMain runs the reference servers when the benchmark starts this test binary as one of them, as it starts
// itself.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 {
		if _, ok := refCommands[os.Args[1]]; ok {
			os.Exit(runRef(os.Args[1], os.Args[2:]))
		}
	}
	os.Exit(m.Run())
}

// TestBench runs every subcommand for a few requests against the real servers, so that the tool keeps working as
// Gatehouse changes: each must finish and print its table. The numbers themselves are not checked; they are
// measurements, not pass marks.
func TestBench(t *testing.T) {
	ctx := context.Background()
	bin, err := buildGatehouse(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"sso", []string{"sso", "-reps", "1", "-requests", "8", "-workers", "2", "-rate-duration", "500ms"},
			[]string{"ceiling: one RSA-2048 signature", "crewjam samlidp", "gatehouse, sign assertion", "gatehouse, sign both",
				"CPU per sign-on / ceiling's", "p99 ms at it"}},
		{"password", []string{"password", "-reps", "1", "-requests", "4", "-workers", "2", "-flood", "8", "-floods", "1", "-settle", "0s"},
			[]string{"bare argon2id server", "gatehouse / bare argon2id: CPU per sign-in", "flood: 8 wrong passwords at once", "map[401:8]"}},
		{"start", []string{"start", "-reps", "2", "-users", "1,30", "-idle", "0s"},
			[]string{"to first /healthz ms", "\n      1  ", "\n     30  "}},
		{"busy", []string{"busy", "-reps", "1", "-rate", "20", "-duration", "2s", "-import-rows", "5", "-provision-users", "40"},
			[]string{"during a bulk import", "during a provisioning cycle", "p99 during the import / p99 alone",
				"p99 during the provisioning cycle / p99 alone"}},
		{"scale", []string{"scale", "-reps", "1", "-requests", "2", "-users", "1000,2000", "-import-rows", "500"},
			[]string{"a directory of 1000 users and one of 2000", "admin users, page by cursor", "API search (10 users)", "ratio: median"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(ctx, append(tt.args, "-gatehouse", bin), &stdout, &stderr)
			if code != 0 {
				t.Fatalf("exit code %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
			}
			for _, w := range tt.want {
				if !strings.Contains(stdout.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, stdout.String())
				}
			}
			t.Logf("\n%s", stdout.String())
		})
	}
}

// TestUsage checks the answers to a command line without a subcommand or with an unknown one.
func TestUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
	}{{nil, 2}, {[]string{"nonsense"}, 2}, {[]string{"--help"}, 0}, {[]string{"sso", "-reps", "0"}, 1}} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), tc.args, &stdout, &stderr); code != tc.code {
			t.Errorf("%q: exit code %d, want %d; %s", tc.args, code, tc.code, stderr.String())
		}
	}
}
