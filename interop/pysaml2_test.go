package interop

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestPySAML2 runs the checks against a small SP on pysaml2 (Debian's python3-pysaml2), testdata/pysaml2/sp.py.
func TestPySAML2(t *testing.T) {
	const python = "/usr/bin/python3"
	if _, err := os.Stat(python); err != nil {
		requireTool(t, "pysaml2", python, "Debian package python3")
	}
	if out, err := runTool(30*time.Second, python, "-c", "import saml2"); err != nil {
		requireTool(t, "pysaml2", "pysaml2 ("+string(out)+")", "Debian package python3-pysaml2")
	}
	if !haveXMLSec() {
		requireTool(t, "pysaml2", "xmlsec1, which pysaml2 verifies signatures with,", "Debian package xmlsec1")
	}
	gh := startGatehouse(t)
	runChecks(t, &spKit{
		name:   "pysaml2",
		plain:  startPySAML2(t, gh, "pysaml2", false),
		signed: startPySAML2(t, gh, "pysaml2-signed", true),
		ecdsa:  startPySAML2(t, gh, "pysaml2"+ecdsaSuffix, false),
		// pysaml2's words (from xmlsec1) when the signature does not verify.
		refusal: "Failed to verify signature",
	})
}

func startPySAML2(t *testing.T, gh *gatehouseServer, name string, sign bool) *variant {
	t.Helper()
	app := gh.createApp(t, name)
	dir := t.TempDir()
	kp := newKeyPair(t, dir, "sp", name)
	idpMD := filepath.Join(dir, "idp-metadata.xml")
	writeFile(t, idpMD, app.idpMetadata(t))
	script, err := filepath.Abs("testdata/pysaml2/sp.py")
	if err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	args := []string{script, "--port", fmt.Sprint(port), "--idp-metadata", idpMD, "--key", kp.KeyFile, "--cert", kp.CertFile}
	if sign {
		// The signed variant sends its AuthnRequests by the HTTP-POST binding, with an enveloped signature that
		// pysaml2 makes with xmlsec1; the other SPs sign by the HTTP-Redirect binding.
		args = append(args, "--sign", "--post")
	}
	cmd := exec.Command("/usr/bin/python3", args...)
	cmd.Dir = dir
	p := startProcess(t, name, cmd)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	waitHTTP(t, p, base+"/metadata", 60*time.Second)
	gh.registerMetadata(t, app, fetch(t, base+"/metadata"), map[string]any{"relayState": "/"})
	return &variant{app: app, start: base + "/", logout: base + "/logout", force: base + "/force", passive: base + "/passive", mfa: base + "/mfa"}
}
