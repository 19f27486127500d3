package interop

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// lockedBuffer collects a process's output; mu guards b.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len() > 4<<20 {
		return len(p), nil
	}
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// process is a program started for a test in its own process group.
type process struct {
	name string
	cmd  *exec.Cmd
	out  *lockedBuffer
	done chan struct{}
}

// startProcess starts cmd in a new process group (setsid) with its output collected. When the test ends the whole
// group is sent SIGTERM, then SIGKILL if it has not exited within 5 seconds; the output is logged when the test
// failed.
func startProcess(t testing.TB, name string, cmd *exec.Cmd) *process {
	t.Helper()
	p := &process{name: name, cmd: cmd, out: &lockedBuffer{}, done: make(chan struct{})}
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setsid = true
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() { _ = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			t.Logf("%s output:\n%s", name, p.out.String())
		}
	})
	return p
}

// stop ends the process group and waits for the process, at most 10 seconds in all.
func (p *process) stop() {
	pgid := p.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		select {
		case <-p.done:
		case <-time.After(5 * time.Second):
		}
	}
	// Daemons that forked stay in the group: make sure none is left.
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
}

// exited reports whether the process has ended.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// waitHTTP waits until u answers with a status below 500 (at most timeout), failing the test with the process's
// output if it does not or the process exits.
func waitHTTP(t testing.TB, p *process, u string, timeout time.Duration) {
	t.Helper()
	hc := &http.Client{Timeout: 2 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	deadline := time.Now().Add(timeout)
	for {
		resp, err := hc.Get(u)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode < 500 {
				return
			}
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		if p != nil && p.exited() {
			t.Fatalf("%s exited before %s answered:\n%s", p.name, u, p.out.String())
		}
		if time.Now().After(deadline) {
			out := ""
			if p != nil {
				out = p.out.String()
			}
			t.Fatalf("%s did not answer within %v: %v\n%s", u, timeout, err, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// runTool runs a short command with a timeout and returns its combined output.
func runTool(timeout time.Duration, name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	return cmd.CombinedOutput()
}

// keyPair is an SP's RSA key and self-signed certificate, also written as PEM files.
type keyPair struct {
	Key               *rsa.PrivateKey
	Cert              *x509.Certificate
	KeyPEM, CertPEM   []byte
	KeyFile, CertFile string
}

// newKeyPair makes a 2048-bit RSA key and a certificate for cn valid for a day, written to dir as name.key and
// name.crt.
func newKeyPair(t testing.TB, dir, name, cn string) *keyPair {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	kp := &keyPair{Key: key, Cert: cert,
		KeyPEM:   pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}),
		CertPEM:  pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		KeyFile:  filepath.Join(dir, name+".key"),
		CertFile: filepath.Join(dir, name+".crt"),
	}
	writeFile(t, kp.KeyFile, kp.KeyPEM)
	writeFile(t, kp.CertFile, kp.CertPEM)
	return kp
}

func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// spDir returns a fresh directory for an SP's configuration and state, removed when the test ends. As root it is
// under /tmp (reachable by the unprivileged user the SP then runs as) and owned by that user.
func spDir(t testing.TB, name string) string {
	t.Helper()
	base := ""
	if os.Getuid() == 0 {
		base = "/tmp"
	}
	dir, err := os.MkdirTemp(base, "gatehouse-interop-"+name+"-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

// unprivileged returns the credential to run an SP as when the tests run as root (www-data, or nobody), and nil
// otherwise.
func unprivileged(t testing.TB) *syscall.Credential {
	t.Helper()
	if os.Getuid() != 0 {
		return nil
	}
	for _, name := range []string{"www-data", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: true}
	}
	t.Fatal("running as root, and neither www-data nor nobody exists to run the SP as")
	return nil
}

// chownTree gives dir and everything in it to cred's user (a no-op when cred is nil).
func chownTree(t testing.TB, dir string, cred *syscall.Credential) {
	t.Helper()
	if cred == nil {
		return
	}
	err := filepath.Walk(dir, func(path string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(path, int(cred.Uid), int(cred.Gid))
	})
	if err != nil {
		t.Fatal(err)
	}
}
