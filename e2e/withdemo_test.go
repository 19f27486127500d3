package e2e

import (
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestServeWithDemo runs `gatehouse serve --with-demo`, the README's quick look, as a real process: both apps
// answer their health checks, the printed credentials sign in to each, and an interrupt stops both cleanly.
func TestServeWithDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the server; skipped in -short")
	}
	addr, demoAddr := freeAddr(t), freeAddr(t)
	ghURL, demoURL := "http://"+addr, "http://"+demoAddr
	out := &syncBuffer{}
	cmd := exec.Command(gatehouseBinary(t), "serve", "--with-demo", "--addr", addr, "--demo-addr", demoAddr,
		"--data", t.TempDir(), "--rate-limit", "0")
	cmd.Env = append(os.Environ(), "GATEHOUSE_ADMIN_USER=", "GATEHOUSE_ADMIN_PASSWORD=", "GATEHOUSE_WITH_DEMO=",
		"GATEHOUSE_DEMO_OWNER_EMAIL=", "GATEHOUSE_DEMO_OWNER_PASSWORD=", "GATEHOUSE_DEMO_ADDR=")
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("gatehouse serve --with-demo output:\n%s", out.String())
		}
	})

	for _, u := range []string{ghURL + "/healthz", demoURL + "/healthz"} {
		for i := 0; ; i++ {
			resp, err := http.Get(u)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					break
				}
			}
			if i == 600 {
				t.Fatalf("%s did not answer: %v", u, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	text := out.String()
	for _, want := range []string{
		"Gatehouse is listening on " + addr,
		"Demo app (gatehouse-demo) is listening on " + demoAddr,
		"Sign in:   " + demoURL + "/signin",
		"Owner:     owner@example.com",
		"Gatehouse admin portal: " + ghURL + "/admin/",
		"Admin:     admin@gatehouse.local (password as printed above)",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	adminPW := regexp.MustCompile(`(?m)^Generated password \(shown once, keep it safe\): (\S+)$`).FindStringSubmatch(text)
	ownerPW := regexp.MustCompile(`(?m)^  Generated owner password \(shown once, keep it safe\): (\S+)$`).FindStringSubmatch(text)
	if adminPW == nil || ownerPW == nil {
		t.Fatalf("the output does not show both generated passwords:\n%s", text)
	}

	// The printed credentials work: the admin gets an API token, the owner signs in to the demo app.
	api := &apiClient{t: t, base: ghURL}
	var tok struct {
		Token string `json:"token"`
	}
	api.call("POST", "/api/v1/tokens", map[string]string{"directory": "default", "userName": "admin@gatehouse.local",
		"password": adminPW[1], "name": "with-demo"}, http.StatusCreated, &tok)
	b := newBrowser(t)
	p := b.post(demoURL+"/signin", map[string]string{"email": "owner@example.com", "password": ownerPW[1]})
	if p.Status != http.StatusSeeOther || p.Location != "/dashboard" {
		t.Errorf("owner sign-in with the printed password: status %d location %q, want 303 to /dashboard\n%s", p.Status, p.Location, p.Body)
	}

	// Nothing is wired: the demo app has no single sign-on yet and Gatehouse has no app.
	var apps struct {
		Total int `json:"total"`
	}
	api.token = tok.Token
	api.call("GET", "/api/v1/directories/default/apps", nil, http.StatusOK, &apps)
	if apps.Total != 0 {
		t.Errorf("Gatehouse starts with %d apps, want none: wiring the demo app is the tutorial", apps.Total)
	}
	// The gallery proposes the demo app where --demo-addr put it.
	var tmpl struct {
		Parameters []struct{ Name, Default string } `json:"parameters"`
	}
	api.call("GET", "/api/v1/gallery/gatehouse-demo", nil, http.StatusOK, &tmpl)
	if len(tmpl.Parameters) != 1 || tmpl.Parameters[0].Default != demoURL {
		t.Errorf("the gallery proposes %+v, want demo_url %s", tmpl.Parameters, demoURL)
	}
	if s := b.get(demoURL + "/saml/login"); s.Status < 400 {
		t.Errorf("the demo app's SSO answers %d before it is set up, want an error page", s.Status)
	}

	// An interrupt stops both servers, and the process exits with 0.
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		stopped = true
		if err != nil {
			t.Errorf("gatehouse serve --with-demo exited with %v after an interrupt, want 0", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("gatehouse serve --with-demo did not stop within 20s of an interrupt")
	}
	for _, u := range []string{ghURL + "/healthz", demoURL + "/healthz"} {
		if resp, err := http.Get(u); err == nil {
			resp.Body.Close()
			t.Errorf("%s still answers after the process stopped", u)
		}
	}
}
