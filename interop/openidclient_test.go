package interop

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse"

	"github.com/gatehouse-idp/gatehouse/internal/tooltest"
)

// TestOpenIDClient runs the OpenID Connect checks with the npm package openid-client (an OpenID-certified relying
// party), testdata/openid-client/rp.mjs: discovery, the code flow with PKCE, state and nonce and client_secret_basic,
// the user and groups in the ID token, refresh with rotation (the replaced refresh token refused), RP-initiated
// logout, and an ID token changed on its way from the token endpoint, which openid-client's signature checks refuse.
func TestOpenIDClient(t *testing.T) {
	const rp = "openid-client"
	node, err := exec.LookPath("node")
	if err != nil {
		requireTool(t, rp, "node", "Debian packages nodejs and npm")
	}
	if _, err := exec.LookPath("npm"); err != nil {
		requireTool(t, rp, "npm", "Debian package npm")
	}
	modules := npmCI(t, "testdata/openid-client", "openid-client", "openid-client")
	gh := startGatehouse(t)
	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	app := gh.createOIDCApp(t, "custom-oidc", rp, nil, map[string]any{
		"redirectUris": []string{base + "/callback"}, "postLogoutRedirectUris": []string{base + "/signed-out"},
		"grantTypes": []string{gatehouse.GrantAuthorizationCode, gatehouse.GrantRefreshToken},
		"claims":     []gatehouse.Claim{{Name: "email", Source: gatehouse.AttrMail}, {Name: "groups", Groups: gatehouse.ClaimGroupsAll}},
	})
	// ES modules find their packages next to the script: the script runs from a directory beside node_modules.
	dir := t.TempDir()
	script, err := os.ReadFile("testdata/openid-client/rp.mjs")
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "rp.mjs"), script)
	if err := os.Symlink(modules, filepath.Join(dir, "node_modules")); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, filepath.Join(dir, "rp.mjs"), "--port", fmt.Sprint(port), "--issuer", app.Issuer,
		"--client-id", app.ClientID, "--client-secret", app.Secret, "--tamper-via", tamperingProxy(t, gh))
	cmd.Dir = dir
	p := startProcess(t, rp, cmd)
	started := false
	runCheck(t, rp, checkDiscovery, func(c *checkT) {
		// The RP reads the discovery document before it listens.
		waitHTTP(c, p, base+"/health", 60*time.Second)
		started = true
	})
	if !started {
		t.Fatal("the relying party did not start")
	}
	b := newBrowser()
	var signedIn *page
	runCheck(t, rp, checkCodePKCE, func(c *checkT) {
		signedIn = b.flow().run(c, base+"/login")
		if signedIn.Status != http.StatusOK || !strings.Contains(signedIn.Body, "signed in") {
			c.Fatalf("the sign-in ended at %s (status %d):\n%s", signedIn.URL, signedIn.Status, clip(signedIn.Body))
		}
	})
	runCheck(t, rp, checkUserGroups, func(c *checkT) {
		if signedIn == nil || !strings.Contains(signedIn.Body, "signed in") {
			c.Fatal("not signed in")
		}
		for _, want := range append([]string{"email: " + userName}, groupNames...) {
			if !strings.Contains(signedIn.Body, want) {
				c.Errorf("the RP's page does not show %q:\n%s", want, signedIn.Body)
			}
		}
	})
	runCheck(t, rp, checkRefresh, func(c *checkT) {
		pg, err := b.get(base + "/refresh")
		if err != nil {
			c.Fatal(err)
		}
		for _, want := range []string{"refreshed", "rotated: true", "email: " + userName, "old refresh token: refused: invalid_grant"} {
			if !strings.Contains(pg.Body, want) {
				c.Fatalf("the refresh page does not say %q (status %d):\n%s", want, pg.Status, pg.Body)
			}
		}
	})
	runCheck(t, rp, checkRPLogout, func(c *checkT) {
		// The refresh check's reuse revoked the grant: sign in again first.
		if pg := b.flow().run(c, base+"/login"); !strings.Contains(pg.Body, "signed in") {
			c.Fatalf("sign-in before logout: %s (status %d):\n%s", pg.URL, pg.Status, clip(pg.Body))
		}
		pg := b.flow().run(c, base+"/logout")
		if !strings.HasPrefix(pg.URL, base+"/signed-out") || !strings.Contains(pg.Body, "state bye") {
			c.Fatalf("the logout ended at %s (status %d):\n%s", pg.URL, pg.Status, clip(pg.Body))
		}
		f := b.flow()
		f.StopAtLogin = true
		if pg := f.run(c, base+"/login"); !strings.HasPrefix(pg.URL, gh.URL+"/d/"+directory+"/login") {
			c.Fatalf("after logout the RP's sign-in ended at %s, not at Gatehouse's sign-in page", pg.URL)
		}
	})
	runCheck(t, rp, checkTamperedJWT, func(c *checkT) {
		pg := newBrowser().flow().run(c, base+"/login?tamper=1")
		if pg.Status == http.StatusOK || !strings.Contains(pg.Body, "signature verification failed") || strings.Contains(pg.Body, mallory) {
			c.Fatalf("openid-client accepted an ID token changed after signing: %s (status %d)\n%s", pg.URL, pg.Status, pg.Body)
		}
		c.notePass("%s", strings.TrimSpace(pg.Body))
	})
}

// npmCI installs the packages of the testdata directory dir from its lockfile with npm ci, once per lockfile, into
// the user's cache directory under name, and returns the node_modules directory; marker is a package that must be
// there.
func npmCI(t *testing.T, dir, name, marker string) string {
	t.Helper()
	modules, err := tooltest.NPMInstall(dir, "gatehouse-interop/"+name, marker+"/package.json")
	if err != nil {
		t.Fatal(err)
	}
	return modules
}
