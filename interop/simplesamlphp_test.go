package interop

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// simpleSAMLphpWWW is where Debian's simplesamlphp package installs SimpleSAMLphp's web root.
const simpleSAMLphpWWW = "/usr/share/simplesamlphp/www"

// TestSimpleSAMLphp runs the checks against SimpleSAMLphp as a service provider (Debian's simplesamlphp), served by
// PHP's built-in web server with its configuration in a temporary directory.
func TestSimpleSAMLphp(t *testing.T) {
	php, err := exec.LookPath("php")
	if err != nil {
		requireTool(t, "simplesamlphp", "php", "Debian packages php-cli php-xml php-mbstring php-curl")
	}
	if _, err := os.Stat(simpleSAMLphpWWW); err != nil {
		requireTool(t, "simplesamlphp", "SimpleSAMLphp", "Debian package simplesamlphp")
	}
	gh := startGatehouse(t)
	runChecks(t, &spKit{
		name:   "simplesamlphp",
		plain:  startSimpleSAMLphp(t, gh, php, "simplesamlphp", false),
		signed: startSimpleSAMLphp(t, gh, php, "simplesamlphp-signed", true),
		ecdsa:  startSimpleSAMLphp(t, gh, php, "simplesamlphp"+ecdsaSuffix, false),
		// xmlseclibs (under simplesamlphp/saml2 in SimpleSAMLphp 1.19) has no ECDSA signature method.
		ecdsaRefusal: "Unsupported signing algorithm.",
		// xmlseclibs's words for a digest that does not match.
		refusal: "Reference validation failed",
	})
}

func startSimpleSAMLphp(t *testing.T, gh *gatehouseServer, php, name string, sign bool) *variant {
	t.Helper()
	app := gh.createApp(t, name)
	dir := t.TempDir()
	for _, f := range []string{"config.php", "authsources.php"} {
		data, err := os.ReadFile(filepath.Join("testdata/simplesamlphp", f))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, "config", f), data)
	}
	newKeyPair(t, filepath.Join(dir, "config", "cert"), "sp", name)
	writeFile(t, filepath.Join(dir, "config", "idp-metadata.xml"), app.idpMetadata(t))
	for _, d := range []string{"log", "data", "tmp", "sessions"} {
		if err := os.MkdirAll(filepath.Join(dir, "state", d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	router, err := filepath.Abs("testdata/simplesamlphp/router.php")
	if err != nil {
		t.Fatal(err)
	}
	secret := make([]byte, 16)
	_, _ = rand.Read(secret)
	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	signFlag := "0"
	if sign {
		signFlag = "1"
	}
	cmd := exec.Command(php, "-S", fmt.Sprintf("127.0.0.1:%d", port), "-t", simpleSAMLphpWWW, router)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"SIMPLESAMLPHP_CONFIG_DIR="+filepath.Join(dir, "config"),
		"SIMPLESAMLPHP_BASE="+base,
		"SIMPLESAMLPHP_STATE="+filepath.Join(dir, "state"),
		"SIMPLESAMLPHP_SECRET="+hex.EncodeToString(secret),
		"SIMPLESAMLPHP_IDP="+app.EntityID,
		"SIMPLESAMLPHP_SIGN="+signFlag,
	)
	p := startProcess(t, name, cmd)
	mdURL := base + "/module.php/saml/sp/metadata.php/default-sp"
	waitHTTP(t, p, mdURL, 60*time.Second)
	gh.registerMetadata(t, app, fetch(t, mdURL), map[string]any{"relayState": base + "/app"})
	return &variant{app: app, start: base + "/app", logout: base + "/logout", force: base + "/force", passive: base + "/passive", mfa: base + "/mfa"}
}
