package interop

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
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
	runChecks(t, &spKit{
		name:   "shibboleth",
		plain:  startShibboleth(t, gh, "shibboleth", false),
		signed: startShibboleth(t, gh, "shibboleth-signed", true),
		// Shibboleth's words when the XML signature does not verify.
		refusal: "Message was signed, but signature could not be verified",
	})
}

// shibConfig fills the templates of testdata/shibboleth.
type shibConfig struct {
	Dir, Base, IdP, Signing string
	Port                    int
}

func startShibboleth(t *testing.T, gh *gatehouseServer, name string, sign bool) *variant {
	t.Helper()
	app := gh.createApp(t, name)
	dir := spDir(t, name)
	port := freePort(t)
	cfg := shibConfig{Dir: dir, Port: port, Base: fmt.Sprintf("http://127.0.0.1:%d", port), IdP: app.EntityID, Signing: "false"}
	if sign {
		cfg.Signing = "front"
	}
	for _, f := range []struct{ src, dst string }{
		{"shibboleth2.xml.tmpl", "shibboleth2.xml"}, {"httpd.conf.tmpl", "httpd.conf"},
		{"attribute-map.xml", "attribute-map.xml"}, {"shibd.logger", "shibd.logger"}, {"native.logger", "native.logger"},
		{"index.html", "htdocs/secure/index.html"},
	} {
		tmpl, err := template.ParseFiles(filepath.Join("testdata/shibboleth", f.src))
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := tmpl.Execute(&b, cfg); err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, f.dst), b.Bytes())
	}
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
	return &variant{app: app, start: cfg.Base + "/secure/index.html", logout: cfg.Base + "/Shibboleth.sso/Logout"}
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
