// Package smtpsink runs a real SMTP server for tests: aiosmtpd (Debian's python3-aiosmtpd) with the small handler
// in sink.py, on a loopback port the system chooses, keeping every message so that the test can read what was
// sent. A test skips with a loud message when Python or aiosmtpd is missing, and fails instead when CI is "true".
package smtpsink

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/internal/tooltest"
)

//go:embed sink.py
var script []byte

// python is Debian's Python, which python3-aiosmtpd installs into (another python3 may come first in PATH).
const python = "/usr/bin/python3"

// TLS modes of the sink.
const (
	TLSNone     = "none"
	TLSStartTLS = "starttls"
	TLSImplicit = "implicit"
)

// Options configure a sink; the zero value is a plain SMTP server without authentication.
type Options struct {
	// TLS is TLSNone (the default), TLSStartTLS or TLSImplicit; the sink then has a certificate for 127.0.0.1 that
	// Sink.TLSConfig trusts.
	TLS string
	// User and Password, when set, are the only credentials the sink accepts, and it requires them.
	User, Password string
}

// Sink is a running SMTP server.
type Sink struct {
	// Host and Port are where it listens; Addr is both.
	Host string
	Port int
	Addr string
	// roots trusts the sink's certificate when it has one.
	roots *x509.CertPool
	dir   string
}

// Message is one message the sink received.
type Message struct {
	MailFrom string   `json:"mailFrom"`
	RcptTos  []string `json:"rcptTos"`
	Data     string   `json:"data"`
	AuthUser string   `json:"authUser"`
	TLS      bool     `json:"tls"`
	// Header and Body are Data parsed: the header, and the body with its transfer encoding undone.
	Header mail.Header `json:"-"`
	Body   string      `json:"-"`
}

// Subject returns the message's decoded Subject.
func (m *Message) Subject() string {
	s, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		return m.Header.Get("Subject")
	}
	return s
}

// Start starts a sink that stops when the test ends.
func Start(t testing.TB, opts Options) *Sink {
	t.Helper()
	if _, err := os.Stat(python); err != nil {
		tooltest.Missing(t, python+" is not installed", "python3")
	}
	if out, err := exec.Command(python, "-c", "import aiosmtpd").CombinedOutput(); err != nil {
		tooltest.Missing(t, "aiosmtpd is not installed for "+python+" ("+strings.TrimSpace(string(out))+")", "python3-aiosmtpd")
	}
	if opts.TLS == "" {
		opts.TLS = TLSNone
	}
	work := t.TempDir()
	s := &Sink{dir: filepath.Join(work, "messages")}
	if err := os.Mkdir(s.dir, 0o700); err != nil {
		t.Fatal(err)
	}
	scriptPath := filepath.Join(work, "sink.py")
	if err := os.WriteFile(scriptPath, script, 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{scriptPath, "--out", s.dir, "--tls", opts.TLS}
	if opts.TLS != TLSNone {
		certFile, keyFile := filepath.Join(work, "cert.pem"), filepath.Join(work, "key.pem")
		s.roots = writeCertificate(t, certFile, keyFile)
		args = append(args, "--cert", certFile, "--key", keyFile)
	}
	if opts.User != "" {
		args = append(args, "--user", opts.User, "--password", opts.Password)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, python, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
	})
	// The first line says where it listens; the script prints it once the socket accepts connections.
	line := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			line <- sc.Text()
		}
		close(line)
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case l, ok := <-line:
		addr, found := strings.CutPrefix(l, "listening ")
		if !ok || !found {
			t.Fatalf("smtpsink: the sink did not start: %q\n%s", l, stderr.String())
		}
		s.Addr = addr
	case <-time.After(30 * time.Second):
		t.Fatalf("smtpsink: the sink did not say where it listens within 30 s\n%s", stderr.String())
	}
	host, port, err := net.SplitHostPort(s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	s.Host = host
	if s.Port, err = strconv.Atoi(port); err != nil {
		t.Fatal(err)
	}
	return s
}

// TLSConfig returns a client TLS configuration that trusts the sink's certificate.
func (s *Sink) TLSConfig() *tls.Config {
	return &tls.Config{ServerName: s.Host, RootCAs: s.roots, MinVersion: tls.VersionTLS12}
}

// Messages returns the messages received so far, oldest first.
func (s *Sink) Messages(t testing.TB) []*Message {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(s.dir, "[0-9]*.json"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(names)
	var out []*Message
	for _, name := range names {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		var m Message
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("smtpsink: %s: %v", name, err)
		}
		if err := m.parse(); err != nil {
			t.Fatalf("smtpsink: %s: %v\n%s", name, err, m.Data)
		}
		out = append(out, &m)
	}
	return out
}

// Wait returns the messages once there are at least n, failing the test when they do not arrive within 30 s.
func (s *Sink) Wait(t testing.TB, n int) []*Message {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if ms := s.Messages(t); len(ms) >= n {
			return ms
		}
		if time.Now().After(deadline) {
			t.Fatalf("smtpsink: %d messages arrived within 30 s, want %d", len(s.Messages(t)), n)
		}
		<-tick.C
	}
}

// parse fills in Header and Body from Data.
func (m *Message) parse() error {
	msg, err := mail.ReadMessage(strings.NewReader(m.Data))
	if err != nil {
		return err
	}
	m.Header = msg.Header
	var body io.Reader = msg.Body
	switch strings.ToLower(msg.Header.Get("Content-Transfer-Encoding")) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return fmt.Errorf("decode the body: %w", err)
	}
	m.Body = strings.ReplaceAll(string(b), "\r\n", "\n")
	return nil
}

// writeCertificate writes a self-signed certificate for 127.0.0.1 and its key, and returns a pool that trusts it.
func writeCertificate(t testing.TB, certFile, keyFile string) *x509.CertPool {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "smtpsink"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return pool
}
