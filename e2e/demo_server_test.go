package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

var (
	demoBuildOnce sync.Once
	demoBinPath   string
	demoBuildErr  error
)

// demoBinary builds cmd/gatehouse-demo once per test run and returns its path.
func demoBinary(t *testing.T) string {
	t.Helper()
	demoBuildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "gatehouse-demo-e2e-bin")
		if err != nil {
			demoBuildErr = err
			return
		}
		demoBinPath = filepath.Join(dir, "gatehouse-demo")
		out, err := exec.Command("go", "build", "-o", demoBinPath, "../cmd/gatehouse-demo").CombinedOutput()
		if err != nil {
			demoBuildErr = fmt.Errorf("go build gatehouse-demo: %v\n%s", err, out)
		}
	})
	if demoBuildErr != nil {
		t.Fatal(demoBuildErr)
	}
	return demoBinPath
}

// syncBuffer collects a process's output while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// demoApp is a running gatehouse-demo process.
type demoApp struct {
	URL string
	out *syncBuffer
}

// The demo app's owner and Gatehouse's admin in the demo tutorial tests (the admin's password is adminPassword).
const (
	demoAdminUser     = "admin@gatehouse.local"
	demoOwnerEmail    = "owner@example.com"
	demoOwnerPassword = "Owner-Lighthouse-Pass-5"
)

// startDemoApp runs gatehouse-demo on addr with a fresh data directory and the owner above.
func startDemoApp(t *testing.T, addr string) *demoApp {
	t.Helper()
	d := &demoApp{URL: "http://" + addr}
	d.out = startProcess(t, "gatehouse-demo", demoBinary(t), []string{"--addr", addr, "--data", t.TempDir(),
		"--owner-email", demoOwnerEmail, "--owner-password", demoOwnerPassword}, nil, d.URL+"/healthz")
	return d
}

// startGatehouse runs `gatehouse serve` on addr with a fresh data directory, the admin of the tutorial tests and
// the extra environment variables env, and returns its URL.
func startGatehouse(t *testing.T, addr string, env ...string) string {
	t.Helper()
	u := "http://" + addr
	startProcess(t, "gatehouse", gatehouseBinary(t), []string{"serve", "--addr", addr, "--data", t.TempDir(),
		"--log-level", "debug", "--rate-limit", "0"},
		append([]string{"GATEHOUSE_ADMIN_USER=" + demoAdminUser, "GATEHOUSE_ADMIN_PASSWORD=" + adminPassword}, env...), u+"/healthz")
	return u
}

// startProcess runs bin with args and extra environment variables until the test ends, and waits until healthz
// answers 200. Its output is logged when the test fails.
func startProcess(t *testing.T, name, bin string, args, env []string, healthz string) *syncBuffer {
	t.Helper()
	out := &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cancel()
		<-exited
		if t.Failed() {
			t.Logf("%s output:\n%s", name, out.String())
		}
	})
	for i := 0; ; i++ {
		select {
		case err := <-exited:
			exited <- err // for the cleanup
			t.Fatalf("%s stopped before answering: %v\n%s", name, err, out.String())
		default:
		}
		resp, err := http.Get(healthz)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return out
			}
		}
		if i == 600 {
			t.Fatalf("%s did not start: %v\n%s", name, err, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// mustBeFree fails the test when something already listens on addr, so that a test on a fixed address never
// talks to another server.
func mustBeFree(t *testing.T, addr string) {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("%s is taken (%v); stop what listens there to make the screenshots", addr, err)
	}
	ln.Close()
}
