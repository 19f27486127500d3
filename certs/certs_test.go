package certs_test

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/certs"
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

const threeYears = 3 * 365 * 24 * time.Hour

func TestGenerate(t *testing.T) {
	der, key, err := certs.Generate("Gatehouse SSO Certificate", now, threeYears, nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name string
		ok   bool
	}{
		{"subject CN", c.Subject.CommonName == "Gatehouse SSO Certificate"},
		{"self-signed issuer", c.Issuer.CommonName == "Gatehouse SSO Certificate"},
		{"NotBefore is now-5m", c.NotBefore.Equal(now.Add(-5 * time.Minute))},
		{"NotAfter is now+validity", c.NotAfter.Equal(now.Add(threeYears))},
		{"key usage is digital signature only", c.KeyUsage == x509.KeyUsageDigitalSignature},
		{"not a CA", c.BasicConstraintsValid && !c.IsCA},
		{"serial is positive", c.SerialNumber.Sign() > 0},
		{"serial fits in 20 octets", len(c.SerialNumber.Bytes()) <= 20},
		{"SHA-256 signature", c.SignatureAlgorithm == x509.SHA256WithRSA},
		{"RSA-2048", key.N.BitLen() == 2048},
		{"key matches certificate", key.PublicKey.Equal(c.PublicKey)},
	}
	for _, ch := range checks {
		if !ch.ok {
			t.Errorf("%s: failed", ch.name)
		}
	}
	if err := c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature); err != nil {
		t.Errorf("self-signature: %v", err)
	}
}

// TestGenerateSerialRandom checks that serial numbers carry at least 128 random bits: the reader is asked for
// them, and two certificates differ.
func TestGenerateSerialRandom(t *testing.T) {
	rec := &recordingReader{}
	der1, _, err := certs.Generate("a", now, time.Hour, rec)
	if err != nil {
		t.Fatal(err)
	}
	if rec.first < 16 {
		t.Errorf("first read from the random source is %d bytes; want >= 16 for the serial number", rec.first)
	}
	der2, _, err := certs.Generate("a", now, time.Hour, nil)
	if err != nil {
		t.Fatal(err)
	}
	c1, _ := x509.ParseCertificate(der1)
	c2, _ := x509.ParseCertificate(der2)
	if c1.SerialNumber.Cmp(c2.SerialNumber) == 0 {
		t.Error("two certificates have the same serial number")
	}
}

type recordingReader struct{ first int }

func (r *recordingReader) Read(p []byte) (int, error) {
	if r.first == 0 {
		r.first = len(p)
	}
	for i := range p {
		p[i] = byte(i*7 + 1)
	}
	return len(p), nil
}

func TestGenerateBadValidity(t *testing.T) {
	if _, _, err := certs.Generate("a", now, 0, nil); err == nil {
		t.Error("zero validity: no error")
	}
}

func TestThumbprint(t *testing.T) {
	// SHA-1("abc") from FIPS 180-1.
	if got, want := certs.Thumbprint([]byte("abc")), "A9993E364706816ABA3E25717850C26C9CD0D89D"; got != want {
		t.Errorf("Thumbprint = %s; want %s", got, want)
	}
}

func TestEncodeBase64(t *testing.T) {
	der := testCert(t, certOpts{})
	out := certs.EncodeBase64(der)
	s := string(out)
	if !strings.HasPrefix(s, "-----BEGIN CERTIFICATE-----\r\n") || !strings.HasSuffix(s, "\r\n-----END CERTIFICATE-----\r\n") {
		t.Fatalf("missing BEGIN/END lines with CRLF:\n%q", s)
	}
	lines := strings.Split(strings.TrimSuffix(s, "\r\n"), "\r\n")
	for i, l := range lines {
		if strings.Contains(l, "\n") {
			t.Errorf("line %d has a bare LF", i)
		}
		if len(l) > 64 {
			t.Errorf("line %d is %d characters; want <= 64", i, len(l))
		}
	}
	for i, l := range lines[1 : len(lines)-2] {
		if len(l) != 64 {
			t.Errorf("body line %d is %d characters; want 64", i, len(l))
		}
	}
	b, _ := pem.Decode(out)
	if b == nil || b.Type != "CERTIFICATE" || !bytes.Equal(b.Bytes, der) {
		t.Error("Base64 output does not decode back to the certificate")
	}
}

func TestEncodePEM(t *testing.T) {
	der := testCert(t, certOpts{})
	out := certs.EncodePEM(der)
	if bytes.Contains(out, []byte("\r")) {
		t.Error("PEM has CR characters; want LF only")
	}
	b, rest := pem.Decode(out)
	if b == nil || b.Type != "CERTIFICATE" || !bytes.Equal(b.Bytes, der) || len(rest) != 0 {
		t.Error("PEM output does not decode back to exactly the certificate")
	}
}

// TestFileName covers SECURITY-CASES 39: names derived from user input are never paths.
func TestFileName(t *testing.T) {
	tests := []struct {
		name, app, format, want string
	}{
		{"base64 is .cer", "Mixpanel", certs.FormatBase64, "Mixpanel.cer"},
		{"raw is .cer", "Mixpanel", certs.FormatRaw, "Mixpanel.cer"},
		{"pem", "Mixpanel", certs.FormatPEM, "Mixpanel.pem"},
		{"metadata is .xml", "Mixpanel", certs.FormatMetadata, "Mixpanel.xml"},
		{"unknown format is .cer", "Mixpanel", "zip", "Mixpanel.cer"},
		{"spaces kept, brackets dropped", "Mixpanel (prod)", certs.FormatPEM, "Mixpanel prod.pem"},
		{"parent directory", "../../etc/passwd", certs.FormatPEM, "etcpasswd.pem"},
		{"absolute path", "/etc/shadow", certs.FormatPEM, "etcshadow.pem"},
		{"windows path", `C:\Windows\system.ini`, certs.FormatPEM, "CWindowssystem.ini.pem"},
		{"NUL byte", "a\x00b", certs.FormatPEM, "ab.pem"},
		{"control characters", "a\r\nb\tc", certs.FormatPEM, "ab c.pem"},
		{"header injection", "x\"; filename=evil.exe", certs.FormatPEM, "x filenameevil.exe.pem"},
		{"leading and repeated dots", "...hidden..name.", certs.FormatPEM, "hidden.name.pem"},
		{"non-ASCII dropped", "Zürich Ärzte", certs.FormatPEM, "Zrich rzte.pem"},
		{"nothing left", "///", certs.FormatBase64, "certificate.cer"},
		{"empty", "", certs.FormatBase64, "certificate.cer"},
		{"long name capped", strings.Repeat("a", 300), certs.FormatPEM, strings.Repeat("a", 100) + ".pem"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := certs.FileName(tt.app, tt.format)
			if got != tt.want {
				t.Errorf("FileName(%q, %q) = %q; want %q", tt.app, tt.format, got, tt.want)
			}
			for _, r := range got {
				if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || strings.ContainsRune("._ -", r)) {
					t.Errorf("FileName(%q) = %q contains %q", tt.app, got, r)
				}
			}
		})
	}
}

// testKey is shared by tests that need an RSA-2048 key; generating one per test is slow.
var testKey = func() *rsa.PrivateKey {
	_, k, err := certs.Generate("test", now, time.Hour, nil)
	if err != nil {
		panic(err)
	}
	return k
}()
