package interop

import (
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
	modules := npmCI(t, "testdata/node-sp", "node-sp", "@node-saml/node-saml")
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
