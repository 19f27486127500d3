package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"flag"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gatehouse-idp/gatehouse/gallery"
)

// lockedBuffer is a bytes.Buffer that a server goroutine writes while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// loopbackAddr returns a free loopback address.
func loopbackAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// serveUntilHealthy runs runServe with args until the test ends and waits until every URL in healthz answers 200.
// It returns what the server printed on standard output.
func serveUntilHealthy(t *testing.T, args []string, healthz ...string) *lockedBuffer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr := &lockedBuffer{}, &lockedBuffer{}
	done := make(chan error, 1)
	go func() { done <- runServe(ctx, args, stdout, stderr) }()
	stopped := false
	t.Cleanup(func() {
		cancel()
		if !stopped {
			if err := <-done; err != nil {
				t.Errorf("serve: %v\n%s", err, stderr.String())
			}
		}
	})
	for _, u := range healthz {
		for i := 0; ; i++ {
			resp, err := http.Get(u)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					break
				}
			}
			if i == 400 {
				t.Fatalf("%s did not answer: %v\n%s%s", u, err, stdout.String(), stderr.String())
			}
			select {
			case err := <-done:
				stopped = true
				t.Fatalf("serve stopped: %v\n%s%s", err, stdout.String(), stderr.String())
			case <-time.After(25 * time.Millisecond):
			}
		}
	}
	return stdout
}

// TestServeWithDemo starts `gatehouse serve --with-demo` twice on the same data directory: both apps answer their
// health checks, the first start prints both bootstrap credentials, the second says where they came from.
func TestServeWithDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two servers; skipped in -short")
	}
	data := filepath.Join(t.TempDir(), "data")
	run := func(t *testing.T, extra ...string) string {
		t.Helper()
		addr, demoAddr := loopbackAddr(t), loopbackAddr(t)
		args := append([]string{"--addr", addr, "--data", data, "--database-url", "", "--admin-user", "admin@contoso.com",
			"--admin-password", "", "--log-level", "error", "--rate-limit", "0",
			"--with-demo", "--demo-addr", demoAddr, "--demo-owner-email", "owner@example.com"}, extra...)
		out := serveUntilHealthy(t, args, "http://"+addr+"/healthz", "http://"+demoAddr+"/healthz")
		text := out.String()
		for _, want := range []string{
			"Gatehouse is listening on " + addr,
			"Demo app (gatehouse-demo) is listening on " + demoAddr,
			"  Sign in:   http://" + demoAddr + "/signin\n",
			"  Its SAML values: Identifier http://" + demoAddr + "/saml/metadata, Reply URL http://" + demoAddr +
				"/saml/acs, Sign-on URL http://" + demoAddr + "/saml/login\n",
			"  Owner:     owner@example.com\n",
			"Gatehouse admin portal: http://" + addr + "/admin/\n",
			"  Admin:     admin@contoso.com (",
			"proposes the demo app base URL http://" + demoAddr + ")",
		} {
			if !strings.Contains(text, want) {
				t.Errorf("output lacks %q:\n%s", want, text)
			}
		}
		return text
	}

	var first string
	t.Run("first start", func(t *testing.T) {
		first = run(t, "--demo-owner-password", "")
		for _, want := range []string{
			"Generated password (shown once, keep it safe): ",
			"Generated owner password (shown once, keep it safe): ",
			"admin@contoso.com (password as printed above)",
		} {
			if !strings.Contains(first, want) {
				t.Errorf("first start's output lacks %q:\n%s", want, first)
			}
		}
	})
	t.Run("second start", func(t *testing.T) {
		second := run(t, "--demo-owner-password", "")
		if strings.Contains(second, "Generated") {
			t.Errorf("a second start prints a password again:\n%s", second)
		}
		for _, want := range []string{
			"the demo app's owner was created on its first start; its data is in " + filepath.Join(data, "demo"),
			"admin@contoso.com (password as chosen after the first start)",
		} {
			if !strings.Contains(second, want) {
				t.Errorf("second start's output lacks %q:\n%s", want, second)
			}
		}
	})
}

// TestServeWithDemoGivenPasswords checks the lines printed when both passwords come from flags: neither is echoed.
func TestServeWithDemoGivenPasswords(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two servers; skipped in -short")
	}
	addr, demoAddr := loopbackAddr(t), loopbackAddr(t)
	out := serveUntilHealthy(t, []string{"--addr", addr, "--data", t.TempDir(), "--database-url", "",
		"--admin-user", "admin@contoso.com", "--admin-password", "Correct-Horse-Battery-9", "--log-level", "error",
		"--with-demo", "--demo-addr", demoAddr, "--demo-owner-password", "Owner-Password-1"},
		"http://"+addr+"/healthz", "http://"+demoAddr+"/healthz").String()
	for _, want := range []string{
		"Owner password: the one given with --demo-owner-password",
		"admin@contoso.com (password as given with --admin-password)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for _, secret := range []string{"Correct-Horse-Battery-9", "Owner-Password-1"} {
		if strings.Contains(out, secret) {
			t.Errorf("output shows the password %q given on the command line:\n%s", secret, out)
		}
	}
}

// TestServeWithDemoAddressInUse checks that a demo address already taken stops the start with an error naming it.
func TestServeWithDemoAddressInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	err = runServe(t.Context(), []string{"--addr", loopbackAddr(t), "--data", t.TempDir(), "--database-url", "",
		"--log-level", "error", "--with-demo", "--demo-addr", ln.Addr().String()}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "demo app") || !strings.Contains(err.Error(), ln.Addr().String()) {
		t.Fatalf("serve with the demo address in use: %v, want an error naming the demo app and the address", err)
	}
}

// TestDemoDefaultsMatchGallery checks that the demo app's default address is the one the "gatehouse-demo" gallery
// template proposes as demo_url, so that with the defaults the admin accepts the proposed value.
func TestDemoDefaultsMatchGallery(t *testing.T) {
	var c serveConfig
	serveFlags(flag.NewFlagSet("serve", flag.ContinueOnError), &c, func(string) string { return "" })
	tmpl, err := gallery.MustLoad().Find("gatehouse-demo")
	if err != nil {
		t.Fatal(err)
	}
	var def string
	for _, p := range tmpl.Parameters {
		if p.Name == "demo_url" {
			def = p.Default
		}
	}
	got, err := demoPublicURL(c.DemoAddr)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(def, got); diff != "" {
		t.Errorf("demo app URL with the default --demo-addr differs from the gallery's demo_url default (-gallery +serve):\n%s", diff)
	}
}

func TestDemoPublicURL(t *testing.T) {
	tests := []struct {
		name, addr, want string
		wantErr          bool
	}{
		{name: "loopback", addr: "127.0.0.1:8090", want: "http://127.0.0.1:8090"},
		{name: "all interfaces", addr: "0.0.0.0:9000", want: "http://127.0.0.1:9000"},
		{name: "no host", addr: ":9000", want: "http://127.0.0.1:9000"},
		{name: "IPv6 loopback", addr: "[::1]:8090", want: "http://[::1]:8090"},
		{name: "host name", addr: "localhost:8090", want: "http://localhost:8090"},
		{name: "no port", addr: "127.0.0.1", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := demoPublicURL(tt.addr)
			if (err != nil) != tt.wantErr {
				t.Fatalf("demoPublicURL(%q) error %v, want error %v", tt.addr, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("demoPublicURL(%q) = %q, want %q", tt.addr, got, tt.want)
			}
		})
	}
}

// TestServeHashParams checks the password-hashing flags and their environment variables: the OWASP default, values
// that are read, and values that stop the server from starting with a message naming the setting.
func TestServeHashParams(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    string // the parameters, when valid
		wantErr string
	}{
		{name: "default", want: "argon2id m=19456,t=2,p=1"},
		{name: "flags", args: []string{"--hash-memory", "46", "--hash-time", "1"}, want: "argon2id m=47104,t=1,p=1"},
		{name: "env", env: map[string]string{"GATEHOUSE_HASH_MEMORY": "12", "GATEHOUSE_HASH_TIME": "3"}, want: "argon2id m=12288,t=3,p=1"},
		{name: "flag over env", args: []string{"--hash-time", "4"}, env: map[string]string{"GATEHOUSE_HASH_MEMORY": "9", "GATEHOUSE_HASH_TIME": "1"}, want: "argon2id m=9216,t=4,p=1"},
		{name: "weaker than owasp", args: []string{"--hash-memory", "19", "--hash-time", "1"}, wantErr: "weaker than the OWASP"},
		{name: "too little memory", args: []string{"--hash-memory", "4", "--hash-time", "10"}, wantErr: "weaker than the OWASP"},
		{name: "too much memory", args: []string{"--hash-memory", "4096"}, wantErr: "--hash-memory 4096"},
		{name: "no passes", args: []string{"--hash-time", "0"}, wantErr: "--hash-time 0"},
		{name: "no lanes", args: []string{"--hash-lanes", "0"}, wantErr: "--hash-lanes 0"},
		{name: "no concurrency", args: []string{"--hash-concurrency", "0"}, wantErr: "--hash-concurrency 0"},
		{name: "bad env", env: map[string]string{"GATEHOUSE_HASH_MEMORY": "19MiB"}, wantErr: `GATEHOUSE_HASH_MEMORY="19MiB"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c serveConfig
			fs := flag.NewFlagSet("serve", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			serveFlags(fs, &c, func(k string) string { return tt.env[k] })
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			if tt.wantErr != "" && strings.HasPrefix(tt.wantErr, "GATEHOUSE_") {
				if len(c.envErrors) == 0 || !strings.Contains(c.envErrors[0].Error(), tt.wantErr) {
					t.Fatalf("envErrors = %v; want one naming %s", c.envErrors, tt.wantErr)
				}
				return
			}
			p, err := c.hashParams()
			switch {
			case tt.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("hashParams() = %v, %v; want an error containing %q", p, err, tt.wantErr)
				}
			case err != nil:
				t.Fatal(err)
			case p.String() != tt.want:
				t.Errorf("hashParams() = %s; want %s", p, tt.want)
			}
		})
	}
	// The server refuses to start on a bad value.
	err := runServe(t.Context(), []string{"--addr", loopbackAddr(t), "--data", t.TempDir(), "--hash-memory", "1"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--hash-memory 1") {
		t.Errorf("serve --hash-memory 1: %v; want an error naming the flag", err)
	}
}

// TestNameIDKeyUnchanged pins the persistent NameID key of a key-encryption key (32 bytes 0x01) to the value earlier
// versions derived: a different key would change every persistent NameID that service providers keep.
func TestNameIDKeyUnchanged(t *testing.T) {
	k, err := nameIDKey(bytes.Repeat([]byte{1}, 32))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := hex.EncodeToString(k), "b40e1c9e4e30b9e5f45bbf9f12dfa294a26059b61dfeb39cd1542ac6a6211e54"; got != want {
		t.Errorf("nameIDKey = %s, want %s", got, want)
	}
}

// TestServePrintsAddresses starts `gatehouse serve` and checks that it prints where everything is, the admin portal
// first.
func TestServePrintsAddresses(t *testing.T) {
	addr := loopbackAddr(t)
	out := serveUntilHealthy(t, []string{"--addr", addr, "--data", t.TempDir(), "--database-url", "",
		"--admin-user", "admin@contoso.com", "--admin-password", "", "--log-level", "error", "--rate-limit", "0"},
		"http://"+addr+"/healthz")
	u := "http://" + addr
	want := "Gatehouse is listening on " + addr + "\n" +
		"  Admin portal: " + u + "/admin/\n" +
		"  My Apps:      " + u + "/d/default/myapps\n" +
		"  SSO URL:      " + u + "/d/default/saml2\n" +
		"  API:          " + u + "/api/v1 (description at /api/v1/openapi.yaml)\n"
	if !strings.Contains(out.String(), want) {
		t.Errorf("output lacks\n%s\nin:\n%s", want, out.String())
	}
}
