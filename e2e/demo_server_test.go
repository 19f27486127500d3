package e2e

import (
	"bytes"
	"context"
	"fmt"
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

// Owner of the demo app's organization in the end-to-end tests.
const (
	demoOwnerEmail    = "owner@example.com"
	demoOwnerPassword = "Owner-Lighthouse-Pass-5"
)

// startDemoApp runs gatehouse-demo on a free loopback port with a fresh data directory and the owner above, and
// waits until it answers its health check. The process is stopped when the test ends.
func startDemoApp(t *testing.T) *demoApp {
	t.Helper()
	addr := freeAddr(t)
	d := &demoApp{URL: "http://" + addr, out: &syncBuffer{}}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, demoBinary(t), "--addr", addr, "--data", t.TempDir(),
		"--owner-email", demoOwnerEmail, "--owner-password", demoOwnerPassword)
	cmd.Stdout, cmd.Stderr = d.out, d.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("gatehouse-demo output:\n%s", d.out.String())
		}
	})
	for i := 0; ; i++ {
		resp, err := http.Get(d.URL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return d
			}
		}
		if i == 600 {
			t.Fatalf("gatehouse-demo did not start: %v\n%s", err, d.out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
