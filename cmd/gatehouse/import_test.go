package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/apiclient"
	"github.com/gatehouse-idp/gatehouse/internal/testserver"
)

// TestUserImport runs `gatehouse user import` against a real server with files sent in several requests: every
// valid row is created, and the refused rows are listed with their lines in the file, also when a quoted field
// spans lines or a request boundary falls after blank lines.
func TestUserImport(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	token, _, err := srv.Service.Login(context.Background(), "default", testserver.AdminUser, testserver.AdminPassword, "test")
	if err != nil {
		t.Fatal(err)
	}
	csvFile := "userName,firstName,lastName\n" +
		"u1@contoso.com,One,\n" + //  2
		"bad one,Bad,\n" + //         3
		"u3@contoso.com,\"Three\n" + // 4
		"Lines\",\n" + //             5
		"\n" + //                     6
		"u4@contoso.com,Four,\n" + // 7
		"u1@contoso.com,Again,\n" + // 8
		"u6@contoso.com,Six\n" + //   9: too few fields
		"u7@contoso.com,\"Seven\",Last\n" + // 10
		"u8@contoso.com,Eight,Last" // 11, no final newline
	jsonFile := `{"userName":"j1@contoso.com"}` + "\n" +
		"\n" +
		`{"userName":"j3@contoso.com","role":"boss"}` + "\n" +
		`{"userName":"j4@contoso.com"}` + "\n" +
		`not json` + "\n" +
		`{"userName":"j6@contoso.com"}` + "\n"
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	type line struct {
		Line  int
		Code  string
		Field string
	}
	tests := []struct {
		name    string
		args    []string
		stdin   string
		created int
		refused []line
	}{
		{"csv in parts of 2", []string{"user", "import", write("users.csv", csvFile), "--rows-per-request", "2"}, "", 4,
			[]line{{3, "invalid", "userName"}, {4, "invalid", "firstName"}, {8, "conflict", "userName"}, {9, "invalid", ""}}},
		{"json lines from stdin in parts of 3", []string{"user", "import", "-", "--format", "jsonl", "--rows-per-request", "3"}, jsonFile, 3,
			[]line{{3, "invalid", "role"}, {5, "invalid", ""}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			env := map[string]string{"GATEHOUSE_SERVER": srv.URL, "GATEHOUSE_TOKEN": token}
			code := run(context.Background(), append(tt.args, "--json"), system{stdin: strings.NewReader(tt.stdin), stdout: &stdout, stderr: &stderr,
				getenv: func(k string) string { return env[k] }, isTerminal: func(any) bool { return false }})
			if code != exitError || !strings.Contains(stderr.String(), fmt.Sprintf("%d rows were refused", len(tt.refused))) {
				t.Errorf("exit code %d, stderr %q; want %d and the count of refused rows", code, stderr.String(), exitError)
			}
			var res apiclient.ImportResult
			if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
				t.Fatalf("output %q: %v", stdout.String(), err)
			}
			var got []line
			for _, e := range res.Errors {
				got = append(got, line{e.Line, e.Code, e.Field})
			}
			if diff := cmp.Diff(tt.refused, got); diff != "" || res.Created != tt.created || res.Failed != len(tt.refused) {
				t.Errorf("created %d, failed %d; refused rows mismatch (-want +got):\n%s", res.Created, res.Failed, diff)
			}
		})
	}
	// The users are there, the one with the quoted name in the right order of its fields.
	for _, name := range []string{"u1@contoso.com", "u7@contoso.com", "u8@contoso.com", "j6@contoso.com"} {
		if _, err := srv.Store.FindUserByName(context.Background(), "default", name); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	u, err := srv.Store.FindUserByName(context.Background(), "default", "u7@contoso.com")
	if err == nil && (u.FirstName != "Seven" || u.LastName != "Last") {
		t.Errorf("u7: %q %q; want Seven Last", u.FirstName, u.LastName)
	}
	if _, n, _ := srv.Store.FindUsers(context.Background(), "default", gatehouse.UserFilter{}); n != 1+4+3 {
		t.Errorf("%d users in the directory; want %d", n, 1+4+3)
	}

	// Without --json the refused rows are a table, and a clean file exits 0.
	var stdout, stderr bytes.Buffer
	env := map[string]string{"GATEHOUSE_SERVER": srv.URL, "GATEHOUSE_TOKEN": token}
	code := run(context.Background(), []string{"user", "import", write("more.csv", "userName\nz1@contoso.com\nz2@contoso.com\n")},
		system{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, getenv: func(k string) string { return env[k] },
			isTerminal: func(any) bool { return false }})
	if code != exitOK || stdout.String() != "Created 2 users; 0 rows refused.\n" {
		t.Errorf("exit code %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
	}
	stdout.Reset()
	code = run(context.Background(), []string{"user", "import", write("again.csv", "userName\nz1@contoso.com\n")},
		system{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, getenv: func(k string) string { return env[k] },
			isTerminal: func(any) bool { return false }})
	if code != exitError || !strings.Contains(stdout.String(), "LINE  USER NAME       CODE      FIELD     PROBLEM\n2     z1@contoso.com  conflict  userName  A user named z1@contoso.com already exists") {
		t.Errorf("exit code %d, stdout %q", code, stdout.String())
	}
}

// TestSplitCSV checks where a CSV file is cut into requests: after whole records, with the header in front of each
// part, and with line numbers that map back to the file.
func TestSplitCSV(t *testing.T) {
	file := "\ufeffuserName,note\r\na@x.com,\"two\r\nlines\"\r\nb@x.com,x\r\n\r\nc@x.com,y\r\n"
	parts := splitCSV([]byte(file), 1)
	var bodies []string
	var lines []int
	for _, p := range parts {
		bodies = append(bodies, string(p.body))
		lines = append(lines, p.fileLine(2))
	}
	want := []string{
		"\ufeffuserName,note\r\na@x.com,\"two\r\nlines\"\r\n",
		"\ufeffuserName,note\r\nb@x.com,x\r\n",
		"\ufeffuserName,note\r\n\r\nc@x.com,y\r\n",
	}
	if diff := cmp.Diff(want, bodies); diff != "" {
		t.Errorf("parts mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{2, 4, 5}, lines); diff != "" {
		t.Errorf("line 2 of each part is line (-want +got):\n%s", diff)
	}
	if got := splitCSV([]byte("userName\n"), 10); len(got) != 1 || string(got[0].body) != "userName\n" {
		t.Errorf("a header alone: %d parts", len(got))
	}
}
