package interop

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestNodeSAML runs the checks against a small SP on @node-saml/node-saml (npm), testdata/node-sp/sp.js. Like
// node-saml's defaults want, the apps sign both the Response and the Assertion.
func TestNodeSAML(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		requireTool(t, "node-saml", "node", "Debian packages nodejs and npm")
	}
	if _, err := exec.LookPath("npm"); err != nil {
		requireTool(t, "node-saml", "npm", "Debian package npm")
	}
	modules := nodeModules(t)
	gh := startGatehouse(t)
	runChecks(t, &spKit{
		name:   "node-saml",
		plain:  startNodeSAML(t, gh, node, modules, "node-saml", false),
		signed: startNodeSAML(t, gh, node, modules, "node-saml-signed", true),
		ecdsa:  startNodeSAML(t, gh, node, modules, "node-saml"+ecdsaSuffix, false),
		// xml-crypto 6, which node-saml verifies signatures with, has RSA and HMAC signature methods only.
		ecdsaRefusal: "Invalid document signature",
		// node-saml's words when the signature does not verify.
		refusal: "Invalid document signature",
	})
}

// nodeModules installs the node SP's dependencies from its lockfile with npm ci, once per lockfile, into the user's
// cache directory, and returns the node_modules directory.
func nodeModules(t *testing.T) string {
	t.Helper()
	lock, err := os.ReadFile("testdata/node-sp/package-lock.json")
	if err != nil {
		t.Fatal(err)
	}
	pkg, err := os.ReadFile("testdata/node-sp/package.json")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(append(append([]byte(nil), pkg...), lock...))
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "gatehouse-interop", "node-sp-"+hex.EncodeToString(sum[:6]))
	modules := filepath.Join(dir, "node_modules")
	if _, err := os.Stat(filepath.Join(modules, "@node-saml", "node-saml", "package.json")); err == nil {
		return modules
	}
	writeFile(t, filepath.Join(dir, "package.json"), pkg)
	writeFile(t, filepath.Join(dir, "package-lock.json"), lock)
	out, err := runTool(3*time.Minute, "npm", "ci", "--prefix", dir, "--no-audit", "--no-fund", "--ignore-scripts")
	if err != nil {
		_ = os.RemoveAll(dir)
		t.Fatalf("npm ci for the node SP failed: %v\n%s", err, out)
	}
	return modules
}

func startNodeSAML(t *testing.T, gh *gatehouseServer, node, modules, name string, sign bool) *variant {
	t.Helper()
	app := gh.createApp(t, name)
	// node-saml wants both the Response and the Assertion signed, which a custom app does by default: the SP runs
	// on Gatehouse's defaults.
	if got := app.App.SAML.SigningOption; got != "both" {
		t.Fatalf("a custom app signs %q by default; node-saml refuses a Response whose envelope is not signed", got)
	}
	dir := t.TempDir()
	kp := newKeyPair(t, dir, "sp", name)
	idpCert := filepath.Join(dir, "idp.pem")
	writeFile(t, idpCert, app.trustedCertsPEM())
	script, err := filepath.Abs("testdata/node-sp/sp.js")
	if err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	args := []string{script, "--port", fmt.Sprint(port), "--idp-sso", app.SSOURL, "--idp-entity-id", app.EntityID,
		"--idp-cert", idpCert, "--key", kp.KeyFile, "--cert", kp.CertFile}
	if sign {
		args = append(args, "--sign")
	}
	cmd := exec.Command(node, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NODE_PATH="+modules)
	p := startProcess(t, name, cmd)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	waitHTTP(t, p, base+"/metadata", 60*time.Second)
	gh.registerMetadata(t, app, fetch(t, base+"/metadata"), map[string]any{"relayState": "/"})
	return &variant{app: app, start: base + "/", logout: base + "/logout", force: base + "/force", passive: base + "/passive", mfa: base + "/mfa"}
}
