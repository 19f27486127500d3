package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/certs"
	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/internal/testserver"
)

// TestSAMLSetCertificateFiles gives `gatehouse app saml set` the SP's certificate in every form it comes in (PEM
// with LF or CRLF, DER, a Base64 .cer, a bare base64 body) for both certificate flags, against a real server: each
// is registered as the same certificate. Files that are no usable certificate are refused with a message that
// names the file or the field and says what is wrong.
func TestSAMLSetCertificateFiles(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	ctx := context.Background()
	token, _, err := srv.Service.Login(ctx, "default", testserver.AdminUser, testserver.AdminPassword, "test")
	if err != nil {
		t.Fatal(err)
	}
	root, err := srv.Store.FindUserByName(ctx, "default", testserver.AdminUser)
	if err != nil {
		t.Fatal(err)
	}
	app, _, err := srv.Service.AddApp(ctx, root, "default", idp.AppInput{GalleryID: "custom", Name: "SP"})
	if err != nil {
		t.Fatal(err)
	}
	gh := func(args ...string) (int, string) {
		t.Helper()
		var stdout, stderr bytes.Buffer
		env := map[string]string{"GATEHOUSE_SERVER": srv.URL, "GATEHOUSE_TOKEN": token}
		code := run(ctx, args, system{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr,
			getenv: func(k string) string { return env[k] }, hc: http.DefaultClient, isTerminal: func(any) bool { return false }})
		return code, stdout.String() + stderr.String()
	}
	dir := t.TempDir()
	file := func(name string, data []byte) string {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	now := time.Now()
	der, key, err := certs.Generate("sp.example.test", now, 365*24*time.Hour, nil)
	if err != nil {
		t.Fatal(err)
	}
	pemLF := certs.EncodePEM(der)
	forms := []struct{ name, file string }{
		{"PEM", file("sp.pem", pemLF)},
		{"PEM with CRLF", file("sp-crlf.pem", bytes.ReplaceAll(pemLF, []byte("\n"), []byte("\r\n")))},
		{"DER", file("sp.der", der)},
		{"Base64 .cer", file("sp.cer", certs.EncodeBase64(der))},
		{"bare base64", file("sp.b64", []byte(base64.StdEncoding.EncodeToString(der)))},
	}
	want := base64.StdEncoding.EncodeToString(der)
	for _, f := range forms {
		for _, flag := range []string{"--signing-certificate", "--encryption-certificate"} {
			t.Run(f.name+" "+flag, func(t *testing.T) {
				// Start from no certificates, so that each form is read anew.
				if code, out := gh("app", "saml", "set", app.ID, "--encryption-certificate", "", "--require-signed-requests=false"); code != 0 {
					t.Fatalf("clearing: exit %d\n%s", code, out)
				}
				if code, out := gh("app", "saml", "set", app.ID, flag, f.file); code != 0 {
					t.Fatalf("exit %d\n%s", code, out)
				}
				a, err := srv.Store.FindApp(ctx, "default", app.ID)
				if err != nil {
					t.Fatal(err)
				}
				got := a.SAML.EncryptionCertificate
				if flag == "--signing-certificate" {
					got = strings.Join(a.SAML.SigningCertificates, ",")
				}
				if got != want {
					t.Errorf("registered %q, want the certificate as base64 DER", got)
				}
			})
		}
	}

	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	expired, _, err := certs.Generate("old.example.test", now.Add(-48*time.Hour), time.Hour, nil)
	if err != nil {
		t.Fatal(err)
	}
	bad := []struct {
		name, file, want string
	}{
		{"private key", file("sp-key.pem", keyPEM), "sp-key.pem: This is a private key, not a certificate."},
		{"key and certificate", file("sp-both.pem", append(bytes.Clone(pemLF), keyPEM...)), "sp-both.pem: This is a private key, not a certificate."},
		{"chain", file("chain.pem", bytes.Join([][]byte{pemLF, pemLF, pemLF}, nil)), `chain.pem: 3 certificates found: "sp.example.test" (expires `},
		{"over 64 KiB", file("big.pem", append(bytes.Repeat([]byte("\n"), certs.MaxUpload), pemLF...)), "big.pem: The certificate is 65 KiB, over the 64 KiB allowed"},
		{"not a certificate", file("notes.txt", []byte("hello")), "notes.txt: This is not a readable X.509 certificate."},
		{"expired", file("old.pem", certs.EncodePEM(expired)), "The certificate expired on"},
		{"RSA 1024", file("weak.pem", weakCertificate(t)), "The certificate has a 1024-bit RSA key; at least 2048 bits are required."},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			code, out := gh("app", "saml", "set", app.ID, "--signing-certificate", tt.file)
			if code != exitError || !strings.Contains(out, tt.want) {
				t.Errorf("exit %d, output:\n%s\nwant exit %d and %q", code, out, exitError, tt.want)
			}
		})
	}
}

// weakCertificate returns a PEM certificate with a 1024-bit RSA key.
func weakCertificate(t *testing.T) []byte {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "weak.example.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return certs.EncodePEM(der)
}
