package e2e

import (
	"bytes"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/internal/browsertest"
)

// tutorialCLIBlocks returns the shell blocks of docs/tutorial.md's CLI section after the one that defines the
// gatehouse shell function: the tutorial's steps, the password change and the sign-in log.
func tutorialCLIBlocks(t *testing.T) []string {
	t.Helper()
	doc, err := os.ReadFile("../docs/tutorial.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(doc), "\n## The same steps with the CLI\n")
	if !ok {
		t.Fatal("docs/tutorial.md has no section \"The same steps with the CLI\"")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	var blocks []string
	for _, m := range regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(section, -1) {
		if strings.HasPrefix(m[1], "gatehouse() {") {
			continue // the definition of the shell function, which the test makes itself
		}
		blocks = append(blocks, m[1])
	}
	if len(blocks) != 3 {
		t.Fatalf("docs/tutorial.md's CLI section has %d shell blocks after the shell function's, want 3 (steps, password, log)", len(blocks))
	}
	return blocks
}

// runBlock runs a block of the tutorial with bash in dir, the shell function gatehouse running the gatehouse binary
// talking to server, with stdin as standard input, and returns its output. Any failing line fails the test.
func runBlock(t *testing.T, dir, server, block, stdin string, env ...string) string {
	t.Helper()
	script := "set -euo pipefail\ngatehouse() { \"$GATEHOUSE_BIN\" \"$@\"; }\n" + block
	cmd := exec.Command("bash", "-c", script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), append([]string{"GATEHOUSE_BIN=" + gatehouseBinary(t), "GATEHOUSE_SERVER=" + server,
		"GATEHOUSE_TOKEN=", "GATEHOUSE_DIRECTORY="}, env...)...)
	cmd.Stdin = strings.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("the tutorial's CLI block failed: %v\n--- block\n%s\n--- output\n%s", err, block, out.String())
	}
	return out.String()
}

// TestDemoTutorialWithCLI runs the CLI section of docs/tutorial.md, as written except for the two servers'
// addresses and --password-stdin on the login line (the test has no terminal to type the password at), against the
// real gatehouse and gatehouse-demo binaries, in a directory that has the tutorial's data directory as the server's
// would; then the demo app's owner does steps 5 and 7 in the browser and B.Simon, whose temporary password the CLI
// replaced, signs in to the demo app from My Apps.
func TestDemoTutorialWithCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two servers and a browser; skipped in -short")
	}
	blocks := tutorialCLIBlocks(t)
	gh := startGatehouse(t, freeAddr(t))
	demo := startDemoApp(t, freeAddr(t))
	work := t.TempDir()
	// The tutorial's server keeps its data here, and its CLI block the downloaded certificate.
	const dataDir = "gatehouse-tutorial-data"
	if err := os.Mkdir(filepath.Join(work, dataDir), 0o700); err != nil {
		t.Fatal(err)
	}

	const login = "gatehouse login --user admin@gatehouse.local --export"
	if !strings.Contains(blocks[0], login) {
		t.Fatalf("the tutorial's first CLI block does not sign in with %q", login)
	}
	steps := strings.ReplaceAll(blocks[0], "http://127.0.0.1:8090", demo.URL)
	steps = strings.ReplaceAll(steps, login, login+" --password-stdin")
	out := runBlock(t, work, gh, steps, adminPassword+"\n")
	m := regexp.MustCompile(`Temporary password:\s+(\S+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no temporary password in the CLI's output:\n%s", out)
	}
	temp := m[1]
	for _, want := range []string{"Gatehouse Demo App", "Login URL:", gh + "/d/default/saml2", "Identifier:", gh + "/d/default",
		"Assigned user b.simon@gatehouse.local to Gatehouse Demo App."} {
		if !strings.Contains(out, want) {
			t.Errorf("the CLI's output lacks %q:\n%s", want, out)
		}
	}
	certFile := filepath.Join(work, dataDir, "Gatehouse Demo App.cer")
	data, err := os.ReadFile(certFile)
	if err != nil {
		t.Fatal(err)
	}
	if block, _ := pem.Decode(data); block == nil || block.Type != "CERTIFICATE" {
		t.Fatalf("the downloaded certificate is not PEM:\n%s", data)
	}

	// B.Simon replaces the temporary password with the CLI (the prompts read lines when not at a terminal).
	const newPassword = "Silver-Birch-Canyon-64"
	runBlock(t, work, gh, blocks[1], temp+"\n"+newPassword+"\n"+newPassword+"\n")

	// Steps 5 and 7 in the demo app.
	ctx := browsertest.New(t, 10*time.Minute)
	ownerTab := newTab(t, ctx)
	owner := &demoOwner{tab: ownerTab, demo: demo}
	owner.signIn()
	owner.accessSecurity(certFile, gh+"/d/default/saml2", gh+"/d/default", "")
	owner.invite("b.simon@gatehouse.local", "")

	// Step 9: B.Simon signs in to My Apps with the new password and opens the demo app.
	user := person(t, ownerTab)
	user.open(gh + "/d/default/myapps")
	gatehouseSignIn(user, gh, "b.simon@gatehouse.local", newPassword)
	tile := `#tiles a.tile`
	user.waitAt("My Apps shows the demo app", gh, tile)
	user.do("click the tile", click(tile))
	user.waitAt("signed in at the demo app", demo.URL, "#current-user, #error-page")
	if got := user.text("#current-user"); got != "b.simon@gatehouse.local" {
		t.Fatalf("after the tile the demo app shows %q, want b.simon@gatehouse.local", got)
	}

	// The sign-in log block, with the admin's token from the first block's login.
	tok := runBlock(t, work, gh, `gatehouse login --user admin@gatehouse.local --password-stdin`, adminPassword+"\n")
	token := regexp.MustCompile(`gh_[A-Za-z0-9_]+`).FindString(tok)
	log := runBlock(t, work, gh, blocks[2], "", "GATEHOUSE_TOKEN="+token)
	if !strings.Contains(log, "b.simon@gatehouse.local") || !strings.Contains(log, "success") {
		t.Errorf("the sign-in log lacks B.Simon's successful sign-in:\n%s", log)
	}
}

// TestDocsKeepTheirData checks what README.md and docs/tutorial.md tell a reader to run: the tutorial's server has a
// data directory of its own, not the one of the README's server, and every certificate the examples download goes
// into a directory git ignores.
func TestDocsKeepTheirData(t *testing.T) {
	read := func(name string) string {
		t.Helper()
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	docs := map[string]string{"README.md": read("../README.md"), "docs/tutorial.md": read("../docs/tutorial.md")}
	ignored := map[string]bool{}
	for _, line := range strings.Split(read("../.gitignore"), "\n") {
		if strings.HasPrefix(line, "/") && strings.HasSuffix(line, "/") {
			ignored[strings.Trim(line, "/")] = true
		}
	}
	serve := regexp.MustCompile(`(?m)^go run \./cmd/gatehouse serve\b(.*)$`)
	dataFlag := regexp.MustCompile(`--data (\S+)`)
	dataDirs := map[string]string{}
	for name, doc := range docs {
		m := serve.FindStringSubmatch(doc)
		if m == nil {
			t.Fatalf("%s has no `go run ./cmd/gatehouse serve` line", name)
		}
		dir := "./gatehouse-data" // serve's default
		if d := dataFlag.FindStringSubmatch(m[1]); d != nil {
			dir = d[1]
		}
		dir = strings.TrimPrefix(dir, "./")
		dataDirs[name] = dir
		if !ignored[dir] {
			t.Errorf("%s's server keeps its data in %s, which .gitignore does not list", name, dir)
		}
		for _, out := range regexp.MustCompile(`--out ("[^"]+"|\S+)`).FindAllStringSubmatch(doc, -1) {
			path := strings.Trim(out[1], `"`)
			if first, _, _ := strings.Cut(path, "/"); !ignored[first] {
				t.Errorf("%s downloads to %s, which git does not ignore", name, path)
			}
		}
	}
	if dataDirs["README.md"] == dataDirs["docs/tutorial.md"] {
		t.Errorf("README.md and docs/tutorial.md run their servers on the same data directory %s", dataDirs["README.md"])
	}
}
