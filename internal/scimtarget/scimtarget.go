// Package scimtarget runs an independent SCIM 2.0 service provider for the outbound provisioning tests: SCIMMY and
// SCIMMY Routers (npm) on Express, in memory, behind a bearer token, on a random loopback port. The packages are
// installed from testdata's lockfile with npm ci into the user's cache directory, once per lockfile, as
// scripts/test.sh does. Without Node.js the tests that need it skip with a loud message, and fail when CI is "true".
// Reader reads any SCIM service through its own API, to check what provisioning did there.
package scimtarget

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/internal/tooltest"
)

// Dir returns the directory holding server.mjs and its package files.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "testdata")
}

// Modules installs the packages with npm ci, once per lockfile, and returns their node_modules directory.
func Modules() (string, error) {
	return tooltest.NPMInstall(Dir(), "gatehouse-scim/scimmy-target", "scimmy-routers/package.json")
}

// Options change the service provider.
type Options struct {
	// Lenient accepts a user whose userName is taken (as some apps do), so that duplicate creates show.
	Lenient bool
}

// Start starts a SCIMMY service provider with a random token and stops it when the test ends. It skips the test
// when Node.js or npm is missing (fails under CI=true).
func Start(tb testing.TB, opts Options) *Reader {
	tb.Helper()
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = exec.LookPath("npm")
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("scimtarget: node and npm are required under CI=true (scripts/test.sh installs them): %v", err)
		}
		tb.Skipf("scimtarget: SKIPPING the test against SCIMMY: node or npm is not installed: %v", err)
	}
	modules, err := Modules()
	if err != nil {
		tb.Fatalf("scimtarget: %v", err)
	}
	// An ES module resolves packages from its own directory upwards, so the script runs from a copy beside
	// node_modules.
	script, err := os.ReadFile(filepath.Join(Dir(), "server.mjs"))
	if err != nil {
		tb.Fatal(err)
	}
	path := filepath.Join(filepath.Dir(modules), "server.mjs")
	if err := os.WriteFile(path, script, 0o644); err != nil {
		tb.Fatal(err)
	}
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	token := hex.EncodeToString(b)
	cmd := exec.Command(node, path)
	cmd.Env = append(os.Environ(), "SCIM_TOKEN="+token)
	if opts.Lenient {
		cmd.Env = append(cmd.Env, "SCIM_LENIENT=1")
	}
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe() // the server exits when its standard input closes
	if err != nil {
		tb.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		in.Close()
		if err := cmd.Wait(); err != nil {
			tb.Logf("scimtarget: the server ended: %v", err)
		}
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		_ = cmd.Process.Kill()
		tb.Fatalf("scimtarget: the server did not start: %v", err)
	}
	var started struct{ Port int }
	if err := json.Unmarshal([]byte(line), &started); err != nil || started.Port == 0 {
		_ = cmd.Process.Kill()
		tb.Fatalf("scimtarget: the server said %q", line)
	}
	return &Reader{BaseURL: fmt.Sprintf("http://127.0.0.1:%d/scim/v2", started.Port), Token: token}
}

// Reader reads a SCIM service provider's resources through its own API with a bearer token.
type Reader struct {
	BaseURL string
	Token   string
}

// Resource is a SCIM resource as JSON.
type Resource map[string]any

// String returns the attribute name as a string, or "".
func (r Resource) String(name string) string {
	s, _ := r[name].(string)
	return s
}

// Active reports the active attribute; a resource without one is active.
func (r Resource) Active() bool {
	switch v := r["active"].(type) {
	case bool:
		return v
	case string:
		return !strings.EqualFold(v, "false")
	}
	return true
}

// Get reads path (such as "/Users?filter=...") into v and returns the HTTP status.
func (rd *Reader) Get(tb testing.TB, path string, v any) int {
	tb.Helper()
	req, err := http.NewRequest(http.MethodGet, rd.BaseURL+path, nil)
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+rd.Token)
	req.Header.Set("Accept", "application/scim+json")
	c := http.Client{Timeout: 30 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		tb.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	if resp.StatusCode == http.StatusOK && v != nil {
		if err := json.Unmarshal(body, v); err != nil {
			tb.Fatalf("GET %s: %v in %s", path, err, body)
		}
	}
	return resp.StatusCode
}

// Find returns the resources of the endpoint ("Users" or "Groups") whose attribute equals value.
func (rd *Reader) Find(tb testing.TB, endpoint, attribute, value string) []Resource {
	tb.Helper()
	var list struct{ Resources []Resource }
	f := fmt.Sprintf("%s eq %q", attribute, value)
	if st := rd.Get(tb, "/"+endpoint+"?filter="+url.QueryEscape(f), &list); st != http.StatusOK {
		tb.Fatalf("GET /%s?filter=%s: HTTP %d", endpoint, f, st)
	}
	return list.Resources
}

// User returns the user with the userName, or nil; more than one is a failure.
func (rd *Reader) User(tb testing.TB, userName string) Resource {
	tb.Helper()
	us := rd.Find(tb, "Users", "userName", userName)
	if len(us) > 1 {
		tb.Fatalf("%d users are called %s at %s", len(us), userName, rd.BaseURL)
	}
	if len(us) == 0 {
		return nil
	}
	return us[0]
}

// Count returns how many resources of the endpoint there are.
func (rd *Reader) Count(tb testing.TB, endpoint string) int {
	tb.Helper()
	var page struct{ TotalResults int }
	if st := rd.Get(tb, "/"+endpoint+"?count=1", &page); st != http.StatusOK {
		tb.Fatalf("GET /%s: HTTP %d", endpoint, st)
	}
	return page.TotalResults
}

// Users returns how many users the SCIMMY server started by Start holds, from its own statistics, which cost
// it less than a listing.
func (rd *Reader) Users(tb testing.TB) int {
	tb.Helper()
	return rd.stats(tb, false).Users
}

// UserNames returns the userName of every user the SCIMMY server started by Start holds, one per account.
func (rd *Reader) UserNames(tb testing.TB) []string {
	tb.Helper()
	return rd.stats(tb, true).UserNames
}

type stats struct {
	Users     int
	UserNames []string
}

func (rd *Reader) stats(tb testing.TB, names bool) stats {
	tb.Helper()
	u := strings.TrimSuffix(rd.BaseURL, "/scim/v2") + "/stats"
	if names {
		u += "?names=1"
	}
	resp, err := http.Get(u)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var st stats
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil || resp.StatusCode != http.StatusOK {
		tb.Fatalf("GET /stats: HTTP %d, %v", resp.StatusCode, err)
	}
	return st
}

// Members returns the userNames of the members of the group with the displayName, sorted as the target lists
// them, or nil when there is no such group.
func (rd *Reader) Members(tb testing.TB, displayName string) []string {
	tb.Helper()
	gs := rd.Find(tb, "Groups", "displayName", displayName)
	if len(gs) == 0 {
		return nil
	}
	if len(gs) > 1 {
		tb.Fatalf("%d groups are called %s at %s", len(gs), displayName, rd.BaseURL)
	}
	var g struct {
		Members []struct{ Value string }
	}
	if st := rd.Get(tb, "/Groups/"+url.PathEscape(gs[0].String("id")), &g); st != http.StatusOK {
		tb.Fatalf("GET /Groups/%s: HTTP %d", gs[0].String("id"), st)
	}
	names := []string{}
	for _, m := range g.Members {
		var u Resource
		if st := rd.Get(tb, "/Users/"+url.PathEscape(m.Value), &u); st != http.StatusOK {
			tb.Fatalf("GET /Users/%s (a member of %s): HTTP %d", m.Value, displayName, st)
		}
		names = append(names, u.String("userName"))
	}
	return names
}
