package interop

import (
	"bytes"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"text/template"
	"time"
)

const (
	shibdPath  = "/usr/sbin/shibd"
	apachePath = "/usr/sbin/apache2"
	modShib    = "/usr/lib/apache2/modules/mod_shib.so"
)

// TestShibboleth runs the checks against Shibboleth SP 3 under Apache (Debian's libapache2-mod-shib and apache2):
// shibd in the foreground and a private Apache instance, both with their configuration and state in a temporary
// directory, run as an unprivileged user when the tests run as root.
func TestShibboleth(t *testing.T) {
	for _, f := range []struct{ path, pkg string }{{shibdPath, "libapache2-mod-shib"}, {modShib, "libapache2-mod-shib"}, {apachePath, "apache2"}} {
		if _, err := os.Stat(f.path); err != nil {
			requireTool(t, "shibboleth", f.path, "Debian package "+f.pkg)
		}
	}
	gh := startGatehouse(t)
	k := &spKit{
		name:   "shibboleth",
		plain:  startShibboleth(t, gh, "shibboleth", false),
		signed: startShibboleth(t, gh, "shibboleth-signed", true),
		ecdsa:  startShibboleth(t, gh, "shibboleth"+ecdsaSuffix, false),
		// Shibboleth's words when the XML signature does not verify.
		refusal: "Message was signed, but signature could not be verified",
	}
	runChecks(t, k)
	runCheck(t, k.name, checkMetadata, func(c *checkT) { shibMetadataSignature(c, gh, k) })
}

// shibMetadataSignature checks that Shibboleth verifies the signature of the app's metadata it loaded: the
// configuration loads with the metadata as Gatehouse signed it, and shibd -t refuses the same configuration with
// an endpoint of the metadata changed after signing.
func shibMetadataSignature(c *checkT, gh *gatehouseServer, k *spKit) {
	if !gh.features.signedMetadata {
		c.notSupported("signed IdP metadata")
	}
	cfg := k.plain.shib
	test := func(metadata []byte) string {
		c.Helper()
		dir := spDir(c, "shibboleth-metadata")
		alt := *cfg
		alt.Dir, alt.MetadataFile = dir, filepath.Join(dir, "idp-metadata.xml")
		writeFile(c, alt.MetadataFile, metadata)
		writeShibConfig(c, &alt)
		newKeyPair(c, dir, "sp", "shibboleth-metadata")
		out, _ := runTool(60*time.Second, shibdPath, "-t", "-c", filepath.Join(dir, "shibboleth2.xml"))
		return string(out)
	}
	signed, err := os.ReadFile(cfg.MetadataFile)
	if err != nil {
		c.Fatal(err)
	}
	if good := test(signed); strings.Contains(good, "ERROR") || strings.Contains(good, "CRIT") {
		c.Fatalf("shibd -t does not load the metadata as Gatehouse signed it:\n%s", good)
	}
	changed := bytes.Replace(signed, []byte("/saml2\""), []byte("/evil\""), 1)
	bad := test(changed)
	if !strings.Contains(bad, "failed signature check") && !strings.Contains(bad, "unable to verify signature") {
		c.Fatalf("shibd -t loads metadata whose endpoint was changed after signing:\n%s", bad)
	}
	c.Logf("shibd -t on the changed metadata:\n%s", bad)
	c.notePass("shibd loads the signed metadata through its Signature filter and refuses it changed")
}

// shibConfig fills the templates of testdata/shibboleth.
type shibConfig struct {
	Dir, Base, IdP, Signing string
	Port                    int
	// MetadataFile is the IdP metadata; MetadataSigner, when set, the certificate its signature must verify with.
	MetadataFile, MetadataSigner string
}

func startShibboleth(t *testing.T, gh *gatehouseServer, name string, sign bool) *variant {
	t.Helper()
	app := gh.createApp(t, name)
	dir := spDir(t, name)
	port := freePort(t)
	cfg := shibConfig{Dir: dir, Port: port, Base: fmt.Sprintf("http://127.0.0.1:%d", port), IdP: app.EntityID, Signing: "false",
		MetadataFile: filepath.Join(dir, "idp-metadata.xml")}
	if gh.features.signedMetadata {
		// Shibboleth reads the app's signed metadata through its Signature filter.
		gh.api.mustCall(t, "PATCH", app.path()+"/saml", map[string]any{"signMetadata": true}, 200, nil)
		cfg.MetadataSigner = filepath.Join(dir, "idp-metadata-signer.pem")
		writeFile(t, cfg.MetadataSigner, app.CertPEM)
	}
	if sign {
		cfg.Signing = "front"
	}
	writeShibConfig(t, &cfg)
	newKeyPair(t, dir, "sp", name)
	writeFile(t, filepath.Join(dir, "idp-metadata.xml"), app.idpMetadata(t))
	if err := os.MkdirAll(filepath.Join(dir, "run"), 0o755); err != nil {
		t.Fatal(err)
	}
	cred := unprivileged(t)
	chownTree(t, dir, cred)

	shibd := exec.Command(shibdPath, "-F", "-f", "-c", filepath.Join(dir, "shibboleth2.xml"), "-p", filepath.Join(dir, "shibd.pid"))
	shibd.Dir = dir
	shibd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	sp := startProcess(t, name+" shibd", shibd)
	waitFile(t, sp, filepath.Join(dir, "shibd.sock"), 60*time.Second)

	apache := exec.Command(apachePath, "-f", filepath.Join(dir, "httpd.conf"), "-D", "FOREGROUND")
	apache.Dir = dir
	apache.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	ap := startProcess(t, name+" apache", apache)
	t.Cleanup(func() {
		if t.Failed() {
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Logf("%s apache error log:\n%s", name, log)
		}
	})
	waitHTTP(t, ap, cfg.Base+"/Shibboleth.sso/Metadata", 60*time.Second)

	gh.registerMetadata(t, app, fetch(t, cfg.Base+"/Shibboleth.sso/Metadata"), map[string]any{"relayState": cfg.Base + "/secure/index.html"})
	return &variant{app: app, start: cfg.Base + "/secure/index.html", logout: cfg.Base + "/Shibboleth.sso/Logout", shib: &cfg,
		force:   cfg.Base + "/Shibboleth.sso/Login?forceAuthn=1&target=" + url.QueryEscape(cfg.Base+"/secure/index.html"),
		passive: cfg.Base + "/Shibboleth.sso/Login?isPassive=1&target=" + url.QueryEscape(cfg.Base+"/public.html"),
		mfa:     cfg.Base + "/Shibboleth.sso/Login?authnContextClassRef=" + url.QueryEscape(refedsMFA) + "&target=" + url.QueryEscape(cfg.Base+"/secure/index.html")}
}

// writeShibConfig writes Shibboleth's and Apache's configuration for cfg into cfg.Dir.
func writeShibConfig(t testing.TB, cfg *shibConfig) {
	t.Helper()
	for _, f := range []struct{ src, dst string }{
		{"shibboleth2.xml.tmpl", "shibboleth2.xml"}, {"httpd.conf.tmpl", "httpd.conf"},
		{"attribute-map.xml", "attribute-map.xml"}, {"shibd.logger", "shibd.logger"}, {"native.logger", "native.logger"},
		{"index.html", "htdocs/secure/index.html"}, {"public.html", "htdocs/public.html"},
	} {
		tmpl, err := template.ParseFiles(filepath.Join("testdata/shibboleth", f.src))
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := tmpl.Execute(&b, cfg); err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(cfg.Dir, f.dst), b.Bytes())
	}
}

// waitFile waits until path exists (at most timeout), failing the test with the process's output if it does not
// or the process exits.
func waitFile(t testing.TB, p *process, path string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if _, err := os.Stat(path); err == nil {
			return
		}
		if p.exited() {
			t.Fatalf("%s exited before it created %s:\n%s", p.name, path, p.out.String())
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not create %s within %v:\n%s", p.name, path, timeout, p.out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}
